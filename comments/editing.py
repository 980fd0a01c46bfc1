"""Commenters change or delete their own comments: from the browser that sent them, for a while.

There is no account to say whose a comment is, so the browser that posted it is given the
right: a cookie (COOKIE) listing the ids of the comments it sent, signed with its own salt
so that no id can be added by hand, and good for WINDOW. The server checks it on every
edit and deletion (`refusal()`). A comment may be changed for WINDOW after it was posted
and only until someone replies to it, i.e. until a reply is approved: readers have then
seen an answer to those words. (A reply still waiting for a moderator does not stop its
author; if they delete, the reply keeps its place under "comment removed".)

The cookie makes that reader's pages their own (pagecache.store.READER_COOKIES): their
thread shows "Edit" and "Delete" beside their comments, so it is never shared. What an
edit does is `moderation.revise()`; a deletion, `privacy.withdraw()`.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

import pagecache
from comments import moderation
from comments.models import Comment

WINDOW = timedelta(minutes=15)
SALT = "comments.edit"
COOKIE = pagecache.COMMENT_EDITS_COOKIE
# Comments one browser may hold the right to change at once; older ones drop out.
COOKIE_LIMIT = 20

NOT_YOURS = (
    "This comment can only be changed from the browser that sent it, within "
    f"{WINDOW.seconds // 60} minutes."
)
TOO_LATE = (
    f"Comments can be changed for {WINDOW.seconds // 60} minutes after they are sent, and "
    "that time has passed for this one."
)
ANSWERED = "Someone has replied to this comment, so it can no longer be changed."
REMOVED = "This comment has been removed."
CLOSED = "Comments are closed on this post, so this comment can no longer be changed."


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


def remember(response, request, comment):
    """Give the browser of `request` the right to change `comment` (and keep what it had)."""
    ids = [pk for pk in comment_ids(request) if pk != comment.pk] + [comment.pk]
    response.set_cookie(
        COOKIE,
        signing.dumps(ids[-COOKIE_LIMIT:], salt=SALT),
        max_age=WINDOW,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def comment_ids(request):
    """The ids this browser may still change, or [] for a missing, altered or old cookie."""
    try:
        return _signed_ids(request)
    except signing.BadSignature:
        return []


def _signed_ids(request):
    """The cookie's ids; BadSignature (SignatureExpired after WINDOW) when not to be trusted."""
    token = request.COOKIES.get(COOKIE) if request is not None else None
    if not token:
        return []
    ids = signing.loads(token, salt=SALT, max_age=WINDOW)
    if not isinstance(ids, list):
        raise signing.BadSignature("Not a list of comment ids.")
    return [pk for pk in ids if isinstance(pk, int)]


def is_open(created_at, *, answered, now=None):
    """Whether a comment posted at `created_at` may still be changed by its author."""
    return not answered and (now or timezone.now()) < created_at + WINDOW


def is_answered(comment):
    return comment.replies.filter(status=Comment.Status.APPROVED).exists()


def refusal(request, comment, now=None):
    """Why the browser of `request` may not change `comment` now, or None when it may."""
    try:
        ids = _signed_ids(request)
    except signing.SignatureExpired:
        return Refusal(410, TOO_LATE)
    except signing.BadSignature:
        return Refusal(403, NOT_YOURS)
    if comment.pk not in ids:
        return Refusal(403, NOT_YOURS)
    if comment.status == Comment.Status.REJECTED:
        return Refusal(410, REMOVED)
    if is_answered(comment):
        return Refusal(403, ANSWERED)
    if not is_open(comment.created_at, answered=False, now=now):
        return Refusal(410, TOO_LATE)
    if not moderation.comments_open(comment.post, now=now):
        return Refusal(403, CLOSED)
    return None
