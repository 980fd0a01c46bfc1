"""Cached copies of pages follow the thread: a moderator's decision shows on the next request."""

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from pagecache import store
from comments.forms import FORM_MAX_AGE, TIMESTAMP_SALT
from comments.templatetags.comment_tags import FORM_PERIOD
from comments.models import Comment
from tests.comments.conftest import confirm_in_browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    """A reader without a session: the one who gets pages from the cache."""
    return Client()


def test_a_comment_approved_in_the_queue_appears_on_the_cached_post_page(
    reader, client, post_comment, published_post, moderator, django_capture_on_commit_callbacks
):
    url = published_post.get_absolute_url()
    post_comment(published_post, body="Let me in.", using=Client())
    comment = Comment.objects.get()
    reader.get(url)
    assert reader.get(url)["X-Page-Cache"] == "hit"
    client.force_login(moderator)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/comments/moderation/decide/", {"decide": f"approve:{comment.pk}"})

    assert "Let me in." in reader.get(url).content.decode()


def test_a_comment_approved_by_the_rules_appears_on_the_cached_post_page(
    reader, post_comment, published_post, make_comment, django_capture_on_commit_callbacks
):
    url = published_post.get_absolute_url()
    make_comment(email="regular@example.org")
    reader.get(url)
    assert reader.get(url)["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        post_comment(published_post, email="regular@example.org", body="Back again.",
                     using=confirm_in_browser(Client(), "regular@example.org"))

    assert "Back again." in reader.get(url).content.decode()


def test_a_rejected_comment_leaves_the_cached_post_page_and_the_feeds(
    reader, client, published_post, make_comment, moderator, django_capture_on_commit_callbacks
):
    url = published_post.get_absolute_url()
    comment = make_comment(body="Regrettable words.")
    for page in (url, "/comments/feed/atom/", f"/comments/feed/post/{published_post.pk}/rss/"):
        assert "Regrettable words." in reader.get(page).content.decode()
    client.force_login(moderator)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/comments/moderation/decide/", {"decide": f"reject:{comment.pk}"})

    for page in (url, "/comments/feed/atom/", f"/comments/feed/post/{published_post.pk}/rss/"):
        assert "Regrettable words." not in reader.get(page).content.decode(), page


def test_a_held_comment_does_not_bump_the_cache(reader, post_comment, published_post,
                                                django_capture_on_commit_callbacks):
    url = published_post.get_absolute_url()
    reader.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        post_comment(published_post, using=Client())

    assert reader.get(url)["X-Page-Cache"] == "hit"


def test_a_cached_post_page_is_renewed_before_its_forms_timestamp_gets_old(
    reader, published_post, monkeypatch
):
    url = published_post.get_absolute_url()
    reader.get(url)
    assert reader.get(url)["X-Page-Cache"] == "hit"

    later = timezone.now() + timedelta(minutes=61)
    monkeypatch.setattr(store.timezone, "now", lambda: later)

    assert reader.get(url).get("X-Page-Cache") != "hit"


def form_timestamp(html):
    return re.search(r'name="timestamp" value="([^"]+)"', html).group(1)


def test_the_form_a_reader_is_given_is_shared_for_a_while_but_never_older_than_half_its_limit(
    reader, published_post, make_post, monkeypatch
):
    url = published_post.get_absolute_url()
    other = make_post(title="Another post")
    # The start of one of the periods a rendering of the form is kept for, so that the
    # first two visits fall in the same one.
    period = FORM_PERIOD.total_seconds()
    start = datetime.fromtimestamp(timezone.now().timestamp() // period * period, tz=dt_timezone.utc)
    clock = {"now": start}
    monkeypatch.setattr(store.timezone, "now", lambda: clock["now"])
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp",
        lambda signer: signing.b62_encode(int(clock["now"].timestamp())),
    )
    signer = signing.TimestampSigner(salt=TIMESTAMP_SALT)
    given = {}
    for minutes in (0, 1, 14, 29, 44, 59, 61, 89, 119, 121, 150, 181):
        clock["now"] = start + timedelta(minutes=minutes)
        for post in (published_post, other):
            # A new address each time: a page rendered afresh, as after any change to the post.
            html = reader.get(f"{post.get_absolute_url()}?visit={minutes}").content.decode()
            timestamp = form_timestamp(html)
            assert signer.unsign(timestamp) == str(post.pk)
            signed_at = signing.b62_decode(timestamp.rsplit(":", 2)[1])
            assert clock["now"].timestamp() - signed_at <= (FORM_MAX_AGE / 2).total_seconds()
            if post == published_post:
                given[minutes] = timestamp

    assert given[0] == given[1], "one rendering of the form serves the readers of a moment"
    assert len(set(given.values())) > 1


def test_a_cached_post_page_loses_its_form_when_comments_close(reader, make_post, site_rules,
                                                               monkeypatch):
    site_rules(comments_close_after_days=10)
    post = make_post(age=timedelta(days=10) - timedelta(minutes=5))
    url = post.get_absolute_url()
    assert 'id="comment-form"' in reader.get(url).content.decode()

    later = timezone.now() + timedelta(minutes=6)
    monkeypatch.setattr(store.timezone, "now", lambda: later)
    monkeypatch.setattr("comments.moderation.timezone.now", lambda: later)

    html = reader.get(url).content.decode()
    assert 'id="comment-form"' not in html
    assert "Comments are closed" in html


def test_a_comment_edited_or_deleted_in_the_admin_leaves_the_cached_page(
    reader, admin_client, published_post, make_comment, django_capture_on_commit_callbacks
):
    url = published_post.get_absolute_url()
    edited = make_comment(body="Typo hree.")
    deleted = make_comment(body="Delete me.")
    reader.get(url)
    assert reader.get(url)["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/comments/comment/{edited.pk}/change/", {
            "post": published_post.pk, "author_name": edited.author_name,
            "author_email": edited.author_email, "body": "Typo here.",
            "log-TOTAL_FORMS": "0", "log-INITIAL_FORMS": "0",
        })
        admin_client.post(f"/admin/comments/comment/{deleted.pk}/delete/", {"post": "yes"})

    html = reader.get(url).content.decode()
    assert "Typo here." in html
    assert "Delete me." not in html


def test_any_approval_through_the_model_reaches_the_cached_page(
    reader, published_post, make_comment, django_capture_on_commit_callbacks
):
    """Imports, privacy erasure and tests call the model's methods, not the queue."""
    url = published_post.get_absolute_url()
    comment = make_comment(status=Comment.Status.PENDING, body="Approved elsewhere.")
    reader.get(url)
    assert reader.get(url)["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        comment.approve(by=None)

    assert "Approved elsewhere." in reader.get(url).content.decode()


def test_spam_caught_on_arrival_leaves_the_cache_alone(
    reader, post_comment, published_post, django_capture_on_commit_callbacks
):
    from comments.models import BlocklistEntry

    BlocklistEntry.objects.create(kind="word", value="casino")
    url = published_post.get_absolute_url()
    reader.get(url)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_comment(published_post, body="casino", using=Client())

    assert Comment.objects.get().status == Comment.Status.SPAM
    assert reader.get(url)["X-Page-Cache"] == "hit"
    assert len(callbacks) == 0
