"""Property-based tests of blog/markdown.py: whatever goes in, nothing executable comes out."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog import markdown
from tests.security.html_checks import problems_in

# Pieces an attacker would reach for, mixed with Markdown syntax and arbitrary text.
FRAGMENTS = [
    "<script>alert(1)</script>", "<ScRiPt src=//evil.example/x.js></ScRiPt>", "<style>*{}</style>",
    "<iframe src=//evil.example>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>", "<math><mi xlink:href=javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>', "<a href='  JaVaScRiPt:alert(1)'>x</a>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>', '<a href="&#106;avascript:alert(1)">x</a>',
    '<div onclick="alert(1)">', '<p style="background:url(javascript:alert(1))">',
    '<form action="javascript:alert(1)"><button>go</button></form>', "<object data=x>",
    '<base href="//evil.example/">', '<meta http-equiv="refresh" content="0;url=//evil">',
    "[a](javascript:alert(1))", "[a](JaVaScRiPt:alert(1))", "[a](java\tscript:alert(1))",
    "[a](java\nscript:alert(1))", "[a](&#106;avascript:alert(1))", "[a](vbscript:msgbox(1))",
    "[a](VBScript:x)", "[a](data:text/html;base64,PHNjcmlwdD4=)", "[a](DATA:text/html,x)",
    "[a]( javascript:alert(1) )", "[a](<javascript:alert(1)>)", "[a](javascript&colon;alert(1))",
    "![i](javascript:alert(1))", "![i](data:image/svg+xml,<svg onload=alert(1)>)",
    "<javascript:alert(1)>", "<vbscript:x>", "<data:text/html,x>", "<http://ok.example>",
    "[ref]: javascript:alert(1)\n\n[x][ref]", "[ref]: data:text/html,x\n\n![y][ref]",
    '[x](http://ok.example "a" onmouseover="alert(1)")', '[x](" onmouseover=alert(1) ")',
    "`<script>`", "```html\n<script>alert(1)</script>\n```", "> <script>", "| a |\n|---|\n| <script> |",
    "[^1]\n\n[^1]: <script>alert(1)</script>", "<!-- <script> -->", "<![CDATA[<script>]]>",
    "\x00", "\t", "\n", "\n\n", " ", "*", "_", "`", ">", "-", "#", "[", "]", "(", ")", "<", ">",
    '"', "'", "&", ";", ":", "=", "/", "\\", "javascript", "script", "on", "\u202e", "\u200b",
]

source_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=25
).map("".join)


property_settings = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@property_settings
@given(source_text)
def test_a_rendered_post_has_nothing_executable(source):
    assert problems_in(markdown.render_post(source)) == []


@property_settings
@given(source_text)
def test_a_rendered_comment_has_nothing_executable(source):
    html = markdown.render_comment(source)

    assert problems_in(html) == []
    assert not re.search(r"<(img|h[1-6]|table|div|span)\b", html)


@property_settings
@given(source_text)
def test_imported_html_sanitized_for_posts_has_nothing_executable(source):
    assert problems_in(markdown.sanitize_post_html(source)) == []


@property_settings
@given(source_text)
def test_imported_html_sanitized_for_comments_has_nothing_executable(source):
    assert problems_in(markdown.sanitize_comment_html(source)) == []


def test_the_inspector_sees_what_it_must_refuse():
    """The properties above are only as good as this checker: it must catch each attack."""
    assert problems_in('<a href="JaVa&#x09;Script:alert(1)">x</a>') == [
        "href='JaVa\\tScript:alert(1)' on <a>"
    ]
    assert problems_in('<img src=" data:text/html,x">') == ["src=' data:text/html,x' on <img>"]
    assert problems_in("<p onclick=x>") == ["onclick attribute on <p>"]
    assert "<script> element" in problems_in("<script>x</script>")
    assert problems_in('<a href="/relative">x</a><a href="mailto:a@b.example">y</a>') == []
