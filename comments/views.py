import functools
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blog.client_address import client_ip
from blog.models import Post
import pagecache
from blog import ratelimit
from blog.security import carries_session, same_origin_or_csrf_token
from comments import editing, identity, moderation, notifications, privacy, threads
from comments.forms import (
    REPLY_ERROR_TOO_DEEP,
    BlockForm,
    CommentEditForm,
    CommentForm,
    ModeratorEditForm,
    ModeratorReplyForm,
    QueueFilterForm,
)
from comments.models import Comment

QUEUE_PAGE_SIZE = 50
# The most posts and reasons the queue's filters offer (the busiest first).
QUEUE_FILTER_CHOICES = 100


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
            moderation.revise(
                comment, form.cleaned_data["body"], user=request.user,
                address_proven=identity.browser_proves(request, comment.author_email),
            )
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


def moderators_only(view):
    """Log in first, then moderators only (403 for others); never kept by any cache."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        _require_moderator(request)
        return view(request, *args, **kwargs)

    return login_required(never_cache(checked))


@moderators_only
@require_GET
def queue(request):
    """Comments by status (pending first, oldest first) with the moderators' buttons,
    filtered by post and reason."""
    filters = QueueFilterForm(request.GET)
    status, post_id, reason = filters.chosen()
    if "status" in filters.errors:
        raise Http404("No such status.")
    counts = dict(Comment.objects.values_list("status").annotate(n=Count("id")).order_by())
    tabs = [
        {"status": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Comment.Status.choices
    ]
    in_status = Comment.objects.filter(status=status)
    comments = in_status.with_latest_decision().select_related("post", "parent", "moderated_by")
    if post_id is not None:
        comments = comments.filter(post_id=post_id)
    if reason:
        comments = comments.filter(held_reason=reason)
    # Pending: oldest first, as a queue; decided ones: the latest decisions first.
    comments = comments.order_by(
        *(("created_at", "id") if status == Comment.Status.PENDING else ("-created_at", "-id"))
    )
    page = Paginator(comments, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "comments/queue.html",
        {
            "status": status,
            "status_label": Comment.Status(status).label,
            "tabs": tabs,
            "page_obj": page,
            "post_id": post_id,
            "reason": reason,
            "filtered": post_id is not None or bool(reason),
            "posts": Post.objects.filter(comments__status=status)
            .annotate(n=Count("comments"))
            .order_by("-n", "title")[:QUEUE_FILTER_CHOICES],
            "reasons": in_status.exclude(held_reason="")
            .values_list("held_reason", flat=True)
            .annotate(n=Count("id"))
            .order_by("-n", "held_reason")[:QUEUE_FILTER_CHOICES],
            "query": query.urlencode(),
            # Every move but the one to where these comments already are.
            "actions": [
                (name, action.label)
                for name, action in moderation.ACTIONS.items()
                if action.status != status
            ],
            "may_delete": status in Comment.REMOVED,
        },
    )


@moderators_only
@require_POST
def moderate(request):
    """Apply the decision of one button, or of a bulk action to the ticked comments.

    The queue's keyboard shortcuts (static/js/queue.js) ask for JSON and stay on the page;
    forms get the queue again, with the outcome as a message.
    """
    action, ids = _decision_from(request.POST)
    wants_json = request.accepts("application/json") and not request.accepts("text/html")
    if action is None:
        outcome = [(messages.ERROR, "Choose what to do and tick at least one comment.")]
    else:
        comments = Comment.objects.filter(pk__in=ids).select_related("post__author", "parent")
        if action == DELETE:
            done, skipped = moderation.delete_removed(comments)
            label, unchanged = "Deleted", "not rejected or spam, or replied to"
        else:
            done, skipped = moderation.moderate_many(comments, action, by=request.user)
            label, unchanged = moderation.ACTIONS[action].label, "already decided that way"
        outcome = [(messages.SUCCESS, f"{label}: {done} comment{'s' if done != 1 else ''}.")]
        if skipped:
            outcome.append((
                messages.WARNING,
                f"Left unchanged: {skipped} comment{'s' if skipped != 1 else ''} {unchanged}.",
            ))
    if wants_json:
        status = 200 if action is not None else 400
        return JsonResponse({"messages": [text for _, text in outcome]}, status=status)
    for level, text in outcome:
        messages.add_message(request, level, text)
    return redirect(_back_to_queue(request.POST))


def _back_to_queue(data):
    """The queue as the form's hidden fields describe it (status and filters)."""
    filters = QueueFilterForm(data)
    status, post_id, reason = filters.chosen()
    query = {"status": status} if status != Comment.Status.PENDING else {}
    if post_id is not None:
        query["post"] = post_id
    if reason:
        query["reason"] = reason
    url = reverse("comments:queue")
    return f"{url}?{urlencode(query)}" if query else url


# The queue's button that deletes rejected and spam comments (not a move between statuses).
DELETE = "delete"


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
    if (action not in moderation.ACTIONS and action != DELETE) or not ids:
        return None, []
    return action, ids


def _queue_comment(comment_id):
    return get_object_or_404(
        Comment.objects.with_latest_decision().select_related("post__author", "parent"),
        pk=comment_id,
    )


def _moderation_form_page(request, comment, form, *, title, button, status=200):
    """The page of the queue's "Reply", "Edit" and "Block": the comment, then the form,
    which carries the queue's filters back to it."""
    source = request.GET if request.method == "GET" else request.POST
    context = {
        "comment": comment,
        "form": form,
        "title": title,
        "button": button,
        "back": _back_to_queue(source),
        "filters": {
            name: source[name] for name in ("status", "post", "reason") if source.get(name)
        },
    }
    return render(request, "comments/moderation_form.html", context, status=status)


@moderators_only
@require_http_methods(["GET", "POST"])
def reply_from_queue(request, comment_id):
    """A moderator's reply, approved at once (a waiting comment is approved with it)."""
    comment = _queue_comment(comment_id)
    form = ModeratorReplyForm(request.POST if request.method == "POST" else None)
    title, button = f"Reply to {comment.author_name}", "Send the reply"
    if request.method == "POST" and form.is_valid():
        try:
            reply = moderation.reply(comment, form.cleaned_data["body"], by=request.user)
        except moderation.CannotReply as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Your reply to {comment.author_name} is published.")
            return redirect(reply.get_absolute_url())
    return _moderation_form_page(request, comment, form, title=title, button=button,
                                 status=400 if form.errors else 200)


@moderators_only
@require_http_methods(["GET", "POST"])
def edit_from_queue(request, comment_id):
    """Change a comment's name, website or text; the change is logged."""
    comment = _queue_comment(comment_id)
    form = ModeratorEditForm(request.POST if request.method == "POST" else None, comment=comment)
    title, button = f"Edit the comment by {comment.author_name}", "Save the changes"
    if request.method == "POST" and form.is_valid():
        changed = comment.edit(by=request.user, **form.cleaned_data)
        messages.success(
            request,
            f"Saved the comment by {comment.author_name}." if changed else "Nothing changed.",
        )
        return redirect(_back_to_queue(request.POST))
    return _moderation_form_page(request, comment, form, title=title, button=button,
                                 status=400 if form.errors else 200)


@moderators_only
@require_http_methods(["GET", "POST"])
def block_from_queue(request, comment_id):
    """Block the sender of a comment (address, IP or network, website, name), for a time;
    the comment and the waiting ones the block covers go to spam."""
    comment = _queue_comment(comment_id)
    form = BlockForm(request.POST if request.method == "POST" else None, comment=comment)
    title, button = f"Block the sender of this comment by {comment.author_name}", "Block"
    if request.method == "POST" and form.is_valid():
        kind, value, expires_at = form.entry()
        entry, moved = moderation.block(comment, kind=kind, value=value, by=request.user,
                                        expires_at=expires_at, note=form.cleaned_data["note"])
        until = ""
        if expires_at:
            until = f" until {formats.date_format(timezone.localtime(expires_at), 'j F Y, H:i')}"
        messages.success(
            request,
            f"Blocked {entry}{until}. Moved to spam: {moved} comment{'s' if moved != 1 else ''}.",
        )
        return redirect(_back_to_queue(request.POST))
    return _moderation_form_page(request, comment, form, title=title, button=button,
                                 status=400 if form.errors else 200)


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
