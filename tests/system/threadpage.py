"""Where each comment sits on a post page: {comment id: id of the comment it is nested in}."""

import re
from html.parser import HTMLParser

_COMMENT = re.compile(r"^comment-(\d+)$")


class _ThreadParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []  # open <li>: a comment id, or None for any other list item
        self.parents = {}

    def handle_starttag(self, tag, attrs):
        if tag != "li":
            return
        match = _COMMENT.match(dict(attrs).get("id") or "")
        if match:
            comment_id = int(match.group(1))
            enclosing = [item for item in self.stack if item is not None]
            self.parents[comment_id] = enclosing[-1] if enclosing else None
            self.stack.append(comment_id)
        else:
            self.stack.append(None)

    def handle_endtag(self, tag):
        if tag == "li" and self.stack:
            self.stack.pop()


def nesting(html):
    parser = _ThreadParser()
    parser.feed(html)
    return parser.parents
