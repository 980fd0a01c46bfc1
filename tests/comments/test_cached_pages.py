"""Cached copies of pages follow the thread: a moderator's decision shows on the next request."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pagecache import store
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
