"""Which addresses at the site root belong to the rest of the site, and so not to a page.

Derived from the URL resolver, not from a list kept by hand: a route added tomorrow
(an archive, a feed, an app's prefix) is refused as a page address from then on.
"""

import re

from django.conf import settings
from django.urls import Resolver404, URLResolver, get_resolver, resolve

PAGE_VIEW = "pages:page-detail"
# The start of a route up to its first slash, when it is plain text ("admin/", "^tags/").
_LITERAL_SEGMENT = re.compile(r"^\^?([-\w.]+)/")


def first_segments(patterns=None):
    """The plain first segments of every route: {"admin", "comments", "tags", ...}."""
    found = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern)
        if route in ("", "^"):
            if isinstance(pattern, URLResolver):
                found |= first_segments(pattern.url_patterns)
            continue
        match = _LITERAL_SEGMENT.match(route)
        if match:
            found.add(match.group(1))
    # Served before any URL pattern: by WhiteNoise, or by the web server in production.
    for prefix in (settings.STATIC_URL, settings.MEDIA_URL):
        segment = (prefix or "").strip("/").split("/")[0]
        if segment and "://" not in prefix:
            found.add(segment)
    return found


def conflict(path):
    """Why the address /path/ cannot be a page's, or None when it is free."""
    url = f"/{path}/"
    try:
        match = resolve(url)
    except Resolver404:
        match = None
    if match is not None and match.view_name != PAGE_VIEW:
        return f"{url} is already an address of the site ({match.view_name})"
    first = path.split("/")[0]
    if first in first_segments():
        return f"addresses starting with /{first}/ belong to another part of the site"
    return None
