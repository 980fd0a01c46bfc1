from django.utils.html import format_html
from markdownx.widgets import AdminMarkdownxWidget

IMAGE_TYPES = "image/png,image/jpeg,image/gif,image/webp"


class MarkdownEditorWidget(AdminMarkdownxWidget):
    """markdownx's admin editor, usable with the keyboard alone (static/js/editor.js).

    markdownx uploads images only by drag and drop or paste, and its Tab key indents, so a
    keyboard user could neither add an image nor leave the text. This adds an "Insert an
    image" file control that posts to markdownx's own upload URL, and Escape then Tab to move
    on, announced by a hint the textarea is described by.
    """

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**(attrs or {})}
        field_id = attrs.setdefault("id", f"id_{name}")
        hint_id = f"{field_id}_keys"
        described_by = [attrs.get("aria-describedby", ""), hint_id]
        attrs["aria-describedby"] = " ".join(part for part in described_by if part)
        editor = super().render(name, value, attrs, renderer)
        return format_html(
            '<div class="markdown-editor">'
            '<p class="help" id="{hint_id}">Tab indents the text. To leave the editor with '
            "the keyboard, press Escape, then Tab.</p>"
            "{editor}"
            '<p class="markdown-editor-image">'
            '<label for="{field_id}_image">Insert an image into the {name}</label> '
            '<input type="file" id="{field_id}_image" accept="{types}" '
            'data-editor-image-for="{field_id}" aria-describedby="{field_id}_image_status">'
            "</p>"
            '<p class="help" id="{field_id}_image_status" role="status" aria-live="polite"></p>'
            "</div>",
            hint_id=hint_id,
            editor=editor,
            field_id=field_id,
            name=name,
            types=IMAGE_TYPES,
        )

    class Media:
        css = {"all": ["css/editor.css"]}
        js = ["js/editor.js"]
