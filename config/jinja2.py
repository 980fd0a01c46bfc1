"""The Jinja2 environment of the templates under templates/jinja2/ (docs/ARCHITECTURE.md).

Django's own Jinja2 backend builds it (settings.TEMPLATES names this function); the
options it passes (autoescaping on, reloading when DEBUG) are kept as they come.
"""

import html

from jinja2 import Environment
from markupsafe import Markup


def escape_as_django(value):
    """`value` escaped exactly as Django's templates escape it, marked safe for Jinja2.

    django.utils.html.escape is html.escape of the text (' as &#x27;, " as &quot;, where
    MarkupSafe writes &#39; and &#34;), so a template renders the same bytes in either
    engine; tests/test_jinja2.py holds the two side by side. Called here directly, not
    through Django's escape, whose lazy-string wrapper costs as much again on every value
    of a long thread. What is already safe (stored, sanitized HTML) passes unchanged.
    """
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))


def environment(**options):
    # The last newline of a file is kept, as Django's templates keep it.
    return Environment(finalize=escape_as_django, keep_trailing_newline=True, **options)
