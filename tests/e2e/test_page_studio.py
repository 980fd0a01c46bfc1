"""An editor's studio for pages: revisions compared and restored, drafts shared by a preview link."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pages.models import Page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_editor(page, site_page):
    page.goto(f"/admin/pages/page/{site_page.pk}/change/")
    expect(page.get_by_role("heading", name="Change page")).to_be_visible()
    # static/js/editor.js marks its image control once it has set up the editor.
    expect(page.locator("input[data-editor-ready]").first).to_be_attached()
    expect(page.locator("[data-autosave-ready]")).to_be_attached()


def save(page):
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")


def test_editor_revises_a_page_then_shares_a_draft_page_and_revokes_the_link(
    new_page, make_staff, log_in, live_server
):
    eda = make_staff("eda", "Editors", first_name="Eda", last_name="Editor")
    about = Page.objects.create(
        title="About", slug="about", body="I write history.\n\nMostly of machines.", author=eda,
        status=Page.Status.PUBLISHED, published_at=timezone.now() - timedelta(days=1),
    )
    editor = new_page()
    log_in(editor, "eda")

    # Two saves of a published page, then their comparison.
    open_editor(editor, about)
    editor.locator("textarea#id_body").fill("I write history.\n\nMostly of looms and engines.")
    save(editor)
    editor.get_by_label("Title").fill("About this blog")
    save(editor)

    editor.get_by_role("link", name="Revisions").click()
    expect(editor.get_by_role("heading", name=re.compile("Revisions of"))).to_be_visible()
    rows = editor.locator(".revision-choice tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Eda Editor")
    expect(rows.first).to_contain_text("Changed Title.")
    diff = editor.locator(".revision-diff")
    expect(diff.locator("ins")).to_have_text(["About this blog"])
    expect(diff.locator("del")).to_have_text(["About"])

    # Restoring the first save brings its title back, keeping the body both saves share.
    editor.get_by_role("button", name="Restore this revision").click()
    expect(editor.locator(".messagelist")).to_contain_text(
        "The revision was restored; the page was saved as a new revision."
    )
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Restored the revision of")

    reader = new_page()
    reader.goto("/about/")
    expect(reader.get_by_role("heading", name="About", exact=True, level=1)).to_be_visible()
    expect(reader.locator(".post-body")).to_contain_text("Mostly of looms and engines.")

    # A draft page shared with a reader who has no account, then the link revoked.
    draft = Page.objects.create(
        title="Colophon", slug="colophon", body="Set in *Garamond*, soon.", author=eda,
    )
    open_editor(editor, draft)
    editor.get_by_role("link", name="Preview links").click()
    editor.get_by_label("Works for (days)").fill("2")
    editor.get_by_role("button", name="Create a preview link").click()
    expect(editor.locator(".messagelist")).to_contain_text("A new preview link works until")
    address = editor.locator("input.preview-link-url").input_value()
    assert re.fullmatch(r"http://[^/]+/preview/shared/[-\w]{43}/", address)

    anonymous = new_page()
    response = anonymous.goto(address)
    assert response.status == 200
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert "no-store" in response.headers["cache-control"]
    expect(anonymous.get_by_role("status")).to_contain_text("Preview — not published.")
    expect(anonymous.get_by_role("heading", name="Colophon", level=1)).to_be_visible()
    expect(anonymous.locator(".post-body em")).to_have_text("Garamond")
    anonymous.watch.expect_console("404")
    assert anonymous.goto("/colophon/").status == 404

    editor.get_by_role("button", name=re.compile("Revoke the link")).click()
    expect(editor.locator(".messagelist")).to_contain_text("it no longer opens the page")

    response = anonymous.goto(address)
    assert response.status == 404
    expect(anonymous.get_by_text("Set in")).to_have_count(0)
