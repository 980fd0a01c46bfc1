"""Uploads and request sizes: nothing but re-encoded images is stored, big bodies are refused early."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from blog.models import Post

UPLOAD = "/markdownx/upload/"
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()]


def png_bytes(size=(8, 8), mode="RGB"):
    output = io.BytesIO()
    Image.new(mode, size).save(output, "PNG")
    return output.getvalue()


def upload(client, name, data, content_type="image/gif"):
    return client.post(UPLOAD, {"image": SimpleUploadedFile(name, data, content_type=content_type)})


@pytest.mark.django_db
def test_html_named_gif_is_refused_and_not_stored(author_client, media):
    response = upload(author_client, "cat.gif", b"GIF89a" + HTML)

    assert response.status_code == 400
    assert response.json() == {"image": ["This file is not a PNG, JPEG, GIF or WebP image."]}
    assert stored_files(media) == []


@pytest.mark.django_db
def test_png_with_html_appended_is_stored_re_encoded_without_the_payload(author_client, media):
    response = upload(author_client, "photo.png", png_bytes() + HTML, "image/png")

    assert response.status_code == 200
    [stored] = stored_files(media)
    data = stored.read_bytes()
    assert b"<script" not in data and b"<html" not in data
    assert stored.suffix == ".png"
    assert response.json()["image_code"] == f"![](/media/{stored.relative_to(media).as_posix()})"
    with Image.open(stored) as image:
        assert image.size == (8, 8)


@pytest.mark.django_db
def test_svg_is_refused_whatever_its_name(author_client, media):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'

    responses = [
        upload(author_client, "logo.svg", svg, "image/svg+xml"),
        upload(author_client, "logo.png", svg, "image/png"),
    ]

    assert [response.status_code for response in responses] == [400, 400]
    assert stored_files(media) == []


@pytest.mark.django_db
def test_decompression_bomb_is_refused_without_decoding(author_client, media):
    # 30,000 × 30,000 one-bit pixels compress to a few kilobytes.
    bomb = png_bytes((30_000, 30_000), mode="1")
    assert len(bomb) < 200_000

    response = upload(author_client, "bomb.png", bomb, "image/png")

    assert response.status_code == 400
    assert "pixels" in response.json()["image"][0]
    assert stored_files(media) == []


@pytest.mark.django_db
def test_an_image_over_the_upload_limit_is_refused(author_client, media, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 50_000
    big = png_bytes() + b"\0" * 60_000

    response = upload(author_client, "big.png", big, "image/png")

    assert response.status_code == 400
    assert "limit is" in response.json()["image"][0]
    assert stored_files(media) == []


@pytest.mark.django_db
def test_a_body_over_the_staff_limit_is_refused_with_413_before_it_is_read(author_client, media, settings):
    settings.REQUEST_BODY_MAX_BYTES_STAFF = 100_000

    response = upload(author_client, "huge.png", png_bytes() + b"\0" * 200_000, "image/png")

    assert response.status_code == 413
    assert stored_files(media) == []


@pytest.mark.django_db
def test_a_public_page_refuses_a_big_body_with_413(client, published_post):
    response = client.post(published_post.get_absolute_url(), {"body": "x" * 300_000})

    assert response.status_code == 413
    assert b"larger than this page accepts" in response.content


@pytest.mark.django_db
def test_a_malformed_content_length_gets_400(client):
    response = client.generic("POST", "/admin/login/", b"a=b", CONTENT_LENGTH="-5")

    assert response.status_code == 400


@pytest.mark.django_db
def test_more_than_a_thousand_fields_get_400(client):
    fields = "&".join(f"f{number}=x" for number in range(1_001))

    response = client.post(
        "/admin/login/", fields, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400


@pytest.mark.django_db
def test_form_data_over_the_memory_limit_gets_400_and_saves_nothing(admin_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000

    response = admin_client.post(
        "/admin/blog/post/add/",
        {"title": "Big", "slug": "big", "body": "x" * 150_000, "status": "draft"},
    )

    assert response.status_code == 400
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_more_than_ten_files_get_400_and_store_nothing(author_client, media):
    files = {f"image{number}": SimpleUploadedFile(f"{number}.png", png_bytes()) for number in range(11)}

    response = author_client.post(UPLOAD, files)

    assert response.status_code == 400
    assert stored_files(media) == []


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<title>&secret;</title><wp:wxr_version>1.2</wp:wxr_version>
<item><title>&secret;</title><wp:post_type>post</wp:post_type><wp:status>publish</wp:status></item>
</channel></rss>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&lol9;</title></channel></rss>"""


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS], ids=["external-entity", "entity-bomb"])
def test_an_import_with_xml_entities_is_refused_and_imports_nothing(admin_client, payload):
    upload = SimpleUploadedFile("export.xml", payload, content_type="text/xml")

    response = admin_client.post(
        "/admin/transfer/importrun/upload/", {"platform": "wordpress", "file": upload}
    )

    assert response.status_code == 400
    assert b"Nothing was imported" in response.content
    assert b"root:" not in response.content
    assert not Post.objects.exists()
