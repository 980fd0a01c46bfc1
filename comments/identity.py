"""Identity without accounts: proof that a commenter owns the email address they give.

An address typed into the form proves nothing: anyone can type anyone's. Proof is a link
mailed to the address and followed from it, for one comment (`request_confirmation()`,
`confirm()`); the browser that followed it gets a signed, long-lived cookie naming the
address (by its digest), and later comments from that browser with that address carry
the proof with them (`browser_proves()`). moderation.decide() says what proof earns.

What is kept server-side is an `AddressConfirmation` per address digest: when a link was
last mailed (one per MAIL_INTERVAL at most, whatever floods the form) and when the owner
first confirmed. A cookie counts only while that row says "confirmed", so erasing the
commenter (comments/privacy.py) voids every browser's proof at once.

Links and the cookie are signed with Django's signing, one salt per purpose, and expire.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from comments import notifications
from comments.models import AddressConfirmation, Comment

# At most one confirmation email to an address in this long, however many comments give it.
MAIL_INTERVAL = timedelta(hours=24)
# How long a mailed confirmation link works.
LINK_MAX_AGE = timedelta(days=7)
LINK_SALT = "comments.confirm-address"

# The browser's proof: a signed list of confirmed address digests, sent only to /comments/
# (where comments are posted), so public pages never see it and stay shared.
COOKIE_NAME = "confirmed_commenter"
COOKIE_SALT = "comments.confirmed-cookie"
COOKIE_MAX_AGE = timedelta(days=365)
COOKIE_PATH = "/comments/"
# A browser shared by a household may carry a few addresses; the latest confirmed are kept.
COOKIE_ADDRESSES = 5

# Why a returning commenter's comment waits: the one reason that following its link clears.
ADDRESS_NOT_CONFIRMED = "address not confirmed"
CONFIRMED_REASON = "address confirmed by the link mailed for this comment"


class LinkExpired(Exception):
    """A confirmation link we made, older than LINK_MAX_AGE."""


class LinkInvalid(Exception):
    """A confirmation link we did not make (mistyped, cut short, tampered with)."""


def digest(address):
    """The name under which an address is kept apart from its comments (never the address)."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


# The browser's proof.


def browser_proves(request, address):
    """Whether this browser confirmed `address` earlier, and the address is still confirmed."""
    if not address:
        return False
    wanted = digest(address)
    if wanted not in cookie_digests(request):
        return False
    return AddressConfirmation.objects.filter(digest=wanted, confirmed_at__isnull=False).exists()


def cookie_digests(request):
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return []
    try:
        digests = signing.loads(value, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    except signing.BadSignature:
        return []
    if not isinstance(digests, list):
        return []
    return [item for item in digests if isinstance(item, str)]


def remember_in_browser(request, response, address):
    """Let `response` set the cookie that proves `address` from this browser from now on.

    Only a POST's response does (confirming is a POST): a public page never sets a cookie.
    """
    kept = [item for item in cookie_digests(request) if item != digest(address)]
    digests = (kept + [digest(address)])[-COOKIE_ADDRESSES:]
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps(digests, salt=COOKIE_SALT, compress=True),
        max_age=int(COOKIE_MAX_AGE.total_seconds()),
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# The link mailed for one comment.


def link_token(comment):
    return signing.dumps(comment.pk, salt=LINK_SALT, compress=False)


def comment_from_token(token):
    """The comment a confirmation link was mailed for, or None if it is gone.

    Raises LinkInvalid for a link we did not make and LinkExpired for one too old.
    """
    try:
        comment_id = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    if not isinstance(comment_id, int):
        raise LinkInvalid
    return (
        Comment.objects.select_related("post", "post__author", "parent")
        .exclude(author_email="")
        .filter(pk=comment_id)
        .first()
    )


def link_url(comment):
    path = reverse("comments:confirm-address", args=[link_token(comment)])
    return f"{settings.SITE_URL}{path}"


def request_confirmation(comment, *, now=None):
    """Queue the email with the link that confirms `comment`'s address, in the caller's
    transaction; unless one went to that address less than MAIL_INTERVAL ago.

    Returns whether an email was queued.
    """
    now = now or timezone.now()
    row, _ = AddressConfirmation.objects.get_or_create(digest=digest(comment.author_email))
    # One conditional UPDATE: of two comments arriving at once, one wins the mail.
    due = Q(mailed_at__isnull=True) | Q(mailed_at__lte=now - MAIL_INTERVAL)
    if not AddressConfirmation.objects.filter(due, pk=row.pk).update(mailed_at=now):
        return False
    notifications.address_confirmation(
        comment,
        confirm_url=link_url(comment),
        publishes=waits_only_for_proof(comment),
        link_days=LINK_MAX_AGE.days,
    )
    return True


def waits_only_for_proof(comment):
    """Held for nothing but an unproven address: what following its link publishes."""
    return comment.status == Comment.Status.PENDING and comment.held_reason == ADDRESS_NOT_CONFIRMED


def confirm(comment, *, now=None):
    """The owner of `comment`'s address followed its link: record it, and act on it.

    The address counts as confirmed from now on; the comment's reply emails, if asked
    for, start; and the comment is published if it waits only for this proof (a comment
    held for anything else still waits for a moderator). Returns whether it was published.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row, _ = AddressConfirmation.objects.get_or_create(digest=digest(comment.author_email))
        if row.confirmed_at is None:
            row.confirmed_at = now
            row.save(update_fields=["confirmed_at"])
        if comment.notify_on_reply and comment.notify_confirmed_at is None:
            comment.notify_confirmed_at = now
            comment.save(update_fields=["notify_confirmed_at"])
        # Locked, so a moderator's decision at the same moment is not overwritten.
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        if not waits_only_for_proof(current):
            return False
        comment.status = current.status
        comment.approve(by=None, reason=CONFIRMED_REASON)
        notifications.comment_approved(comment)
    return True


def forget(address):
    """Erase what proves `address` (its owner asked to be forgotten)."""
    AddressConfirmation.objects.filter(digest=digest(address)).delete()


def export(address):
    """What is kept about `address` here, for the commenter's copy of their data."""
    row = AddressConfirmation.objects.filter(digest=digest(address)).first()
    if row is None:
        return None
    return {
        "confirmation_emailed_at": row.mailed_at.isoformat() if row.mailed_at else None,
        "confirmed_at": row.confirmed_at.isoformat() if row.confirmed_at else None,
    }
