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
from comments import editing, moderation, notifications, privacy, threads
from comments.forms import REPLY_ERROR_TOO_DEEP, CommentEditForm, CommentForm
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
        comment, created = moderation.receive(comment, user=request.user)
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
    response = redirect(comment.get_absolute_url())
    if created:
        editing.remember(response, request, comment)
    return response


def _own_comment(request, comment_id):
    """(comment, None) when this browser may change it now; else (comment, a page saying why)."""
    comment = get_object_or_404(
        Comment.objects.select_related("post"), pk=comment_id, post__in=Post.objects.published()
    )
    refusal = editing.refusal(request, comment)
    if refusal is None:
        return comment, None
    page = render(
        request, "comments/comment_refused.html", {"post": comment.post, "refusal": refusal},
        status=refusal.status,
    )
    return comment, page


@same_origin_or_csrf_token
@never_cache
@require_http_methods(["GET", "POST"])
def edit_comment(request, comment_id):
    """A commenter changes their own comment's text (editing.py says who and until when)."""
    comment, refused = _own_comment(request, comment_id)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _edit_page(request, comment, CommentEditForm(initial={"body": comment.body}))
    form = CommentEditForm(data=request.POST)
    retry_after = None
    if not moderation.is_moderator(request.user):
        retry_after = ratelimit.hit("comment-post", request)
    if retry_after is not None:
        response = _edit_page(
            request, comment, form, status=429,
            notice=f"You have sent many comments in a short time. Please wait {retry_after} "
            "seconds, then save your comment again.",
        )
        response["Retry-After"] = str(retry_after)
        return response
    if not form.is_valid():
        return _edit_page(request, comment, form, status=400)
    if form.cleaned_data["body"] != comment.body:
        try:
            moderation.revise(comment, form.cleaned_data["body"], user=request.user)
        except moderation.DuplicateEdit:
            comment.refresh_from_db()
            form.add_error("body", "You have sent a comment with these words here already.")
            return _edit_page(request, comment, form, status=400)
        # Held again by the rules: its author sees it marked as awaiting moderation.
        threads.remember_own_comment(request, comment)
    return redirect(comment.get_absolute_url())


def _edit_page(request, comment, form, *, status=200, notice=None):
    context = {"comment": comment, "post": comment.post, "form": form, "notice": notice,
               "with_token": carries_session(request), "minutes": editing.WINDOW.seconds // 60}
    return render(request, "comments/comment_edit.html", context, status=status)


@same_origin_or_csrf_token
@never_cache
@require_http_methods(["GET", "POST"])
def delete_comment(request, comment_id):
    """A commenter deletes their own comment: a confirmation page, then the deletion."""
    comment, refused = _own_comment(request, comment_id)
    if refused is not None:
        return refused
    deleted = request.method == "POST"
    if deleted:
        privacy.withdraw(comment)
    context = {"comment": comment, "post": comment.post, "deleted": deleted,
               "with_token": carries_session(request)}
    return render(request, "comments/comment_delete.html", context)


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
    comment_id = notifications.comment_id_from_token(token)
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
