"""Every piece of Markdown in the project is rendered and sanitized here.

Rendering (markdown-it-py, CommonMark plus tables, strikethrough and footnotes) and
sanitizing (nh3, an allowlist) happen together so no caller can get one without the other.
Posts and comments use different allowlists: comments get no images, headings, tables or
raw HTML. Results are stored on save; nothing here runs per request. What one text may
cost to render is bounded (WORK_BUDGET, MAX_NESTING, MAX_HTML_NESTING): past a bound, the
forms and the preview say why (check_post_source, check_comment_source, preview_post), and
other callers get the text escaped as plain paragraphs.
"""

import re
from functools import lru_cache
from html import escape, unescape

import mdurl
import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

# Longer posts are refused with a clear error rather than tying up a worker.
POST_MAX_LENGTH = 500_000

ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# markdown-it stops parsing deeper than this, which bounds its work on pathological input
# (a run of "[" rescans its labels up to this depth). A list level costs two, so lists nest
# about 15 deep. Deeper block structure would be silently cut off by markdown-it: authors
# get a clear error instead (check_post_source), and anything else falls back to plain text.
MAX_NESTING = 32

# Rendering costs time in proportion to what markdown-it creates and examines, not to the
# length of the text: each block element (paragraph, list item, table cell) and each markup
# character in a line of text cost about the same; a line that is not blank costs two more
# (the block parser tries its rules on it), any line a quarter (even a blank one is indexed),
# and a "[" eight (its label is scanned and its address normalized, whether it becomes a
# link, an image, a footnote or a reference). Each source gets a budget of that work,
# counted in linear passes before each stage: "[" and lines before anything is parsed,
# block elements as the block parser creates them, the markup characters of the text before
# its inline parse. Past the budget the source is refused before the stage that would cost
# the time. The weights and the budget follow what bench/markdown_pathological.py
# measures; docs/SECURITY.md gives the figures.
WORK_BUDGET = 30_000
LINE_COST = 2
LINES_PER_UNIT = 4
LINK_BRACKET_COST = 8
INLINE_MARKUP_COSTS = {
    # Every character at which markdown-it's inline parser stops to try its rules...
    **dict.fromkeys("!#$%&+-:=>@[\\]^`{}~", 1),
    # ...emphasis delimiters, which each become tokens of their own...
    "*": 2, "_": 2,
    # ...line breaks (the line itself is charged as a line)...
    "\n": 1,
    # ...and "<", which may start an autolink whose address is normalized.
    "<": 5,
}

# HTML parsers (nh3's html5ever) scan the open elements for each new block element, so
# raw HTML nested thousands deep costs time quadratic in its depth. Counted before nh3
# sees it; no real post comes near.
MAX_HTML_NESTING = 100
HTML_VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
    "param", "source", "track", "wbr",
}

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


class MarkdownTooComplex(MarkdownUnrenderable):
    """Markdown whose rendering would cost more than WORK_BUDGET allows."""


class MarkdownTooDeep(MarkdownTooComplex):
    """Lists, quotes or raw HTML nested past what we render."""


class _WorkBudget:
    """WORK_BUDGET for one source, spent as parsing goes (see the costs above)."""

    def __init__(self, source):
        self.limit = WORK_BUDGET
        self.spent = 0
        brackets = source.count("[")
        if brackets * LINK_BRACKET_COST > self.limit:
            raise MarkdownTooComplex(
                f"it has more than {self.limit // LINK_BRACKET_COST:,} “[” characters "
                "(each may start a link, an image or a footnote)"
            )
        self.spend(brackets * LINK_BRACKET_COST)
        self.spend(
            len(_NON_BLANK_LINE.findall(source)) * LINE_COST
            + source.count("\n") // LINES_PER_UNIT
        )

    def spend(self, cost):
        self.spent += cost
        if self.spent > self.limit:
            raise MarkdownTooComplex(
                "it is too complex to render in one piece (lines, paragraphs, list items, "
                "table cells, links, emphasis and other markup each count towards a limit "
                f"of {self.limit:,}, and this goes past it); split it into shorter pieces"
            )


# A line the block parser tries its rules on: one with more than spaces and tabs.
# mdurl fills its table of escapes on first use and shows it to other threads before it
# is full (an IndexError while normalising a link). Filling it here, while the module loads
# under the import lock, keeps link normalisation safe to share between threads.
mdurl.encode("")

_NON_BLANK_LINE = re.compile(r"^[ \t]*[^ \t\n]", re.MULTILINE)


class _BudgetedTokens(list):
    """The block parser's token list, charging each block element as it is created.

    Checking between rules would not do: one table rule can create hundreds of thousands
    of cells.
    """

    def __init__(self, budget):
        super().__init__()
        self.budget = budget

    def append(self, token):
        self.budget.spend(1)
        super().append(token)


def _charge_block_elements(state):
    # state.src is the source as markdown-it normalized it: "\r" is a line break too.
    budget = state.env["work_budget"] = _WorkBudget(state.src)
    state.tokens = _BudgetedTokens(budget)


def _charge_inline_markup(state):
    text = " ".join(token.content for token in state.tokens if token.type == "inline")
    state.env["work_budget"].spend(
        sum(text.count(character) * cost for character, cost in INLINE_MARKUP_COSTS.items())
    )


def _with_work_budget(parser):
    """Charge the work budget before the block and before the inline stage.

    Returns the parser ready to share between threads: markdown-it compiles its chains of
    rules on first use, and a thread parsing while another compiles saw no rule at all
    ("none of the block rules matched", a 500 under gthread workers). One parse here,
    before the parser is shared, compiles every chain.
    """
    parser.core.ruler.before("block", "charge_block_elements", _charge_block_elements)
    parser.core.ruler.before("inline", "charge_inline_markup", _charge_inline_markup)
    parser.parse("Compiled *once*.")
    return parser


@lru_cache(maxsize=None)
def _post_parser():
    parser = MarkdownIt("commonmark", {"html": True, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.options["maxNesting"] = MAX_NESTING
    return _with_work_budget(parser.use(footnote_plugin))


@lru_cache(maxsize=None)
def _comment_parser():
    # Raw HTML is escaped, and images and headings stay literal text. Addresses written
    # out in the text become links (readers paste them bare); nh3 gives every comment link
    # rel="nofollow ugc noopener" (sanitize_comment_html).
    parser = MarkdownIt("commonmark", {"html": False, "typographer": False})
    parser.enable(["strikethrough"])
    parser.disable(["image", "heading", "lheading"])
    parser.options["maxNesting"] = MAX_NESTING
    parser.core.ruler.after("inline", "link_bare_addresses", _link_bare_addresses)
    return _with_work_budget(parser)


# An http(s) address written out in text: up to a space, a quote or an angle bracket.
# Punctuation that ends a sentence, and a closing bracket that opened before the address,
# are not part of it. markdown-it's own "linkify" needs linkify-it-py, which also links
# bare names ("settings.py": .py is a country's domain), which a blog about code must not.
_BARE_ADDRESS = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_ADDRESS_TRAILING = ".,:;!?*_~"


def _link_bare_addresses(state):
    """Make the http(s) addresses in text outside links into links ("linkify")."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children = []
        inside_link = 0
        for token in block.children:
            if token.type == "link_open":
                inside_link += 1
            elif token.type == "link_close":
                inside_link -= 1
            if token.type == "text" and not inside_link and "://" in token.content:
                children.extend(_address_tokens(state.md, token))
            else:
                children.append(token)
        block.children = children


def _address_tokens(md, token):
    """`token` (text) as text and link tokens, one link per address in it."""
    text = token.content
    pieces = []
    start = 0
    for match in _BARE_ADDRESS.finditer(text):
        address = match.group().rstrip(_ADDRESS_TRAILING)
        while address.endswith(")") and address.count(")") > address.count("("):
            address = address[:-1].rstrip(_ADDRESS_TRAILING)
        href = md.normalizeLink(address)
        if address.partition("://")[2] and md.validateLink(href):
            begin = match.start()
            if begin > start:
                pieces.append(Token("text", "", 0, content=text[start:begin], level=token.level))
            pieces += [
                Token("link_open", "a", 1, attrs={"href": href}, markup="linkify", info="auto",
                      level=token.level),
                Token("text", "", 0, content=address, level=token.level + 1),
                Token("link_close", "a", -1, markup="linkify", info="auto", level=token.level),
            ]
            start = begin + len(address)
    if not pieces:
        return [token]
    if start < len(text):
        pieces.append(Token("text", "", 0, content=text[start:], level=token.level))
    return pieces


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


_HTML_TAG = re.compile(r"<(/?)([a-z][^\s/>]*)", re.IGNORECASE)


def _check_html_nesting(tokens):
    """Refuse raw HTML that leaves more than MAX_HTML_NESTING elements open at once.

    An upper bound of what an HTML parser keeps open, counted in one pass: every start
    tag opens an element (even in a comment, an attribute or "<div/>", where browsers
    open one too) until an end tag of the same name; elements whose end tag HTML lets one
    omit count as open too, which only errs towards refusing.
    """
    open_by_name = {}
    depth = 0
    for token in tokens:
        for html in _raw_html(token):
            for closing, name in _HTML_TAG.findall(html):
                name = name.lower()
                if closing:
                    if open_by_name.get(name):
                        open_by_name[name] -= 1
                        depth -= 1
                elif name not in HTML_VOID_ELEMENTS:
                    open_by_name[name] = open_by_name.get(name, 0) + 1
                    depth += 1
                    if depth > MAX_HTML_NESTING:
                        raise MarkdownTooDeep(
                            f"its HTML has more than {MAX_HTML_NESTING} elements open at once "
                            "(close each tag you open)"
                        )


def _raw_html(token):
    if token.type == "html_block":
        yield token.content
    elif token.type == "inline":
        for child in token.children or ():
            if child.type == "html_inline":
                yield child.content


def _render(parser, source):
    """Render, or raise MarkdownUnrenderable for input markdown-it handles badly."""
    tokens = parser.parse(source)
    if any(token.level >= MAX_NESTING - 1 for token in tokens):
        raise MarkdownTooDeep(
            f"lists or quotes are nested more than {MAX_NESTING // 2} levels deep"
        )
    _check_html_nesting(tokens)
    return parser.renderer.render(tokens, parser.options, {})


def _plain_text_html(source):
    """The source as escaped paragraphs: the lossless fallback for unrenderable Markdown.

    Safe as it is (every character of the source is escaped), so it skips the sanitizer,
    which would cost more on such text than the refused rendering would have.
    """
    paragraphs = re.split(r"\n\s*\n", source.strip())
    return "".join("<p>" + escape(text).replace("\n", "<br>\n") + "</p>\n" for text in paragraphs)


# A post's form checks its Markdown, then the post saves and renders it: the second time
# is a lookup. (Refusals are not kept; they are cheap to find again.)
@lru_cache(maxsize=4)
def _post_html(source):
    return sanitize_post_html(_render(_post_parser(), source))


@lru_cache(maxsize=4)
def _comment_html(source):
    return sanitize_comment_html(_render(_comment_parser(), source))


def clear_caches():
    """Forget the sources kept since the last check (for tests and benchmarks)."""
    _post_html.cache_clear()
    _comment_html.cache_clear()


def check_post_source(source, max_length=POST_MAX_LENGTH):
    """Raise MarkdownError with a reason if a post's Markdown cannot be published as is."""
    _check_length(source, max_length)
    _post_html(source)


def check_comment_source(source, max_length=None):
    """Raise MarkdownError with a reason if a comment's Markdown cannot be shown as is."""
    _check_length(source, max_length)
    _comment_html(source)


def render_post(source, max_length=None):
    """Markdown of a post to safe HTML.

    Never raises for nesting or complexity: such content becomes escaped plain text, so
    nothing an author or an import wrote is lost. Use check_post_source to tell them, or
    preview_post.
    """
    _check_length(source, max_length)
    try:
        return _post_html(source)
    except MarkdownUnrenderable:
        return _plain_text_html(source)


def preview_post(source):
    """The editor's live preview: exactly what render_post stores, or the reason it cannot."""
    _check_length(source, POST_MAX_LENGTH)
    return _post_html(source)


def render_comment(source, max_length=None):
    """Markdown of a reader's comment to safe HTML with the comment allowlist."""
    _check_length(source, max_length)
    try:
        return _comment_html(source)
    except MarkdownUnrenderable:
        return _plain_text_html(source)


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


def first_paragraph(html):
    """The first paragraph of rendered HTML (already safe), or an empty string."""
    match = _FIRST_PARAGRAPH.search(html)
    return f"<p>{match.group(1)}</p>" if match else ""


_TAG = re.compile(r"<[^>]+>")


def to_plain_text(html):
    """Text of rendered HTML, for feeds' descriptions and meta tags (escape it when shown)."""
    return unescape(_TAG.sub("", html)).strip()
