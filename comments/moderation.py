"""The fate of a comment: the rules that decide it, and the decisions moderators make.

A new comment goes through `receive()`: a duplicate leads back to the first copy, a flood
is refused, and `decide()` says whether it is approved, held for a moderator or spam, and
why. Moderators' decisions (the queue page and the admin's actions alike) go through
`moderate()`. Both change the status only through the model's transition methods, which
log every decision, and both queue their emails in the same transaction (delivery/).
The spam filter (spamfilter.py) scores every comment `receive()` stores and learns from
every decision `moderate()` makes.
"""

import copy
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from blog.site import SiteSettings, site_settings
from comments import identity, notifications, spamfilter
from comments.models import BlocklistEntry, Comment, IllegalTransition, ModerationKeyword

# A second comment from one address (IP or email) sooner than this is refused.
FLOOD_INTERVAL = timedelta(seconds=15)
# This many links (the website field counts as one) hold a comment for a moderator.
MAX_LINKS = 2

_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


class DuplicateEdit(Exception):
    """An edit that would make a comment the same as another from its address, in its place."""


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


def decide(comment, *, user, address_proven=False, spam_verdict=None):
    """Approve, hold or mark as spam a comment not yet stored, and say why.

    The blocklist, the spam filter (given its `spam_verdict`, once it has earned trust:
    spamfilter.may_act()), the hold keywords and the links rule apply whether moderation
    is on or off (the site settings' `comment_moderation`); it decides the rest. An address
    is not proof of who wrote: a returning commenter's comment is published at once only
    with `address_proven` (their browser confirmed the address: comments/identity.py).
    """
    if user.is_authenticated and user.is_active and (user.is_staff or is_moderator(user)):
        return Decision(Comment.Status.APPROVED, "posted by staff")

    fields = _searchable_fields(comment)
    for entry in _blocklist():
        if entry.kind == BlocklistEntry.Kind.WORD:
            if any(entry.value in field for field in fields):
                return Decision(Comment.Status.SPAM, f"blocklisted word “{entry.value}”")
        elif entry.blocks(comment):
            return Decision(Comment.Status.SPAM, blocked_reason(entry))

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

    if not comment.author_email or not Comment.objects.visible().filter(
        author_email=comment.author_email
    ).exists():
        return Decision(Comment.Status.PENDING, "first comment from this address")
    if address_proven:
        return Decision(
            Comment.Status.APPROVED,
            "earlier approved comment from this address, confirmed in this browser",
        )
    return Decision(Comment.Status.PENDING, identity.ADDRESS_NOT_CONFIRMED)


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
    return list(BlocklistEntry.objects.active())


def blocked_reason(entry):
    """The logged reason of a comment a blocklist entry sent to spam, naming the entry."""
    what = {
        BlocklistEntry.Kind.EMAIL: "email",
        BlocklistEntry.Kind.IP: "IP",
        BlocklistEntry.Kind.DOMAIN: "website domain",
        BlocklistEntry.Kind.NAME: "name",
    }.get(entry.kind, "word")
    return f"blocklisted {what} {entry.value} (entry {entry.pk})"


def fingerprint(comment):
    """What makes two submissions the same comment: post, parent, sender and body.

    The sender is the email address; a remote comment has none, and is told apart by the
    remote object it stands for (two people's "Liked this post." are two comments).
    """
    body = comment.body.replace("\r\n", "\n").strip()
    sender = comment.author_email.lower() or comment.remote_id
    key = "\x1f".join([str(comment.post_id), str(comment.parent_id or ""), sender, body])
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


def receive(comment, *, user, address_proven=False):
    """Store a new comment with the rules' decision; returns (comment, created).

    A duplicate of an earlier submission stores nothing and returns the earlier comment
    (which the caller shows only if `may_see_earlier_copy()`).
    Raises Flooding, storing nothing, when the sender commented moments ago.
    `address_proven`: the sender's browser confirmed the address (comments/identity.py);
    without it, a comment that waits for that proof, or asks for reply emails, has a
    confirmation link mailed to the address (at most one a day goes to any address).
    """
    comment.fingerprint = fingerprint(comment)
    earlier = _earlier_submission(comment.fingerprint)
    if earlier is not None:
        return earlier, False
    if not is_moderator(user) and is_flooding(comment):
        raise Flooding

    verdict = spamfilter.assess(comment)
    decision = decide(comment, user=user, address_proven=address_proven, spam_verdict=verdict)
    comment.spam_filtered = decision.by_spam_filter
    comment.status = Comment.Status.PENDING
    comment.held_reason = "" if decision.status == Comment.Status.APPROVED else decision.reason
    if comment.notify_on_reply and address_proven:
        comment.notify_confirmed_at = comment.created_at
    # The address is asked for proof when this comment waits for it, or wants reply emails
    # (double opt-in); never for what the rules took for spam.
    needs_proof = decision.reason == identity.ADDRESS_NOT_CONFIRMED or comment.notify_on_reply
    mail_link = (
        needs_proof
        and not address_proven
        and bool(comment.author_email)
        and decision.status != Comment.Status.SPAM
    )
    try:
        with transaction.atomic():
            comment.save()
            if mail_link:
                identity.request_confirmation(comment)
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


def revise(comment, body, *, user, address_proven=False, at=None):
    """Its author's new text for `comment`, met by the rules a new comment meets.

    Spammers post something harmless and edit links in afterwards, so an edit is decided
    again by decide(): an approved comment whose new text the rules hold goes back to the
    queue (moderators are told), and one approved now for the first time is announced as
    on arrival. A comment taken for spam stays spam whatever the edit says: it waits for a
    moderator as before. As for a new comment, a returning address counts only with
    `address_proven` (comments/identity.py). Raises DuplicateEdit, changing nothing, when
    the new text is that of another comment from the same address in the same place.
    """
    at = at or timezone.now()
    previous = comment.status
    edited = copy.copy(comment)
    edited.body = body
    verdict = spamfilter.assess(edited)
    decision = decide(edited, user=user, address_proven=address_proven, spam_verdict=verdict)
    if previous == Comment.Status.SPAM:
        decision = Decision(Comment.Status.SPAM, comment.held_reason or "spam before the edit")
    comment.fingerprint = fingerprint(edited)
    try:
        with transaction.atomic():
            # What a moderator's decision taught the spam filter was about the old words;
            # the new ones are scored as on arrival, and learned at the next decision.
            spamfilter.forget(comment)
            comment.spam_score, comment.spam_reasons = edited.spam_score, edited.spam_reasons
            comment.spam_filtered = decision.by_spam_filter
            comment.save(update_fields=["spam_score", "spam_reasons", "spam_filtered"])
            comment.revise(body, status=decision.status, reason=decision.reason, at=at)
            if decision.status == Comment.Status.PENDING and previous != Comment.Status.PENDING:
                notifications.comment_held(comment, occasion=f"held-after-edit-{at.timestamp():.0f}")
            if decision.status == Comment.Status.APPROVED and previous != decision.status:
                if comment.log.filter(to_status=Comment.Status.APPROVED).count() == 1:
                    notifications.comment_approved(comment)
    except IntegrityError:
        raise DuplicateEdit from None
    return decision


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
        approvals = comment.log.filter(to_status=Comment.Status.APPROVED).exclude(
            from_status=F("to_status")  # edits
        )
        if comment.is_visible and approvals.count() == 1:
            # Approved for the first time: the post's author and the person replied to
            # hear of it once, not again each time a moderator changes their mind.
            notifications.comment_approved(comment)
    return True


class CannotReply(Exception):
    """The comment cannot take a reply (not approved or waiting, or nested too deep)."""


def reply(parent, body, *, by):
    """A moderator's reply from the queue, approved at once and threaded under `parent`.

    A waiting parent is approved first (a reply under a hidden comment would hang in the
    thread); the parent's author hears of the reply if they asked. Returns the reply.
    """
    with transaction.atomic():
        if parent.status == Comment.Status.PENDING:
            moderate(parent, "approve", by=by)
        if not parent.is_visible:
            raise CannotReply("Only an approved or waiting comment can be replied to.")
        if not can_reply_to(parent):
            raise CannotReply("This conversation is nested as deep as it can go.")
        comment = Comment(
            post=parent.post,
            parent=parent,
            author_name=by.get_full_name() or by.get_username(),
            author_email=by.email.lower(),
            body=body,
            user=by,
        )
        comment, _ = receive(comment, user=by)
    return comment


def block(comment, *, kind, value, by, expires_at=None, note=""):
    """Block what a moderator chose of a comment's sender (queue: "Block").

    The entry is added (or, if the same one exists, given the new expiry); the comment
    and every waiting comment the entry blocks go to spam, logged with the entry's name.
    Returns (entry, number of comments moved to spam).
    """
    with transaction.atomic():
        entry, created = BlocklistEntry.objects.get_or_create(
            kind=kind,
            value=value.strip().lower(),
            defaults={"expires_at": expires_at, "note": note},
        )
        if not created:
            entry.expires_at = expires_at
            entry.note = note or entry.note
            entry.save(update_fields=["expires_at", "note"])
        reason = blocked_reason(entry)
        moved = 0
        waiting = Comment.objects.pending().exclude(pk=comment.pk)
        for blocked in [comment, *(c for c in waiting if entry.blocks(c))]:
            if blocked.can_move_to(Comment.Status.SPAM):
                blocked.mark_spam(by=by, reason=reason)
                moved += 1
    return entry, moved


def delete_removed(comments):
    """Delete those of `comments` that moderators may delete (CommentQuerySet.deletable);
    returns (deleted, kept)."""
    ids = [comment.pk for comment in comments]
    _, by_model = Comment.objects.filter(pk__in=ids).deletable().delete()
    deleted = by_model.get(Comment._meta.label, 0)
    return deleted, len(ids) - deleted


# purge_spam() deletes this many comments per statement, so one run holds no huge lock.
PURGE_BATCH = 500


def purge_spam(*, days, now=None):
    """Delete spam written more than `days` days ago; returns how many comments went.

    Spam that replies hang on waits until they have gone (spam replying to spam goes in
    the same run), so no approved reply loses its place.
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old_spam = Comment.objects.filter(status=Comment.Status.SPAM, created_at__lt=cutoff)
    total = 0
    while True:
        batch = old_spam.deletable().values("pk")[:PURGE_BATCH]
        _, by_model = Comment.objects.filter(pk__in=batch).delete()
        deleted = by_model.get(Comment._meta.label, 0)
        if not deleted:
            return total
        total += deleted


def moderate_many(comments, action, *, by):
    """Apply one decision to several comments; returns (done, skipped) counts."""
    done = skipped = 0
    for comment in comments:
        if moderate(comment, action, by=by):
            done += 1
        else:
            skipped += 1
    return done, skipped
