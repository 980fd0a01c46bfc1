"""The Webmention endpoint, as any other server may call it: sources and targets of every
shape, bodies in every encoding. It answers 202 and records one mention to check, or
refuses (4xx) and records nothing; never a 500 (the harness also checks the logs)."""

import json
import re
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from hypothesis import strategies as st

from delivery.models import Delivery
from tests.fuzz.harness import Broken, Outcome, refused_if
from tests.fuzz.strategies import hostile_text, mostly, percent_junk
from webmention.models import Mention
from webmention.receiving import post_at

pytestmark = pytest.mark.django_db

# Control characters and spaces: no address holds them as such, PostgreSQL no NUL.
UNSTORABLE = re.compile(r"[\x00-\x20\x7f]")
URL_PIECES = [
    "https://", "http://", "ftp://", "javascript:", "data:text/html,", "file:///", "//", "user:pw@",
    "ada.example", "bücher.example", "xn--bcher-kva.example", "ü" * 60 + ".example", "[::1]", "[fe80::1%25eth0]",
    "[oops", "10.0.0.1", "127.0.0.1:8000", ":99999", ".", "/", "/notes/1", "?", "#", "%00", "%ff", "%", "\x00",
    "\x01", "\x7f", " ", "\t", "\n", "é", "\u202e", "\ufffd", "a" * 2100,
]


@st.composite
def addresses(draw, site):
    """A source or a target: a site's page, one of our own (a post at any form of its
    address, a draft, a tag page, the admin) or pieces of URLs run together."""
    ours = [settings.SITE_URL + post.get_absolute_url() for post in site.posts.values()]
    own = draw(st.sampled_from(ours))
    return draw(st.one_of(
        st.sampled_from(["https://ada.example/notes/1", "https://grace.example/reply"]),
        st.just(own),
        st.sampled_from([own.rstrip("/"), own.replace("http://", "https://"), own + "?x=1", own + "#c",
                         own.upper(), settings.SITE_URL + "/tags/history/", settings.SITE_URL + "/admin/"]),
        st.lists(st.sampled_from(URL_PIECES), max_size=8).map("".join),
        percent_junk().map(lambda junk: "https://ada.example/" + junk),
        hostile_text,
    ))


@st.composite
def webmentions(draw, site):
    published = settings.SITE_URL + site.posts["published"].get_absolute_url()
    source = draw(mostly(st.sampled_from(["https://ada.example/notes/1", "https://grace.example/r"]),
                         addresses(site), one_in=2))
    target = draw(mostly(st.just(published), addresses(site), one_in=2))
    encoding = draw(st.sampled_from(["form"] * 4 + ["multipart", "json", "text", "none", "repeated", "raw"]))
    return source, target, encoding, draw(st.binary(max_size=30))


def send(site, webmention):
    source, target, encoding, junk = webmention
    client = site.client()
    fields = {"source": source, "target": target}
    form = "application/x-www-form-urlencoded"
    before = Mention.objects.count(), Delivery.objects.count()
    if encoding == "multipart":
        response = client.post("/webmention/", fields)
    else:
        body, content_type = {
            "form": (urlencode(fields), form),
            "json": (json.dumps(fields), "application/json"),
            "text": (urlencode(fields), "text/plain"),
            "none": (urlencode(fields), ""),
            "repeated": (urlencode(fields) + "&source=" + quote(source), form),
            "raw": (b"source=" + junk + b"&target=" + quote(target).encode(), form),
        }[encoding]
        response = client.generic("POST", "/webmention/", body, content_type=content_type)
    assert response.status_code in (202, 400, 415), response.status_code
    if encoding in ("json", "text", "none") and response.status_code != 415:
        raise Broken(f"a body that is not a form was answered {response.status_code}")
    if encoding == "repeated" and response.status_code == 202:
        raise Broken("a form naming two sources was accepted")
    after = Mention.objects.count(), Delivery.objects.count()
    if response.status_code == 202:
        if after != (before[0] + 1, before[1] + 1):
            raise Broken(f"accepted, but mentions and deliveries went from {before} to {after}")
        stored = Mention.objects.latest("pk")
        if UNSTORABLE.search(stored.source) or "\ufffd" in stored.source:
            raise Broken(f"accepted a source no fetch or database could take: {stored.source!r}")
        if post_at(stored.source) == stored.post:
            raise Broken(f"accepted the post itself as its source: {stored.source!r}")
        return Outcome("202 accepted", refused=False)
    if after != before:
        raise Broken(f"refused ({response.status_code}), but mentions and deliveries went from {before} to {after}")
    reason = response.content.decode(errors="replace").split(":")[0].strip()[:40]
    return refused_if(response.status_code, f"{response.status_code} {reason}")


def test_the_webmention_endpoint_accepts_or_refuses_any_input_cleanly(fuzz, site):
    fuzz("endpoint: webmention", webmentions(site), lambda w: send(site, w), ci_examples=100)


# Source pages ---------------------------------------------------------------------------

TARGET = "https://blog.example/2020/01/01/engines/"
# Elements whose address or date is the value drawn, and elements that hold others.
ATTRIBUTED = [
    '<a class="p-author h-card" href="', '<a class="u-url" href="', '<img class="u-photo" alt="me" src="',
    '<a class="u-in-reply-to" href="', '<a class="u-like-of" href="', '<a class="u-repost-of u-bookmark-of" href="',
    '<time class="dt-published" datetime="', '<data class="dt-published" value="', '<base href="',
    '<iframe src="', '<a href="', '<area href="', '<a class="p-author" href="',
]
CONTAINERS = [
    '<div class="h-entry">', '<article class="h-entry h-cite">', '<div class="h-feed">', '<div class="p-author h-card">',
    '<div class="u-url h-card">', '<div class="u-in-reply-to h-cite">', '<div class="e-content">',
    '<p class="p-name p-summary">', '<span class="p-name">', '<div class="p-author">', "<script>", "<style>",
    "<template>", "<svg>", "<math>", "<table>", "<title>",
]
VALUES = [
    TARGET, TARGET.rstrip("/"), TARGET + "#c", TARGET.replace("https", "HTTPS"), "/relative", "javascript:alert(1)",
    "http://[oops/", "https://eve .example/", "https://eve.example/\x01", "https://eve.example/" + "a" * 300,
    "2020-13-45T99:99", "2021-01-01T00:00:00+23:59", "99999-01-01", "2020-06-01T10:00:00Z", "2020-06-01", "",
    "&#0;", '"><script>alert(1)</script>',
]
words = st.one_of(st.sampled_from(["Ada", "A reply.", "N" * 3000, "<" * 50, "\x00", "&#x7f;", "\u202e", "&amp;"]),
                  hostile_text)


@st.composite
def pages(draw):
    """A page of microformats: entries, cards, citations and feeds nested in any order,
    their addresses and dates drawn from hostile values, left unclosed or not."""
    html, open_tags = [], []
    for _ in range(draw(st.integers(1, 30))):
        move = draw(st.sampled_from(["open", "open", "element", "element", "element", "text", "close"]))
        if move == "open":
            opener = draw(st.sampled_from(CONTAINERS))
            html.append(opener)
            open_tags.append(re.match(r"<(\w+)", opener).group(1))
        elif move == "element":
            opener = draw(st.sampled_from(ATTRIBUTED))
            tag = re.match(r"<(\w+)", opener).group(1)
            html.append(f"{opener}{draw(st.sampled_from(VALUES) | hostile_text)}\">{draw(words)}</{tag}>")
        elif move == "text":
            html.append(draw(words))
        elif open_tags:
            html.append(f"</{open_tags.pop()}>")
    if draw(st.booleans()):
        html.extend(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(html)


def read(html):
    from webmention import parsing

    try:
        soup = parsing.document(html.encode("utf-8", "surrogatepass"))
        linked = parsing.links_to(soup, "https://ada.example/notes/1", TARGET)
        entry = parsing.read_entry(soup, "https://ada.example/notes/1", TARGET)
    except parsing.Unreadable as error:
        return Outcome(f"unreadable: {str(error).split('(')[0]}", refused=True)
    if entry.kind not in Mention.Kind.values:
        raise Broken(f"kind {entry.kind!r}")
    if entry.author_url and (UNSTORABLE.search(entry.author_url) or not entry.author_url.startswith("http")):
        raise Broken(f"author address {entry.author_url!r} is no web address")
    for name in ("author_name", "content", "title"):
        if "\x00" in getattr(entry, name):
            raise Broken(f"a NUL in the entry's {name}")
    if entry.published is not None and entry.published.tzinfo is None:
        raise Broken(f"a date without its time zone: {entry.published!r}")
    if len(parsing.markdown_safe(entry.content, limit=5000)) > 5000:
        raise Broken("the text passes the comment limit")
    return Outcome(f"{'links' if linked else 'no link'}, {entry.kind}", refused=False)


def test_any_source_page_reads_as_an_entry_or_is_refused_as_unreadable(fuzz):
    fuzz("source page: microformats", pages(), read, ci_examples=100)
