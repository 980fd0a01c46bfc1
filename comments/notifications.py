"""Emails about comments, queued in the transaction of the change that causes them.

Each is a delivery (delivery/email.py): stored with the comment or the decision, rolled
back with it, and sent by the worker, which retries while the mail server is down; nothing
here talks to a mail server, so a slow or absent one costs readers and moderators nothing.
Each notification has a stable name (comment, kind, recipient), so it is queued and sent
once. Links are built from settings.SITE_URL, never from the request's Host header. A
commenter's email address appears only in the To of mail addressed to them, and gets
nothing but its one confirmation email (comments/identity.py) until its owner confirms.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse

from blog.site import site_settings
from delivery import email

UNSUBSCRIBE_SALT = "comments.unsubscribe"
# An unsubscribe link works this long; every reply email carries a fresh one.
UNSUBSCRIBE_MAX_AGE = timedelta(days=90)


def comment_held(comment, *, occasion="held"):
    """Tell the moderators that a comment waits for them.

    `occasion` names this notice among the comment's: an edit that sends an approved
    comment back to the queue is news again (moderation.revise gives each edit its own).
    """
    recipients = _moderator_addresses()
    if not recipients:
        return
    context = _context(comment, queue_url=absolute_url(reverse("comments:queue")))
    subject = _one_line(f"Comment waiting for moderation on “{comment.post.title}”")
    body = render_to_string("comments/email/held.txt", context)
    for address in recipients:
        email.enqueue(to=address, subject=subject, body=body, key=f"comment-{comment.pk}.{occasion}")


def comment_approved(comment):
    """Tell the post's author, and the commenter replied to if they asked."""
    _notify_post_author(comment)
    _notify_parent_author(comment)


def _notify_post_author(comment):
    author = comment.post.author
    if not author.is_active or not author.email:
        return
    if comment.user_id == author.pk or comment.author_email.lower() == author.email.lower():
        return
    email.enqueue(
        to=author.email,
        subject=_one_line(f"New comment on “{comment.post.title}”"),
        body=render_to_string("comments/email/approved_author.txt", _context(comment)),
        key=f"comment-{comment.pk}.author",
    )


def address_confirmation(comment, *, confirm_url, publishes, link_days):
    """Ask the commenter to confirm their address: the one email an unconfirmed one gets.

    Queued by identity.request_confirmation(), which decides whether one is due.
    """
    site_name = site_settings().name
    email.enqueue(
        to=comment.author_email,
        subject=_one_line(f"Confirm your email address for {site_name}"),
        body=render_to_string(
            "comments/email/confirm_address.txt",
            _context(comment, confirm_url=confirm_url, publishes=publishes, link_days=link_days),
        ),
        key=f"comment-{comment.pk}.confirm",
    )


def _notify_parent_author(comment):
    parent = comment.parent
    # Double opt-in: nothing goes to an address its owner has not confirmed.
    if parent is None or not parent.sends_reply_emails or not parent.author_email:
        return
    if not parent.is_visible or parent.author_email.lower() == comment.author_email.lower():
        return
    unsubscribe = unsubscribe_url(parent)
    email.enqueue(
        to=parent.author_email,
        subject=_one_line(
            f"{comment.author_name} replied to your comment on “{comment.post.title}”"
        ),
        body=render_to_string(
            "comments/email/reply.txt",
            _context(comment, parent=parent, unsubscribe_url=unsubscribe),
        ),
        key=f"comment-{comment.pk}.reply",
        # RFC 8058: mail programs may offer their own unsubscribe button, which POSTs.
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _moderator_addresses():
    moderators = get_user_model().objects.with_perm(
        "comments.moderate_comment",
        is_active=True,
        include_superusers=True,
        # Permissions come from the database (groups and users); other backends (axes)
        # only guard logins.
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return sorted({user.email for user in moderators.exclude(email="")})


def _context(comment, **extra):
    return {
        "site_name": site_settings().name,
        "comment": comment,
        "post": comment.post,
        "post_url": absolute_url(comment.post.get_absolute_url()),
        "comment_url": absolute_url(comment.get_absolute_url()),
        **extra,
    }


def _one_line(text):
    return " ".join(text.split())


def absolute_url(path):
    return f"{settings.SITE_URL}{path}"


def unsubscribe_token(comment):
    return signing.dumps(comment.pk, salt=UNSUBSCRIBE_SALT, compress=False)


class LinkExpired(Exception):
    """An unsubscribe link we made, older than UNSUBSCRIBE_MAX_AGE."""


def comment_id_from_token(token):
    """The comment an unsubscribe link was made for, or None if the link is not ours.

    Raises LinkExpired for one of ours that is too old.
    """
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_url(comment):
    return absolute_url(reverse("comments:unsubscribe", args=[unsubscribe_token(comment)]))
