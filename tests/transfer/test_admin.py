"""The admin's import page (superusers upload a file, the worker imports it, the run's page
shows its progress and report) and export download."""

import pytest
from defusedxml import ElementTree
from django.core.files.uploadedfile import SimpleUploadedFile

from blog.models import Post
from comments.models import Comment
from tests.transfer.conftest import BLOGGER_ZIP, WORDPRESS_FILE
from tests.transfer.test_bad_files import BILLION_LAUGHS
from transfer import runs
from transfer.models import ImportRun, SourceRecord

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/transfer/importrun/upload/"
EXPORT_URL = "/admin/transfer/importrun/export/"


def run_url(run):
    return f"/admin/transfer/importrun/{run.pk}/change/"


def upload(path, name=None, content=None):
    return SimpleUploadedFile(name or path.name, content if content is not None else path.read_bytes())


def queued_import():
    """The ImportRun the upload page queued, after checking that its task is in the queue."""
    from django_tasks_db.models import DBTaskResult

    run = ImportRun.objects.get()
    task = DBTaskResult.objects.get()
    assert task.task_path == "transfer.tasks.run_import" and task.args_kwargs["args"] == [run.pk]
    return run


def test_an_upload_is_queued_for_the_worker_and_the_page_shows_it_waiting(admin_client, admin_user):
    response = admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    run = queued_import()
    assert response.status_code == 302 and response["Location"] == run_url(run)
    assert run.status == "waiting" and run.imported_by == admin_user and run.platform == "wordpress"
    assert run.total == 58 + 21 + 24 + 4 and run.processed == 0
    assert not Post.objects.exists()
    content = admin_client.get(run_url(run)).content.decode()
    assert "Waiting for the worker" in content and "107 items to import" in content
    assert '<meta http-equiv="refresh"' in content


def test_the_run_page_says_how_to_start_a_worker_when_none_is_running(admin_client):
    from delivery.models import Worker

    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    run = queued_import()
    assert "No worker is running" in admin_client.get(run_url(run)).content.decode()
    Worker.objects.create(worker_id="w1", hostname="here", pid=1)
    content = admin_client.get(run_url(run)).content.decode()
    assert "Waiting for the worker" in content and "No worker is running" not in content


def test_the_queued_import_gives_the_same_result_and_report_as_the_command(
    admin_client, admin_user, run_command
):
    expected = run_command("import_wordpress", WORDPRESS_FILE, dry_run=True)
    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    run = queued_import()
    assert runs.perform(run.pk) == "done"
    run.refresh_from_db()
    assert run.status == "done" and run.processed == run.total == 107 and run.finished_at
    assert Post.objects.count() == 58 and Comment.objects.count() == 24
    # Moderation decisions carried over from the export are the importer's.
    assert Comment.objects.filter(status="approved", moderated_by=admin_user).count() == 23
    content = admin_client.get(run_url(run)).content.decode()
    assert "Imported" in content and '<th scope="row">pages</th>' in content
    assert "password-protected in WordPress" in content and "http-equiv" not in content
    # Every kind of thing skipped is listed with its number, as the command prints it.
    assert "<li>70 menu items</li>" in content
    assert "<li>5 comments on pages (pages here have no comments)</li>" in content
    # The same numbers, skips and warnings as the command's own report of the file.
    assert run.report.splitlines()[0] == "WordPress import of wordpress-theme-unit-test.xml."
    assert run.report.splitlines()[1:] == expected.splitlines()[1:]
    # The stored upload is deleted once the import has run.
    assert not list(runs.upload_root().iterdir())


def test_a_queued_dry_run_reports_exactly_what_the_commands_dry_run_does(admin_client, run_command):
    expected = run_command("import_wordpress", WORDPRESS_FILE, dry_run=True)
    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE), "dry_run": "on"})
    run = queued_import()
    runs.perform(run.pk)
    run.refresh_from_db()
    assert run.report == expected


def test_the_platform_is_told_from_the_file(admin_client):
    response = admin_client.post(UPLOAD_URL, {"file": upload(BLOGGER_ZIP)})
    assert response.status_code == 302
    run = queued_import()
    assert run.platform == "blogger"
    runs.perform(run.pk)
    assert SourceRecord.objects.filter(platform="blogger", kind="comment").count() == 3


def test_a_dry_run_from_the_admin_saves_nothing_but_its_report(admin_client):
    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE), "dry_run": "on"})
    run = queued_import()
    assert run.dry_run
    assert runs.perform(run.pk) == "done"
    assert not Post.objects.exists() and not SourceRecord.objects.exists()
    run.refresh_from_db()
    assert run.status == "done" and run.processed == 107
    assert "Dry run: nothing was saved" in admin_client.get(run_url(run)).content.decode()


def test_progress_is_visible_to_other_processes_while_the_import_runs(admin_client, monkeypatch):
    from transfer.importing import _Importer

    monkeypatch.setattr(runs, "PROGRESS_EVERY_SECONDS", 0)
    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    run = queued_import()
    seen = []
    import_comment = _Importer.import_comment

    def watch(importer, source):
        # What another process reads: the row (committed before the import's transaction)
        # and the progress file, while the import's transaction is still open.
        if not seen:
            page = admin_client.get(run_url(run)).content.decode()
            seen.append((runs.progress(ImportRun.objects.get(pk=run.pk)), page))
        return import_comment(importer, source)

    monkeypatch.setattr(_Importer, "import_comment", watch)
    runs.perform(run.pk)
    (processed, total), page = seen[0]
    # Posts and pages come before comments.
    assert (processed, total) == (58 + 21, 107)
    assert "79 of 107 items" in page and "Importing" in page and '<meta http-equiv="refresh"' in page


def test_a_failing_import_marks_the_run_failed_and_changes_nothing(admin_client, monkeypatch, snapshot):
    from django.db import DatabaseError

    from transfer.importing import _Importer

    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE), "fetch_media": "on"})
    run = queued_import()
    before = snapshot()

    def refuse(importer, source):
        raise DatabaseError("value too long for type character varying(10)")

    monkeypatch.setattr(_Importer, "import_comment", refuse)
    assert runs.perform(run.pk) == "failed"
    assert snapshot() == before
    from delivery.models import Delivery
    from transfer.models import ImportedImage

    assert not Delivery.objects.exists() and not ImportedImage.objects.exists()
    run.refresh_from_db()
    assert run.status == "failed" and "value too long" in run.error and "nothing was saved" in run.error
    content = admin_client.get(run_url(run)).content.decode()
    assert "Failed: nothing was imported" in content and "value too long" in content
    assert not list(runs.upload_root().iterdir())


def test_an_upload_gone_from_the_disk_fails_the_run_with_the_reason(admin_client):
    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    run = queued_import()
    (runs.upload_root() / run.upload).unlink()
    assert runs.perform(run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and "upload it again" in run.error
    assert not Post.objects.exists()


def test_a_run_is_imported_once_even_if_its_task_runs_twice(admin_client):
    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    run = queued_import()
    assert runs.perform(run.pk) == "done"
    assert runs.perform(run.pk) == "nothing to do"


def test_a_run_whose_worker_stopped_is_shown_failed(admin_client):
    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    run = queued_import()
    ImportRun.objects.filter(pk=run.pk).update(status="running", worker_id="gone-1")
    content = admin_client.get(run_url(run)).content.decode()
    assert "Failed: nothing was imported" in content and "The worker stopped" in content
    assert not list(runs.upload_root().iterdir())


def test_the_list_of_imports_shows_each_run_with_its_state(admin_client):
    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    content = admin_client.get("/admin/transfer/importrun/").content.decode()
    assert "wordpress-theme-unit-test.xml" in content and "Waiting for the worker" in content
    assert "0 of 107" in content


@pytest.mark.parametrize(("content", "message"), [
    (b"this is not xml", "neither a WordPress export"),
    (BILLION_LAUGHS.encode(), "declares a DTD"),
    (WORDPRESS_FILE.read_bytes()[:50_000], "ends too early"),
])
def test_a_bad_upload_explains_itself_and_changes_nothing(admin_client, content, message, import_uploads):
    from django_tasks_db.models import DBTaskResult

    response = admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE, "blog.xml", content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing was imported." in response.content.decode()
    assert not Post.objects.exists() and not ImportRun.objects.exists()
    assert not DBTaskResult.objects.exists() and not list(import_uploads.glob("*"))


def test_a_wrong_platform_choice_explains_itself(admin_client):
    response = admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE), "platform": "blogger"})
    assert response.status_code == 400
    assert "Use import_wordpress" in response.content.decode()


def test_a_post_without_a_file_is_a_form_error(admin_client):
    response = admin_client.post(UPLOAD_URL, {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


@pytest.mark.parametrize("groups", [["Authors"], ["Editors"]])
def test_staff_who_are_not_superusers_may_not_import_export_or_see_imports(client, make_user, admin_user,
                                                                           groups):
    run = ImportRun.objects.create(platform="wordpress", file_name="blog.xml", imported_by=admin_user,
                                   report="WordPress import of blog.xml.")
    staff = make_user("editor", is_staff=True, groups=groups)
    client.force_login(staff)
    assert client.get(UPLOAD_URL).status_code == 403
    assert client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)}).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    assert client.get(run_url(run)).status_code == 403
    assert client.get("/admin/transfer/importrun/").status_code == 403
    assert not Post.objects.exists() and ImportRun.objects.count() == 1


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

    admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE), "fetch_media": "on"})
    run = queued_import()
    assert run.fetch_media
    runs.perform(run.pk)
    content = admin_client.get(run_url(run)).content.decode()
    assert "images to fetch" in content
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


def test_an_upload_folder_that_cannot_be_written_is_a_clear_error(admin_client, settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    (tmp_path / "a-file").write_text("not a folder")
    settings.TRANSFER_UPLOAD_ROOT = tmp_path / "a-file" / "imports"
    response = admin_client.post(UPLOAD_URL, {"file": upload(WORDPRESS_FILE)})
    assert response.status_code == 503
    assert "could not be kept for the import" in response.content.decode()
    assert not ImportRun.objects.exists() and not DBTaskResult.objects.exists()


def test_the_list_of_imports_costs_the_same_queries_for_many_runs(admin_client, admin_user,
                                                                   django_assert_num_queries):
    def add_runs(number):
        ImportRun.objects.bulk_create(
            ImportRun(platform="wordpress", file_name=f"blog-{n}.xml", imported_by=admin_user, report="…")
            for n in range(number)
        )

    add_runs(1)
    admin_client.get("/admin/transfer/importrun/")  # the session and site settings, once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        admin_client.get("/admin/transfer/importrun/")
    add_runs(20)
    with django_assert_num_queries(len(one.captured_queries)):
        content = admin_client.get("/admin/transfer/importrun/").content.decode()
    assert "blog-19.xml" in content


def test_a_run_ends_with_all_its_items_counted_when_some_were_repeats(admin_import):
    from tests.transfer.conftest import DATA

    content = admin_import("repeated.xml", (DATA / "wordpress-repeated-ids.xml").read_bytes()).content.decode()
    run = ImportRun.objects.get()
    assert run.status == "done" and run.processed == run.total
    assert "whose id is an earlier comment" in content


@pytest.mark.parametrize("run_id", ["%3A", "abc", "99999999999999999999", "12"])
def test_a_run_page_that_names_no_run_is_a_404(admin_client, run_id):
    # An id that is not a number made the run page raise ValueError: a 500.
    assert admin_client.get(f"/admin/transfer/importrun/{run_id}/change/").status_code == 404
