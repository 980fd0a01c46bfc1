"""Emails about comments, sent after the transaction that caused them has committed.

A failure to send is logged and swallowed: the comment is stored by then, and a mail
server that is down must never cost a reader their comment or a moderator a decision.
Links are built from settings.SITE_URL, never from the request's Host header. A
commenter's email address appears only in the To of mail addressed to them.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "comments.unsubscribe"


def comment_held(comment):
    """Tell the moderators that a comment waits for them."""
    try:
        recipients = _moderator_addresses()
        if not recipients:
            return
        context = _context(comment, queue_url=absolute_url(reverse("comments:queue")))
        subject = f"Comment waiting for moderation on “{comment.post.title}”"
        body = render_to_string("comments/email/held.txt", context)
        for address in recipients:
            _send(EmailMessage(_one_line(subject), body, to=[address]), comment, "held")
    except Exception:
        logger.exception("Could not notify moderators of held comment %s", comment.pk)


def comment_approved(comment):
    """Tell the post's author, and the commenter replied to if they asked."""
    try:
        _notify_post_author(comment)
    except Exception:
        logger.exception("Could not notify the author of the post of comment %s", comment.pk)
    try:
        _notify_parent_author(comment)
    except Exception:
        logger.exception("Could not notify the commenter replied to by comment %s", comment.pk)


def _notify_post_author(comment):
    author = comment.post.author
    if not author.is_active or not author.email:
        return
    if comment.user_id == author.pk or comment.author_email.lower() == author.email.lower():
        return
    subject = f"New comment on “{comment.post.title}”"
    body = render_to_string("comments/email/approved_author.txt", _context(comment))
    _send(EmailMessage(_one_line(subject), body, to=[author.email]), comment, "author")


def _notify_parent_author(comment):
    parent = comment.parent
    if parent is None or not parent.notify_on_reply or not parent.author_email:
        return
    if not parent.is_visible or parent.author_email.lower() == comment.author_email.lower():
        return
    unsubscribe = unsubscribe_url(parent)
    subject = f"{comment.author_name} replied to your comment on “{comment.post.title}”"
    body = render_to_string(
        "comments/email/reply.txt",
        _context(comment, parent=parent, unsubscribe_url=unsubscribe),
    )
    message = EmailMessage(
        _one_line(subject),
        body,
        to=[parent.author_email],
        # RFC 8058: mail programs may offer their own unsubscribe button, which POSTs.
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    _send(message, comment, "reply")


def _send(message, comment, kind):
    try:
        message.send()
    except Exception:
        logger.exception("Could not send the %s email for comment %s", kind, comment.pk)


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
        "site_name": settings.SITE_NAME,
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


def comment_id_from_token(token):
    """The comment an unsubscribe link was made for, or None if the link is not ours."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_url(comment):
    return absolute_url(reverse("comments:unsubscribe", args=[unsubscribe_token(comment)]))
