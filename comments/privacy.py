"""What we keep about commenters, and how it is exported, erased and aged out.

docs/PRIVACY.md says the same for people. Three operations, each called from a management
command and (export, erase) from the admin:

- purge_addresses: IP addresses and user agents help against spam for a few weeks, then
  are erased (settings.COMMENTS_IP_RETENTION_DAYS, default 30).
- export_commenter: everything stored with an email address, as JSON-ready data.
- erase_commenter: a commenter's comments are deleted; one that has replies stays as an
  empty "comment removed" so the thread around it stays whole. The spam filter unlearns
  them first (spamfilter.forget()).

And one a commenter does themselves (comments/editing.py): withdraw, their own comment
deleted from the browser that sent it, which keeps the row, empty, for the log.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from comments import identity, spamfilter
from comments.models import Comment, ModerationLog

ERASED_REASON = "Erased at the commenter's request."
WITHDRAWN_REASON = "Deleted by its author."


def purge_addresses(*, now=None, days=None):
    """Erase the IP address and user agent of comments older than the retention period.

    Returns the number of comments changed.
    """
    days = settings.COMMENTS_IP_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    holding = Q(ip_address__isnull=False) | ~Q(user_agent="")
    return Comment.objects.filter(holding, created_at__lt=cutoff).update(
        ip_address=None, user_agent=""
    )


def comments_by(email):
    """Every comment written with this email address (case does not matter)."""
    email = email.strip()
    if not email:
        return Comment.objects.none()
    return Comment.objects.filter(author_email__iexact=email)


def export_commenter(email, *, now=None):
    """All we store about the person behind `email`, as data ready for json.dumps."""
    comments = (
        comments_by(email).select_related("post").prefetch_related("log").order_by("created_at", "id")
    )
    return {
        "email": email.strip(),
        "exported_at": (now or timezone.now()).isoformat(),
        # When a confirmation link was last mailed to the address and when it was followed.
        "address_confirmation": identity.export(email),
        "comments": [
            {
                "id": comment.pk,
                "post": comment.post.title,
                "url": f"{settings.SITE_URL}{comment.get_absolute_url()}",
                "in_reply_to": comment.parent_id,
                "created_at": comment.created_at.isoformat(),
                "status": comment.status,
                "name": comment.author_name,
                "email": comment.author_email,
                "website": comment.author_url,
                "body": comment.body,
                "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
                # What its author's edits replaced, oldest first.
                "earlier_texts": [
                    entry.previous_body for entry in reversed(comment.log.all()) if entry.previous_body
                ],
                "email_me_on_replies": comment.notify_on_reply,
                "email_me_on_replies_confirmed_at": (
                    comment.notify_confirmed_at.isoformat() if comment.notify_confirmed_at else None
                ),
                "ip_address": comment.ip_address,
                "user_agent": comment.user_agent,
            }
            for comment in comments
        ],
    }


@transaction.atomic
def erase_commenter(email, *, by=None):
    """Delete this commenter's comments; blank the ones that replies hang from.

    Returns (deleted, kept_as_removed). Deleting comes first, from the leaves up, so a
    chain of the commenter's own replies goes entirely; what is left has replies by other
    people and becomes an anonymous "comment removed" (rejected, so readers see only the
    placeholder), its moderation log kept without reasons that might quote it. What proved
    the address goes too, so no browser's cookie vouches for it any more.
    """
    identity.forget(email)
    deleted = 0
    while True:
        leaves = comments_by(email).filter(~Exists(Comment.objects.filter(parent=OuterRef("pk"))))
        found = list(leaves.select_related("post"))
        if not found:
            break
        deleted += len(found)
        for comment in found:
            spamfilter.forget(comment)
        Comment.objects.filter(pk__in=[comment.pk for comment in found]).delete()

    kept = list(comments_by(email))
    for comment in kept:
        _empty(comment, reason=ERASED_REASON, by=by)
    return deleted, len(kept)


@transaction.atomic
def withdraw(comment):
    """Its author deletes `comment`: its words and everything about them go.

    The row stays, empty and rejected, because its moderation log (which records the
    deletion) and any replies hang from it: with replies readers see "comment removed",
    without they see nothing. The log keeps no earlier text of it.
    """
    _empty(comment, reason=WITHDRAWN_REASON, by=None)


def _empty(comment, *, reason, by):
    """Reject `comment` and keep nothing of its author or their words, in it or its log.

    The spam filter unlearns it first, while its words are still there to count."""
    spamfilter.forget(comment)
    if comment.can_move_to(Comment.Status.REJECTED):
        comment.reject(by=by, reason=reason)
    comment.author_name = ""
    comment.author_email = ""
    comment.author_url = ""
    comment.user = None
    comment.body = ""
    comment.notify_on_reply = False
    comment.notify_confirmed_at = None
    comment.held_reason = reason
    comment.ip_address = None
    comment.user_agent = ""
    comment.fingerprint = ""
    comment.save()
    ModerationLog.objects.filter(comment=comment).exclude(reason=reason).update(
        reason="", previous_body=""
    )
