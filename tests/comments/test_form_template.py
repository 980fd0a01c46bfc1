"""The comment form's fields, rendered by Jinja2 to the bytes Django's templates give.

The form renders its widgets with Django's own Jinja2 widget templates (blog/jinja2.py's
form_renderer). These tests render the same forms with Django's template-language renderer,
as Django ships it, and ask for the same bytes: empty, filled in with text that needs
escaping, and with errors.
"""

import pytest
from django.forms.renderers import DjangoTemplates
from django.template.loader import render_to_string

from blog.jinja2 import form_renderer
from comments.forms import CommentForm

pytestmark = pytest.mark.django_db

NEEDS_ESCAPING = {
    "name": "Ada \"Ace\" O'Neil <b>",
    "email": "not an address",
    "url": "javascript:alert('x')",
    "body": "",
    "notify": "on",
    "honeypot": "<i>'\"&",
    "timestamp": "signed & 'sealed'",
    "parent": "nine",
}


def form_html(post, renderer, data=None):
    form = CommentForm(post, data=data, renderer=renderer)
    if data is None:
        # The signed timestamp differs from one form to the next; the markup must not.
        form.fields["timestamp"].initial = "fixed"
    else:
        form.is_valid()
    return render_to_string(
        "comments/_form.html", {"form": form, "post": post, "with_token": False}
    )


def test_the_comment_form_renders_its_fields_with_jinja2():
    assert CommentForm.default_renderer is form_renderer


@pytest.mark.parametrize("data", [None, NEEDS_ESCAPING], ids=["empty", "with errors"])
def test_the_form_is_the_same_bytes_as_with_djangos_template_renderer(published_post, data):
    expected = form_html(published_post, DjangoTemplates(), data)

    assert form_html(published_post, form_renderer, data) == expected
    assert form_html(published_post, None, data) == expected


def test_a_commenters_text_is_escaped_the_django_way_in_the_form(published_post):
    html = form_html(published_post, None, NEEDS_ESCAPING)

    assert 'value="Ada &quot;Ace&quot; O&#x27;Neil &lt;b&gt;"' in html
    assert "&#39;" not in html and "&#34;" not in html
    assert 'aria-invalid="true"' in html
