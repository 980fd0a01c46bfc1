"""Malformed input of every kind gets a clear 4xx (or is served normally), never a 500."""

import time

import pytest
from django.core.cache import cache

from blog.models import Post


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["war\x00", "\x00", "a\x00b c"])
def test_nul_bytes_in_search_get_400(client, make_post, query):
    make_post(title="A war story")

    response = client.get("/search/", {"q": query})

    assert response.status_code == 400


@pytest.mark.django_db
def test_other_control_characters_in_search_are_dropped(client, make_post):
    make_post(title="A war story")

    response = client.get("/search/", {"q": "war\x07\x1b"})

    assert response.status_code == 200
    assert b"A war story" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/tags/%00/", "/2013/04/10/x%00y/", "/no-such-page%00/", "/?page=%00", "/comments/moderation/?status=%00",
     "/admin/comments/comment/?ip_address=%00", "/admin/blog/post/?q=%00", "/comments/unsubscribe/%00/"],
)
def test_a_nul_byte_anywhere_in_the_url_gets_400(admin_client, url):
    # PostgreSQL refuses NUL in a query: every lookup by path or parameter would be a 500.
    response = admin_client.get(url)

    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    ["/search/?q=%FF%FE", "/search/?q=caf%E9", "/?page=%FF", "/tags/%FF/", "/2013/04/10/%C0%AF/", "/%ED%A0%80/"],
)
def test_invalid_utf8_in_urls_is_refused_or_served_never_a_500(client, raw):
    response = client.get(raw)

    assert response.status_code in (200, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["0", "-1", "99999999999999999999", "abc", "1e3"])
def test_odd_page_numbers_get_404_not_500(client, make_post, page):
    make_post()

    response = client.get("/", {"page": page})

    assert response.status_code == 404


@pytest.mark.django_db
def test_an_over_long_search_is_cut_not_refused(client):
    response = client.get("/search/", {"q": "word " * 2_000})

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_post_title_over_200_characters_is_a_form_error(admin_client):
    response = admin_client.post(
        "/admin/blog/post/add/",
        {"title": "t" * 201, "slug": "long", "body": "x", "status": "draft", "author": 1},
    )

    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.content.decode()
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_a_nul_byte_in_a_post_is_a_form_error(admin_client, django_user_model):
    user = django_user_model.objects.get(username="admin")

    response = admin_client.post(
        "/admin/blog/post/add/",
        {"title": "Nul\x00", "slug": "nul", "body": "x\x00y", "status": "draft", "author": user.pk},
    )

    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    assert not Post.objects.exists()


PATHOLOGICAL_POSTS = [
    "[" * 20_000,
    "*a" * 10_000,
    "`" * 20_000,
    "<" * 20_000,
    "a\n" * 10_000,
    "| a " * 5_000 + "|\n" + "|---" * 5_000 + "|\n",
    "[x]: http://a\n" * 5_000 + "[x] " * 5_000,
    "<div>" * 10_000,
]


@pytest.mark.django_db
@pytest.mark.parametrize("body", PATHOLOGICAL_POSTS, ids=range(len(PATHOLOGICAL_POSTS)))
def test_pathological_markdown_in_a_post_saves_quickly_or_is_refused_clearly(admin_client, django_user_model, body):
    user = django_user_model.objects.get(username="admin")

    started = time.perf_counter()
    response = admin_client.post(
        "/admin/blog/post/add/",
        {"title": "Odd", "slug": "odd", "body": body, "status": "published", "author": user.pk},
    )
    elapsed = time.perf_counter() - started

    assert elapsed < 10
    if response.status_code == 302:
        post = Post.objects.get(slug="odd")
        assert post.body == body.strip()  # the form trims surrounding whitespace
        cache.clear()
        assert admin_client.get(post.get_absolute_url()).status_code == 200
    else:
        assert response.status_code == 200
        assert 'class="errorlist' in response.content.decode()
        assert not Post.objects.exists()


@pytest.mark.django_db
def test_markdown_nested_too_deep_is_refused_with_a_reason(admin_client, django_user_model):
    user = django_user_model.objects.get(username="admin")

    response = admin_client.post(
        "/admin/blog/post/add/",
        {"title": "Deep", "slug": "deep", "body": ">" * 5_000 + " x", "status": "draft", "author": user.pk},
    )

    assert response.status_code == 200
    assert "nested more than" in response.content.decode()
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_a_preview_over_the_length_limit_is_400_with_the_reason(admin_client, settings, monkeypatch):
    monkeypatch.setattr("blog.markdown.POST_MAX_LENGTH", 1_000)

    response = admin_client.post("/markdownx/markdownify/", {"content": "x" * 1_001})

    assert response.status_code == 400
    assert b"Too long to preview" in response.content


@pytest.mark.django_db
def test_a_preview_without_content_is_400(admin_client):
    response = admin_client.post("/markdownx/markdownify/", {})

    assert response.status_code == 400
    assert b"Missing the 'content' field" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE"])
def test_unexpected_methods_on_public_pages_change_nothing(client, published_post, method):
    response = client.generic(method, published_post.get_absolute_url(), b"title=changed")

    assert response.status_code == 405
    assert Post.objects.get(pk=published_post.pk).title == published_post.title
