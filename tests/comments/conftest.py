"""Factories for comment tests; the shared ones (users, posts) are in tests/conftest.py."""

import time
from datetime import timedelta
from itertools import count

import pytest
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from comments import identity
from comments.forms import TIMESTAMP_SALT
from comments.models import AddressConfirmation, Comment

_sequence = count(1)


@pytest.fixture(autouse=True)
def fresh_cache():
    # Rate-limit counters (blog/ratelimit.py) live in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_comment(published_post):
    """make_comment(post=..., parent=..., status=...): a stored comment, approved by default.

    Rows are created in the state asked for (test data, not a moderation decision).
    """

    def make(*, post=None, parent=None, status=Comment.Status.APPROVED, name=None,
             email=None, body=None, age=timedelta(hours=1), **fields):
        number = next(_sequence)
        return Comment.objects.create(
            post=post or (parent.post if parent else published_post),
            parent=parent,
            author_name=name or f"Reader {number}",
            author_email=f"reader{number}@example.org" if email is None else email,
            body=body or f"Comment number {number}.",
            status=status,
            created_at=timezone.now() - age,
            **fields,
        )

    return make


@pytest.fixture
def moderator(make_user):
    return make_user("moderator", groups=["Moderators"], is_staff=True, email="mod@example.org")


def signed_timestamp(post, *, age=timedelta(0)):
    """The form's hidden timestamp for `post`, as if the page had been opened `age` ago."""
    signer = signing.TimestampSigner(salt=TIMESTAMP_SALT)
    then = int(time.time() - age.total_seconds())
    signer.timestamp = lambda: signing.b62_encode(then)
    return signer.sign(str(post.pk))


@pytest.fixture
def comment_data():
    """comment_data(post, **fields): what the comment form sends, valid unless overridden.

    Each call is a different reader (email) unless told otherwise, so that the flood
    rule only trips where a test means it to.
    """

    def data(post, **fields):
        values = {
            "name": "Reader",
            "email": f"reader{next(_sequence)}@example.org",
            "url": "",
            "body": "A thoughtful comment.",
            "parent": "",
            "timestamp": signed_timestamp(post),
            "honeypot": "",
        }
        values.update(fields)
        return values

    return data


@pytest.fixture
def post_comment(client, comment_data):
    """post_comment(post, **fields): send the comment form as a reader would.

    `ip` is the reader's address (a new one for each call unless given); `using` another
    test client (another browser).
    """

    def send(post, *, using=None, ip=None, **fields):
        ip = ip or f"198.51.100.{next(_sequence) % 250 + 1}"
        return (using or client).post(
            reverse("comments:post", args=[post.pk]), comment_data(post, **fields), REMOTE_ADDR=ip
        )

    return send


def confirm_in_browser(browser, address):
    """`address` is confirmed and `browser` (a test client) carries the proof, as after its
    owner followed a mailed link from it (tests/comments/test_identity.py walks that way)."""
    AddressConfirmation.objects.update_or_create(
        digest=identity.digest(address), defaults={"confirmed_at": timezone.now()}
    )
    carried = browser.cookies.get(identity.COOKIE_NAME)
    digests = signing.loads(carried.value, salt=identity.COOKIE_SALT) if carried else []
    browser.cookies[identity.COOKIE_NAME] = signing.dumps(
        digests + [identity.digest(address)], salt=identity.COOKIE_SALT
    )
    return browser
