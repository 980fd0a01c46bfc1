"""An author gives a post a cover image and describes every image; the preview looks published."""

import base64
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from blog.models import Post

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COVER_LABEL = re.compile(r"^Cover image:?$")

# Fire the same drop or paste event a person's drag and drop or Ctrl+V would, carrying a
# real PNG file.
DROP_FILE = """([selector, name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "image/png"}));
  document.querySelector(selector).dispatchEvent(
    new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true})
  );
}"""
PASTE_FILE = DROP_FILE.replace('new DragEvent("drop", {dataTransfer', 'new ClipboardEvent("paste", {clipboardData')


def png(width=120, height=80, colour=(30, 110, 60)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_file(name, **options):
    return {"name": name, "mimeType": "image/png", "buffer": png(**options)}


def open_new_post(page, make_staff, log_in):
    make_staff("ada", "Authors", first_name="Ada", last_name="Lovelace")
    log_in(page, "ada", next_url="/admin/blog/post/add/")
    expect(page.get_by_role("heading", name="Add post")).to_be_visible()
    expect(page.locator("#id_body_image")).to_have_attribute("data-editor-ready", "")


def meta(page, attribute, name):
    return page.locator(f'meta[{attribute}="{name}"]').get_attribute("content")


def test_author_sets_a_described_cover_image_that_shows_and_is_shared(page, make_staff, log_in, live_server):
    open_new_post(page, make_staff, log_in)
    page.get_by_label("Title").fill("The harbour in 1945")
    page.locator("textarea#id_body").fill("What the harbour looked like when the war ended.")
    page.locator("textarea#id_summary").fill("The harbour, as the *first* photographs show it.")
    page.get_by_label("Status").select_option(label="Published")
    cover = page.get_by_label(COVER_LABEL)
    cover.set_input_files(png_file("harbour.png", width=1200, height=630))

    # Without a description the post is not saved, and the author is told why.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("Describe the cover image")
    assert not Post.objects.exists()

    # The file control is empty again after an error, as browsers do: choose it again.
    page.get_by_label(COVER_LABEL).set_input_files(png_file("harbour.png", width=1200, height=630))
    page.get_by_label("Cover image description").fill("Fishing boats moored along a ruined quay")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    post = Post.objects.get()
    assert post.is_published
    assert re.fullmatch(r"covers/\d{4}/\d{2}/[0-9a-f]{32}\.png", post.cover_image.name)
    assert (post.cover_width, post.cover_height) == (1200, 630)

    # A reader, with no session, sees the cover and gets it in the page's sharing meta.
    reader = page.context.browser.new_context(base_url=live_server.url)
    try:
        article = reader.new_page()
        article.goto(post.get_absolute_url())
        image = article.get_by_role("img", name="Fishing boats moored along a ruined quay")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth") == 1200
        assert meta(article, "property", "og:image") == f"{live_server.url}{post.cover_image.url}"
        assert meta(article, "property", "og:image:alt") == "Fishing boats moored along a ruined quay"
        assert meta(article, "property", "og:title") == "The harbour in 1945"
        assert meta(article, "property", "og:description") == "The harbour, as the first photographs show it."
        assert meta(article, "property", "og:type") == "article"
        assert meta(article, "name", "twitter:card") == "summary_large_image"
        # The shared image answers on its own: a card service fetches it without the page.
        assert article.request.get(meta(article, "property", "og:image")).ok

        article.goto("/")
        listed = article.locator("article.post-summary", has_text="The harbour in 1945")
        thumbnail = listed.get_by_role("img", name="Fishing boats moored along a ruined quay")
        expect(thumbnail).to_have_attribute("loading", "lazy")
        expect(thumbnail).to_have_attribute("width", "1200")
        expect(thumbnail).to_be_visible()
    finally:
        reader.close()


def test_author_is_asked_to_describe_each_image_inserted(page, make_staff, log_in):
    open_new_post(page, make_staff, log_in)
    editor = page.locator("textarea#id_body")
    status = page.locator("#id_body_image_status")
    dialog = page.get_by_role("dialog", name="Describe the image")
    description = dialog.get_by_label("Text for readers who cannot see the image")
    preview = page.locator("#id_body ~ .markdownx-preview")

    editor.fill("Before the map.\n\n")
    editor.press("Control+End")
    image_control = page.get_by_label("Insert an image into the body")
    image_control.set_input_files(png_file("map.png"))

    # The dialog takes the focus, shows the image, and will not take an empty description.
    expect(dialog).to_be_visible()
    expect(description).to_be_focused()
    expect(dialog.locator("img")).to_have_attribute("src", re.compile(r"^/media/uploads/\S+\.png$"))
    page.keyboard.press("Enter")
    expect(dialog.get_by_text("Describe the image, or tick “decorative”")).to_be_visible()
    expect(description).to_have_attribute("aria-invalid", "true")
    assert not re.search(r"!\[", editor.input_value())
    page.keyboard.type("Sketch map of the [three] camps")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(editor).to_have_value(
        re.compile(r"^Before the map\.\n\n!\[Sketch map of the \\\[three\\\] camps\]\(/media/uploads/\S+\.png\)$")
    )
    expect(status).to_have_text("Inserted map.png into the text, described as “Sketch map of the [three] camps”.")
    expect(image_control).to_be_focused()
    expect(preview.get_by_role("img", name="Sketch map of the [three] camps")).to_be_visible()

    # A dropped image is asked about too; "decorative" is the deliberate empty description.
    editor.press("Control+End")
    editor.press("Enter")
    page.evaluate(DROP_FILE, ["#id_body", "rule.png", base64.b64encode(png(colour=(200, 200, 200))).decode()])
    expect(dialog).to_be_visible()
    expect(description).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # "The image is decorative"
    expect(description).to_be_disabled()
    dialog.get_by_role("button", name="Insert the image").click()
    expect(editor).to_have_value(re.compile(r"\)\n!\[\]\(/media/uploads/\S+\.png\)$"))
    expect(status).to_have_text(re.compile("^Inserted rule.png into the text as a decorative image"))
    expect(editor).to_be_focused()

    # Escape (or "Don't insert it") leaves the text as it was.
    before = editor.input_value()
    page.evaluate(PASTE_FILE, ["#id_body", "spare.png", base64.b64encode(png()).decode()])
    expect(dialog).to_be_visible()
    page.keyboard.type("Not wanted after all")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(status).to_have_text("spare.png was not inserted.")
    expect(editor).to_have_value(before)

    page.get_by_label("Title").fill("Maps of the camps")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    post = Post.objects.get()
    assert re.fullmatch(
        r"Before the map\.\n\n!\[Sketch map of the \\\[three\\\] camps\]\(/media/uploads/\S+\.png\)\n"
        r"!\[\]\(/media/uploads/\S+\.png\)",
        post.body.replace("\r\n", "\n"),
    )
    assert 'alt="Sketch map of the [three] camps"' in post.body_html
    assert 'alt=""' in post.body_html


def test_the_editors_preview_looks_like_the_published_post(page, make_staff, log_in, publish):
    body = "Opening words with a [link](https://example.org/).\n\n## A section\n\n> A quotation.\n"
    published = publish("Styled", body)
    open_new_post(page, make_staff, log_in)
    page.locator("textarea#id_body").fill(body)
    # Kept by autosave before the editor is left, so that nothing is sent as it closes.
    expect(page.locator(".autosave-status")).to_contain_text("Your unsaved work was kept")
    preview = page.locator("#id_body ~ .markdownx-preview")
    expect(preview.get_by_role("heading", name="A section", level=2)).to_be_visible()
    expect(preview.locator("p").first).to_have_css("font-size", "18px")

    properties = ["font-family", "font-size", "line-height", "color", "font-style", "margin-top"]
    read = """(element, properties) => {
        const style = getComputedStyle(element);
        return Object.fromEntries(properties.map((name) => [name, style.getPropertyValue(name)]));
    }"""

    def styles(where):
        return {
            name: where.locator(selector).first.evaluate(read, properties)
            for name, selector in [("paragraph", "p"), ("heading", "h2"), ("quotation", "blockquote"), ("link", "a")]
        }

    in_the_editor = styles(preview)
    page.goto(published.get_absolute_url())
    on_the_site = styles(page.locator("article.post .post-body"))
    assert in_the_editor == on_the_site
