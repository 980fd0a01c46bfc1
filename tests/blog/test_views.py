from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blog.models import Post

pytestmark = pytest.mark.django_db


def test_home_page_lists_published_posts_newest_first(client, make_post):
    older = make_post(title="Older post", age=timedelta(days=2))
    newer = make_post(title="Newer post", age=timedelta(days=1))
    make_post(title="Draft post", status=Post.Status.DRAFT)
    make_post(title="Scheduled post", published_at=timezone.now() + timedelta(days=1))

    response = client.get(reverse("blog:post-index"))

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [newer, older]
    assert b"Draft post" not in response.content
    assert b"Scheduled post" not in response.content


def test_home_page_shows_ten_posts_a_page(client, make_post):
    for days in range(12):
        make_post(age=timedelta(days=days + 1))

    first = client.get("/")
    second = client.get("/?page=2")

    assert len(first.context["object_list"]) == 10
    assert len(second.context["object_list"]) == 2
    assert b'rel="next"' in first.content


@pytest.mark.parametrize("page", ["abc", "0", "99", "-1", "1e9"])
def test_a_page_number_that_does_not_exist_is_404(client, make_post, page):
    make_post()

    assert client.get(f"/?page={page}").status_code == 404


def test_post_is_served_at_its_date_permalink(client, make_post):
    post = make_post(
        title="Dated", slug="dated", published_at=timezone.make_aware(timezone.datetime(2013, 4, 10, 12))
    )

    response = client.get("/2013/04/10/dated/")

    assert response.status_code == 200
    assert response.context["post"] == post
    assert b"Wednesday, 10 April 2013" in response.content


@pytest.mark.parametrize(
    "path",
    ["/2013/04/11/dated/", "/2012/04/10/dated/", "/2013/13/10/dated/", "/2013/02/30/dated/", "/2013/04/10/other/"],
)
def test_a_wrong_date_or_slug_is_404(client, make_post, path):
    make_post(slug="dated", published_at=timezone.make_aware(timezone.datetime(2013, 4, 10, 12)))

    assert client.get(path).status_code == 404


EDGE_OF_TIME = [
    "/0000/", "/0001/", "/0002/", "/9998/", "/9999/",
    "/0001/01/", "/9998/12/", "/9999/12/",
    "/0001/01/01/dated/", "/0002/01/01/dated/", "/9998/12/31/dated/", "/9999/12/31/dated/",
    "/0000/00/00/dated/",
]


@pytest.mark.parametrize("time_zone", ["UTC", "Pacific/Kiritimati", "Etc/GMT+12"])
@pytest.mark.parametrize("path", EDGE_OF_TIME)
def test_archives_and_permalinks_at_the_edge_of_time_are_not_found(client, make_post, settings,
                                                                   time_zone, path):
    settings.TIME_ZONE = time_zone
    make_post(slug="dated", published_at=timezone.make_aware(timezone.datetime(2013, 4, 10, 12)))

    assert client.get(path).status_code == 404


@pytest.mark.parametrize("status, offset", [(Post.Status.DRAFT, -1), (Post.Status.PUBLISHED, +1)], ids=["draft", "scheduled"])
def test_unpublished_post_is_404_for_readers(client, make_post, status, offset):
    post = make_post(status=status, published_at=timezone.now() + timedelta(days=offset))

    assert client.get(post.get_absolute_url()).status_code == 404


EDGE_OF_TIME = [
    "/0000/", "/0001/", "/0002/", "/9998/", "/9999/",
    "/0001/01/", "/9998/12/", "/9999/12/",
    "/0001/01/01/dated/", "/0002/01/01/dated/", "/9998/12/31/dated/", "/9999/12/31/dated/",
    "/0000/00/00/dated/",
]


@pytest.mark.parametrize("time_zone", ["UTC", "Pacific/Kiritimati", "Etc/GMT+12"])
@pytest.mark.parametrize("path", EDGE_OF_TIME)
def test_archives_and_permalinks_at_the_edge_of_time_are_not_found(client, make_post, settings,
                                                                   time_zone, path):
    settings.TIME_ZONE = time_zone
    make_post(slug="dated", published_at=timezone.make_aware(timezone.datetime(2013, 4, 10, 12)))

    assert client.get(path).status_code == 404


@pytest.mark.parametrize("status, offset", [(Post.Status.DRAFT, -1), (Post.Status.PUBLISHED, +1)], ids=["draft", "scheduled"])
def test_author_previews_own_unpublished_post_uncached(client, author, make_post, status, offset):
    post = make_post(author=author, status=status, published_at=timezone.now() + timedelta(days=offset))
    client.force_login(author)

    response = client.get(post.get_absolute_url())

    assert response.status_code == 200
    assert b"readers cannot see it" in response.content
    assert "no-store" in response["Cache-Control"]


def test_draft_without_date_is_previewed_by_id_only_by_its_editors(client, author, other_author, make_post):
    draft = make_post(author=author, status=Post.Status.DRAFT, published_at=None)
    url = draft.get_absolute_url()
    assert url == f"/preview/{draft.pk}/"

    assert client.get(url).status_code == 404
    client.force_login(other_author)
    assert client.get(url).status_code == 404
    client.force_login(author)
    assert client.get(url).status_code == 200


def test_superuser_previews_any_draft(admin_client, make_post):
    draft = make_post(status=Post.Status.DRAFT, published_at=None)

    assert admin_client.get(draft.get_absolute_url()).status_code == 200


def test_another_author_cannot_preview_a_draft(client, author, other_author, make_post):
    post = make_post(author=author, status=Post.Status.DRAFT, published_at=timezone.now() - timedelta(days=1))
    client.force_login(other_author)

    assert client.get(post.get_absolute_url()).status_code == 404


def test_year_and_month_archives_list_that_period(client, make_post):
    april = make_post(title="April", published_at=timezone.make_aware(timezone.datetime(2013, 4, 10, 12)))
    may = make_post(title="May", published_at=timezone.make_aware(timezone.datetime(2013, 5, 2, 12)))
    make_post(title="Next year", published_at=timezone.make_aware(timezone.datetime(2014, 1, 1, 12)))

    year = client.get("/2013/")
    month = client.get("/2013/04/")

    assert set(year.context["object_list"]) == {april, may}
    assert list(month.context["object_list"]) == [april]
    assert client.get("/2012/").status_code == 404
    assert client.get("/2013/06/").status_code == 404


def test_archives_of_a_period_with_only_drafts_or_scheduled_posts_are_not_found(client, make_post):
    make_post(title="Draft", status=Post.Status.DRAFT, published_at=timezone.make_aware(timezone.datetime(2012, 3, 1, 12)))
    due = timezone.now() + timedelta(days=400)
    make_post(title="Scheduled", published_at=due)

    for url in ("/2012/", "/2012/03/", f"/{due.year}/", f"/{due.year}/{due.month:02d}/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Scheduled" not in response.content


def test_sidebar_blog_archive_counts_posts_per_month(client, make_post):
    for day in (1, 2):
        make_post(published_at=timezone.make_aware(timezone.datetime(2013, 4, day, 12)))
    make_post(published_at=timezone.make_aware(timezone.datetime(2014, 1, 5, 12)))
    make_post(status=Post.Status.DRAFT, published_at=timezone.make_aware(timezone.datetime(2013, 4, 3, 12)))

    content = client.get("/").content.decode()

    assert 'href="/2013/04/">April</a> <span class="count">(2)</span>' in content
    assert 'href="/2014/01/">January</a> <span class="count">(1)</span>' in content
    assert 'href="/2013/">2013</a> <span class="count">(2)</span>' in content


def test_tag_page_lists_published_posts_with_that_tag(client, make_post):
    tagged = make_post(tags=["History"])
    make_post(tags=["Other"])
    make_post(tags=["History"], status=Post.Status.DRAFT)

    response = client.get("/tags/history/")

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [tagged]
    assert client.get("/tags/missing/").status_code == 404


def test_search_page_finds_posts_by_a_word_in_the_body(client, make_post):
    found = make_post(title="Camps", body="Sent to Komsomolsk-on-Amur.")
    make_post(title="Unrelated")
    make_post(title="Hidden", body="Komsomolsk draft", status=Post.Status.DRAFT)

    response = client.get("/search/", {"q": "Komsomolsk"})

    assert list(response.context["object_list"]) == [found]
    assert b"1 post found" in response.content


@pytest.mark.parametrize("query", ["", "   ", "x" * 5000, "<script>alert(1)</script>", "'; DROP TABLE blog_post; --", "a & b | !c"])
def test_search_survives_any_query(client, make_post, query):
    make_post()

    response = client.get("/search/", {"q": query})

    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_post_page_has_canonical_and_open_graph_tags(client, published_post):
    content = client.get(published_post.get_absolute_url()).content.decode()

    assert f'<link rel="canonical" href="http://testserver{published_post.get_absolute_url()}">' in content
    assert '<meta property="og:title" content="A published post">' in content
    assert '<meta property="og:type" content="article">' in content


def test_feeds_are_advertised_in_the_head(client):
    content = client.get("/").content.decode()

    assert 'type="application/rss+xml"' in content and 'href="/feed/rss/"' in content
    assert 'type="application/atom+xml"' in content and 'href="/feed/atom/"' in content


def test_robots_txt_points_at_the_sitemap(client, settings):
    settings.SITE_URL = "https://blog.example"

    response = client.get("/robots.txt")

    assert response["Content-Type"] == "text/plain"
    assert "Sitemap: https://blog.example/sitemap.xml" in response.content.decode()
    assert "Disallow: /admin/" in response.content.decode()


def test_sitemap_lists_published_posts_only(client, make_post):
    published = make_post(title="Visible")
    draft = make_post(status=Post.Status.DRAFT, published_at=timezone.now() - timedelta(days=1))

    content = client.get("/sitemap.xml").content.decode()

    assert published.get_absolute_url() in content
    assert draft.get_absolute_url() not in content


def test_404_page_renders_without_touching_the_database(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert b"Page not found" in response.content
    # The only lookups allowed: the page cache's version (the path could be a page's), whether
    # it is a page or a page's old address, whether it is an imported post's old URL, and
    # the site's settings for its name and menu (once per version of the site).
    allowed = ("transfer_", "pages_page", "pagecache_pageversion", "blog_sitesettings", "blog_menulink")
    assert all(
        any(table in query["sql"] for table in allowed)
        for query in queries.captured_queries
    ), queries.captured_queries


def test_500_page_renders_without_the_database(client, settings, monkeypatch, django_assert_num_queries):
    from django.template.loader import render_to_string

    with django_assert_num_queries(0):
        html = render_to_string("500.html")

    assert "Something went wrong" in html


def test_tag_with_a_non_ascii_name_has_a_working_page(client, make_post):
    make_post(tags=["日本"])

    response = client.get("/tags/日本/")

    assert response.status_code == 200
    assert "日本" in response.content.decode()
