"""The Jinja2 environment of the templates under templates/jinja2/ (docs/ARCHITECTURE.md).

Django's own Jinja2 backend builds it (settings.TEMPLATES names this function); the
options it passes (autoescaping on, reloading when DEBUG) are kept as they come. It lives
in an app, not in config/, because how a page is escaped is part of what renders pages:
the page cache's release digest (pagecache.store.release) covers our apps' code.
"""

import html
from pathlib import Path

import django.forms
from django.forms.renderers import Jinja2
from django.template.backends.jinja2 import Jinja2 as Jinja2Backend
from django.utils.functional import cached_property
from jinja2 import Environment
from markupsafe import Markup


def escape_as_django(value):
    """`value` escaped exactly as Django's templates escape it, for Jinja2's autoescaping.

    Django's escape is html.escape of the text: quotes become &#x27; and &quot;, where
    MarkupSafe writes &#39; and &#34;; &, < and > come out the same from both. So text
    with a quote is escaped here the Django way (and marked safe), and the rest is left
    to MarkupSafe's faster escaping, which Jinja2 applies next: either way a template
    renders the bytes Django's would (tests/comments/test_thread_template.py). What is
    already safe (stored, sanitized HTML) passes unchanged.
    """
    if hasattr(value, "__html__"):
        return value
    text = str(value)
    if "'" in text or '"' in text:
        return Markup(html.escape(text))
    return text


def environment(**options):
    # The last newline of a file is kept, as Django's templates keep it (Django's own
    # Jinja2 widget templates are written for Jinja2's default, which drops it).
    options.setdefault("keep_trailing_newline", True)
    return Environment(finalize=escape_as_django, **options)



class FormRenderer(Jinja2):
    """Django's form renderer for Jinja2, with the widget templates Django ships for it
    (django/forms/jinja2/) escaped as Django's templates escape them.

    A form that sets it as its `default_renderer` renders its fields the same bytes as
    with Django's template language, in about half the time (docs/PERFORMANCE.md).
    """

    @cached_property
    def engine(self):
        return Jinja2Backend({
            "APP_DIRS": False,
            "DIRS": [Path(django.forms.__file__).parent / "jinja2"],
            "NAME": "forms-jinja2",
            "OPTIONS": {"environment": "blog.jinja2.environment", "keep_trailing_newline": False},
        })


# One for the process: its engine, and the templates it has compiled, are kept.
form_renderer = FormRenderer()
