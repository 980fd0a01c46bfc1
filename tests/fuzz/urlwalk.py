"""Every URL pattern the site serves, found by walking the resolver, as a path generator.

A new pattern in any urls.py is fuzzed without anyone listing it here. Each pattern
becomes literal pieces and slots; a slot is filled with a value the pattern expects (so
the view runs), a real value from the site, or junk of any shape (so the resolver and
the view's own checks are tried too).
"""

import re
from typing import NamedTuple

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from hypothesis import strategies as st

from tests.fuzz.strategies import segment



class Slot(NamedTuple):
    name: str
    values: st.SearchStrategy


_ROUTE_SLOT = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_SLOT = re.compile(r"\(\?P<(?P<name>\w+)>(?P<regex>(?:[^()\\]|\\.)*)\)")

def _route_parts(pattern):
    """A route's literal pieces, and a slot for each converter, filled from its regex."""
    route = str(pattern)
    parts, position = [], 0
    for match in _ROUTE_SLOT.finditer(route):
        parts.append(route[position:match.start()])
        regex = pattern.converters[match["name"]].regex
        parts.append(Slot(match["name"], st.from_regex(f"(?:{regex})", fullmatch=True)))
        position = match.end()
    parts.append(route[position:])
    return parts


def _regex_parts(regex):
    regex = regex.removeprefix("^").removesuffix("$")
    parts, position = [], 0
    for match in _REGEX_SLOT.finditer(regex):
        parts.append(_unescape(regex[position:match.start()]))
        parts.append(Slot(match["name"], st.from_regex(f"(?:{match['regex']})", fullmatch=True)))
        position = match.end()
    parts.append(_unescape(regex[position:]))
    return parts


def _unescape(literal):
    if re.search(r"(?<!\\)[\[\](){}*+?|^$.]", literal):
        raise ValueError(f"Cannot read the literal part {literal!r} of a URL regex.")
    return re.sub(r"\\(.)", r"\1", literal)


def url_patterns(resolver=None, prefix=()):
    """(name, parts) for every pattern: parts are literal strings and Slots."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            parts = _route_parts(pattern)
        elif isinstance(pattern, RegexPattern):
            parts = _regex_parts(pattern.regex.pattern)
        else:
            raise TypeError(f"Unknown kind of URL pattern: {pattern!r}")
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, prefix + tuple(parts))
        elif isinstance(entry, URLPattern):
            parts = prefix + tuple(parts)
            yield "/" + "".join(p if isinstance(p, str) else f"<{p.name}>" for p in parts), parts


@st.composite
def path_for(draw, parts, known_values):
    """A path built on `parts`: each slot gets an expected value, a known one, or junk."""
    pieces = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(part)
        else:
            pieces.append(draw(segment(part.values | st.sampled_from(known_values))))
    return "/" + "".join(pieces)
