"""The editor asks what each image shows, and previews the post with the site's styles."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_page(client, author):
    client.force_login(author)
    return client.get("/admin/blog/post/add/").content.decode()


def test_upload_answers_with_the_address_the_editor_inserts(client, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6)).save(buffer, format="PNG")

    answer = client.post(
        "/markdownx/upload/", {"image": SimpleUploadedFile("map.png", buffer.getvalue(), "image/png")}
    ).json()

    assert re.fullmatch(r"/media/uploads/\d{4}/\d{2}/[0-9a-f]{32}\.png", answer["image_url"])
    # markdownx's own script, were the editor's not running, inserts this.
    assert answer["image_code"] == f"![]({answer['image_url']})"


def test_each_editor_has_a_dialog_asking_for_the_images_description(editor_page):
    for field in ["body", "summary"]:
        dialog = re.search(rf'<dialog class="image-alt-dialog" id="id_{field}_alt_dialog".*?</dialog>', editor_page, re.S)
        assert dialog, field
        markup = dialog.group()
        assert f'aria-labelledby="id_{field}_alt_heading"' in markup
        assert f'<label for="id_{field}_alt">Text for readers who cannot see the image</label>' in markup
        assert f'<label for="id_{field}_alt_decorative">The image is decorative' in markup
        # Its fields sit inside the admin's form: without a name they are never submitted.
        assert " name=" not in markup
        assert f'data-image-alt-dialog="id_{field}_alt_dialog"' in editor_page


def test_the_preview_is_given_the_sites_stylesheets(editor_page):
    [styles] = re.findall(r'<div class="markdown-editor" data-preview-styles="([^"]*)">', editor_page)[:1]
    assert styles.split() == ["/static/css/site.css", "/static/css/preview.css"]


def test_the_editor_page_has_no_inline_style(editor_page):
    """The site's CSP refuses inline styles (style-src 'self')."""
    widgets = re.findall(r'<div class="markdown-editor".*?</dialog>', editor_page, re.S)
    assert len(widgets) == 2
    for markup in widgets:
        assert "<style" not in markup and " style=" not in markup
