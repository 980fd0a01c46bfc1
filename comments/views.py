from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blog.client_address import client_ip
from blog.models import Post
import pagecache
from blog import ratelimit
from blog.security import carries_session, same_origin_or_csrf_token
from comments import identity, moderation, notifications, threads
from comments.forms import REPLY_ERROR_TOO_DEEP, CommentForm
from comments.models import Comment

QUEUE_PAGE_SIZE = 50


def _form_page(request, form, *, status, parent=None, notice=None, show_form=True,
               headers=None):
    """The comment form on a page of its own: replies without JavaScript, and errors."""
    context = {
        "form": form,
        "post": form.post,
        "parent": parent,
        "notice": notice,
        "show_form": show_form,
        "with_token": carries_session(request),
    }
    response = render(request, "comments/comment_form.html", context, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@same_origin_or_csrf_token
@require_POST
def post_comment(request, post_id):
    post = get_object_or_404(Post.objects.published().select_related("author"), pk=post_id)
    if not moderation.comments_open(post):
        raise PermissionDenied("Comments are closed on this post.")
    form = CommentForm(post, data=request.POST, user=request.user)
    # Every submission counts against the client's limit (settings.RATE_LIMITS), valid or
    # not; past it the form comes back with the reader's text, as for a flood.
    retry_after = None
    if not moderation.is_moderator(request.user):
        retry_after = ratelimit.hit("comment-post", request)
    if retry_after is not None:
        form.is_valid()
        return _form_page(
            request,
            form,
            status=429,
            parent=form.cleaned_data.get("parent"),
            notice=f"You have sent many comments in a short time. Please wait {retry_after} "
            "seconds, then send your comment again.",
            headers={"Retry-After": str(retry_after)},
        )
    if not form.is_valid():
        # A reply's parent is shown above the form again when it is one we may show.
        parent = form.cleaned_data.get("parent")
        return _form_page(request, form, status=400, parent=parent)

    comment = form.build_comment(
        user=request.user,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    try:
        comment, created = moderation.receive(
            comment,
            user=request.user,
            address_proven=identity.browser_proves(request, comment.author_email),
        )
    except moderation.Flooding:
        seconds = int(moderation.FLOOD_INTERVAL.total_seconds())
        return _form_page(
            request,
            form,
            status=429,
            parent=comment.parent,
            notice=f"You are posting comments too quickly. Please wait {seconds} seconds, "
            "then send your comment again.",
            headers={"Retry-After": str(seconds)},
        )
    if not created and not moderation.may_see_earlier_copy(
        comment, user=request.user, own_ids=threads.own_comment_ids(request)
    ):
        # The same words from the same address are waiting already, sent from elsewhere:
        # nothing of that copy is shown, only what this sender wrote.
        return _form_page(
            request,
            form,
            status=200,
            parent=form.cleaned_data["parent"],
            notice="A comment with these words from this email address was received "
            "already. It will appear once a moderator approves it.",
        )
    threads.remember_own_comment(request, comment)
    return redirect(comment.get_absolute_url())


@require_GET
def reply(request, comment_id):
    """The form for a reply to one comment, for browsers without JavaScript.

    Shared with every anonymous reader like the post page; any change to a thread may
    change whether the comment may be replied to.
    """
    return pagecache.serve(request, [pagecache.SITE, pagecache.COMMENTS], lambda: _reply(request, comment_id))


def _reply(request, comment_id):
    parent = get_object_or_404(
        Comment.objects.visible().select_related("post"),
        pk=comment_id,
        post__in=Post.objects.published(),
    )
    post = parent.post
    form = CommentForm(post, user=request.user, parent=parent)
    if not moderation.comments_open(post):
        return _form_page(request, form, status=200, parent=parent, show_form=False,
                          notice="Comments are closed on this post.")
    if not moderation.can_reply_to(parent):
        return _form_page(request, form, status=400, parent=parent, show_form=False,
                          notice=REPLY_ERROR_TOO_DEEP)
    return _form_page(request, form, status=200, parent=parent)


def _require_moderator(request):
    if not moderation.is_moderator(request.user):
        raise PermissionDenied("Only moderators may see the moderation queue.")


@login_required
@require_GET
def queue(request):
    """Comments by status (pending first, oldest first) with the moderators' buttons."""
    _require_moderator(request)
    status = request.GET.get("status", Comment.Status.PENDING)
    if status not in Comment.Status.values:
        raise Http404("No such status.")
    counts = dict(Comment.objects.values_list("status").annotate(n=Count("id")).order_by())
    tabs = [
        {"status": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Comment.Status.choices
    ]
    comments = Comment.objects.filter(status=status).select_related("post", "parent", "moderated_by")
    # Pending: oldest first, as a queue; decided ones: the latest decisions first.
    comments = comments.order_by(
        *(("created_at", "id") if status == Comment.Status.PENDING else ("-created_at", "-id"))
    )
    page = Paginator(comments, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "comments/queue.html",
        {
            "status": status,
            "status_label": Comment.Status(status).label,
            "tabs": tabs,
            "page_obj": page,
            # Every move but the one to where these comments already are.
            "actions": [
                (name, action.label)
                for name, action in moderation.ACTIONS.items()
                if action.status != status
            ],
        },
    )


@login_required
@require_POST
def moderate(request):
    """Apply the decision of one button, or of a bulk action to the ticked comments."""
    _require_moderator(request)
    action, ids = _decision_from(request.POST)
    if action is None:
        messages.error(request, "Choose what to do and tick at least one comment.")
    else:
        comments = Comment.objects.filter(pk__in=ids).select_related("post__author", "parent")
        done, skipped = moderation.moderate_many(comments, action, by=request.user)
        label = moderation.ACTIONS[action].label
        messages.success(request, f"{label}: {done} comment{'s' if done != 1 else ''}.")
        if skipped:
            messages.warning(
                request,
                f"Left unchanged: {skipped} comment{'s' if skipped != 1 else ''} already "
                "decided that way.",
            )
    status = request.POST.get("status", Comment.Status.PENDING)
    url = reverse("comments:queue")
    if status in Comment.Status.values and status != Comment.Status.PENDING:
        url = f"{url}?status={status}"
    return redirect(url)


def _decision_from(data):
    """(action, [ids]) from the queue's form, or (None, []) if it says nothing valid.

    A comment's own button sends "decide=<action>:<id>"; the bulk buttons send
    "action=<action>" with the ticked "comment" ids.
    """
    if "decide" in data:
        action, _, comment_id = data["decide"].partition(":")
        ids = [comment_id]
    else:
        action, ids = data.get("action", ""), data.getlist("comment")
    ids = [int(value) for value in ids if value.isdigit() and len(value) < 19]
    if action not in moderation.ACTIONS or not ids:
        return None, []
    return action, ids


@csrf_exempt  # the signed token is the proof; mail programs POST it without a cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """Stop reply emails for a commenter's comments on one post.

    GET shows a button and changes nothing (link checkers and mail scanners open links);
    POST, from that button or a mail program's one-click unsubscribe, does it.
    """
    try:
        comment_id = notifications.comment_id_from_token(token)
    except notifications.LinkExpired:
        return render(
            request,
            "comments/unsubscribe.html",
            {"expired": True, "days": notifications.UNSUBSCRIBE_MAX_AGE.days},
            status=410,
        )
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None:
        return render(request, "comments/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        Comment.objects.filter(
            post=comment.post_id, author_email=comment.author_email, notify_on_reply=True
        ).update(notify_on_reply=False)
        done = True
    return render(request, "comments/unsubscribe.html", {"post": comment.post, "done": done})


@never_cache  # one commenter's page, reached from their email
@same_origin_or_csrf_token
@require_http_methods(["GET", "POST"])
def confirm_address(request, token):
    """A commenter proves their address by following the link mailed for one comment.

    GET shows the comment and a button and changes nothing (mail scanners open links);
    POST confirms (identity.confirm) and lets this browser carry the proof from now on.
    """
    context = {"with_token": carries_session(request), "days": identity.LINK_MAX_AGE.days}
    try:
        comment = identity.comment_from_token(token)
    except identity.LinkExpired:
        return render(request, "comments/confirm_address.html", {**context, "expired": True},
                      status=410)
    except identity.LinkInvalid:
        return render(request, "comments/confirm_address.html", {**context, "invalid": True},
                      status=400)
    if comment is None:
        return render(request, "comments/confirm_address.html", {**context, "gone": True},
                      status=410)
    context.update(comment=comment, post=comment.post,
                   publishes=identity.waits_only_for_proof(comment))
    if request.method == "GET":
        return render(request, "comments/confirm_address.html", context)
    published = identity.confirm(comment)
    comment.refresh_from_db(fields=["status"])
    context.update(done=True, published=published)
    response = render(request, "comments/confirm_address.html", context)
    identity.remember_in_browser(request, response, comment.author_email)
    return response
