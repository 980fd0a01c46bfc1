"""The email channel: one message to one address, sent by the worker through Django's mail.

The Message-ID is chosen at enqueue time from the notification's own name and the
recipient, so every retry of it carries the same one.
"""

import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage

from delivery import outbox


def enqueue(*, to, subject, body, key, headers=None):
    """Queue one email to `to` in the caller's transaction. `key` names the notification
    (e.g. "comment-12.reply"); the same key and address are sent once. Returns the
    Delivery, or None if it was queued before."""
    return outbox.enqueue(
        "email",
        key=message_id(key, to),
        recipient=to,
        summary=subject,
        payload={"subject": subject, "body": body, "headers": headers or {}},
    )


def message_id(key, to):
    recipient = hashlib.sha256(to.strip().lower().encode()).hexdigest()[:16]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{key}.{recipient}@{domain}>"


@outbox.channel("email")
def send(delivery):
    payload = delivery.payload
    EmailMessage(
        payload["subject"],
        payload["body"],
        to=[delivery.recipient],
        headers={**payload["headers"], "Message-ID": delivery.key},
    ).send()
