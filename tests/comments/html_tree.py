"""Reading the comment tree back out of a rendered page, the way a browser nests it."""

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


def _comment_id(attrs):
    value = dict(attrs).get("id") or ""
    number = value.removeprefix("comment-")
    return value if value != number and number.isdigit() else None


class _Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, comment id or None)
        self.ancestors = {}
        self.mismatches = []

    def handle_starttag(self, tag, attrs):
        comment_id = _comment_id(attrs)
        if comment_id:
            self.ancestors[comment_id] = [cid for _, cid in self.stack if cid]
        if tag not in VOID:
            self.stack.append((tag, comment_id))

    def handle_startendtag(self, tag, attrs):
        comment_id = _comment_id(attrs)
        if comment_id:
            self.ancestors[comment_id] = [cid for _, cid in self.stack if cid]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.mismatches.append((tag, [t for t, _ in self.stack[-3:]]))
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break


def comment_tree(html):
    """{"comment-<id>": [ids of the comments it is nested in, outermost first]}.

    Raises AssertionError if any end tag closes something other than the element open
    at that point: the thread's lists must nest exactly, not rely on browsers' repairs.
    """
    parser = _Tree()
    parser.feed(html)
    parser.close()
    assert parser.mismatches == [], f"badly nested tags: {parser.mismatches[:5]}"
    return parser.ancestors
