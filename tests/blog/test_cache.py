"""Whole-page caching for anonymous readers (blog/pagecache.py): hits, invalidation, 304s."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog import pagecache
from blog.models import PageVersion, Post, Tag

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
        pagecache.site_changed()
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
        pagecache.site_changed()
    again = client.get("/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert again["ETag"] != etag
    assert "New title" in again.content.decode()


def test_pages_are_revalidated_by_browsers(client, published_post):
    response = client.get("/")
    assert "no-cache" in response["Cache-Control"]
    assert "ETag" in response


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


def csrf_token_in(response):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


def comment_fields(page, **fields):
    """The comment form's hidden fields as the page has them, plus `fields`."""
    form = re.search(r'<form[^>]*class="comment-form".*?</form>', page.content.decode(), re.S).group()
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    data.update(fields)
    return data, re.search(r'action="([^"]+)"', form).group(1)


def test_comment_form_on_a_cached_page_posts_with_each_readers_own_token(published_post):
    url = published_post.get_absolute_url()
    first_reader = Client(enforce_csrf_checks=True)
    second_reader = Client(enforce_csrf_checks=True)
    first = first_reader.get(url)
    second = second_reader.get(url)
    assert served_from_cache(second)
    assert "csrftoken" in first.cookies and "csrftoken" in second.cookies
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    assert csrf_token_in(first) != csrf_token_in(second)
    assert "private" in second["Cache-Control"]

    for number, (reader, page) in enumerate([(first_reader, first), (second_reader, second)]):
        data, action = comment_fields(
            page,
            name=f"Reader {number}",
            email=f"reader{number}@example.com",
            body=f"A thoughtful remark number {number}.",
        )
        response = reader.post(action, data, REMOTE_ADDR=f"203.0.113.{number + 1}")
        assert response.status_code == 302, response.content.decode()[:500]


def test_cached_page_form_without_the_cookie_is_refused(published_post):
    url = published_post.get_absolute_url()
    Client().get(url)
    reader = Client(enforce_csrf_checks=True)
    page = reader.get(url)
    data, action = comment_fields(page, name="R", email="r@example.com", body="Hi.")
    reader.cookies.pop("csrftoken")
    assert reader.post(action, data).status_code == 403


def test_returning_reader_keeps_their_csrf_cookie(published_post):
    url = published_post.get_absolute_url()
    reader = Client(enforce_csrf_checks=True)
    cookie = reader.get(url).cookies["csrftoken"].value
    page = reader.get(url)
    assert served_from_cache(page)
    assert reader.cookies["csrftoken"].value == cookie
    # The 304 check names the cookie: a new cookie means a new token, so a new page.
    etag = page["ETag"]
    assert reader.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    other = Client(enforce_csrf_checks=True)
    assert other.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


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


# Hits served by EarlyHitMiddleware, before sessions, auth and the view.

EARLY = "blog.pagecache.EarlyHitMiddleware"


def comparable_headers(response):
    """The headers, with what is new on every answer (nonce, token, request id) blanked."""
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    headers = {}
    for name, value in response.headers.items():
        if name in ("X-Request-ID", "ETag"):
            value = "*"
        headers[name] = value.replace(nonce.group(1), "NONCE") if nonce else value
    cookies = {name: {**morsel, "value": "*"} for name, morsel in response.cookies.items()}
    return headers, cookies


@pytest.mark.parametrize("https", [False, True])
def test_early_hit_answers_with_the_headers_and_cookies_of_the_full_path(published_post, settings, https):
    url = published_post.get_absolute_url()
    settings.SECURE_HSTS_SECONDS = 3600 if https else 0
    secure = {"secure": True} if https else {}
    assert EARLY in settings.MIDDLEWARE
    Client().get(url, **secure)
    early = Client().get(url, **secure)
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != EARLY]
    full = Client().get(url, **secure)
    assert served_from_cache(early) and served_from_cache(full)
    assert comparable_headers(early) == comparable_headers(full)
    assert ("Strict-Transport-Security" in early) == https
    assert "csrftoken" in early.cookies and "Cookie" in early["Vary"]


@pytest.mark.parametrize(
    "cookie_settings",
    [
        {"CSRF_COOKIE_AGE": None},
        {"CSRF_COOKIE_DOMAIN": "testserver", "CSRF_COOKIE_PATH": "/2", "CSRF_COOKIE_SAMESITE": "Strict"},
        {"CSRF_COOKIE_NAME": "token", "CSRF_COOKIE_HTTPONLY": False, "CSRF_COOKIE_SAMESITE": None},
    ],
)
def test_early_hit_sets_the_csrf_cookie_the_full_path_sets(published_post, settings, cookie_settings):
    for name, value in cookie_settings.items():
        setattr(settings, name, value)
    url = published_post.get_absolute_url()
    Client().get(url)
    early = Client().get(url)
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != EARLY]
    full = Client().get(url)
    assert served_from_cache(early) and served_from_cache(full)
    assert comparable_headers(early) == comparable_headers(full)
    assert settings.CSRF_COOKIE_NAME in early.cookies


def test_the_csrf_cookies_expiry_date_is_djangos_for_every_instant():
    from django.utils.http import http_date

    start = 1_790_000_000
    for timestamp in [start + n / 7 for n in range(200)] + [start + 0.9999996, start + 1.0000004]:
        assert pagecache._http_date(timestamp) == http_date(timestamp), timestamp


def test_early_hit_leaves_prepend_www_to_commonmiddleware(client, published_post, settings):
    url = published_post.get_absolute_url()
    client.get(url)
    assert served_from_cache(client.get(url))
    settings.PREPEND_WWW = True

    response = client.get(url)

    assert response.status_code == 301
    assert response["Location"] == f"http://www.testserver{url}"


def test_early_hit_makes_no_session_and_only_the_version_query(
    client, published_post, django_assert_num_queries
):
    url = published_post.get_absolute_url()
    client.get(url)
    with django_assert_num_queries(1):
        page = client.get(url)
    assert served_from_cache(page)
    assert not hasattr(page.wsgi_request, "session")
    assert not hasattr(page.wsgi_request, "user")


def nonce_page(request):
    template = engines["django"].from_string(
        '<script nonce="{{ request.csp_nonce }}">1</script><style nonce="{{ request.csp_nonce }}"></style>'
    )
    return HttpResponse(template.render({}, request))


urlpatterns = [path("nonce/", pagecache.cache_for_readers(nonce_page, [pagecache.SITE]))]


@pytest.mark.urls(__name__)
def test_early_hit_fills_in_a_new_nonce_that_matches_the_csp_header(client, settings):
    client.get("/nonce/")
    pages = [client.get("/nonce/") for _ in range(2)]
    nonces = []
    for page in pages:
        assert served_from_cache(page)
        assert page.wsgi_request.resolver_match is None  # answered before URL resolving
        header = re.search(r"'nonce-([^']+)'", page["Content-Security-Policy"]).group(1)
        assert set(re.findall(r'nonce="([^"]+)"', page.content.decode())) == {header}
        nonces.append(header)
    assert nonces[0] != nonces[1]
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != EARLY]
    assert comparable_headers(pages[0]) == comparable_headers(client.get("/nonce/"))


def test_pages_with_a_query_string_take_the_full_path(client, make_post):
    for number in range(12):
        make_post(title=f"Post {number}")
    client.get("/?page=2")
    page = client.get("/?page=2")
    assert served_from_cache(page)
    # Only the full path resolves the URL (the old-link check needs it for `/?p=123`).
    assert page.wsgi_request.resolver_match is not None
    client.get("/")
    assert client.get("/").wsgi_request.resolver_match is None


def test_early_hit_refuses_a_host_not_allowed(client, published_post):
    url = published_post.get_absolute_url()
    client.get(url)
    assert client.get(url, HTTP_HOST="evil.example").status_code == 400


def test_csrf_tokens_are_djangos_masked_secret_and_change_every_time(rf):
    from django.middleware.csrf import _unmask_cipher_token, _check_token_format

    request = rf.get("/")
    tokens = {pagecache.csrf_token(request) for _ in range(200)}
    secret = request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"]
    assert len(tokens) == 200
    for token in tokens:
        _check_token_format(token)
        assert _unmask_cipher_token(token) == secret
    # Every character can appear, each about as often as the others.
    counts = {}
    for token in tokens:
        for char in token[:32]:
            counts[char] = counts.get(char, 0) + 1
    assert len(counts) == 62
    assert max(counts.values()) < 3 * min(counts.values())


def test_new_readers_get_secrets_of_their_own_that_their_tokens_unmask_to(rf):
    from django.middleware.csrf import _check_token_format, _unmask_cipher_token

    counts = {}
    secrets = set()
    for _ in range(200):
        request = rf.get("/")
        token = pagecache.csrf_token(request)
        secret = request.META["CSRF_COOKIE"]
        _check_token_format(token)
        assert _unmask_cipher_token(token) == secret
        assert token[:32] != secret  # the mask is drawn apart from the secret
        secrets.add(secret)
        for char in secret:
            counts[char] = counts.get(char, 0) + 1
    assert len(secrets) == 200
    assert len(counts) == 62
    assert max(counts.values()) < 3 * min(counts.values())


def test_database_outage_during_an_early_hit_gets_the_503_page(published_post, monkeypatch):
    from django.db import OperationalError

    url = published_post.get_absolute_url()
    Client().get(url)

    def unreachable(keys):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(pagecache, "_read", unreachable)
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 503
    assert b"Back in a moment" in response.content
    assert "X-Request-ID" in response
