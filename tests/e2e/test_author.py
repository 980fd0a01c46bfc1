"""An author writes, previews, illustrates and publishes a post in the admin editor."""

import base64
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from blog.models import Post

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BODY = """The camps were spread across the islands.

## Camps by island

| Island | Camps |
| --- | --- |
| Honshu | 12 |
| Kyushu | 4 |
"""

# Fires the same drop event a person's drag and drop would, carrying a real PNG file.
DROP_FILE = """([selector, name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "image/png"}));
  document.querySelector(selector).dispatchEvent(
    new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true})
  );
}"""


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (150, 60, 20)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_author_writes_previews_illustrates_and_publishes_a_post(page, make_staff, log_in):
    make_staff("ada", "Authors", first_name="Ada", last_name="Lovelace")
    log_in(page, "ada", next_url="/admin/blog/post/add/")
    expect(page.get_by_role("heading", name="Add post")).to_be_visible()

    page.get_by_label("Title").press_sequentially("Where the camps were")
    expect(page.get_by_label("Slug")).to_have_value("where-the-camps-were")

    editor = page.locator("textarea#id_body")
    editor.fill(BODY)
    preview = page.locator("#id_body ~ .markdownx-preview")
    expect(preview.get_by_role("heading", name="Camps by island", level=2)).to_be_visible()
    expect(preview.get_by_role("table")).to_be_visible()
    expect(preview.get_by_role("cell", name="Kyushu")).to_be_visible()

    # The image goes first, so the home page summary (the first paragraph) shows it too.
    editor.focus()
    page.keyboard.press("Control+Home")
    page.evaluate(DROP_FILE, ["#id_body", "map.png", base64.b64encode(png_bytes()).decode()])
    # The image goes in once the author has said what it shows.
    expect(page.get_by_role("dialog", name="Describe the image")).to_be_visible()
    page.keyboard.type("Sketch map of the camps")
    page.keyboard.press("Enter")
    expect(editor).to_have_value(re.compile(r"^!\[Sketch map of the camps\]\(/media/uploads/\S+\.png\)"))
    expect(preview.get_by_role("img", name="Sketch map of the camps")).to_be_visible()

    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    post = Post.objects.get(slug="where-the-camps-were")
    assert post.is_published and post.author.username == "ada"

    page.goto("/")
    summary = page.locator("article.post-summary", has_text="Where the camps were")
    image = summary.get_by_role("img", name="Sketch map of the camps")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 64

    summary.get_by_role("link", name="Where the camps were").first.click()
    expect(page.get_by_role("heading", name="Where the camps were", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Camps by island", level=2)).to_be_visible()
    expect(page.get_by_role("cell", name="Honshu")).to_be_visible()
    expect(page.get_by_role("img", name="Sketch map of the camps")).to_be_visible()
