"""A superuser imports the seed's Blogger export in the admin: the upload is queued, the run's
page waits for the worker and says how to start one, then shows the report once it ran."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.transfer.conftest import BLOGGER_CLASSIC
from transfer import runs
from transfer.models import ImportRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_superuser_uploads_a_blogger_export_and_reads_the_report_once_it_ran(
    new_page, django_user_model, log_in, settings, tmp_path
):
    settings.TRANSFER_UPLOAD_ROOT = tmp_path / "imports"
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    admin = new_page()
    log_in(admin, "root", next_url="/admin/transfer/importrun/")
    admin.get_by_role("link", name="Import a blog").click()
    admin.get_by_label("File").set_input_files(BLOGGER_CLASSIC)
    admin.get_by_role("button", name="Import").click()

    expect(admin.get_by_role("heading", name="Waiting for the worker")).to_be_visible()
    expect(admin.get_by_role("status")).to_have_text("4 items to import. The import starts when the task worker takes it.")
    expect(admin.locator(".errornote")).to_contain_text("No worker is running")
    expect(admin.locator(".errornote")).to_contain_text("manage.py worker")

    # The worker takes the task; the page reloads itself (no script) and shows the report.
    assert runs.perform(ImportRun.objects.get().pk) == "done"
    expect(admin.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    expect(admin.get_by_role("row", name=re.compile(r"^comments 3 0 0 0 0$"))).to_be_visible()
    expect(admin.get_by_role("heading", name="Not imported")).to_be_visible()
    expect(admin.get_by_role("listitem").filter(has_text="3 blog settings and template entries")).to_be_visible()

    # The list of imports shows the run, done.
    admin.get_by_role("link", name="Imports").last.click()
    expect(admin.get_by_role("row", name=re.compile("blogger-classic-seed.xml"))).to_contain_text("Done")
    expect(admin.get_by_role("row", name=re.compile("blogger-classic-seed.xml"))).to_contain_text("4 of 4")
