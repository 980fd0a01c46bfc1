"""Whole-page caching for anonymous readers (pagecache/store.py): hits, invalidation, headers, 304s."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pagecache
from blog.models import Post, Tag
from pagecache import store
from pagecache.models import PageVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def served_from_cache(response):
    return response.get("X-Page-Cache") == "hit"


def test_second_anonymous_visit_is_served_from_the_cache_with_one_query(
    client, published_post, django_assert_num_queries
):
    first = client.get("/")
    assert not served_from_cache(first)
    with django_assert_num_queries(1):
        second = client.get("/")
    assert served_from_cache(second)
    assert second.content == first.content
    assert published_post.title in second.content.decode()


def test_every_kind_of_reader_page_is_cached(client, make_post):
    post = make_post(title="Tagged", tags=["history"])
    local = timezone.localtime(post.published_at)
    urls = [
        "/",
        f"/{local.year}/",
        f"/{local.year}/{local.month:02d}/",
        post.get_absolute_url(),
        "/tags/history/",
        "/search/?q=Tagged",
        "/feed/rss/",
        "/feed/atom/",
        "/tags/history/feed/atom/",
        "/sitemap.xml",
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
        assert served_from_cache(client.get(url)), url


def test_post_edited_in_the_admin_shows_on_the_next_request(
    client, admin_client, published_post, django_capture_on_commit_callbacks
):
    client.get(published_post.get_absolute_url())
    client.get("/")
    local = timezone.localtime(published_post.published_at)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/blog/post/{published_post.pk}/change/",
            {
                "title": "A title the readers have not seen",
                "slug": published_post.slug,
                "body": published_post.body,
                "summary": "",
                "status": "published",
                "published_at_0": local.strftime("%Y-%m-%d"),
                "published_at_1": local.strftime("%H:%M:%S"),
                "author": published_post.author_id,
                "comments_enabled": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    for url in [published_post.get_absolute_url(), "/"]:
        page = client.get(url)
        assert not served_from_cache(page)
        assert "A title the readers have not seen" in page.content.decode()


def test_tag_renamed_in_the_admin_shows_on_every_page(
    client, admin_client, make_post, django_capture_on_commit_callbacks
):
    post = make_post(tags=["old name"])
    tag = Tag.objects.get(name="old name")
    assert "old name" in client.get(post.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/blog/tag/{tag.pk}/change/", {"name": "new name", "slug": tag.slug}
        )
    assert response.status_code == 302
    page = client.get(post.get_absolute_url()).content.decode()
    assert "new name" in page and "old name" not in page


def test_post_deleted_in_the_admin_leaves_the_home_page(
    client, admin_client, published_post, django_capture_on_commit_callbacks
):
    assert published_post.title in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/blog/post/{published_post.pk}/delete/", {"post": "yes"})
    assert published_post.title not in client.get("/").content.decode()


def test_a_change_made_by_another_process_is_seen(client, published_post):
    """Versions live in the database: another process's change reaches this one's cache."""
    client.get("/")
    assert served_from_cache(client.get("/"))
    Post.objects.filter(pk=published_post.pk).update(title="Changed elsewhere")
    # What the other process's pagecache.site_changed() writes after its commit:
    PageVersion.objects.update_or_create(key=pagecache.SITE, defaults={"version": 424242})
    page = client.get("/")
    assert not served_from_cache(page)
    assert "Changed elsewhere" in page.content.decode()


def test_scheduled_post_appears_when_due_without_anything_saved(
    client, make_post, monkeypatch, django_capture_on_commit_callbacks
):
    make_post(title="Already out")
    with django_capture_on_commit_callbacks(execute=True):
        make_post(title="Comes out later", published_at=timezone.now() + timedelta(hours=1))
    assert "Comes out later" not in client.get("/").content.decode()
    assert served_from_cache(client.get("/"))

    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    page = client.get("/")
    assert not served_from_cache(page)
    assert "Comes out later" in page.content.decode()


def test_logged_in_staff_never_get_or_fill_the_cache(client, admin_client, published_post):
    url = published_post.get_absolute_url()
    admin_client.get(url)
    assert not served_from_cache(admin_client.get(url))
    # What staff saw was not stored for readers either.
    assert not served_from_cache(client.get(url))


def test_reader_with_a_session_is_not_served_a_shared_page(client, published_post):
    """A commenter's session may hold their comment awaiting moderation: they see it, fresh."""
    url = published_post.get_absolute_url()
    client.get(url)
    assert served_from_cache(client.get(url))
    session = client.session
    session["something"] = "theirs"
    session.save()
    client.cookies["sessionid"] = session.session_key
    assert not served_from_cache(client.get(url))


def test_a_reader_who_may_change_a_comment_is_not_served_a_shared_page(client, published_post):
    """Their thread shows links to change their comment: theirs alone, for 15 minutes."""
    url = published_post.get_absolute_url()
    client.get(url)
    assert served_from_cache(client.get(url))
    client.cookies[store.COMMENT_EDITS_COOKIE] = "anything"
    response = client.get(url)
    assert not served_from_cache(response)
    assert "private" in response["Cache-Control"]


def test_the_nginx_config_bypasses_its_cache_for_every_reader_cookie():
    conf = (Path(django_settings.BASE_DIR) / "deploy" / "nginx" / "blog.conf").read_text()
    names = re.search(r"\(\^\|;\)\\s\*\(([a-z_|]+)\)=", conf).group(1).split("|")

    assert set(names) == {django_settings.SESSION_COOKIE_NAME, *store.READER_COOKIES}


def test_draft_preview_is_never_cached(admin_client, make_post):
    draft = make_post(status=Post.Status.DRAFT)
    url = f"/preview/{draft.pk}/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.get(url)
    assert not served_from_cache(response)
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_unchanged_page_answers_304_and_a_changed_one_200(
    client, published_post, django_capture_on_commit_callbacks
):
    first = client.get("/")
    etag = first["ETag"]
    assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        published_post.title = "New title"
        published_post.save()
    again = client.get("/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert again["ETag"] != etag
    assert "New title" in again.content.decode()


def test_an_anonymous_page_may_be_kept_by_shared_caches_for_a_second(client, published_post, settings):
    for response in (client.get("/"), client.get("/")):
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert directives == {"public", "max-age=0", "s-maxage=1", "stale-while-revalidate=5"}
        assert response["Vary"] == "Cookie"
        assert response["ETag"].startswith('"')
    settings.PAGECACHE_S_MAXAGE = 3
    assert "s-maxage=3" in client.get("/")["Cache-Control"]


def test_a_reader_with_a_session_gets_a_private_page_and_leaves_the_shared_copy_alone(
    client, admin_client, published_post, django_assert_num_queries
):
    url = published_post.get_absolute_url()
    shared = client.get(url)
    private = admin_client.get(url)

    assert {part.strip() for part in private["Cache-Control"].split(",")} >= {"private", "no-cache"}
    assert "public" not in private["Cache-Control"]
    assert not served_from_cache(private)
    # The shared copy is still the one made for readers, untouched by what staff saw.
    again = client.get(url)
    assert served_from_cache(again) and again.content == shared.content


def test_error_pages_are_not_cached(client):
    assert client.get("/tags/nothing-here/").status_code == 404
    assert not served_from_cache(client.get("/tags/nothing-here/"))


def test_each_host_gets_its_own_copy(client, published_post, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    url = published_post.get_absolute_url()
    client.get(url)
    page = client.get(url, HTTP_HOST="other.example")
    assert not served_from_cache(page)
    assert "other.example" in page.content.decode()


def test_sidebar_archive_and_tags_are_not_counted_again_on_every_page(client, make_post):
    make_post()
    client.get("/")
    with CaptureQueriesContext(connection) as warm:
        client.get("/search/?q=words")
    warm_count = len(warm)  # now: the next request resets the query log
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get("/search/?q=words&page=1")
    # Cold, the two sidebar aggregates, the menu's pages and the site settings (the row
    # and its menu links) are read; warm, they come from the cache.
    assert len(cold) == warm_count + 5


# The comment form on a cached page.


def test_comment_form_on_a_cached_page_posts_for_every_reader_without_a_cookie(published_post):
    url = published_post.get_absolute_url()
    first_reader = Client(enforce_csrf_checks=True)
    second_reader = Client(enforce_csrf_checks=True)
    first = first_reader.get(url)
    second = second_reader.get(url)
    assert served_from_cache(second)
    assert second.content == first.content
    assert not first.cookies and not second.cookies
    assert "private" not in second["Cache-Control"]

    for number, (reader, page) in enumerate([(first_reader, first), (second_reader, second)]):
        data, action = comment_fields(
            page,
            name=f"Reader {number}",
            email=f"reader{number}@example.com",
            body=f"A thoughtful remark number {number}.",
        )
        response = reader.post(action, data, REMOTE_ADDR=f"203.0.113.{number + 1}",
                               headers={"Sec-Fetch-Site": "same-origin"})
        assert response.status_code == 302, response.content.decode()[:500]


def comment_fields(page, **fields):
    """The comment form's hidden fields as the page has them, plus `fields`."""
    form = re.search(r'<form[^>]*class="comment-form".*?</form>', page.content.decode(), re.S).group()
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    data.update(fields)
    return data, re.search(r'action="([^"]+)"', form).group(1)


def test_erasing_a_commenter_takes_their_comments_off_cached_pages(
    client, published_post, django_capture_on_commit_callbacks
):
    from comments import privacy
    from comments.models import Comment

    Comment.objects.create(
        post=published_post, author_name="Leaving", author_email="leaving@example.com",
        body="Words I want gone.", status=Comment.Status.APPROVED,
    )
    url = published_post.get_absolute_url()
    assert "Words I want gone." in client.get(url).content.decode()
    assert served_from_cache(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_commenter("leaving@example.com")
    page = client.get(url)
    assert not served_from_cache(page)
    assert "Words I want gone." not in page.content.decode()


def nonce_page(request):
    template = engines["django"].from_string(
        '<script nonce="{{ request.csp_nonce }}">1</script><style nonce="{{ request.csp_nonce }}"></style>'
    )
    return HttpResponse(template.render({}, request))


urlpatterns = [path("nonce/", pagecache.for_readers(nonce_page, [pagecache.SITE]))]


@pytest.mark.urls(__name__)
def test_a_page_that_asks_for_a_nonce_is_never_stored(client):
    first = client.get("/nonce/")
    second = client.get("/nonce/")

    assert not served_from_cache(second)
    nonces = [re.search(r"'nonce-([^']+)'", page["Content-Security-Policy"]).group(1) for page in (first, second)]
    assert nonces[0] != nonces[1]
    assert f'nonce="{nonces[1]}"' in second.content.decode()


def test_database_outage_while_reading_versions_gets_the_503_page(published_post, monkeypatch):
    from django.db import OperationalError

    url = published_post.get_absolute_url()
    Client().get(url)

    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(PageVersion.objects, "filter", unreachable)
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 503
    assert b"Back in a moment" in response.content
    assert "X-Request-ID" in response


# Versions are read before what they cover, from the database the render reads.


class RecordingRouter:
    """Reads wherever Django would; remembers which models were read through the router."""

    models = []

    def db_for_read(self, model, **hints):
        self.models.append(model._meta.label)
        return None


def test_versions_are_read_through_the_router_that_sends_the_render_to_a_standby(
    client, published_post, settings
):
    RecordingRouter.models = []
    settings.DATABASE_ROUTERS = [f"{__name__}.RecordingRouter"]

    client.get(published_post.get_absolute_url())

    assert RecordingRouter.models.index("pagecache.PageVersion") < RecordingRouter.models.index("blog.Post")


def test_each_version_is_read_before_the_content_it_covers(client, published_post):
    from comments.models import Comment

    Comment.objects.create(post=published_post, author_name="R", author_email="r@example.org",
                           body="Hello.", status=Comment.Status.APPROVED)
    with CaptureQueriesContext(connection) as queries:
        client.get(published_post.get_absolute_url())
    sql = [query["sql"] for query in queries]

    def first(*words):
        return next(index for index, text in enumerate(sql) if all(word in text for word in words))

    site = first("pagecache_pageversion", "'site'") if "'site'" in " ".join(sql) else first("pagecache_pageversion")
    thread = first("pagecache_pageversion", f"thread:{published_post.pk}")
    assert site < first('FROM "blog_post"')
    assert thread < first('FROM "comments_comment"')


def test_a_page_rendered_from_a_lagging_standby_is_not_kept_under_the_new_version(
    client, published_post, monkeypatch, django_capture_on_commit_callbacks
):
    """The standby still has the old post and the old version; the primary has both new.

    Emulated by changing both after the render has read its versions: what the render
    read is older than what is stored, so the page is stored under the old version and
    the next request, seeing the new one, renders again.
    """
    from pagecache import store

    url = published_post.get_absolute_url()
    original = store.depends_on

    def versions_then_a_change(request, keys):
        found = original(request, keys)
        if "site" in keys and not getattr(request, "changed", False):
            request.changed = True
            with django_capture_on_commit_callbacks(execute=True):
                Post.objects.filter(pk=published_post.pk).update(title="Newer title")
                store.bump([pagecache.SITE])
        return found

    monkeypatch.setattr(store, "depends_on", versions_then_a_change)
    client.get(url)
    monkeypatch.setattr(store, "depends_on", original)

    page = client.get(url)
    assert not served_from_cache(page)
    assert "Newer title" in page.content.decode()


# The release: what renders pages besides the content.


@pytest.mark.parametrize(
    "name, value",
    [
        ("SITE_NAME", "Another name"),
        ("TIME_ZONE", "Asia/Tokyo"),
        ("CONTENT_SECURITY_POLICY", {"DIRECTIVES": {"default-src": ["'none'"]}}),
        ("COMMENTS_PER_PAGE", 3),
    ],
)
def test_a_deploy_that_changes_a_page_setting_starts_afresh(client, published_post, settings, name, value):
    from pagecache import store

    before = store.release()
    client.get("/")
    assert served_from_cache(client.get("/"))

    setattr(settings, name, value)

    assert store.release() != before
    assert not served_from_cache(client.get("/"))


def test_a_new_site_name_shows_at_once(client, published_post, django_capture_on_commit_callbacks):
    from blog.site import SiteSettings

    client.get("/")
    assert served_from_cache(client.get("/"))
    with django_capture_on_commit_callbacks(execute=True):
        site = SiteSettings.load()
        site.name = "Renamed blog"
        site.save()

    assert "Renamed blog" in client.get("/").content.decode()
