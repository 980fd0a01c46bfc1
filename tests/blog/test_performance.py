"""A post page costs the same few queries whatever the size of its thread."""

from datetime import timedelta

import pytest
from django.utils import timezone

import pagecache
from comments.models import Comment
from pagecache import store

pytestmark = pytest.mark.django_db

# The site's version (page cache), the post with its author, its tags, the thread's
# version, the thread. The thread's version is read on its own, right before the thread:
# the post's id is known only once the post is read, and a version read after its content
# could store a page under a newer version than it shows (pagecache/store.py). The links
# under the post (previous, next, related: 3 queries) are, like the sidebar, a fragment
# cached with the site's version: counted in tests/blog/test_neighbours.py. The fediverse's
# likes and boosts are counted with the thread (federation/templatetags): one query more
# when the thread changed, none while it is kept.
POST_PAGE_QUERIES = 6
# The same page with its thread's markup kept (comments/templatetags/comment_tags.py):
# neither the thread itself nor the likes and boosts are read.
POST_PAGE_QUERIES_THREAD_KEPT = POST_PAGE_QUERIES - 2


def add_thread(post, count):
    """`count` approved comments: a third top-level, the rest replies up to depth 3."""
    start = timezone.now() - timedelta(days=2)
    comments = []
    for number in range(count):
        parent = None
        if number % 3 and comments:
            candidates = [c for c in comments[-10:] if c.depth < 3]
            parent = candidates[number % len(candidates)] if candidates else None
        comments.append(Comment.objects.create(
            post=post, parent=parent, author_name=f"Reader {number}",
            author_email=f"reader{number}@example.com", body=f"Comment *{number}*.",
            status=Comment.Status.APPROVED, created_at=start + timedelta(minutes=number),
        ))
    return comments


@pytest.mark.parametrize("count", [3, 300])
def test_a_post_page_takes_six_queries_with_3_or_300_comments(
    client, make_post, count, django_assert_num_queries
):
    post = make_post(tags=["history", "war"])
    add_thread(post, count)
    url = post.get_absolute_url()
    client.get(url)  # the sidebar and the links under the post are cached after this one
    # A change to the thread: its markup is rendered again.
    store.bump([pagecache.thread(post.pk)])
    with django_assert_num_queries(POST_PAGE_QUERIES):
        # A query string the cache has not seen: the page is rendered, not served.
        response = client.get(f"{url}?page=1")
    assert response.status_code == 200
    assert f"{count} comment" in response.content.decode()


@pytest.mark.parametrize("count", [3, 300])
def test_a_post_page_whose_thread_is_kept_takes_two_queries_less(
    client, make_post, count, django_assert_num_queries
):
    post = make_post(tags=["history", "war"])
    add_thread(post, count)
    url = post.get_absolute_url()
    client.get(url)
    with django_assert_num_queries(POST_PAGE_QUERIES_THREAD_KEPT):
        # A query string the page cache has not seen: the page is rendered, its thread's
        # markup comes from the cache (comments/templatetags/comment_tags.py).
        response = client.get(f"{url}?page=1")
    assert f"{count} comment" in response.content.decode()


def test_a_cached_post_page_takes_one_query(client, make_post, django_assert_num_queries):
    post = make_post()
    add_thread(post, 30)
    client.get(post.get_absolute_url())
    with django_assert_num_queries(1):
        response = client.get(post.get_absolute_url())
    assert response["X-Page-Cache"] == "hit"


@pytest.mark.parametrize("url", ["/", "/search/?q=words", "/feed/atom/"])
def test_list_pages_take_as_many_queries_for_30_posts_as_for_3(
    client, make_post, url, django_assert_num_queries
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        add_thread(make_post(body="Some words.", tags=["history"]), 2)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{url}{'&' if '?' in url else '?'}x=1")
    with_three = len(few)  # now: the log is reset by the next request
    for _ in range(27):
        add_thread(make_post(body="Some words.", tags=["history"]), 2)
    cache.clear()
    client.get("/")
    with django_assert_num_queries(with_three):
        client.get(f"{url}{'&' if '?' in url else '?'}x=2")
