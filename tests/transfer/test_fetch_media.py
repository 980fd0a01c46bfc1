"""`--fetch-media`: the old blog's images are queued with the import, fetched by the worker
through the editor's image checks, and the posts and pages then show the copies."""

import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image
from reversion.models import Version

from blog.models import Post
from delivery.models import Delivery
from pages.models import Page
from tests.httpserver import LocalServer, Route, png_bytes
from tests.transfer.conftest import wxr, wxr_item
from tests.transfer.test_export import blog_content, empty_the_site, page_content
from transfer.models import ImportedImage, SourceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_blog(settings, tmp_path):
    """The old blog's server on 127.0.0.1, reachable because this test allows loopback."""
    settings.FETCH_ALLOW_LOOPBACK = True
    settings.FETCH_TIMEOUT_SECONDS = 2
    settings.MEDIA_ROOT = tmp_path / "media"
    server = LocalServer().start()
    server.routes["/wp-content/uploads/photo.png"] = Route(body=png_bytes((6, 4), "blue"))
    server.routes["/wp-content/uploads/other.png"] = Route(body=png_bytes((2, 2), "green"))
    yield server
    server.stop()


def export_of(server, *items, attachments=""):
    return wxr(*items, head_extra=attachments).replace("https://old.example.com", server.base)


def post_with_images(server, post_id=1, title="Holiday", extra_body=""):
    body = (f'<p><a href="{server.url("/wp-content/uploads/photo.png")}"><img src="{server.url("/wp-content/uploads/photo.png")}" '
            f'alt="A photo"></a></p><p><img src="https://elsewhere.example.org/hotlinked.png" alt="Theirs"></p>'
            + extra_body)
    return wxr_item(post_id, title, body=body)


def attachment(server, post_id, path):
    return (f"<item><title>att</title><wp:post_id>{post_id}</wp:post_id><wp:post_type>attachment</wp:post_type>"
            f"<wp:status>inherit</wp:status><wp:attachment_url>{server.url(path)}</wp:attachment_url></item>\n")


def test_images_on_the_old_host_are_fetched_and_the_post_shows_the_copy(
        old_blog, run_command, write_file, send_queued, client):
    output = run_command("import_wordpress", write_file(export_of(old_blog, post_with_images(old_blog))), "--fetch-media")
    assert re.search(r"images to fetch\s+1\s+0\s+0", output)
    assert "Images are fetched by the worker" in output
    # The import itself fetched nothing: the queue holds the work.
    assert old_blog.hits == []
    assert send_queued() == ["sent"]
    image = ImportedImage.objects.get()
    assert image.status == ImportedImage.Status.FETCHED and image.url.startswith("/media/imported/")
    post = Post.objects.get()
    assert post.body.count(image.url) == 2 and "/wp-content/uploads/photo.png" not in post.body
    assert "https://elsewhere.example.org/hotlinked.png" in post.body  # another site's image stays
    with default_storage.open(image.file) as stored:
        assert Image.open(stored).size == (6, 4)
    assert image.url in client.get(post.get_absolute_url()).content.decode()
    assert Version.objects.get_for_object(post).first().revision.comment == "Images copied here from the old blog."


def test_the_import_queues_inside_its_transaction_so_a_dry_run_queues_nothing(old_blog, run_command, write_file):
    output = run_command("import_wordpress", write_file(export_of(old_blog, post_with_images(old_blog))),
                         "--fetch-media", "--dry-run")
    assert re.search(r"images to fetch\s+1", output)
    assert not Delivery.objects.exists() and not ImportedImage.objects.exists()


def test_importing_again_fetches_nothing_twice_and_reports_nothing_changed(
        old_blog, run_command, write_file, send_queued):
    export = write_file(export_of(old_blog, post_with_images(old_blog)))
    run_command("import_wordpress", export, "--fetch-media")
    send_queued()
    again = run_command("import_wordpress", export, "--fetch-media")
    # The rewrite was the import's own: not taken for an edit made here.
    assert re.search(r"posts\s+0\s+0\s+1\s+0\s+0", again)
    assert "images to fetch" not in again
    assert Delivery.objects.count() == 1 and old_blog.hits == ["/wp-content/uploads/photo.png"]


def test_a_later_export_is_imported_with_the_copies_at_once(old_blog, run_command, write_file, send_queued):
    run_command("import_wordpress", write_file(export_of(old_blog, post_with_images(old_blog))), "--fetch-media")
    send_queued()
    changed = export_of(old_blog, post_with_images(old_blog, extra_body="<p>A new line.</p>"))
    output = run_command("import_wordpress", write_file(changed))
    assert re.search(r"posts\s+0\s+1\s+0\s+0\s+0", output)
    post = Post.objects.get()
    assert "A new line." in post.body and ImportedImage.objects.get().url in post.body
    assert "/wp-content/uploads/photo.png" not in post.body


def test_wordpress_attachments_are_fetched_even_when_no_post_shows_them(old_blog, run_command, write_file,
                                                                        send_queued):
    export = export_of(old_blog, wxr_item(1, "Words only"),
                       attachments=attachment(old_blog, 50, "/wp-content/uploads/other.png")
                       + attachment(old_blog, 51, "/wp-content/uploads/manual.pdf"))
    output = run_command("import_wordpress", write_file(export), "--fetch-media")
    assert "1 attachments that are not images" in output
    assert send_queued() == ["sent"]
    assert ImportedImage.objects.get().source_url == old_blog.url("/wp-content/uploads/other.png")


def test_images_of_pages_are_fetched_too(old_blog, run_command, write_file, send_queued):
    page = wxr_item(9, "About", post_type="page", body=f'<p><img src="{old_blog.url("/wp-content/uploads/photo.png")}" alt=""></p>')
    run_command("import_wordpress", write_file(export_of(old_blog, page)), "--fetch-media")
    send_queued()
    assert ImportedImage.objects.get().url in Page.objects.get().body
    assert SourceRecord.objects.get(kind="page").local_hash  # still the import's own state
    again = run_command("import_wordpress", write_file(export_of(old_blog, page)))
    assert re.search(r"pages\s+0\s+0\s+1\s+0\s+0", again)


def test_without_fetch_media_the_report_says_which_images_stay_on_the_old_servers(
        old_blog, run_command, write_file):
    output = run_command("import_wordpress", write_file(export_of(old_blog, post_with_images(old_blog))))
    assert "1 images the posts show from the old blog's servers (left there; --fetch-media brings them here)" in output
    assert not Delivery.objects.exists()


def test_a_host_that_is_down_delays_the_image_and_never_loses_it(old_blog, run_command, write_file, send_queued):
    old_blog.routes["/wp-content/uploads/photo.png"] = Route(503, b"down for maintenance", "text/plain")
    run_command("import_wordpress", write_file(export_of(old_blog, post_with_images(old_blog))), "--fetch-media")
    assert send_queued() == ["retrying"]
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.WAITING and delivery.next_attempt_at > timezone.now()
    assert ImportedImage.objects.get().status == ImportedImage.Status.WAITING
    assert "503" in ImportedImage.objects.get().error
    # The host is back, and the retry's time has come.
    old_blog.routes["/wp-content/uploads/photo.png"] = Route(body=png_bytes())
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert send_queued() == ["sent"]
    assert ImportedImage.objects.get().url in Post.objects.get().body


@pytest.mark.parametrize("route, reason", [
    (Route(body=b"<html>not an image</html>", content_type="text/html"), "text/html"),
    (Route(body=b"\x89PNG\r\n\x1a\n" + b"broken" * 10), "not a PNG, JPEG, GIF or WebP image"),
    (Route(302, headers={"Location": "http://10.1.2.3/photo.png"}), "private address"),
    (Route(body=png_bytes() + b"\0" * 4096), "limit"),
])
def test_an_image_that_is_refused_fails_at_once_and_the_post_keeps_its_link(
        old_blog, run_command, write_file, send_queued, settings, route, reason):
    settings.IMAGE_UPLOAD_MAX_BYTES = 2048
    old_blog.routes["/wp-content/uploads/photo.png"] = route
    run_command("import_wordpress", write_file(export_of(old_blog, post_with_images(old_blog))), "--fetch-media")
    assert send_queued() == ["failed"]
    image = ImportedImage.objects.get()
    assert image.status == ImportedImage.Status.FAILED and reason in image.error
    assert reason in Delivery.objects.get().last_error
    assert old_blog.url("/wp-content/uploads/photo.png") in Post.objects.get().body


def test_importing_again_tries_a_failed_image_again(old_blog, run_command, write_file, send_queued):
    old_blog.routes["/wp-content/uploads/photo.png"] = Route(404, b"no", "text/plain")
    export = write_file(export_of(old_blog, post_with_images(old_blog)))
    run_command("import_wordpress", export, "--fetch-media")
    assert send_queued() == ["failed"]
    old_blog.routes["/wp-content/uploads/photo.png"] = Route(body=png_bytes())
    output = run_command("import_wordpress", export, "--fetch-media")
    assert re.search(r"images to fetch\s+0\s+1", output)
    assert send_queued() == ["sent"]
    assert ImportedImage.objects.get().status == ImportedImage.Status.FETCHED


def test_by_default_an_old_blog_on_a_loopback_address_is_not_fetched(old_blog, run_command, write_file,
                                                                      send_queued, settings):
    settings.FETCH_ALLOW_LOOPBACK = False
    run_command("import_wordpress", write_file(export_of(old_blog, post_with_images(old_blog))), "--fetch-media")
    assert send_queued() == ["failed"]
    assert "loopback" in ImportedImage.objects.get().error
    assert old_blog.hits == []


def test_blogger_images_are_fetched_too(old_blog, run_command, write_file, send_queued, settings):
    from tests.transfer.test_blogger_import import takeout, takeout_post

    entry = takeout_post(1, "Snow").replace(
        "&lt;p&gt;Text of Snow.&lt;/p&gt;",
        f"&lt;img src=&quot;{old_blog.url('/img/b/snow.png')}&quot;&gt;")
    feed = takeout(entry).replace("<title>Test blog</title>",
                                  f"<title>Test blog</title><link rel='alternate' href='{old_blog.base}/'/>")
    old_blog.routes["/img/b/snow.png"] = Route(body=png_bytes())
    run_command("import_blogger", write_file(feed, "feed.atom"), "--fetch-media")
    assert send_queued() == ["sent"]
    assert ImportedImage.objects.get().url in Post.objects.get().body


def test_a_round_trip_keeps_the_copies(old_blog, run_command, write_file, send_queued):
    run_command("import_wordpress", write_file(export_of(old_blog, post_with_images(old_blog))), "--fetch-media")
    send_queued()
    before, pages_before = blog_content(), page_content()
    export = write_file(run_command("export_wordpress"), "ours.xml")
    empty_the_site()
    run_command("import_wordpress", export)
    assert blog_content() == before and page_content() == pages_before
    assert ImportedImage.objects.get().url in Post.objects.get().body


def test_the_export_names_the_copies_with_the_site_address_for_a_wordpress_elsewhere(
        old_blog, run_command, write_file, send_queued, settings):
    run_command("import_wordpress", write_file(export_of(old_blog, post_with_images(old_blog))), "--fetch-media")
    send_queued()
    export = run_command("export_wordpress")
    assert f'src="{settings.SITE_URL}{ImportedImage.objects.get().url}"' in export
