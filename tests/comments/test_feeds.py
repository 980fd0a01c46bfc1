"""Feeds of the latest approved comments, site-wide and per post."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comments.models import Comment

pytestmark = pytest.mark.django_db


def test_the_site_wide_feed_lists_approved_comments_newest_first(client, make_comment, make_post):
    older = make_comment(name="Older", body="Older words.", age=timedelta(hours=2))
    newer = make_comment(name="Newer", body="Newer words.", age=timedelta(hours=1))
    make_comment(body="Held words.", status=Comment.Status.PENDING)
    make_comment(body="Spam words.", status=Comment.Status.SPAM)
    make_comment(post=make_post(status="draft"), body="On a draft.")

    for url in ("/comments/feed/rss/", "/comments/feed/atom/"):
        xml = client.get(url).content.decode()
        assert xml.index("Newer words.") < xml.index("Older words.")
        assert f"#comment-{newer.pk}" in xml and f"#comment-{older.pk}" in xml
        assert "Held words." not in xml and "Spam words." not in xml
        assert "On a draft." not in xml


def test_a_posts_feed_lists_only_its_comments(client, make_comment, make_post, published_post):
    mine = make_comment(body="On this post.")
    make_comment(post=make_post(), body="On another post.")

    for kind in ("rss", "atom"):
        response = client.get(f"/comments/feed/post/{published_post.pk}/{kind}/")
        xml = response.content.decode()
        assert response.status_code == 200
        assert "On this post." in xml and f"#comment-{mine.pk}" in xml
        assert "On another post." not in xml
        assert published_post.title in xml


def test_there_is_no_comment_feed_for_a_draft_or_a_missing_post(client, make_post):
    draft = make_post(status="draft")

    assert client.get(f"/comments/feed/post/{draft.pk}/rss/").status_code == 404
    assert client.get("/comments/feed/post/999999/atom/").status_code == 404


def test_the_post_page_links_its_comment_feed(client, published_post):
    html = client.get(published_post.get_absolute_url()).content.decode()

    assert f'href="/comments/feed/post/{published_post.pk}/atom/"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html


def test_a_feed_makes_the_same_queries_for_3_and_30_comments(client, make_comment,
                                                             django_assert_num_queries):
    for _ in range(3):
        make_comment()
    cache.clear()
    with CaptureQueriesContext(connection) as three:
        client.get("/comments/feed/atom/")
    for _ in range(27):
        make_comment()

    cache.clear()  # measure rendering, not the page cache
    with django_assert_num_queries(len(three)):
        client.get("/comments/feed/atom/")
