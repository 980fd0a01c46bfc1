"""The fate of a comment: the rules that decide it, and the decisions moderators make.

A new comment goes through `receive()`: a duplicate leads back to the first copy, a flood
is refused, and `decide()` says whether it is approved, held for a moderator or spam, and
why. Moderators' decisions (the queue page and the admin's actions alike) go through
`moderate()`. Both change the status only through the model's transition methods, which
log every decision, and both queue their emails in the same transaction (delivery/).
The spam filter (spamfilter.py) scores every comment `receive()` stores and learns from
every decision `moderate()` makes.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from blog.site import SiteSettings, site_settings
from comments import notifications, spamfilter
from comments.models import BlocklistEntry, Comment, IllegalTransition, ModerationKeyword

# A second comment from one address (IP or email) sooner than this is refused.
FLOOD_INTERVAL = timedelta(seconds=15)
# This many links (the website field counts as one) hold a comment for a moderator.
MAX_LINKS = 2

_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


class Flooding(Exception):
    """The same IP address or email sent a comment less than FLOOD_INTERVAL ago."""


@dataclass(frozen=True)
class Decision:
    status: str
    reason: str
    # Sent to spam by the spam filter (not by a rule a person wrote).
    by_spam_filter: bool = False


def is_moderator(user):
    """May decide on comments: the Moderators group, or anyone given the permission."""
    return user.is_authenticated and user.is_active and user.has_perm("comments.moderate_comment")


def comments_open(post, now=None):
    """Whether a post takes new comments: enabled on it, published, and not too old."""
    if not post.comments_enabled or not post.is_published:
        return False
    closing = closes_at(post)
    return closing is None or (now or timezone.now()) < closing


def closes_at(post):
    """When a published post stops taking comments by age, or None if never."""
    days = site_settings().comments_close_after_days
    if days is None or post.published_at is None:
        return None
    return post.published_at + timedelta(days=days)


def can_reply_to(comment):
    """A reply may go under an approved comment that is not already at the deepest level."""
    return comment.is_visible and comment.depth < site_settings().comments_max_depth


def decide(comment, *, user, spam_verdict=None):
    """Approve, hold or mark as spam a comment not yet stored, and say why.

    The blocklist, the spam filter (given its `spam_verdict`, once it has earned trust:
    spamfilter.may_act()), the hold keywords and the links rule apply whether moderation
    is on or off (the site settings' `comment_moderation`); it decides the rest.
    """
    if user.is_authenticated and user.is_active and (user.is_staff or is_moderator(user)):
        return Decision(Comment.Status.APPROVED, "posted by staff")

    fields = _searchable_fields(comment)
    for entry in _blocklist():
        if entry.kind == BlocklistEntry.Kind.EMAIL and entry.matches_email(comment.author_email):
            return Decision(Comment.Status.SPAM, f"blocklisted email {entry.value}")
        if entry.kind == BlocklistEntry.Kind.IP and entry.matches_ip(comment.ip_address):
            return Decision(Comment.Status.SPAM, f"blocklisted IP {entry.value}")
        if entry.kind == BlocklistEntry.Kind.WORD and any(entry.value in f for f in fields):
            return Decision(Comment.Status.SPAM, f"blocklisted word “{entry.value}”")

    if spam_verdict is not None and spamfilter.may_act(spam_verdict):
        return Decision(Comment.Status.SPAM, spamfilter.reason(spam_verdict), by_spam_filter=True)

    for word in ModerationKeyword.objects.values_list("word", flat=True):
        if any(word in field for field in fields):
            return Decision(Comment.Status.PENDING, f"moderation keyword “{word}”")

    links = count_links(comment)
    if links >= MAX_LINKS:
        return Decision(Comment.Status.PENDING, f"{links} links")

    mode = site_settings().comment_moderation
    if mode == SiteSettings.Moderation.OFF:
        return Decision(Comment.Status.APPROVED, "moderation is off")
    if mode == SiteSettings.Moderation.HOLD_ALL:
        return Decision(Comment.Status.PENDING, "every comment is held")

    if comment.author_email and Comment.objects.visible().filter(
        author_email=comment.author_email
    ).exists():
        return Decision(Comment.Status.APPROVED, "earlier approved comment from this address")
    return Decision(Comment.Status.PENDING, "first comment from this address")


def count_links(comment):
    text = f"{comment.author_name}\n{comment.body}"
    return len(_LINK.findall(text)) + (1 if comment.author_url else 0)


def _searchable_fields(comment):
    values = [
        comment.author_name,
        comment.author_email,
        comment.author_url,
        comment.body,
        comment.ip_address or "",
        comment.user_agent,
    ]
    return [value.lower() for value in values if value]


def _blocklist():
    return list(BlocklistEntry.objects.all())


def fingerprint(comment):
    """What makes two submissions the same comment: post, parent, email and body."""
    body = comment.body.replace("\r\n", "\n").strip()
    key = "\x1f".join(
        [str(comment.post_id), str(comment.parent_id or ""), comment.author_email.lower(), body]
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _earlier_submission(digest):
    return Comment.objects.filter(fingerprint=digest).first()


def may_see_earlier_copy(earlier, *, user, own_ids):
    """Whether the sender of a duplicate may be led to the earlier copy of their comment.

    Only when it is public, or theirs: remembered by their session, or sent while signed
    in to the same account. Someone else who sends the same words from the same address
    must not see its author's name and website, nor have it remembered as their own.
    """
    if earlier.is_visible or earlier.pk in own_ids:
        return True
    return user.is_authenticated and earlier.user_id == user.pk


def is_flooding(comment):
    since = comment.created_at - FLOOD_INTERVAL
    same_sender = Q()
    if comment.ip_address:
        same_sender |= Q(ip_address=comment.ip_address)
    if comment.author_email:
        same_sender |= Q(author_email=comment.author_email)
    if not same_sender:
        return False
    return Comment.objects.filter(same_sender, created_at__gte=since).exists()


def receive(comment, *, user):
    """Store a new comment with the rules' decision; returns (comment, created).

    A duplicate of an earlier submission stores nothing and returns the earlier comment
    (which the caller shows only if `may_see_earlier_copy()`).
    Raises Flooding, storing nothing, when the sender commented moments ago.
    """
    comment.fingerprint = fingerprint(comment)
    earlier = _earlier_submission(comment.fingerprint)
    if earlier is not None:
        return earlier, False
    if not is_moderator(user) and is_flooding(comment):
        raise Flooding

    verdict = spamfilter.assess(comment)
    decision = decide(comment, user=user, spam_verdict=verdict)
    comment.spam_filtered = decision.by_spam_filter
    comment.status = Comment.Status.PENDING
    comment.held_reason = "" if decision.status == Comment.Status.APPROVED else decision.reason
    try:
        with transaction.atomic():
            comment.save()
            # The rules' decision is logged like a moderator's (with no moderator).
            if decision.status == Comment.Status.APPROVED:
                comment.approve(by=None, reason=decision.reason)
                notifications.comment_approved(comment)
            elif decision.status == Comment.Status.SPAM:
                comment.mark_spam(by=None, reason=decision.reason)
            elif decision.status == Comment.Status.PENDING:
                notifications.comment_held(comment)
    except IntegrityError:
        # The same submission arrived twice at once and the other one was stored first.
        earlier = Comment.objects.filter(fingerprint=comment.fingerprint).first()
        if earlier is None:
            raise
        return earlier, False
    return comment, True


@dataclass(frozen=True)
class Action:
    label: str
    status: str
    move: Callable


# What moderators may do, by the name used in the queue's buttons and the admin's actions.
ACTIONS = {
    "approve": Action("Approve", Comment.Status.APPROVED, Comment.approve),
    "reject": Action("Reject", Comment.Status.REJECTED, Comment.reject),
    "spam": Action("Mark as spam", Comment.Status.SPAM, Comment.mark_spam),
}


def moderate(comment, action, *, by):
    """Apply a moderator's decision. Returns False if the comment cannot make that move
    (it was already decided that way), True when done."""
    with transaction.atomic():
        try:
            ACTIONS[action].move(comment, by=by)
        except IllegalTransition:
            return False
        spamfilter.learn(comment)
        if comment.is_visible and comment.log.filter(to_status=Comment.Status.APPROVED).count() == 1:
            # Approved for the first time: the post's author and the person replied to
            # hear of it once, not again each time a moderator changes their mind.
            notifications.comment_approved(comment)
    return True


def moderate_many(comments, action, *, by):
    """Apply one decision to several comments; returns (done, skipped) counts."""
    done = skipped = 0
    for comment in comments:
        if moderate(comment, action, by=by):
            done += 1
        else:
            skipped += 1
    return done, skipped
