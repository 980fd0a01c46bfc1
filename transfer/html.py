"""Turning the HTML of Blogger and WordPress into what our models store.

A post's body is Markdown, and Markdown passes block HTML through, so an imported post
keeps its HTML: cleaned by the project's sanitizer, then laid out so the Markdown renderer
takes it as one HTML block and changes nothing (`post_body_from_html`). Before that,
WordPress content is given the paragraphs WordPress itself adds when it shows a post
(`autop`, a port of `wpautop`), its shortcodes become plain HTML or go, and Gutenberg's
block comments go with every other HTML comment.

A comment's body is Markdown rendered without raw HTML, so imported comment HTML is
converted to Markdown (`comment_markdown_from_html`), and the result is checked: if it
would not render to the same text, the comment falls back to plain paragraphs.
"""

import html as html_module
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from blog import markdown

# ---------------------------------------------------------------------------------------
# wpautop: WordPress's paragraphs from blank lines (wp-includes/formatting.php)

_ALL_BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|"
    r"form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|"
    r"article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
# An unclosed comment runs to the end, as in WordPress's own tag splitter (and so the
# pattern never rescans the text once per "<!--").
_TAG_OR_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)|<[^>]*>", re.DOTALL)


def _split_pre(text):
    """[(is_pre, piece)] in order: each <pre>...</pre> block apart from the text around it.

    Like WordPress, a <pre> without a closing tag after it is not a block; the text is cut
    at each "</pre>" once, so this stays linear whatever the input.
    """
    pieces = []
    parts = re.split(r"(?i)</pre>", text)
    for part in parts[:-1]:
        start = part.lower().find("<pre")
        if start == -1:
            pieces.append((False, part + "</pre>"))
            continue
        pieces.append((False, part[:start]))
        pieces.append((True, part[start:] + "</pre>"))
    pieces.append((False, parts[-1]))
    return pieces


def autop(text, br=True):
    """Paragraphs for text whose line breaks mean something (WordPress's `wpautop`)."""
    if not text.strip():
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n") + "\n"
    pre_blocks = {}
    kept = []
    for is_pre, piece in _split_pre(text):
        if is_pre:
            name = f"<pre wp-pre-tag-{len(pre_blocks)}></pre>"
            pre_blocks[name] = piece
            piece = name
        kept.append(piece)
    text = "".join(kept)
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = re.sub(rf"(<{_ALL_BLOCKS}[\s/>])", r"\n\n\1", text)
    text = re.sub(rf"(</{_ALL_BLOCKS}>)", r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    # A line break inside a tag is not a line break of the text.
    text = _TAG_OR_COMMENT.sub(lambda match: match.group(0).replace("\n", " "), text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    pieces = [piece for piece in re.split(r"\n\s*\n", text) if piece]
    text = "".join(f"<p>{piece.strip(chr(10))}</p>\n" for piece in pieces)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(rf"<p>\s*(</?{_ALL_BLOCKS}[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.IGNORECASE)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(rf"<p>\s*(</?{_ALL_BLOCKS}[^>]*>)", r"\1", text)
    text = re.sub(rf"(</?{_ALL_BLOCKS}[^>]*>)\s*</p>", r"\1", text)
    if br:
        text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = re.sub(rf"(</?{_ALL_BLOCKS}[^>]*>)\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for name, block in pre_blocks.items():
        text = text.replace(name, block)
    return text


# ---------------------------------------------------------------------------------------
# Gutenberg blocks and the "more" marker

_BLOCK_COMMENT = re.compile(r"<!--\s+wp:[a-z]")
_DYNAMIC_BLOCK = re.compile(r"<!--\s+wp:([a-z][a-z0-9_/-]*)[^>]*?/-->")
_MORE = re.compile(r"<!--more(.*?)?-->")


def has_blocks(text):
    """Whether WordPress's block editor wrote this (WordPress then skips `wpautop`)."""
    return bool(_BLOCK_COMMENT.search(text))


def dynamic_blocks(text):
    """Names of self-closing blocks: WordPress builds them when it shows a page (latest
    posts, site title, search...), so an export holds nothing of them to keep."""
    return [name for name in _DYNAMIC_BLOCK.findall(text) if name not in {"more", "nextpage"}]


def split_more(text):
    """(teaser, whole text) around WordPress's `<!--more-->`, or (None, text) without one."""
    match = _MORE.search(text)
    if not match:
        return None, text
    return text[: match.start()], text


# ---------------------------------------------------------------------------------------
# Shortcodes

@dataclass
class Notes:
    """What a conversion had to leave out, counted for the import report."""

    dropped: Counter = field(default_factory=Counter)

    def drop(self, what):
        self.dropped[what] += 1


# Shortcodes of WordPress core and of WordPress.com/Jetpack that exports commonly contain.
# Any other bracketed text is left alone: "[sic]" and "[1]" are words, not shortcodes.
_LINK_SHORTCODES = {"audio", "video", "embed", "wpvideo", "youtube", "vimeo", "dailymotion",
                    "soundcloud", "tweet", "twitter", "instagram", "spotify", "ted", "flickr"}
_CODE_SHORTCODES = {"code", "sourcecode", "source"}
_DROPPED_SHORTCODES = {"playlist", "contact-form", "contact-field", "polldaddy", "crowdsignal",
                       "slideshow", "googlemaps", "archives", "blog_subscription_form",
                       "jetpack_subscription_form", "recipe", "portfolio", "testimonials"}
_CAPTION_SHORTCODES = {"caption", "wp_caption"}
SHORTCODES = (_LINK_SHORTCODES | _CODE_SHORTCODES | _DROPPED_SHORTCODES | _CAPTION_SHORTCODES
              | {"gallery"})


def _shortcode_pattern(names, prefix="sc"):
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    # WordPress's get_shortcode_regex(), unrolled loops and all, with named groups so the
    # pattern can sit inside another one.
    name = f"(?P={prefix}_name)"
    return (
        rf"\[(?P<{prefix}_open>\[?)(?P<{prefix}_name>{alternatives})(?![\w-])"
        # Attributes hold neither "]" nor "/]", so taking them possessively changes no match;
        # the bound keeps text full of "[gallery " without a "]" from being rescanned to its end.
        rf"(?P<{prefix}_attributes>(?:[^\]\/]|\/(?!\])){{0,4096}}+)"
        rf"(?:(?P<{prefix}_self_closing>\/)\]|\](?:(?P<{prefix}_content>[^\[]*+(?:\[(?!\/{name}\])[^\[]*+)*+)\[\/{name}\])?)"
        rf"(?P<{prefix}_close>\]?)"
    )


class _Shortcode:
    """A shortcode found in text: its name, attributes and enclosed content."""

    def __init__(self, match, prefix="sc"):
        self.text = match.group(0)
        self.escaped = bool(match.group(f"{prefix}_open") and match.group(f"{prefix}_close"))
        self.name = match.group(f"{prefix}_name").lower()
        self.attributes = shortcode_attributes(match.group(f"{prefix}_attributes"))
        self.content = match.group(f"{prefix}_content")


_SHORTCODE = re.compile(_shortcode_pattern(SHORTCODES), re.IGNORECASE)
_CODE_SHORTCODE = re.compile(_shortcode_pattern(_CODE_SHORTCODES), re.IGNORECASE)
_STANDALONE_SHORTCODE = re.compile(
    r"<p>\s*(?P<shortcode>" + _shortcode_pattern(SHORTCODES) + r")\s*</p>", re.IGNORECASE
)
_ATTRIBUTE = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)|"""
    r"""([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)"""
)


def shortcode_attributes(text):
    """WordPress's shortcode_parse_atts(): named values by lowercase name, others by position."""
    attributes = {}
    position = 0
    for match in _ATTRIBUTE.finditer(re.sub(r"[\u00a0\u200b]+", " ", text)):
        groups = match.groups()
        for name_index in (0, 2, 4):
            if groups[name_index]:
                attributes[groups[name_index].lower()] = groups[name_index + 1]
                break
        else:
            value = next(value for value in groups[6:] if value is not None)
            attributes[position] = value
            position += 1
    return attributes


@dataclass
class Attachment:
    url: str
    title: str = ""
    parent: str = ""
    order: int = 0


def _link(url, label=None):
    url = html_module.unescape(url.strip())
    return f'<a href="{html_module.escape(url)}">{html_module.escape(label or url)}</a>'


def _shortcode_url(name, attributes, content):
    for key in ("src", "url", "mp3", "m4a", "ogg", "wav", "mp4", "webm", "ogv", "m4v", "wmv", "flv"):
        if attributes.get(key):
            return attributes[key]
    candidate = (content or attributes.get(0) or "").strip()
    if candidate.startswith(("http://", "https://")):
        return candidate
    if candidate and name == "youtube":
        return f"https://www.youtube.com/watch?v={candidate}"
    if candidate.isdigit() and name == "vimeo":
        return f"https://vimeo.com/{candidate}"
    return None


def protect_code_shortcodes(text):
    """`[code]` blocks become <pre> before `autop`, which would otherwise add paragraphs."""

    def replace(match):
        shortcode = _Shortcode(match)
        if shortcode.escaped:
            return shortcode.text
        attributes = shortcode.attributes
        language = attributes.get("language") or attributes.get("lang") or attributes.get(0) or ""
        code = html_module.escape(html_module.unescape(shortcode.content or "").strip("\n"))
        css = f' class="language-{html_module.escape(language.lower())}"' if language else ""
        return f"<pre><code{css}>{code}</code></pre>"

    return _CODE_SHORTCODE.sub(replace, text)


# No real post has this many; past it, a post is left as it is rather than taking minutes.
MAX_SHORTCODES = 1000
_SHORTCODE_START = re.compile(r"\[(?:" + "|".join(map(re.escape, SHORTCODES)) + r")(?![\w-])", re.IGNORECASE)


def do_shortcodes(text, *, post_key="", attachments=None, notes=None):
    """Known shortcodes as plain HTML (captions, galleries, media links) or removed."""
    attachments = attachments or {}
    notes = notes if notes is not None else Notes()
    if len(_SHORTCODE_START.findall(text)) > MAX_SHORTCODES:
        notes.drop(f"shortcode processing of a post with over {MAX_SHORTCODES} shortcodes")
        return text

    def replace(match):
        shortcode = _Shortcode(match)
        if shortcode.escaped:  # "[[gallery]]" is how WordPress writes a literal "[gallery]"
            return shortcode.text[1:-1]
        name, attributes, content = shortcode.name, shortcode.attributes, shortcode.content
        if name in _CAPTION_SHORTCODES:
            inner = do_shortcodes(content or "", post_key=post_key, attachments=attachments, notes=notes)
            caption = attributes.get("caption", "")
            if not caption:
                found = re.match(r"\s*((?:<a [^>]+>\s*)?<img [^>]+>(?:\s*</a>)?)(.*)", inner, re.DOTALL)
                if found:
                    inner, caption = found.group(1), found.group(2).strip()
            figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
            return f"<figure>{inner.strip()}{figcaption}</figure>"
        if name == "gallery":
            return _gallery(attributes, post_key, attachments, notes)
        if name in _CODE_SHORTCODES:
            return protect_code_shortcodes(shortcode.text)
        if name in _LINK_SHORTCODES:
            url = _shortcode_url(name, attributes, content)
            if url:
                return f"<p>{_link(url)}</p>"
        notes.drop(f"[{name}] shortcode")
        return ""

    return _SHORTCODE.sub(replace, text)


def _gallery(attributes, post_key, attachments, notes):
    ids = attributes.get("ids") or attributes.get("include") or ""
    if ids:
        chosen = [attachments[key.strip()] for key in ids.split(",") if key.strip() in attachments]
    else:
        chosen = sorted(
            (item for item in attachments.values() if item.parent == post_key),
            key=lambda item: (item.order, item.url),
        )
    if not chosen:
        notes.drop("[gallery] shortcode whose images are not in the export")
        return ""
    images = "".join(
        f'<a href="{html_module.escape(item.url)}"><img src="{html_module.escape(item.url)}" '
        f'alt="{html_module.escape(item.title)}"></a>'
        for item in chosen
    )
    return f"<figure>{images}</figure>"


def shortcode_unautop(text):
    """Undo `autop`'s paragraph around a shortcode that stands alone (as WordPress does)."""
    return _STANDALONE_SHORTCODE.sub(lambda match: match.group("shortcode"), text)


_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.MULTILINE)


def link_bare_urls(text):
    """A URL alone on its line, which WordPress turns into an embedded player, as a link."""
    return "".join(
        piece if is_pre else _URL_LINE.sub(lambda match: _link(match.group(1)), piece)
        for is_pre, piece in _split_pre(text)
    )


def wordpress_html(content, *, post_key="", attachments=None, notes=None):
    """The HTML WordPress would show for post or excerpt content, without its dynamic parts."""
    notes = notes if notes is not None else Notes()
    for name in dynamic_blocks(content):
        notes.drop(f"wp:{name} block")
    text = link_bare_urls(content)
    if not has_blocks(text):
        text = autop(protect_code_shortcodes(text))
        text = shortcode_unautop(text)
    return do_shortcodes(text, post_key=post_key, attachments=attachments, notes=notes)


# ---------------------------------------------------------------------------------------
# Post bodies: sanitized HTML the Markdown renderer passes through untouched

# A first line opening one of these starts a CommonMark HTML block of type 6, which runs
# to the first blank line; the body has none, so the renderer takes the whole body as HTML.
_BLOCK_START = re.compile(
    r"^<(?:address|article|aside|blockquote|details|div|dl|fieldset|figcaption|figure|footer|"
    r"h[1-6]|header|hr|li|nav|ol|p|section|table|ul)(?:[\s/>]|$)",
    re.IGNORECASE,
)
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>")
_LINE_BREAKS = re.compile(r"[ \t\r\n]*\n[ \t\r\n]*")


def post_body_from_html(html):
    """Sanitized HTML laid out so that rendering it as a post's Markdown changes nothing."""
    clean = _EMPTY_PARAGRAPH.sub("", markdown.sanitize_post_html(html)).strip()
    if not clean:
        return ""
    # Newlines inside <pre> become character references, so no line of the body is blank.
    body = "".join(
        piece.replace("\n", "&#10;") if is_pre else _LINE_BREAKS.sub("\n", piece)
        for is_pre, piece in _split_pre(clean)
    ).strip()
    if not _BLOCK_START.match(body):
        body = f"<div>\n{body}\n</div>"
    return body


def same_html(first, second):
    """Whether two pieces of HTML differ only in whitespace between and inside tags."""
    def squeeze(value):
        return re.sub(r"\s+", " ", html_module.unescape(value)).replace("> <", "><").strip()
    return squeeze(first) == squeeze(second)


def plain_text(html):
    """Text of a piece of HTML on one line (for titles and comparisons)."""
    text = html_module.unescape(re.sub(r"<[^>]*>", "", html or ""))
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------------------
# Comments: HTML to the Markdown the comment renderer accepts

_COMMENT_BLOCK_TAGS = re.compile(
    r"<(/?)(div|address|article|section|header|footer|figure|figcaption|caption|dt|dd|tr|center)\b[^>]*>",
    re.IGNORECASE,
)
_COMMENT_HEADING = re.compile(r"<(/?)h[1-6]\b[^>]*>", re.IGNORECASE)
_COMMENT_CELL = re.compile(r"</?t[dh]\b[^>]*>", re.IGNORECASE)
_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_IMAGE_ATTRIBUTE = re.compile(r"""\b(src|alt)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def _image_as_link(match):
    attributes = {}
    for found in _IMAGE_ATTRIBUTE.finditer(match.group(0)):
        attributes[found.group(1).lower()] = next(v for v in found.groups()[1:] if v is not None)
    if not attributes.get("src"):
        return ""
    label = attributes.get("alt") or "image"
    return f'<a href="{attributes["src"]}">{html_module.escape(html_module.unescape(label))}</a>'


def comment_html(html, *, paragraphs=True):
    """Comment HTML reduced to the comment allowlist without losing its text.

    Images become links to them, headings bold paragraphs, table cells spaced words: a
    comment keeps every word even where the comment allowlist has no tag for its markup.
    """
    text = _IMAGE.sub(_image_as_link, html)
    text = _COMMENT_HEADING.sub(lambda m: "</strong></p>" if m.group(1) else "<p><strong>", text)
    text = _COMMENT_BLOCK_TAGS.sub(lambda m: "</p>" if m.group(1) else "<p>", text)
    text = _COMMENT_CELL.sub(" ", text)
    if paragraphs:
        text = autop(text)
    return markdown.sanitize_comment_html(text)


class _Node:
    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag, attrs=None):
        self.tag = tag
        self.attrs = dict(attrs or {})
        self.children = []


class _TreeBuilder(HTMLParser):
    VOID = {"br", "img", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, attrs)
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(_Node(tag, attrs))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


_INLINE_TAGS = {"a", "b", "strong", "i", "em", "del", "s", "code", "br"}
_WRAPPERS = {"b": "**", "strong": "**", "i": "*", "em": "*", "del": "~~", "s": "~~"}


def _escape(text):
    text = re.sub(r"([\\`*\[\]~])", r"\\\1", text)
    text = re.sub(r"(?<![^\W_])_|_(?![^\W_])", r"\\_", text)
    text = re.sub(r"&(?=#?\w+;)", r"\\&", text)
    return re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)


def _text_of(node):
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return "\n"
    return "".join(_text_of(child) for child in node.children)


def _code_span(text):
    text = re.sub(r"\s+", " ", text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _link_destination(url):
    if re.search(r"[\s()<>]", url) or not url:
        return "<" + url.replace("<", "%3C").replace(">", "%3E").replace("\n", "") + ">"
    return url


def _inline(nodes):
    out = []
    for node in nodes:
        if isinstance(node, str):
            out.append(_escape(re.sub(r"[ \t\r\n\f]+", " ", node)))
        elif node.tag == "br":
            out.append("\\\n")
        elif node.tag == "code":
            out.append(_code_span(_text_of(node)))
        elif node.tag in _WRAPPERS:
            inner = _inline(node.children)
            core = inner.strip(" ")
            if not core or core.endswith("\\\n") or core.startswith("\\\n"):
                out.append(inner)
                continue
            lead = inner[: len(inner) - len(inner.lstrip(" "))]
            trail = inner[len(inner.rstrip(" ")):]
            marker = _WRAPPERS[node.tag]
            out.append(f"{lead}{marker}{core}{marker}{trail}")
        elif node.tag == "a":
            href = node.attrs.get("href") or ""
            label = _inline(node.children).strip() or _escape(href)
            if not href:
                out.append(label)
                continue
            title = node.attrs.get("title")
            title_part = ""
            if title:
                title_part = ' "' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
            out.append(f"[{label}]({_link_destination(href)}{title_part})")
        else:
            out.append(_inline(node.children))
    return "".join(out)


_LINE_START = re.compile(r"^([#>+=-]|\d+[.)])")


def _paragraph(nodes):
    text = _inline(nodes)
    lines = [line.strip(" ") for line in text.split("\n")]
    while lines and lines[-1] in ("", "\\"):
        lines.pop()
    while lines and lines[0] in ("", "\\"):
        lines.pop(0)
    fixed = []
    for line in lines:
        match = _LINE_START.match(line)
        if match:
            marker = match.group(1)
            line = (marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker) + line[len(marker):]
        fixed.append(line)
    return "\n".join(fixed)


def _blocks(nodes):
    blocks = []
    run = []

    def flush():
        if run:
            paragraph = _paragraph(run)
            if paragraph:
                blocks.append(paragraph)
            run.clear()

    for node in nodes:
        if isinstance(node, str) or node.tag in _INLINE_TAGS:
            run.append(node)
            continue
        flush()
        block = _block(node)
        if block:
            blocks.append(block)
    flush()
    return blocks


def _block(node):
    if node.tag == "blockquote":
        inner = "\n\n".join(_blocks(node.children))
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n")) if inner else ""
    if node.tag in ("ul", "ol"):
        try:
            number = int(node.attrs.get("start") or 1)
        except ValueError:
            number = 1
        items = []
        for item in node.children:
            if isinstance(item, str):
                if item.strip():
                    items.append(("", _paragraph([item])))
                continue
            marker = "- " if node.tag == "ul" else f"{number}. "
            number += 1
            content = "\n\n".join(_blocks(item.children if item.tag == "li" else [item]))
            items.append((marker, content))
        lines = []
        for marker, content in items:
            if not marker:
                continue
            indent = " " * len(marker)
            parts = (content or "").split("\n")
            lines.append(marker + parts[0] if parts[0] else marker.rstrip())
            lines.extend(indent + part if part else "" for part in parts[1:])
        return "\n".join(lines)
    if node.tag == "pre":
        code = _text_of(node).strip("\n")
        longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
        fence = "`" * (longest + 1)
        return f"{fence}\n{code}\n{fence}"
    return "\n\n".join(_blocks(node.children))


def markdown_from_comment_html(clean_html):
    """Markdown for comment HTML already reduced to the comment allowlist."""
    builder = _TreeBuilder()
    builder.feed(clean_html)
    builder.close()
    return "\n\n".join(_blocks(builder.root.children)).strip("\n")


def _plain_paragraphs(clean_html):
    """The text alone, a paragraph per block or line break (no recursion, any depth)."""
    text = re.sub(r"</(?:p|li|blockquote|pre)>|<br\s*/?>", "\n\n", clean_html)
    text = html_module.unescape(re.sub(r"<[^>]*>", "", text))
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(_paragraph([paragraph]) for paragraph in paragraphs if paragraph.strip())


def _letters(html):
    return re.sub(r"\s+", "", plain_text(html))


def comment_markdown_from_html(html, *, paragraphs=True):
    """A comment's Markdown from its HTML: the same words, as much of the markup as allowed.

    The result is rendered and compared with the cleaned HTML; if they differ in text (an
    emphasis CommonMark would not close, say), the comment is kept as plain paragraphs, so
    no raw markup ever shows.
    """
    clean = comment_html(html, paragraphs=paragraphs)
    try:
        source = markdown_from_comment_html(clean)
    except RecursionError:  # markup nested thousands deep: its text is what matters
        return _plain_paragraphs(clean)
    if _letters(markdown.render_comment(source)) != _letters(clean):
        source = _plain_paragraphs(clean)
    return source
