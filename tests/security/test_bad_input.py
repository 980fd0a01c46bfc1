"""Malformed input of every kind gets a clear 4xx (or is served normally), never a 500."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from blog import markdown
from blog.models import Post
from comments.models import Comment
from tests.security.test_comment_attacks import form_data as comment_form


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


TOO_COMPLEX = "it is too complex to render in one piece"
TOO_MANY_BRACKETS = "more than 3,750 “[” characters"
HTML_TOO_DEEP = "its HTML has more than 100 elements open at once"
TOO_DEEP = "nested more than 16 levels deep"

# Each pattern family at a size that renders, and past it (blog/markdown.py's work budget;
# bench/markdown_pathological.py times the worst of each).
PATHOLOGICAL_POSTS = {
    "emphasis runs": ("*a" * 10_000, None),
    "emphasis past the budget": ("**_" * 100_000, TOO_COMPLEX),
    "backticks": ("`" * 20_000, None),
    "a table 5,000 columns wide": ("| a " * 5_000 + "|\n" + "|---" * 5_000 + "|\n", None),
    "blank lines": ("x" + "\n" * 100_000 + "x", None),
    "blank lines past the budget": ("x" + "\n" * 400_000 + "x", TOO_COMPLEX),
    "link brackets": ("[" * 20_000, TOO_MANY_BRACKETS),
    "reference definitions and uses": ("[x]: http://a\n" * 5_000 + "[x] " * 5_000, TOO_MANY_BRACKETS),
    "angle brackets": ("<" * 20_000, TOO_COMPLEX),
    "autolinks": ("<http://a>" * 10_000, TOO_COMPLEX),
    "entities": ("&amp;" * 100_000, TOO_COMPLEX),
    "one-letter lines": ("a\n" * 10_000, TOO_COMPLEX),
    "list items": ("- a\n" * 20_000, TOO_COMPLEX),
    "a table of 256 columns and empty rows": ("|a" * 256 + "|\n" + "|-" * 256 + "|\n" + "|\n" * 255, TOO_COMPLEX),
    "raw divs nested": ("<div>" * 10_000, HTML_TOO_DEEP),
    "raw bold with distinct attributes": ("".join(f"<b title={i}>" for i in range(200)) + "x", HTML_TOO_DEEP),
    "quotes nested": (">" * 5_000 + " x", TOO_DEEP),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "refusal"), PATHOLOGICAL_POSTS.values(), ids=PATHOLOGICAL_POSTS.keys())
def test_pathological_markdown_in_a_post_is_saved_and_shown_or_refused_with_its_reason(
    admin_client, django_user_model, body, refusal
):
    # How long either takes is bounded by design (the refusal comes before the work it
    # saves: tests/security/test_markdown_limits.py); bench/markdown_pathological.py times it.
    user = django_user_model.objects.get(username="admin")

    response = admin_client.post(
        "/admin/blog/post/add/",
        {"title": "Odd", "slug": "odd", "body": body, "status": "published", "author": user.pk},
    )

    if refusal is None:
        assert response.status_code == 302
        post = Post.objects.get(slug="odd")
        assert post.body == body.strip()  # the form trims surrounding whitespace
        cache.clear()
        assert admin_client.get(post.get_absolute_url()).status_code == 200
    else:
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["body"]
        assert errors == [f"This text cannot be published: {markdown_reason(body)}."]
        assert refusal in errors[0]
        assert not Post.objects.exists()


def markdown_reason(body):
    with pytest.raises(markdown.MarkdownError) as refused:
        markdown.check_post_source(body.strip())
    return str(refused.value)


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
@pytest.mark.parametrize(
    ("content", "reason"),
    [("<http://a>" * 10_000, TOO_COMPLEX), ("[" * 4_000, TOO_MANY_BRACKETS),
     ("<div>" * 500, HTML_TOO_DEEP), (">" * 40 + " x", TOO_DEEP)],
    ids=["too-complex", "too-many-brackets", "html-too-deep", "quotes-too-deep"],
)
def test_a_preview_of_markdown_that_cannot_be_published_is_400_with_the_forms_reason(
    admin_client, content, reason
):
    response = admin_client.post("/markdownx/markdownify/", {"content": content})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text == f"This text cannot be published: {markdown_reason(content)}."
    assert reason in text


@pytest.mark.django_db
def test_a_preview_of_markdown_that_can_be_published_shows_what_readers_will_see(admin_client):
    content = "*a" * 10_000

    response = admin_client.post("/markdownx/markdownify/", {"content": content})

    assert response.status_code == 200
    assert response.content.decode() == markdown.render_post(content)


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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "reason"),
    [("[" * 4_000, TOO_MANY_BRACKETS), (">" * 40 + " x", TOO_DEEP)],
    ids=["too-many-brackets", "quotes-too-deep"],
)
def test_a_comment_that_cannot_be_rendered_is_a_form_error_with_the_reason(client, published_post, body, reason):
    response = client.post(
        reverse("comments:post", args=[published_post.pk]),
        comment_form(published_post, body=body),
        REMOTE_ADDR="203.0.113.10",
    )

    assert response.status_code == 400
    assert "This comment cannot be shown as written: " in response.content.decode()
    assert reason in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_a_comment_as_complex_as_its_length_allows_is_stored_and_rendered(client, published_post):
    # 5,000 characters of the costliest markup still fit the budget, except "[" (above).
    body = "*a" * 2_500

    response = client.post(
        reverse("comments:post", args=[published_post.pk]),
        comment_form(published_post, body=body),
        REMOTE_ADDR="203.0.113.10",
    )

    assert response.status_code == 302
    assert Comment.objects.get().body_html.count("<em>") == 1_250
