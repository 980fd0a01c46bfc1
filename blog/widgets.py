from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from markdownx.widgets import AdminMarkdownxWidget

from blog.images import ACCEPTED_TYPES


class MarkdownEditorWidget(AdminMarkdownxWidget):
    """markdownx's admin editor, usable with the keyboard alone, that asks for images' alt text.

    markdownx uploads images only by drag and drop or paste, and its Tab key indents, so a
    keyboard user could neither add an image nor leave the text. This adds an "Insert an
    image" file control that posts to markdownx's own upload URL, and Escape then Tab to move
    on, announced by a hint the textarea is described by. Every image uploaded, whichever
    way, is inserted only once the author has described it (or said it is decorative) in a
    dialog; and the live preview is shown with the site's own styles. The markup is
    templates/blog/widgets/markdown_editor.html; the behaviour static/js/editor.js.
    """

    template_name_outer = "blog/widgets/markdown_editor.html"

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**(attrs or {})}
        field_id = attrs.setdefault("id", f"id_{name}")
        hint_id = f"{field_id}_keys"
        described_by = [attrs.get("aria-describedby", ""), hint_id]
        attrs["aria-describedby"] = " ".join(part for part in described_by if part)
        editor = super().render(name, value, attrs, renderer)
        return mark_safe(render_to_string(self.template_name_outer, {
            "editor": editor,
            "hint_id": hint_id,
            "field_id": field_id,
            "name": name,
            "types": ACCEPTED_TYPES,
        }))

    class Media:
        css = {"all": ["css/editor.css"]}
        js = ["js/editor.js"]
