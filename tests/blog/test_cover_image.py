"""A post's cover image: described, checked and re-encoded like every upload, shown and shared."""

import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from blog import revisions
from blog.models import Post

pytestmark = pytest.mark.django_db

SECRET = "SECRET-METADATA-42"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def host(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "blog.example"]
    return "blog.example"


def image_bytes(image_format="PNG", size=(120, 80), **save_options):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 110, 60)).save(buffer, format=image_format, **save_options)
    return buffer.getvalue()


def jpeg_with_a_comment():
    return image_bytes("JPEG", comment=SECRET.encode())


def cover_upload(data=None, name="harbour.png", content_type="image/png"):
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


def post_form(**overrides):
    return {
        "title": "The harbour",
        "slug": "the-harbour",
        "body": "Boats.",
        "summary": "",
        "status": "published",
        "published_at_0": "2024-01-02",
        "published_at_1": "10:00:00",
        "comments_enabled": "on",
        "cover_alt": "",
        **overrides,
    }


def with_cover(post, alt="Fishing boats along a quay", size=(120, 80)):
    post.cover_image.save("cover.png", ContentFile(image_bytes(size=size)), save=False)
    post.cover_alt = alt
    post.save()
    return post


def stored_files(root):
    return sorted(path for path in root.rglob("*") if path.is_file())


# The rule: an image needs a description.


def test_a_cover_image_without_a_description_is_refused(make_post):
    post = make_post()
    post.cover_image.save("cover.png", ContentFile(image_bytes()), save=False)

    for alt in ["", "   \n"]:
        post.cover_alt = alt
        with pytest.raises(ValidationError) as error:
            post.full_clean()
        assert "Describe the cover image" in str(error.value.message_dict["cover_alt"])


def test_a_post_without_a_cover_needs_no_description(make_post):
    make_post().full_clean()


def test_a_description_with_a_control_character_is_refused(make_post):
    post = with_cover(make_post())
    post.cover_alt = "Boats\x1b"
    with pytest.raises(ValidationError) as error:
        post.full_clean()
    assert "cover_alt" in error.value.message_dict


# The admin: the same checks and re-encoding as the editor's uploads.


def test_author_sets_a_cover_in_the_admin_and_it_is_re_encoded(client, author, media):
    client.force_login(author)

    response = client.post(
        "/admin/blog/post/add/",
        post_form(cover_image=cover_upload(jpeg_with_a_comment(), "photo.png", "image/png"),
                  cover_alt="Fishing boats along a quay"),
    )

    assert response.status_code == 302
    post = Post.objects.get()
    # A random name under covers/, with the extension of what the bytes are, whatever
    # the file was called.
    assert re.fullmatch(r"covers/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", post.cover_image.name)
    assert (post.cover_width, post.cover_height, post.cover_alt) == (120, 80, "Fishing boats along a quay")
    [stored] = stored_files(media)
    assert SECRET.encode() not in stored.read_bytes()
    assert Image.open(stored).format == "JPEG"


def test_admin_says_a_cover_needs_a_description_and_stores_nothing(client, author, media):
    client.force_login(author)

    response = client.post("/admin/blog/post/add/", post_form(cover_image=cover_upload()))

    assert response.status_code == 200
    assert "Describe the cover image" in response.content.decode()
    assert not Post.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"<html><script>alert(1)</script></html>", "cover.png", "This file is not a PNG, JPEG, GIF or WebP image."),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "cover.svg", "This file is not a PNG, JPEG, GIF or WebP image."),
        (b"", "cover.png", "The submitted file is empty."),
    ],
)
def test_admin_refuses_a_cover_that_is_not_an_image_with_a_clear_error(client, author, media, data, name, message):
    client.force_login(author)

    response = client.post(
        "/admin/blog/post/add/", post_form(cover_image=cover_upload(data, name), cover_alt="Something")
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Post.objects.exists()
    assert stored_files(media) == []


def test_admin_refuses_a_cover_over_the_pixel_limit(client, author, media, settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 100 * 100
    client.force_login(author)

    response = client.post(
        "/admin/blog/post/add/",
        post_form(cover_image=cover_upload(image_bytes(size=(200, 101))), cover_alt="Too big"),
    )

    assert response.status_code == 200
    assert "The image is 200×101 pixels; the limit is 10,000 pixels in all." in response.content.decode()
    assert stored_files(media) == []


def test_author_removes_a_cover_in_the_admin(client, author, make_post):
    post = with_cover(make_post(author=author, title="The harbour", slug="the-harbour",
                                published_at=timezone.make_aware(timezone.datetime(2024, 1, 2, 10))))
    client.force_login(author)

    response = client.post(
        f"/admin/blog/post/{post.pk}/change/",
        post_form(**{"cover_image-clear": "on", "cover_alt": post.cover_alt}),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    post.refresh_from_db()
    assert not post.cover_image
    assert (post.cover_width, post.cover_height) == (None, None)


def test_a_changed_cover_is_in_the_posts_revisions(client, author, media):
    client.force_login(author)
    client.post("/admin/blog/post/add/", post_form())
    post = Post.objects.get()

    client.post(
        f"/admin/blog/post/{post.pk}/change/",
        post_form(cover_image=cover_upload(), cover_alt="Fishing boats along a quay"),
    )

    newer, older = revisions.history(post)[:2]
    changes = {change["field"]: change for change in revisions.compare(older, newer)}
    assert changes["cover_image"]["old"] == "(none)"
    assert changes["cover_image"]["new"].startswith("covers/")
    assert changes["cover_alt"]["label"] == "cover image description"
    assert changes["cover_alt"]["new"] == "Fishing boats along a quay"


# What readers and sharing services get.


def test_post_page_shows_the_cover_with_its_size_and_description(client, make_post):
    post = with_cover(make_post(), size=(1200, 630))

    page = client.get(post.get_absolute_url()).content.decode()

    [figure] = re.findall(r'<figure class="post-cover">.*?</figure>', page)
    assert f'src="{post.cover_image.url}"' in figure
    assert 'alt="Fishing boats along a quay"' in figure
    assert 'width="1200" height="630"' in figure
    # The cover is the first thing a reader sees of the post: not lazy.
    assert 'loading="lazy"' not in figure


def test_post_page_is_shared_with_its_cover_summary_and_date(client, make_post, host):
    post = with_cover(make_post(title="The harbour", summary="Boats, *moored* & waiting."), size=(1200, 630))

    page = client.get(post.get_absolute_url(), HTTP_HOST="blog.example").content.decode()

    def meta(key):
        [content] = re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
        return content

    assert meta("og:type") == "article"
    assert meta("og:title") == "The harbour"
    assert meta("og:description") == "Boats, moored &amp; waiting."
    assert meta("og:url") == f"http://blog.example{post.get_absolute_url()}"
    assert meta("og:image") == f"http://blog.example{post.cover_image.url}"
    assert (meta("og:image:width"), meta("og:image:height")) == ("1200", "630")
    assert meta("og:image:alt") == "Fishing boats along a quay"
    assert meta("article:published_time") == timezone.localtime(post.published_at).isoformat()
    assert meta("twitter:card") == "summary_large_image"
    assert meta("twitter:image:alt") == "Fishing boats along a quay"


def test_a_cover_on_another_host_is_shared_at_its_own_address(client, make_post, monkeypatch):
    post = with_cover(make_post())
    monkeypatch.setattr(FileSystemStorage, "url", lambda storage, name: f"https://media.example/{name}")

    page = client.get(post.get_absolute_url()).content.decode()

    assert f'<meta property="og:image" content="https://media.example/{post.cover_image.name}">' in page


def test_post_without_a_cover_is_shared_as_a_summary_card(client, published_post):
    page = client.get(published_post.get_absolute_url()).content.decode()

    assert '<meta name="twitter:card" content="summary">' in page
    assert "og:image" not in page
    assert '<figure class="post-cover">' not in page


def test_draft_preview_shows_its_cover_but_no_publication_date(client, author, make_post):
    post = with_cover(make_post(author=author, status=Post.Status.DRAFT))
    client.force_login(author)

    page = client.get(post.get_absolute_url()).content.decode()

    assert '<figure class="post-cover">' in page
    assert "article:published_time" not in page


def test_every_list_of_posts_shows_covers_lazily_with_their_size(client, make_post, author, settings):
    post = with_cover(
        make_post(title="Harbour notes", body="Harbour words.", author=author, tags=["harbours"]),
        size=(640, 360),
    )
    local = timezone.localtime(post.published_at)
    lists = [
        "/",
        f"/{local:%Y}/",
        f"/{local:%Y/%m}/",
        "/tags/harbours/",
        f"/authors/{author.username}/",
        "/search/?q=harbour",
    ]
    for url in lists:
        page = client.get(url).content.decode()
        [image] = re.findall(r'<figure class="post-cover">.*?</figure>', page)
        assert 'alt="Fishing boats along a quay"' in image, url
        assert 'width="640" height="360"' in image, url
        assert 'loading="lazy"' in image, url


def test_home_page_is_shared_as_the_site(client, settings, host):
    page = client.get("/", HTTP_HOST="blog.example").content.decode()

    assert '<meta property="og:type" content="website">' in page
    assert f'<meta property="og:title" content="{settings.SITE_NAME}">' in page
    assert '<meta property="og:url" content="http://blog.example/">' in page
    assert f'<meta property="og:site_name" content="{settings.SITE_NAME}">' in page
    assert '<meta name="twitter:card" content="summary">' in page


def test_a_page_is_shared_with_its_title_and_summary(client, make_page):
    page = make_page(title="About", slug="about", body="Who writes here, and why.")

    html = client.get(page.get_absolute_url()).content.decode()

    assert '<meta property="og:title" content="About">' in html
    assert '<meta property="og:description" content="Who writes here, and why.">' in html
    assert '<meta property="og:url" content="http://testserver/about/">' in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_a_changed_cover_shows_on_cached_pages(client, author, make_post, django_capture_on_commit_callbacks):
    post = make_post(author=author, title="The harbour", slug="the-harbour",
                     published_at=timezone.now() - timedelta(days=1))
    for url in ["/", post.get_absolute_url()]:
        client.get(url)
    local = timezone.localtime(post.published_at)
    editor = type(client)()
    editor.force_login(author)

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            f"/admin/blog/post/{post.pk}/change/",
            post_form(cover_image=cover_upload(), cover_alt="Fishing boats along a quay",
                      published_at_0=local.strftime("%Y-%m-%d"), published_at_1=local.strftime("%H:%M:%S")),
        )

    assert response.status_code == 302, response.content.decode()[:3000]
    for url in ["/", post.get_absolute_url()]:
        assert 'alt="Fishing boats along a quay"' in client.get(url).content.decode(), url


def test_revisions_of_a_cover_whose_file_is_gone_still_open_and_compare(client, author, media):
    client.force_login(author)
    client.post("/admin/blog/post/add/", post_form(cover_image=cover_upload(), cover_alt="Boats"))
    post = Post.objects.get()
    client.post(f"/admin/blog/post/{post.pk}/change/", post_form(**{"cover_image-clear": "on", "cover_alt": ""}))
    # Files outlive their posts' revisions only as long as storage keeps them.
    for path in stored_files(media):
        path.unlink()
    newer, older = revisions.history(post)[:2]

    response = client.get(f"/admin/blog/post/{post.pk}/revisions/", {"from": older.pk, "to": newer.pk})

    assert response.status_code == 200
    assert "Cover image" in response.content.decode()
