from django import template
from django.core import signing
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from blog import pagecache
from blog.models import Post
from blog.site import site_settings
from comments import moderation, threads
from comments.forms import FORM_MAX_AGE, TIMESTAMP_SALT, CommentForm
from comments.models import Comment

register = template.Library()

# Where a post instance keeps its number of approved comments once counted.
_COUNT_ATTRIBUTE = "_approved_comment_count"


@register.inclusion_tag("comments/_thread.html", takes_context=True)
def comment_thread(context, post):
    """A post's comment thread with the form (or a notice that comments are closed)."""
    request = context.get("request")
    if request is not None:
        # Read with the request, the rules below cost no query of their own (blog/site.py).
        site_settings(request)
    is_open = moderation.comments_open(post)
    if is_open and request is not None:
        # A cached copy of this page must not outlive the form's signed timestamp (nor
        # show the form after comments close).
        now = timezone.now()
        pagecache.expire_at(request, now + FORM_MAX_AGE / 2)
        pagecache.expire_at(request, moderation.closes_at(post))
    thread = threads.build_thread(
        post,
        own_ids=threads.own_comment_ids(request),
        open_for_replies=is_open,
        page=threads.page_number(request),
    )
    user = getattr(request, "user", None)
    post_url = post.get_absolute_url()
    return {
        "post": post,
        "post_url": post_url,
        "thread": thread,
        # Built in Python: a template loop costs ~0.15 ms a comment, this ~0.01 ms.
        "thread_html": threads.render_nodes(thread.nodes, threads.page_url(post_url, thread.page)),
        "comments_open": is_open,
        "form_html": comment_form_html(request, post, user) if is_open else "",
        "request": request,
    }


# The comment form is the same for every reader of a post but for its CSRF token and its
# signed timestamp: it is rendered once (Django's form rendering costs more than the rest of
# the page) and those two are filled in for each request.
_CSRF_MARK = "csrftokenplaceholder"
_TIMESTAMP_MARK = "timestampplaceholder"


def comment_form_html(request, post, user):
    if request is None or (user is not None and user.is_authenticated):
        # Logged-in readers find their name and email filled in.
        return render_to_string(
            "comments/_form.html", {"form": CommentForm(post, user=user), "post": post}, request=request
        )

    def render():
        form = CommentForm(post)
        form.fields["timestamp"].initial = _TIMESTAMP_MARK
        return render_to_string(
            "comments/_form.html", {"form": form, "post": post, "csrf_token": _CSRF_MARK}
        )

    form_html = pagecache.fragment(request, f"comment-form:{post.pk}", [], render)
    timestamp = signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(str(post.pk))
    # pagecache.csrf_token() is Django's get_token() drawn from one os.urandom() call.
    token = pagecache.csrf_token(request)
    return mark_safe(form_html.replace(_CSRF_MARK, token).replace(_TIMESTAMP_MARK, timestamp))


@register.simple_tag(takes_context=True)
def comment_count(context, post):
    """The number of approved comments on `post`.

    On a page listing posts, the first call counts for every post of the list in one
    query and keeps each count on its post, so the page makes one query, not one a post.
    """
    count = getattr(post, _COUNT_ATTRIBUTE, None)
    if count is not None:
        return count
    listed = [item for item in context.get("object_list") or () if isinstance(item, Post)]
    posts = listed if any(item is post for item in listed) else [post]
    counts = Comment.objects.count_visible_by_post([item.pk for item in posts])
    for item in posts:
        setattr(item, _COUNT_ATTRIBUTE, counts.get(item.pk, 0))
    return counts.get(post.pk, 0)
