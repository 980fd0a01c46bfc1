"""The admin's import page (superusers upload a file, get a report) and export download."""

import pytest
from defusedxml import ElementTree
from django.core.files.uploadedfile import SimpleUploadedFile

from blog.models import Post
from comments.models import Comment
from tests.transfer.conftest import BLOGGER_ZIP, WORDPRESS_FILE
from tests.transfer.test_bad_files import BILLION_LAUGHS
from transfer.models import ImportRun, SourceRecord

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/transfer/importrun/upload/"
EXPORT_URL = "/admin/transfer/importrun/export/"


def upload(path, name=None, content=None):
    return SimpleUploadedFile(name or path.name, content if content is not None else path.read_bytes())


def test_a_superuser_imports_a_wordpress_file_and_reads_the_report(admin_client, admin_user):
    response = admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Imported" in content and "<th scope=\"row\">pages</th>" in content
    assert "password-protected in WordPress" in content
    assert Post.objects.count() == 58 and Comment.objects.count() == 24
    run = ImportRun.objects.get()
    assert run.imported_by == admin_user and run.platform == "wordpress"
    # Moderation decisions carried over from the export are the importer's.
    assert Comment.objects.filter(status="approved", moderated_by=admin_user).count() == 23


def test_the_platform_is_told_from_the_file(admin_client):
    response = admin_client.post(UPLOAD_URL, {"file": upload(BLOGGER_ZIP)})
    assert response.status_code == 200
    assert SourceRecord.objects.filter(platform="blogger", kind="comment").count() == 3


def test_a_dry_run_from_the_admin_saves_nothing(admin_client):
    response = admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE), "dry_run": "on"})
    assert response.status_code == 200
    assert "Dry run: nothing was saved" in response.content.decode()
    assert not Post.objects.exists() and not ImportRun.objects.exists()


@pytest.mark.parametrize(("content", "message"), [
    (b"this is not xml", "neither a WordPress export"),
    (BILLION_LAUGHS.encode(), "declares a DTD"),
    (WORDPRESS_FILE.read_bytes()[:50_000], "ends too early"),
])
def test_a_bad_upload_explains_itself_and_changes_nothing(admin_client, content, message):
    response = admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE, "blog.xml", content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing was imported." in response.content.decode()
    assert not Post.objects.exists() and not ImportRun.objects.exists()


def test_a_wrong_platform_choice_explains_itself(admin_client):
    response = admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE), "platform": "blogger"})
    assert response.status_code == 400
    assert "Use import_wordpress" in response.content.decode()


def test_a_post_without_a_file_is_a_form_error(admin_client):
    response = admin_client.post(UPLOAD_URL, {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_staff_who_are_not_superusers_may_not_import_or_export(client, make_user):
    staff = make_user("editor", is_staff=True, groups=["Authors"])
    client.force_login(staff)
    assert client.get(UPLOAD_URL).status_code == 403
    assert client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)}).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    assert not Post.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(UPLOAD_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_export_downloads_as_a_wxr_file(admin_client, published_post):
    response = admin_client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="blog-')
    root = ElementTree.fromstring(b"".join(response.streaming_content))
    assert root.find("channel").find("item").findtext("title") == "A published post"


def test_the_import_list_links_to_import_and_export(admin_client):
    content = admin_client.get("/admin/transfer/importrun/").content.decode()
    assert UPLOAD_URL in content and EXPORT_URL in content


def test_the_upload_page_offers_a_dry_run_and_fetching_images(admin_client):
    content = admin_client.get(UPLOAD_URL).content.decode()
    assert 'name="dry_run"' in content and 'name="fetch_media"' in content


def test_fetching_images_from_the_admin_queues_them_with_the_import(admin_client, settings, tmp_path):
    from delivery.models import Delivery
    from pages.models import Page
    from transfer.models import ImportedImage

    response = admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE), "fetch_media": "on"})
    content = response.content.decode()
    assert response.status_code == 200 and "images to fetch" in content
    assert "Imported images" in content
    # The theme unit test's 33 image attachments and the images its posts show on its hosts.
    assert ImportedImage.objects.count() == Delivery.objects.filter(channel="media").count() > 33
    assert Page.objects.count() == 21


def test_imported_images_are_listed_for_superusers(admin_client):
    from transfer.models import ImportedImage

    ImportedImage.objects.create(source_url="https://old.example.com/a.png", source_hash="x" * 64,
                                 status=ImportedImage.Status.FAILED, error="HTTP 404")
    content = admin_client.get("/admin/transfer/importedimage/").content.decode()
    assert "https://old.example.com/a.png" in content and "HTTP 404" in content
