from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

import pagecache
from blog.models import Post
from blog.security import carries_session
from blog.site import site_settings
from comments import editing, moderation, threads
from comments.forms import FORM_MAX_AGE, CommentForm
from comments.models import Comment

register = template.Library()

# Where a post instance keeps its number of approved comments once counted.
_COUNT_ATTRIBUTE = "_approved_comment_count"

# How long one rendering of the anonymous comment form (and its signed timestamp) is
# reused for; well under FORM_MAX_AGE / 2, so a page showing it is kept a while.
FORM_PERIOD = FORM_MAX_AGE / 8


@register.inclusion_tag("comments/_thread.html", takes_context=True)
def comment_thread(context, post):
    """A post's comment thread with the form (or a notice that comments are closed)."""
    request = context.get("request")
    if request is not None:
        # Read with the request, the rules below cost no query of their own (blog/site.py).
        site_settings(request)
    is_open = moderation.comments_open(post)
    if is_open and request is not None:
        # A cached copy of this page must not show the form after comments close.
        pagecache.expire_at(request, moderation.closes_at(post))
    own_ids = threads.own_comment_ids(request)
    changeable_ids = editing.comment_ids(request)
    page = threads.page_number(request)
    post_url = post.get_absolute_url()

    def render():
        thread = threads.build_thread(
            post, own_ids=own_ids, open_for_replies=is_open, page=page, changeable_ids=changeable_ids
        )
        html = mark_safe(render_to_string(
            "comments/_thread_items.html",
            {"nodes": thread.nodes, "permalink_base": threads.page_url(post_url, thread.page)},
            using="jinja2",
        ))
        # Kept without its nodes: the page needs only the counts and the markup.
        return threads.Thread(nodes=[], count=thread.count, page=thread.page, pages=thread.pages,
                              per_page=thread.per_page), html

    if request is None or own_ids or changeable_ids:
        # A reader's own pending comments, and the links to change their comments, are
        # theirs alone: never kept for others.
        thread, thread_html = render()
    else:
        # Rendered once per version of the thread (the post's, for the author's badge),
        # whether comments are open and page; the thread's version is read before the thread.
        thread, thread_html = pagecache.fragment(
            request,
            f"thread:{post.pk}:{page}:{is_open}",
            [pagecache.SITE, pagecache.thread(post.pk)],
            render,
        )
    user = getattr(request, "user", None)
    return {
        "post": post,
        "post_url": post_url,
        "thread": thread,
        "thread_html": thread_html,
        "comments_open": is_open,
        "form_html": comment_form_html(request, post, user) if is_open else "",
        "request": request,
    }


def comment_form_html(request, post, user):
    """The comment form: the same bytes for every anonymous reader of the post.

    Only a request that carries a session gets a CSRF token in it (and the CSRF cookie);
    readers without one are guarded by the browser's own headers instead
    (blog.security.same_origin_or_csrf_token), so the page stays shareable.
    """
    with_token = request is not None and carries_session(request)

    def render():
        return timezone.now(), render_to_string(
            "comments/_form.html",
            {"form": CommentForm(post, user=user), "post": post, "with_token": with_token},
            request=request,
        )

    if request is None or with_token:
        return render()[1]
    # Anonymous readers' form is kept as a fragment, like the thread: rendering Django's
    # form widgets is most of a page miss. One copy per post and period, so the signed
    # timestamp inside is never older than FORM_PERIOD; the page that shows it must not
    # be kept once its timestamp is half the form's age limit.
    period = int(timezone.now().timestamp() // FORM_PERIOD.total_seconds())
    rendered_at, html = pagecache.fragment(
        request, f"comment-form:{post.pk}:{period}", [pagecache.SITE], render
    )
    pagecache.expire_at(request, rendered_at + FORM_MAX_AGE / 2)
    return html


@register.simple_tag(takes_context=True)
def comment_count(context, post):
    """The number of approved comments on `post`.

    On a page listing posts, the first call counts for every post of the list in one
    query and keeps each count on its post, so the page makes one query, not one a post.
    """
    count = getattr(post, _COUNT_ATTRIBUTE, None)
    if count is not None:
        return count
    request = context.get("request")
    if request is not None:
        pagecache.depends_on(request, [pagecache.COMMENTS])
    listed = [item for item in context.get("object_list") or () if isinstance(item, Post)]
    posts = listed if any(item is post for item in listed) else [post]
    counts = Comment.objects.count_visible_by_post([item.pk for item in posts])
    for item in posts:
        setattr(item, _COUNT_ATTRIBUTE, counts.get(item.pk, 0))
    return counts.get(post.pk, 0)
