"""Reading an HTML page someone else wrote: links, endpoints and microformats.

Everything here is given bytes another server sent, so it assumes the worst: the page is
parsed once by lxml (through BeautifulSoup, which mf2py reads), a document nested deeper
than MAX_DEPTH is refused before mf2py walks it (mf2py recurses), and whatever comes out
is plain text, never HTML: `markdown_safe()` escapes it so the comment renderer shows the
words as written (blog.markdown.render_comment still sanitizes what it renders).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urldefrag, urljoin, urlsplit

import mf2py
from bs4 import BeautifulSoup
from bs4.element import Tag

# Real pages nest a few dozen elements deep; mf2py walks the tree recursively.
MAX_DEPTH = 200
# Elements whose address attribute may link to the target (the Recommendation's examples).
LINKING = {"a": "href", "link": "href", "area": "href", "img": "src", "video": "src",
           "audio": "src", "source": "src"}
_BLOCK_MARK = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_LIST_NUMBER = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
_INLINE = re.compile(r"([\\`*_\[\]<>!#|~&])")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What no address holds as such (RFC 3986 wants them percent-encoded); PostgreSQL cannot
# even store a NUL.
NOT_IN_URL = re.compile(r"[\x00-\x20\x7f]")


class Unreadable(Exception):
    """The page cannot be read as HTML within our limits; the message completes
    "the source is …" (what a Mention records)."""


def document(content, *, content_type=""):
    """The parsed page (a BeautifulSoup tree), or Unreadable."""
    try:
        soup = BeautifulSoup(content, "lxml")
    except Exception as error:  # noqa: BLE001 - any failure of a parser on hostile bytes
        raise Unreadable(f"not readable as HTML ({type(error).__name__})") from None
    if depth(soup) > MAX_DEPTH:
        raise Unreadable(f"nested more than {MAX_DEPTH} elements deep")
    return soup


def depth(soup):
    deepest, stack = 0, [(soup, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node.children if isinstance(child, Tag))
    return deepest


def base_url(soup, url):
    """The address relative links of the page are resolved against (its <base>, if any)."""
    base = soup.find("base", href=True)
    return (resolve(url, base["href"]) or url) if base else url


def resolve(base, address):
    """`address` made absolute against `base`; "" for one no URL parser accepts."""
    try:
        return urljoin(base, address.strip())
    except ValueError:
        return ""


def links_to(soup, url, target):
    """Whether the page at `url` links to `target` (fragments aside), relative links resolved."""
    wanted = {urldefrag(target).url, urldefrag(target).url.rstrip("/")}
    base = base_url(soup, url)
    for element in soup.find_all(list(LINKING)):
        address = element.get(LINKING[element.name])
        if isinstance(address, str) and address.strip():
            found = urldefrag(resolve(base, address)).url
            if found in wanted or found.rstrip("/") in wanted:
                return True
    return False


def endpoint_in(soup, url):
    """The first <link> or <a> with rel="webmention" and an href, resolved; or None.

    An empty href is the page itself (the Recommendation's discovery rules).
    """
    base = base_url(soup, url)
    for element in soup.find_all(["link", "a"]):
        rel = element.get("rel") or []
        if isinstance(rel, str):
            rel = rel.split()
        if "webmention" in (token.lower() for token in rel) and element.has_attr("href"):
            return resolve(base, element["href"]) or None
    return None


@dataclass(frozen=True)
class Entry:
    """What a source page says about itself, as plain text."""

    kind: str = "mention"
    author_name: str = ""
    author_url: str = ""
    content: str = ""
    published: datetime | None = None
    title: str = ""


def read_entry(soup, url, target):
    """The page's h-entry (the one at `url`, else the first that replies to, likes, reposts
    or bookmarks `target`, else the first): author, text, date, kind."""
    try:
        parsed = mf2py.parse(doc=soup, url=url)
    except RecursionError:
        raise Unreadable(f"nested more than {MAX_DEPTH} elements deep") from None
    except Exception as error:  # noqa: BLE001 - mf2py on hostile markup
        raise Unreadable(f"unreadable as microformats ({type(error).__name__})") from None
    title = _text(soup.title.get_text() if soup.title else "")
    entries = [item for item in _items(parsed.get("items", [])) if "h-entry" in item.get("type", [])]
    entry = (
        next((e for e in entries if url in _urls(e.get("properties", {}).get("url", []))), None)
        # A page of several (a feed, a thread): the one that answers the target, not the
        # first, whose words and kind would be another entry's.
        or next((e for e in entries if _kind(e.get("properties", {}), target) != "mention"), None)
        or (entries[0] if entries else None)
    )
    if entry is None:
        card = next((i for i in parsed.get("items", []) if "h-card" in i.get("type", [])), None)
        name, author_url = _author(card) if card else ("", "")
        return Entry(author_name=name, author_url=author_url, title=title)
    props = entry.get("properties", {})
    name, author_url = _author(_first(props.get("author")))
    return Entry(
        kind=_kind(props, target),
        author_name=name,
        author_url=author_url,
        content=_content(props),
        published=_date(_first(props.get("published"))),
        title=title,
    )


def _items(items):
    """Top-level items and their children (an h-feed's entries), depth first."""
    stack = list(reversed(items))
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(item.get("children", [])))


def _first(values):
    return values[0] if isinstance(values, list) and values else None


def _urls(values):
    found = []
    for value in values or []:
        if isinstance(value, dict):
            value = _first(value.get("properties", {}).get("url")) or value.get("value")
        if isinstance(value, str):
            found.append(value)
    return found


def _kind(props, target):
    def names_target(name):
        return any(urldefrag(u).url.rstrip("/") == urldefrag(target).url.rstrip("/")
                   for u in _urls(props.get(name)))

    for name, kind in (("in-reply-to", "reply"), ("like-of", "like"), ("repost-of", "repost"),
                       ("bookmark-of", "bookmark")):
        if names_target(name):
            return kind
    return "mention"


def _author(author):
    """(name, url) of an author given as an h-card, a name or an address."""
    if isinstance(author, dict):
        props = author.get("properties", {})
        name = _first(props.get("name"))
        url = _first(_urls(props.get("url")))
        return _text(name if isinstance(name, str) else author.get("value", "")), web_address(url)
    if isinstance(author, str):
        if web_address(author):
            return "", author.strip()
        return _text(author), ""
    return "", ""


def _content(props):
    for name in ("content", "summary", "name"):
        value = _first(props.get(name))
        if isinstance(value, dict):
            value = value.get("value", "")
        if isinstance(value, str) and value.strip():
            return _text(value, lines=True)
    return ""


def _date(value):
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _text(value, *, lines=False):
    value = _CONTROL.sub("", str(value or ""))
    if not lines:
        return " ".join(value.split())
    value = "\n".join(_SPACES.sub(" ", line).strip() for line in value.splitlines())
    return _BLANK_LINES.sub("\n\n", value).strip()


def web_address(url):
    """`url` if it is an absolute http(s) address with a host, else ""."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    if NOT_IN_URL.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.hostname else ""


def markdown_safe(text, *, limit):
    """`text` escaped so Markdown shows it as written, at most `limit` characters."""
    escaped = _INLINE.sub(r"\\\1", text)
    escaped = _LIST_NUMBER.sub(r"\1\\\2", _BLOCK_MARK.sub(r"\1\\\2", escaped))
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    # Never end on half an escape: a lone backslash would escape the ellipsis.
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]
    return cut.rstrip() + "…"
