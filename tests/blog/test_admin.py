"""Authors write in the admin; the editor's preview and upload endpoints serve only them."""

import io
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from blog.models import Post, Tag

pytestmark = pytest.mark.django_db


def post_form(**overrides):
    return {
        "title": "Written in the admin",
        "slug": "written-in-the-admin",
        "body": "Hello **readers**.",
        "summary": "",
        "status": "published",
        "published_at_0": "2024-01-02",
        "published_at_1": "10:00:00",
        "comments_enabled": "on",
        **overrides,
    }


def test_author_writes_a_post_as_themselves(client, author, other_author):
    client.force_login(author)

    response = client.post("/admin/blog/post/add/", post_form(author=other_author.pk))

    assert response.status_code == 302
    post = Post.objects.get(slug="written-in-the-admin")
    assert post.author == author
    assert post.body_html.strip() == "<p>Hello <strong>readers</strong>.</p>"


def test_post_editor_uses_markdownx(client, author):
    client.force_login(author)

    content = client.get("/admin/blog/post/add/").content.decode()

    assert "markdownx" in content
    assert 'data-markdownx-urls-path="/markdownx/markdownify/"' in content


def test_post_editor_offers_an_image_control_and_a_way_out_by_keyboard(client, author):
    client.force_login(author)

    response = client.get("/admin/blog/post/add/")

    page = response.content.decode()
    assert '<label for="id_body_image">Insert an image into the body</label>' in page
    assert (
        '<input type="file" id="id_body_image" accept="image/png,image/jpeg,image/gif,image/webp"'
        in page
    )
    assert '<p class="help" id="id_body_image_status" role="status" aria-live="polite">' in page
    assert '<p class="help" id="id_body_keys">' in page
    assert "press Escape, then Tab" in page
    body = re.search(r"<textarea [^>]*name=\"body\"[^>]*>", page).group()
    assert re.search(r'aria-describedby="[^"]*\bid_body_keys\b', body)
    media = str(response.context["media"])
    assert "js/editor.js" in media and "css/editor.css" in media


def test_author_sees_only_their_own_posts(client, author, other_author, make_post):
    mine = make_post(author=author, title="Mine")
    make_post(author=other_author, title="Theirs")
    client.force_login(author)

    response = client.get("/admin/blog/post/")

    assert list(response.context["cl"].result_list) == [mine]


def test_author_cannot_change_another_authors_post(client, author, other_author, make_post):
    theirs = make_post(author=other_author, title="Theirs", body="Original.")
    client.force_login(author)

    page = client.get(f"/admin/blog/post/{theirs.pk}/change/")
    change = client.post(f"/admin/blog/post/{theirs.pk}/change/", post_form(title="Hijacked", slug=theirs.slug))
    delete = client.post(f"/admin/blog/post/{theirs.pk}/delete/", {"post": "yes"})

    assert page.status_code in (302, 403, 404)
    assert change.status_code in (302, 403, 404)
    assert delete.status_code in (302, 403, 404)
    theirs.refresh_from_db()
    assert theirs.title == "Theirs" and theirs.body == "Original."


def test_author_can_change_and_delete_their_own_post(client, author, make_post):
    mine = make_post(author=author)
    client.force_login(author)

    assert client.get(f"/admin/blog/post/{mine.pk}/change/").status_code == 200
    client.post(f"/admin/blog/post/{mine.pk}/delete/", {"post": "yes"})

    assert not Post.objects.filter(pk=mine.pk).exists()


def test_superuser_changes_any_post(admin_client, other_author, make_post):
    theirs = make_post(author=other_author)

    assert admin_client.get(f"/admin/blog/post/{theirs.pk}/change/").status_code == 200


def test_a_tag_id_past_any_integer_is_refused_as_an_unknown_tag(client, author):
    client.force_login(author)
    huge = str(2**70)

    response = client.post("/admin/blog/post/add/", post_form(tags=[huge]))

    assert response.status_code == 200
    assert f"“{huge}” is not a valid value." in response.content.decode()
    assert not Post.objects.exists()


def test_admin_refuses_markdown_nested_too_deep_with_a_clear_error(client, author):
    client.force_login(author)
    deep = "".join("  " * depth + "- item\n" for depth in range(100))

    response = client.post("/admin/blog/post/add/", post_form(body=deep))

    assert response.status_code == 200
    assert "nested more than 16 levels deep" in response.content.decode()
    assert not Post.objects.exists()


# The editor's live preview


def test_preview_refuses_anonymous_users(client):
    response = client.post("/markdownx/markdownify/", {"content": "# hi"})

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_preview_refuses_staff_who_cannot_write_posts(client, make_user):
    client.force_login(make_user(is_staff=True))

    assert client.post("/markdownx/markdownify/", {"content": "# hi"}).status_code == 403


def test_preview_equals_the_published_html_byte_for_byte(client, author, make_post):
    source = "# Heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x</script>[link](javascript:alert(1))"
    client.force_login(author)

    preview = client.post("/markdownx/markdownify/", {"content": source})
    post = make_post(author=author, body=source)

    assert preview.status_code == 200
    assert preview.content.decode() == post.body_html


def test_preview_without_content_is_a_clear_400(client, author):
    client.force_login(author)

    response = client.post("/markdownx/markdownify/", {})

    assert response.status_code == 400
    assert b"content" in response.content


def test_preview_ignores_get(client, author):
    client.force_login(author)

    assert client.get("/markdownx/markdownify/").status_code == 405


# Image uploads


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root):
    return [path for path in Path(root).rglob("*") if path.is_file()]


def image_bytes(image_format="PNG", size=(8, 6), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, "red").save(buffer, image_format)
    return buffer.getvalue()


def upload(client, name, data, content_type="image/png"):
    return client.post(
        "/markdownx/upload/",
        {"image": SimpleUploadedFile(name, data, content_type=content_type)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )


@pytest.mark.parametrize("image_format, extension", [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")])
def test_author_uploads_an_image_and_gets_markdown_for_it(client, author, media, image_format, extension):
    client.force_login(author)

    response = upload(client, "photo.bin", image_bytes(image_format), "application/octet-stream")

    assert response.status_code == 200
    code = response.json()["image_code"]
    assert code.startswith("![](/media/uploads/") and code.endswith(f".{extension})")
    [stored] = stored_files(media)
    assert Image.open(stored).format == image_format


def test_upload_refuses_anonymous_users_and_stores_nothing(client, media):
    response = upload(client, "a.png", image_bytes())

    assert response.status_code == 302
    assert stored_files(media) == []


def test_upload_refuses_html_named_as_an_image(client, author, media):
    client.force_login(author)

    response = upload(client, "evil.gif", b"<html><script>alert(1)</script></html>", "image/gif")

    assert response.status_code == 400
    assert "not a PNG, JPEG, GIF or WebP" in response.json()["image"][0]
    assert stored_files(media) == []


def test_upload_refuses_svg(client, author, media):
    client.force_login(author)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'

    response = upload(client, "vector.svg", svg, "image/svg+xml")

    assert response.status_code == 400
    assert stored_files(media) == []


def test_upload_strips_bytes_appended_to_a_real_image(client, author, media):
    client.force_login(author)
    payload = image_bytes() + b"<script>alert(1)</script>"

    response = upload(client, "polyglot.png", payload)

    assert response.status_code == 200
    [stored] = stored_files(media)
    assert b"<script>" not in stored.read_bytes()


def test_upload_refuses_a_decompression_bomb(client, author, media, settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 1_000_000
    client.force_login(author)
    bomb = image_bytes("PNG", size=(5000, 5000), mode="1")  # small file, 25 million pixels

    response = upload(client, "bomb.png", bomb)

    assert response.status_code == 400
    assert "pixels" in response.json()["image"][0]
    assert stored_files(media) == []


def test_upload_refuses_files_over_the_size_limit(client, author, media, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1000
    client.force_login(author)

    response = upload(client, "big.png", image_bytes(size=(400, 400)) + b"\0" * 2000)

    assert response.status_code == 400
    assert "limit" in response.json()["image"][0]
    assert stored_files(media) == []


def test_upload_without_a_file_is_a_clear_400(client, author, media):
    client.force_login(author)

    response = client.post("/markdownx/upload/", {})

    assert response.status_code == 400
    assert json.loads(response.content) == {"image": ["Choose an image file to upload."]}


@pytest.mark.parametrize("field", ["title", "body", "summary"])
def test_admin_refuses_a_control_character_in_a_posts_text(client, author, field):
    client.force_login(author)

    response = client.post("/admin/blog/post/add/", post_form(**{field: "Bad\x08 text"}))

    assert response.status_code == 200
    assert "invisible control character (U+0008)" in response.content.decode()
    assert not Post.objects.exists()


def test_admin_accepts_a_body_with_browser_line_endings_and_tabs(client, author):
    client.force_login(author)

    response = client.post("/admin/blog/post/add/", post_form(body="One\r\n\r\n\tcode\r\nTwo"))

    assert response.status_code == 302
    assert Post.objects.get().body.startswith("One")


def test_admin_refuses_a_control_character_in_a_tag_name(admin_client):
    response = admin_client.post("/admin/blog/tag/add/", {"name": "Bad\x1btag", "slug": "bad-tag"})

    assert response.status_code == 200
    assert "U+001B" in response.content.decode()
    assert not Tag.objects.exists()


@pytest.mark.parametrize("changelist", ["blog/post", "comments/comment", "comments/moderationlog"])
@pytest.mark.parametrize(
    "period",
    [
        {"year": "9999"},
        {"year": "9999", "month": "12"},
        {"year": "9999", "month": "12", "day": "31"},
        {"year": "0"},
        {"year": "2024", "month": "13"},
    ],
    ids=["year", "month", "day", "year-zero", "month-13"],
)
def test_admin_date_drill_down_outside_the_calendar_is_a_bad_filter_not_an_error(
        admin_client, changelist, period):
    field = {"blog/post": "published_at", "comments/comment": "created_at",
             "comments/moderationlog": "decided_at"}[changelist]
    query = "&".join(f"{field}__{part}={value}" for part, value in period.items())

    response = admin_client.get(f"/admin/{changelist}/?{query}")

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_editor_changes_other_authors_posts_and_authors_do_not(client, editor, author, other_author, make_post):
    post = make_post(author=other_author)

    client.force_login(author)
    assert client.get(f"/admin/blog/post/{post.pk}/change/").status_code in (302, 403, 404)
    client.force_login(editor)
    assert client.get(f"/admin/blog/post/{post.pk}/change/").status_code == 200
    assert post.can_be_edited_by(editor) and not post.can_be_edited_by(author)


def test_editors_write_pages_and_authors_do_not(client, editor, author):
    client.force_login(editor)
    assert client.get("/admin/pages/page/add/").status_code == 200
    client.force_login(author)
    assert client.get("/admin/pages/page/add/").status_code == 403
