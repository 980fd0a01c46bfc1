"""Under a post: the previous and next post, and up to three related posts, published only."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from pagecache import store as pagecache
from blog.models import Post
from tests.blog.test_performance import POST_PAGE_QUERIES_THREAD_KEPT

pytestmark = pytest.mark.django_db

# The previous post, the next post, the related posts: worked out once per version of the
# site, then served from the fragment cache with the rest of the page.
NEIGHBOUR_QUERIES = 3


def links(html, css_class):
    """The titles linked from the element of `css_class` (a nav or section) in `html`."""
    found = re.search(rf'<(nav|section) class="{css_class}".*?</\1>', html, re.S)
    return re.findall(r"<a [^>]*>([^<]*)</a>", found.group()) if found else []


def pager(client, post):
    html = client.get(post.get_absolute_url()).content.decode()
    previous = re.search(r'<a href="([^"]*)" rel="prev">([^<]*)</a>', html)
    following = re.search(r'<a href="([^"]*)" rel="next">([^<]*)</a>', html)
    return (previous and previous.group(2), following and following.group(2))


def related(client, post):
    return links(client.get(post.get_absolute_url()).content.decode(), "related-posts")


def test_a_post_links_to_the_post_before_and_after_it(client, make_post):
    first = make_post(title="First", age=timedelta(days=3))
    second = make_post(title="Second", age=timedelta(days=2))
    third = make_post(title="Third", age=timedelta(days=1))

    assert pager(client, first) == (None, "Second")
    assert pager(client, second) == ("First", "Third")
    assert pager(client, third) == ("Second", None)


def test_previous_and_next_link_to_the_permalinks(client, make_post):
    older = make_post(title="Older", age=timedelta(days=2))
    newer = make_post(title="Newer", age=timedelta(days=1))

    html = client.get(older.get_absolute_url()).content.decode()

    assert f'<a href="{newer.get_absolute_url()}" rel="next">Newer</a>' in html


def test_posts_published_at_the_same_moment_follow_the_order_of_the_lists(client, make_post):
    moment = timezone.now() - timedelta(days=1)
    a, b, c = (make_post(title=title, published_at=moment) for title in ["A", "B", "C"])
    home = client.get("/").content.decode()
    # Newest first on the home page: C, B, A; so A comes before B, and B before C.
    assert home.index(">C<") < home.index(">B<") < home.index(">A<")

    assert pager(client, b) == ("A", "C")
    assert pager(client, a) == (None, "B")


@pytest.mark.parametrize(
    "status, offset",
    [(Post.Status.DRAFT, None), (Post.Status.PUBLISHED, timedelta(days=1)), (Post.Status.DRAFT, -timedelta(hours=36))],
    ids=["draft", "scheduled", "unpublished"],
)
def test_drafts_and_scheduled_posts_are_never_linked(client, make_post, status, offset):
    before = make_post(title="Before", age=timedelta(days=2), tags=["ships"])
    published_at = None if offset is None else timezone.now() + offset
    make_post(title="Hidden", status=status, published_at=published_at, tags=["ships"])
    after = make_post(title="After", age=timedelta(days=1), tags=["ships"])

    assert pager(client, before) == (None, "After")
    assert pager(client, after) == ("Before", None)
    assert related(client, before) == ["After"]


def test_a_draft_preview_links_to_nothing(client, author, make_post):
    make_post(title="Out", age=timedelta(days=2), tags=["ships"])
    draft = make_post(author=author, status=Post.Status.DRAFT, tags=["ships"])
    client.force_login(author)

    html = client.get(draft.get_absolute_url()).content.decode()

    assert 'class="post-pager"' not in html and 'class="related-posts"' not in html


def test_related_posts_share_the_most_tags_then_are_the_newest(client, make_post):
    post = make_post(title="Ships of the line", tags=["ships", "navy", "1805"])
    make_post(title="One tag, newest", age=timedelta(hours=1), tags=["ships"])
    make_post(title="Two tags, old", age=timedelta(days=30), tags=["ships", "navy"])
    make_post(title="Three tags, oldest", age=timedelta(days=60), tags=["navy", "1805", "ships"])
    make_post(title="One tag, older", age=timedelta(days=5), tags=["1805"])
    make_post(title="No shared tag", age=timedelta(minutes=5), tags=["gardens"])

    assert related(client, post) == ["Three tags, oldest", "Two tags, old", "One tag, newest"]


def test_a_post_without_tags_has_no_related_posts(client, make_post):
    make_post(title="Tagged", tags=["ships"])
    post = make_post(title="Untagged")

    html = client.get(post.get_absolute_url()).content.decode()

    assert 'class="related-posts"' not in html
    assert pager(client, post) == ("Tagged", None)


def test_a_post_is_never_related_to_itself(client, make_post):
    post = make_post(tags=["ships"])

    assert related(client, post) == []


def make_many(make_post, count, tags_each):
    tags = [f"tag {number}" for number in range(tags_each)]
    for number in range(count):
        make_post(title=f"Many {number}", age=timedelta(hours=number + 2), tags=tags)


@pytest.mark.parametrize("count, tags_each", [(3, 1), (40, 12)])
def test_links_under_a_post_take_three_queries_whatever_the_posts_and_tags(
    client, make_post, count, tags_each, django_assert_num_queries
):
    make_many(make_post, count, tags_each)
    post = make_post(title="Measured", tags=[f"tag {number}" for number in range(tags_each)])
    url = post.get_absolute_url()
    client.get(url)  # the sidebar's aggregates are cached for every page after this one
    # ... and so are the links under this post: forget them, to count their queries.
    cache.delete(f"fragment:{pagecache.release()}:post-neighbours:{post.pk}")
    with django_assert_num_queries(POST_PAGE_QUERIES_THREAD_KEPT + NEIGHBOUR_QUERIES):
        response = client.get(f"{url}?page=1")
    assert len(links(response.content.decode(), "related-posts")) == 3
    # Every further view of the page (any query string the page cache has not seen) finds
    # the links in the fragment cache: the post page's own queries, no more.
    with django_assert_num_queries(POST_PAGE_QUERIES_THREAD_KEPT):
        client.get(f"{url}?again=1")


# The page cache: every post page shows its neighbours, so changes to them reach it.


def admin_form(post, **overrides):
    local = timezone.localtime(post.published_at) if post.published_at else None
    return {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "summary": post.summary,
        "status": post.status,
        "published_at_0": local.strftime("%Y-%m-%d") if local else "",
        "published_at_1": local.strftime("%H:%M:%S") if local else "",
        "comments_enabled": "on",
        "cover_alt": "",
        "author": post.author_id,
        "tags": [tag.pk for tag in post.tags.all()],
        **overrides,
    }


def test_publishing_a_post_refreshes_the_cached_page_of_its_neighbour(
    client, admin_client, make_post, django_capture_on_commit_callbacks
):
    older = make_post(title="Older", age=timedelta(days=2), tags=["ships"])
    draft = make_post(title="Just out", status=Post.Status.DRAFT, tags=["ships"])
    client.get(older.get_absolute_url())
    assert client.get(older.get_absolute_url())["X-Page-Cache"] == "hit"
    assert pager(client, older) == (None, None)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/blog/post/{draft.pk}/change/",
            admin_form(draft, status=Post.Status.PUBLISHED),
        )

    assert response.status_code == 302, re.findall(r"errorlist.{0,300}", response.content.decode())
    assert pager(client, older) == (None, "Just out")
    assert related(client, older) == ["Just out"]


def test_unpublishing_a_post_takes_it_off_its_neighbours_cached_pages(
    client, admin_client, make_post, django_capture_on_commit_callbacks
):
    older = make_post(title="Older", age=timedelta(days=2), tags=["ships"])
    newer = make_post(title="Withdrawn", age=timedelta(days=1), tags=["ships"])
    assert pager(client, older) == (None, "Withdrawn")
    assert client.get(older.get_absolute_url())["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/blog/post/{newer.pk}/change/",
            admin_form(newer, status=Post.Status.DRAFT),
        )

    assert response.status_code == 302, re.findall(r"errorlist.{0,300}", response.content.decode())
    assert pager(client, older) == (None, None)
    assert related(client, older) == []


def test_a_scheduled_post_appears_under_its_neighbour_when_due(client, make_post, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    older = make_post(title="Older", age=timedelta(days=1))
    due = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        make_post(title="Scheduled", published_at=due)  # its save refreshes the pages
    assert pager(client, older) == (None, None)
    assert client.get(older.get_absolute_url())["X-Page-Cache"] == "hit"

    later = due + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert pager(client, older) == (None, "Scheduled")


def test_the_post_lists_bulk_actions_refresh_the_neighbours_cached_pages(
    client, admin_client, make_post, django_capture_on_commit_callbacks
):
    older = make_post(title="Older", age=timedelta(days=2))
    newer = make_post(title="Newer", age=timedelta(days=1))
    assert pager(client, older) == (None, "Newer")

    for action, expected in [("unpublish", (None, None)), ("publish_now", (None, "Newer"))]:
        assert client.get(older.get_absolute_url())["X-Page-Cache"] == "hit"
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/admin/blog/post/", {"action": action, "_selected_action": [newer.pk]}
            )
        assert response.status_code == 302
        assert pager(client, older) == expected, action
