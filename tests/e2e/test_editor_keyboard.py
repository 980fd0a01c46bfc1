"""An author writes, illustrates and publishes a post in the admin editor with the keyboard alone."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from blog.models import Post

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IS_FOCUSED = "el => el === document.activeElement"


def png_file(name="map.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 90, 150)).save(buffer, format="PNG")
    return {"name": name, "mimeType": "image/png", "buffer": buffer.getvalue()}


def press_tab_until(page, target, *, limit=60):
    """Press Tab until `target` has the focus, as a keyboard user would; fail if it never does.

    In a Markdown editor, where Tab indents, the user presses Escape first, as its hint says.
    """
    for _ in range(limit):
        if target.evaluate(IS_FOCUSED):
            return
        if page.evaluate("() => document.activeElement.matches('.markdownx-editor')"):
            page.keyboard.press("Escape")
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} cannot be reached with the Tab key")


def open_the_editor_by_keyboard(page, username):
    page.goto("/admin/login/?next=/admin/blog/post/add/")
    expect(page.get_by_label("Username")).to_be_focused()  # the admin's autofocus
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add post")).to_be_visible()
    # Keys pressed before the editor's scripts have started would reach a plain textarea.
    expect(page.locator("textarea#id_body")).to_have_attribute("data-markdownx-init", "")
    # ... and so would Escape before static/js/editor.js has set up its keys.
    expect(page.locator("#id_body_image")).to_have_attribute("data-editor-ready", "")
    # The admin puts the focus on the first field by itself (autofocus), at a moment of the
    # browser's choosing: once it has, it will not take the focus away mid-typing.
    expect(page.get_by_label("Title")).to_be_focused()


def test_author_illustrates_and_publishes_a_post_with_the_keyboard_alone(page, make_staff):
    make_staff("ada", "Authors", first_name="Ada", last_name="Lovelace")
    open_the_editor_by_keyboard(page, "ada")

    title = page.get_by_label("Title")
    slug = page.get_by_label("Slug")
    editor = page.locator("textarea#id_body")
    image_control = page.get_by_label("Insert an image into the body")
    status = page.locator("#id_body_image_status")

    press_tab_until(page, title)
    page.keyboard.type("Drawn by hand")
    page.keyboard.press("Tab")
    expect(slug).to_be_focused()
    page.keyboard.press("Tab")
    expect(editor).to_be_focused()
    expect(editor).to_have_accessible_description(re.compile("press Escape, then Tab"))
    page.keyboard.type("The camps, as a prisoner drew them:")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")

    # Tab still indents inside the text; Escape then Tab (or Shift+Tab) leaves it.
    page.keyboard.press("Tab")
    expect(editor).to_be_focused()
    expect(editor).to_have_value(re.compile(r"\n\t$"))
    page.keyboard.press("Backspace")
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Tab")
    expect(slug).to_be_focused()
    page.keyboard.press("Tab")
    expect(editor).to_be_focused()
    page.keyboard.press("Control+End")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(image_control).to_be_focused()
    expect(editor).to_have_value("The camps, as a prisoner drew them:\n\n")

    # The operating system's file dialog is outside the page; Playwright stands in for it.
    image_control.set_input_files(png_file())
    # The site's own dialog then asks what the image shows, its text field focused.
    dialog = page.get_by_role("dialog", name="Describe the image")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Text for readers who cannot see the image")).to_be_focused()
    expect(editor).to_have_value("The camps, as a prisoner drew them:\n\n")
    page.keyboard.type("Sketch map of the camps")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(status).to_have_text(re.compile(r"^Inserted map\.png into the text, described as"))
    expect(editor).to_have_value(
        re.compile(r"^The camps, as a prisoner drew them:\n\n!\[Sketch map of the camps\]\(/media/uploads/\S+\.png\)$")
    )
    preview_image = page.locator("#id_body ~ .markdownx-preview").get_by_role("img", name="Sketch map of the camps")
    expect(preview_image).to_be_visible()
    assert preview_image.evaluate("img => img.complete && img.naturalWidth") == 64
    # The focus is back where the author was.
    expect(image_control).to_be_focused()

    # Back in the text, the cursor sits after the image.
    page.keyboard.press("Shift+Tab")
    expect(editor).to_be_focused()
    assert editor.evaluate("e => e.selectionStart === e.value.length")
    page.keyboard.press("Escape")
    press_tab_until(page, page.get_by_label("Status"))
    page.keyboard.type("Published")
    expect(page.get_by_label("Status")).to_have_value(Post.Status.PUBLISHED)
    press_tab_until(page, page.get_by_role("button", name="Save", exact=True))
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    post = Post.objects.get(slug="drawn-by-hand")
    assert post.is_published
    assert re.fullmatch(
        r"The camps, as a prisoner drew them:\n\n!\[Sketch map of the camps\]\(/media/uploads/\S+\.png\)",
        post.body.replace("\r\n", "\n"),
    )


def test_author_hears_why_a_file_was_not_accepted(page, make_staff):
    make_staff("ada", "Authors")
    open_the_editor_by_keyboard(page, "ada")
    page.watch.expect_console(r"status of 400 \(Bad Request\)")
    editor = page.locator("textarea#id_body")
    editor.focus()
    page.keyboard.type("Before the image.")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    image_control = page.get_by_label("Insert an image into the body")
    expect(image_control).to_be_focused()

    image_control.set_input_files(
        {"name": "map.png", "mimeType": "image/png", "buffer": b"<html>not an image</html>"}
    )

    expect(page.locator("#id_body_image_status")).to_have_text(
        "This file is not a PNG, JPEG, GIF or WebP image."
    )
    expect(editor).to_have_value("Before the image.")
