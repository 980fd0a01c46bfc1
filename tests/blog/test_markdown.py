import re
from html.parser import HTMLParser

import pytest

from blog import markdown


def link_targets(html):
    """Every href and src in the HTML, as a browser would read them."""

    class Collector(HTMLParser):
        targets = []

        def handle_starttag(self, tag, attrs):
            self.targets += [value for name, value in attrs if name in ("href", "src")]

    collector = Collector()
    collector.targets = []
    collector.feed(html)
    return collector.targets


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        '<img src="x" onerror="alert(1)">',
        '<svg onload="alert(1)"><circle r="1"/></svg>',
        "<iframe src='https://evil.example'></iframe>",
        "<style>body{display:none}</style>",
        '<a href="#" onclick="alert(1)">x</a>',
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_dangerous_html_is_removed_from_posts(source):
    html = markdown.render_post(source).lower()

    for forbidden in ("<script", "<iframe", "<style", "<svg", "onerror", "onload", "onclick", "javascript:"):
        assert forbidden not in html


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "&#106;avascript:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
    ],
)
def test_links_with_dangerous_schemes_never_become_hrefs(link):
    for source in (f"[click]({link})", f'<a href="{link}">click</a>', f"[click][ref]\n\n[ref]: {link}", f"<{link}>"):
        html = markdown.render_post(source)
        comment_html = markdown.render_comment(source)

        for target in link_targets(html) + link_targets(comment_html):
            assert target.startswith(("http:", "https:", "mailto:", "/", "#")), target


@pytest.mark.parametrize("link", ["https://example.com/a", "http://example.com", "mailto:me@example.com", "/2013/04/", "#fn1"])
def test_safe_links_are_kept(link):
    assert f'href="{link}"' in markdown.render_post(f"[x]({link})")


def test_images_with_data_urls_lose_their_source():
    html = markdown.render_post("![x](data:image/png;base64,AAAA)")

    assert "data:" not in html


def test_posts_render_tables_headings_and_footnotes():
    html = markdown.render_post("# Title\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\nText[^1].\n\n[^1]: A note.")

    assert "<h1>Title</h1>" in html
    assert "<table>" in html and '<td style="text-align:right">2</td>' in html
    assert 'class="footnotes"' in html


def test_comments_get_no_images_headings_or_raw_html():
    html = markdown.render_comment("# Big\n\n![pic](https://example.com/p.png)\n\n<b>raw</b> *fine*")

    assert "<h1" not in html
    assert "<img" not in html
    assert "<b>" not in html and "&lt;b&gt;raw&lt;/b&gt;" in html
    assert "<em>fine</em>" in html


def test_comment_links_are_marked_as_user_generated():
    html = markdown.render_comment("[site](https://example.com)")

    assert 'rel="nofollow ugc noopener"' in html


def rel_of_links(html):
    return [set(rel.split()) for rel in re.findall(r'<a href="[^"]*" rel="([^"]*)"', html)]


def test_bare_addresses_in_comments_become_user_generated_links():
    html = markdown.render_comment("See https://example.com/a_b?x=1&y=2. Or http://example.org!")

    assert '<a href="https://example.com/a_b?x=1&amp;y=2" rel="' in html
    assert '<a href="http://example.org" rel="' in html
    assert html.endswith("</a>!</p>\n")
    assert rel_of_links(html) == [{"ugc", "nofollow", "noopener"}] * 2


@pytest.mark.parametrize(
    "source, linked",
    [
        ("(see https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("(see https://example.com/)", "https://example.com/"),
        ("[named](https://example.com/x) https://example.com/x", None),
        ("<https://example.com/x>", None),
        ("`https://example.com/code`", ""),
        ("settings.py and www.example.com", ""),
        ("http:// alone", ""),
    ],
)
def test_what_counts_as_a_bare_address(source, linked):
    html = markdown.render_comment(source)
    hrefs = re.findall(r'<a href="([^"]*)"', html)

    if linked is None:  # already links: each once, never nested
        assert len(hrefs) == source.count("https://")
        assert "<a href" not in re.sub(r"<a [^>]*>[^<]*</a>", "", html)
    elif linked == "":
        assert hrefs == []
    else:
        assert hrefs == [linked]


def test_bare_addresses_in_posts_stay_text():
    assert "<a " not in markdown.render_post("plain https://example.com")


@pytest.mark.parametrize(
    "source",
    [
        "[" * 20_000,
        "".join("  " * depth + "- item\n" for depth in range(250)),
        ">" * 20_000,
        "*a" * 20_000,
        "[a](" * 20_000,
        ("A paragraph of ordinary words that goes on for a while.\n\n") * 18_000,
    ],
    ids=["20000-brackets", "lists-250-deep", "20000-quotes", "emphasis-runs", "unclosed-links", "one-megabyte"],
)
def test_pathological_input_renders_without_error(source):
    # How fast: `make bench` (bench/markdown_pathological.py) prints the timings.
    assert markdown.render_post(source)
    assert markdown.render_comment(source)


def test_nesting_too_deep_to_render_is_refused_for_authors_and_kept_as_text():
    source = "".join("  " * depth + f"- item {depth}\n" for depth in range(250))

    with pytest.raises(markdown.MarkdownTooDeep, match="nested more than 16 levels deep"):
        markdown.check_post_source(source)
    assert "item 249" in markdown.render_post(source)
    assert "item 249" in markdown.render_comment(source)


def test_ordinary_nesting_is_accepted():
    markdown.check_post_source("> quote\n>\n> - a\n>   - b\n>     - c\n")


def test_input_over_the_limit_is_refused_with_a_clear_error():
    with pytest.raises(markdown.MarkdownTooLarge, match="at most 10 characters"):
        markdown.render_post("x" * 11, max_length=10)


def test_too_many_link_brackets_are_refused_for_authors_and_kept_as_text():
    source = "Brackets: " + "[" * 3_751

    with pytest.raises(markdown.MarkdownTooComplex, match="more than 3,750"):
        markdown.check_post_source(source)
    assert markdown.render_post(source).startswith("<p>Brackets: [[[")


@pytest.mark.parametrize("render", [markdown.render_post, markdown.render_comment])
def test_a_new_parser_renders_for_many_threads_at_once(render):
    # gthread workers share one parser per process: its first uses, at the same moment in
    # several threads, once found no rules ("none of the block rules matched", a 500).
    import sys

    # Threads switch as often as the interpreter allows, so a race shows in a few tries.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        renders_at_once(render)
    finally:
        sys.setswitchinterval(switch_interval)


def renders_at_once(render):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    for attempt in range(20):
        markdown._post_parser.cache_clear()
        markdown._comment_parser.cache_clear()
        start = Barrier(8)

        def render_at_once(number):
            start.wait()
            return render(f"Thread *{number}* of attempt {attempt}, with [a link](https://example.org/).")

        with ThreadPoolExecutor(8) as pool:
            pages = list(pool.map(render_at_once, range(8)))
        assert all(f"<em>{number}</em>" in page for number, page in enumerate(pages))
