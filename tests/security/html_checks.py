"""What "nothing executable" means, checked on parsed HTML rather than by string search."""

import re
from html.parser import HTMLParser

FORBIDDEN_TAGS = {
    "script", "style", "iframe", "frame", "object", "embed", "svg", "math", "form", "input",
    "button", "base", "meta", "link", "textarea", "select", "template", "noscript",
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "background", "poster"}


class Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        self.check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self.check(tag, attrs)

    def check(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name} attribute on <{tag}>")
            if name in URL_ATTRIBUTES and not url_is_safe(value or ""):
                self.problems.append(f"{name}={value!r} on <{tag}>")
            if name == "style" and not re.fullmatch(r"text-align:\s*(left|right|center);?", value or ""):
                self.problems.append(f"style={value!r} on <{tag}>")


def url_is_safe(value):
    # What a browser does before it looks for a scheme: drop surrounding spaces and control
    # characters, and tabs and newlines anywhere.
    cleaned = re.sub(r"[\t\n\r]", "", value).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                                  "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b"
                                                  "\x1c\x1d\x1e\x1f ")
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):", cleaned)
    return match is None or match.group(1).lower() in ALLOWED_SCHEMES


def problems_in(html):
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    if re.search(r"<\s*(script|style|iframe)", html, re.IGNORECASE):
        inspector.problems.append("raw dangerous tag text")
    return inspector.problems
