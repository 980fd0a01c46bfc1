"""An author's studio: revisions compared and restored, drafts shared by a preview link."""

import os
import re
import signal
import subprocess
import time

import pytest
from playwright.sync_api import expect

from blog.models import Autosave, Post
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_editor(page, post):
    page.goto(f"/admin/blog/post/{post.pk}/change/")
    expect(page.get_by_role("heading", name="Change post")).to_be_visible()
    # static/js/editor.js marks its image control once it has set up the editor.
    expect(page.locator("input[data-editor-ready]").first).to_be_attached()


def save(page):
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")


def test_author_edits_a_published_post_twice_compares_and_restores(page, make_staff, log_in, publish):
    ada = make_staff("ada", "Authors", first_name="Ada", last_name="Lovelace")
    post = publish("The engine", "It computes.\n\nIt weaves patterns.")
    Post.objects.filter(pk=post.pk).update(author=ada)
    log_in(page, "ada")

    open_editor(page, post)
    page.locator("textarea#id_body").fill("It computes Bernoulli numbers.\n\nIt weaves patterns.")
    save(page)
    page.get_by_label("Title").fill("The analytical engine")
    save(page)

    page.get_by_role("link", name="Revisions").click()
    expect(page.get_by_role("heading", name=re.compile("Revisions of"))).to_be_visible()
    rows = page.locator(".revision-choice tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Ada Lovelace")
    expect(rows.first).to_contain_text("Changed Title.")
    # Compare the first save with the second: the body line changed, the title did not.
    diff = page.locator(".revision-diff")
    expect(diff.locator("ins")).to_contain_text(["The analytical engine"])
    page.get_by_role("radio", name=re.compile("Compare from")).last.check()
    page.get_by_role("radio", name=re.compile("Compare to")).last.check()
    page.get_by_role("button", name="Compare").click()
    expect(diff).to_contain_text("These two revisions hold the same text.")

    page.get_by_role("button", name="Restore this revision").click()
    expect(page.locator(".messagelist")).to_contain_text("The revision was restored")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Restored the revision of")

    page.goto(post.get_absolute_url())
    expect(page.get_by_role("heading", name="The engine", level=1)).to_be_visible()
    expect(page.locator(".post-body")).to_contain_text("It computes Bernoulli numbers.")


def test_author_shares_a_draft_with_an_anonymous_reader_then_revokes_the_link(new_page, make_staff, log_in):
    ada = make_staff("ada", "Authors", first_name="Ada", last_name="Lovelace")
    draft = Post.objects.create(
        title="Notes on the engine", slug="notes", body="Not for everyone *yet*.", author=ada
    )
    author_page = new_page()
    log_in(author_page, "ada")
    open_editor(author_page, draft)

    author_page.get_by_role("link", name="Preview links").click()
    author_page.get_by_label("Works for (days)").fill("3")
    author_page.get_by_role("button", name="Create a preview link").click()
    expect(author_page.locator(".messagelist")).to_contain_text("A new preview link works until")
    address = author_page.locator("input.preview-link-url").input_value()
    assert re.fullmatch(r"http://[^/]+/preview/shared/[-\w]{43}/", address)

    reader = new_page()
    response = reader.goto(address)
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert "no-store" in response.headers["cache-control"]
    expect(reader.get_by_role("status")).to_contain_text("Preview — not published.")
    expect(reader.get_by_role("heading", name="Notes on the engine", level=1)).to_be_visible()
    expect(reader.locator(".post-body em")).to_have_text("yet")

    author_page.get_by_role("button", name=re.compile("Revoke the link")).click()
    expect(author_page.locator(".messagelist")).to_contain_text("revoked")

    reader.watch.expect_console("404")
    response = reader.goto(address)
    assert response.status == 404
    expect(reader.get_by_text("Not for everyone")).to_have_count(0)


def start_chromium_to_kill(profile):
    """A Chromium of its own, in its own process group, which the test can kill outright."""
    process = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_ARGS, "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Chromium writes the port it chose into the profile once it listens.
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not (port_file.exists() and port_file.read_text().strip()):
        if time.monotonic() > deadline or process.poll() is not None:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("Chromium did not open its DevTools port.")
        time.sleep(0.05)
    return process, int(port_file.read_text().split()[0])


def test_author_types_the_browser_dies_and_every_word_comes_back(
    browser, new_page, live_server, make_staff, log_in, publish, tmp_path
):
    ada = make_staff("ada", "Authors", first_name="Ada", last_name="Lovelace")
    post = publish("The engine", "It computes.")
    Post.objects.filter(pk=post.pk).update(author=ada)
    new_page()  # applies the browser tests' settings to the live server
    process, port = start_chromium_to_kill(tmp_path / "profile")
    try:
        doomed = browser.browser_type.connect_over_cdp(f"http://127.0.0.1:{port}")
        context = doomed.new_context(
            base_url=live_server.url, viewport=DESKTOP,
            extra_http_headers={"X-Forwarded-For": "198.51.100.250"},
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        log_in(page, "ada")
        open_editor(page, post)
        expect(page.locator("[data-autosave-ready]")).to_be_attached()

        editor = page.locator("textarea#id_body")
        editor.click()
        page.keyboard.press("Control+End")
        page.keyboard.type("\n\nIt weaves algebraic patterns just as the Jacquard loom")
        status = page.locator(".autosave-status")
        expect(status).to_have_attribute("data-autosaved", "")
        page.keyboard.type(" weaves flowers and lea")
        expect(status).to_have_attribute("data-autosaved", "")
        expect(status).to_contain_text("Your unsaved work was kept at")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    typed = "It computes.\n\nIt weaves algebraic patterns just as the Jacquard loom weaves flowers and lea"
    post.refresh_from_db()
    assert post.body == "It computes."  # readers still see the saved post
    # Forms send line breaks as CRLF, as the change form's own saves do.
    assert Autosave.objects.get(post=post).body.replace("\r\n", "\n") == typed

    page = new_page()
    log_in(page, "ada")
    open_editor(page, post)
    offer = page.get_by_role("alert")
    expect(offer).to_contain_text("You have unsaved work on this post")
    page.get_by_role("button", name="Restore my unsaved work").click()
    expect(page.locator("textarea#id_body")).to_have_value(typed)
    expect(page.locator("#id_body ~ .markdownx-preview")).to_contain_text("Jacquard loom weaves flowers and lea")
    save(page)

    post.refresh_from_db()
    assert post.body.replace("\r\n", "\n") == typed
    assert not Autosave.objects.exists()


def test_leaving_with_unsaved_changes_asks_first(page, make_staff, log_in, publish):
    ada = make_staff("ada", "Authors")
    post = publish("The engine", "It computes.")
    Post.objects.filter(pk=post.pk).update(author=ada)
    log_in(page, "ada")
    open_editor(page, post)
    expect(page.locator("[data-autosave-ready]")).to_be_attached()
    page.locator("textarea#id_body").fill("It computes, and more.")
    # Kept by the autosave first, so closing the page at the end sends nothing more.
    expect(page.locator(".autosave-status")).to_have_attribute("data-autosaved", "")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))

    page.locator(".breadcrumbs").get_by_role("link", name="Home").click()

    expect(page.get_by_role("heading", name="Change post")).to_be_visible()
    assert dialogs == ["beforeunload"]  # dismissed: the browser stays on the editor
    assert page.url.endswith(f"/admin/blog/post/{post.pk}/change/")
