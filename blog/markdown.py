"""Every piece of Markdown in the project is rendered and sanitized here.

Rendering (markdown-it-py, CommonMark plus tables, strikethrough and footnotes) and
sanitizing (nh3, an allowlist) happen together so no caller can get one without the other.
Posts and comments use different allowlists: comments get no images, headings, tables or
raw HTML. Results are stored on save; nothing here runs per request.
"""

import re
from functools import lru_cache
from html import escape, unescape

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

# Longer posts are refused with a clear error rather than tying up a worker.
POST_MAX_LENGTH = 500_000

ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# markdown-it stops parsing deeper than this, which bounds its work on pathological input
# (20,000 "[" take ~0.4 s at 32, ~3 s at 300). A list level costs two, so lists nest about
# 15 deep. Deeper block structure would be silently cut off by markdown-it: authors get a
# clear error instead (check_post_source), and anything else falls back to plain text.
MAX_NESTING = 32
MAX_LINK_BRACKETS = 10_000

POST_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "section", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
POST_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "li": {"id"},
    "ol": {"start"},
    "sup": {"id"},
    "td": {"style", "colspan", "rowspan"},
    "th": {"style", "colspan", "rowspan"},
}
POST_CLASSES = {
    # Fenced code's language, and the footnote markup mdit-py-plugins writes. (nh3 takes
    # classes only from here: "class" must not also be listed in the attributes.)
    "code": {f"language-{name}" for name in (
        "python", "py", "js", "javascript", "html", "css", "bash", "sh", "shell", "sql",
        "json", "yaml", "text", "diff", "go", "rust", "c", "cpp", "java", "ruby", "php",
    )},
    "section": {"footnotes"},
    "hr": {"footnotes-sep"},
}

COMMENT_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "i", "li", "ol", "p", "pre", "s",
    "strong", "ul",
}
COMMENT_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


class MarkdownError(ValueError):
    """Markdown that we refuse; the message says why, for a form error or a 400."""


class MarkdownTooLarge(MarkdownError):
    pass


class MarkdownUnrenderable(MarkdownError):
    """Markdown that would be cut short or take seconds to parse; shown as plain text."""


class MarkdownTooDeep(MarkdownUnrenderable):
    pass


class MarkdownTooComplex(MarkdownUnrenderable):
    pass


@lru_cache(maxsize=None)
def _post_parser():
    parser = MarkdownIt("commonmark", {"html": True, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.options["maxNesting"] = MAX_NESTING
    return parser.use(footnote_plugin)


@lru_cache(maxsize=None)
def _comment_parser():
    # Raw HTML is escaped, and images and headings stay literal text.
    parser = MarkdownIt("commonmark", {"html": False, "typographer": False})
    parser.enable(["strikethrough"])
    parser.disable(["image", "heading", "lheading"])
    parser.options["maxNesting"] = MAX_NESTING
    return parser


def _sanitize(html, *, tags, attributes, allowed_classes=None, link_rel):
    return nh3.clean(
        html,
        tags=tags,
        attributes=attributes,
        allowed_classes=allowed_classes or {},
        url_schemes=ALLOWED_URL_SCHEMES,
        filter_style_properties={"text-align"},
        link_rel=link_rel,
        strip_comments=True,
    )


def sanitize_post_html(html):
    """Clean HTML that arrives already rendered (imports) with the post allowlist."""
    return _sanitize(
        html,
        tags=POST_TAGS,
        attributes=POST_ATTRIBUTES,
        allowed_classes=POST_CLASSES,
        link_rel="noopener noreferrer",
    )


def sanitize_comment_html(html):
    """Clean HTML that arrives already rendered (imports) with the comment allowlist."""
    return _sanitize(
        html,
        tags=COMMENT_TAGS,
        attributes=COMMENT_ATTRIBUTES,
        link_rel="nofollow ugc noopener",
    )


def _check_length(source, max_length):
    if max_length is not None and len(source) > max_length:
        raise MarkdownTooLarge(f"at most {max_length:,} characters, this has {len(source):,}")


def _render(parser, source):
    """Render, or raise MarkdownUnrenderable for input markdown-it handles badly."""
    # Each "[" may start a link label that markdown-it scans up to MAX_NESTING deep: past
    # this many, a post would take seconds to render (500,000 of them: ~10 s).
    if source.count("[") > MAX_LINK_BRACKETS:
        raise MarkdownTooComplex(f"it has more than {MAX_LINK_BRACKETS:,} “[” characters")
    tokens = parser.parse(source)
    if any(token.level >= MAX_NESTING - 1 for token in tokens):
        raise MarkdownTooDeep(
            f"lists or quotes are nested more than {MAX_NESTING // 2} levels deep"
        )
    return parser.renderer.render(tokens, parser.options, {})


def _plain_text_html(source):
    """The source as escaped paragraphs: the lossless fallback for unrenderable Markdown."""
    paragraphs = re.split(r"\n\s*\n", source.strip())
    return "".join("<p>" + escape(text).replace("\n", "<br>\n") + "</p>\n" for text in paragraphs)


def check_post_source(source, max_length=POST_MAX_LENGTH):
    """Raise MarkdownError with a reason if a post's Markdown cannot be published as is."""
    _check_length(source, max_length)
    _render(_post_parser(), source)


def render_post(source, max_length=None):
    """Markdown of a post (or the editor's live preview) to safe HTML.

    Never raises for nesting: content too deep to render becomes escaped plain text, so
    nothing an author or an import wrote is lost. Use check_post_source to tell them.
    """
    _check_length(source, max_length)
    try:
        html = _render(_post_parser(), source)
    except MarkdownUnrenderable:
        html = _plain_text_html(source)
    return sanitize_post_html(html)


def render_comment(source, max_length=None):
    """Markdown of a reader's comment to safe HTML with the comment allowlist."""
    _check_length(source, max_length)
    try:
        html = _render(_comment_parser(), source)
    except MarkdownUnrenderable:
        html = _plain_text_html(source)
    return sanitize_comment_html(html)


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


def first_paragraph(html):
    """The first paragraph of rendered HTML (already safe), or an empty string."""
    match = _FIRST_PARAGRAPH.search(html)
    return f"<p>{match.group(1)}</p>" if match else ""


_TAG = re.compile(r"<[^>]+>")


def to_plain_text(html):
    """Text of rendered HTML, for feeds' descriptions and meta tags (escape it when shown)."""
    return unescape(_TAG.sub("", html)).strip()
