"""A post's thread: fetched in one query, assembled into a tree in Python.

The query (CommentQuerySet.in_thread) reads only what a page shows, never the commenter's
email, IP or user agent, so no template can leak them. The tree comes out as a flat list
in reading order, each node saying whether it opens a list of replies or how many lists
close after it, so the template renders any thread with one loop and no recursion.
"""

import functools
import math
from dataclasses import dataclass, field
from datetime import datetime

from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS

from blog.site import site_settings
from comments import editing
from comments.models import Comment

_MARK = 9876543210

FIELDS = (
    "id",
    "parent_id",
    "depth",
    "author_name",
    "author_url",
    "user_id",
    "body_html",
    "status",
    "created_at",
    "edited_at",
    "origin",
    "remote_id",
    # What kind of Webmention a remote comment is (webmention.Mention.kind): the thread
    # says "replied" or "mentioned this". The join costs no query of its own.
    "webmention__kind",
)


@dataclass(slots=True, eq=False)
class Node:
    pk: int
    parent_id: int | None
    depth: int
    author_name: str
    author_url: str
    user_id: int | None
    body_html: str
    status: str
    created_at: datetime
    edited_at: datetime | None = None
    origin: str = Comment.Origin.FORM
    remote_id: str = ""
    mention_kind: str | None = None
    children: list = field(default_factory=list)
    # Shown to this reader: approved, or their own comment awaiting moderation.
    shown: bool = False
    # Shown only as a placeholder that keeps its replies in place.
    removed: bool = False
    awaiting_moderation: bool = False
    can_reply: bool = False
    reply_url: str = ""
    by_post_author: bool = False
    css_class: str = "comment"
    date_iso: str = ""
    date_label: str = ""
    edited_iso: str = ""
    edited_label: str = ""
    # Its author's links to change it, for the browser that sent it (comments/editing.py).
    edit_url: str = ""
    delete_url: str = ""
    has_children: bool = False
    # How many lists of replies end after this node (when it has no replies itself).
    closing: range = range(0)

    def __post_init__(self):
        self.author_url = Comment.web_address(self.author_url)
        self.remote_id = Comment.web_address(self.remote_id)

    @property
    def id(self):
        return self.pk


@dataclass
class Thread:
    # This page's comments in reading order; the count is of the whole thread.
    nodes: list
    count: int
    page: int = 1
    pages: int = 1
    # Top-level comments (and their replies) on each page; 0: all on one page.
    per_page: int = 0

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    @property
    def page_numbers(self):
        return range(1, self.pages + 1)


def page_url(post_url, page):
    return post_url if page == 1 else f"{post_url}?page={page}"


def page_number(request):
    """The page of the thread asked for (?page=N); 404 for anything but a whole number."""
    raw = request.GET.get("page", "1") if request is not None else "1"
    if not raw.isdigit() or not 0 < int(raw) < 10**9:
        raise Http404("No such page of comments.")
    return int(raw)


def build_thread(post, *, own_ids=(), open_for_replies=True, page=1, changeable_ids=()):
    """The visible thread of `post` for a reader whose pending comments are `own_ids`.

    One query fetches the whole thread (so page numbers and counts are exact); only the
    asked-for page of the site settings' `comments_per_page` top-level comments, with
    their replies, is kept. `changeable_ids`: comments this reader's browser sent, which
    get links to change them while editing.is_open() says they may.
    """
    thread = assemble(
        [Node(*row) for row in _thread_query(post, own_ids)],
        own_ids=set(own_ids),
        post_author_id=post.author_id,
        open_for_replies=open_for_replies,
        page=page,
    )
    if changeable_ids and open_for_replies:
        _offer_changes(thread.nodes, set(changeable_ids))
    return thread


def _offer_changes(nodes, changeable_ids):
    approved = Comment.Status.APPROVED
    now = timezone.now()
    for node in nodes:
        if node.pk not in changeable_ids or node.removed:
            continue
        answered = any(child.status == approved for child in node.children)
        if editing.is_open(node.created_at, answered=answered, now=now):
            node.edit_url = reverse("comments:edit", args=[node.pk])
            node.delete_url = reverse("comments:delete", args=[node.pk])


def _thread_query(post, own_ids):
    return (
        Comment.objects.in_thread(post, own_ids=own_ids)
        .order_by("created_at", "id")
        .values_list(*FIELDS)
    )


def permalink(comment):
    """The URL of the page of its thread that shows `comment`, with its anchor.

    Computed as if the comment were shown (its author sees their own pending comment).
    A page number already worked out for many comments at once (pages_of) is used as is.
    """
    page = getattr(comment, "thread_page", None)
    if page is None:
        page = pages_of([comment]).get(comment.pk, 1)
    return f"{page_url(comment.post.get_absolute_url(), page)}#comment-{comment.pk}"


def pages_of(comments):
    """{comment id: page of its thread} for `comments`, in one query for all their posts."""
    per_page = site_settings().comments_per_page
    comments = list(comments)
    if not per_page or not comments:
        return {comment.pk: 1 for comment in comments}
    wanted = {comment.pk for comment in comments}
    rows = (
        Comment.objects.in_threads({comment.post_id for comment in comments}, own_ids=wanted)
        .order_by("created_at", "id")
        .values_list("post_id", "id", "parent_id", "status", "created_at")
    )
    by_post = {}
    for post_id, pk, parent_id, status, created_at in rows:
        by_post.setdefault(post_id, []).append(Node(pk, parent_id, 0, "", "", None, "", status, created_at))
    pages = {}
    for nodes in by_post.values():
        roots = _link(nodes, own_ids=wanted, post_author_id=None, open_for_replies=False)
        for index, root in enumerate(roots):
            stack = [root]
            while stack:
                node = stack.pop()
                if node.pk in wanted:
                    pages[node.pk] = index // per_page + 1
                stack.extend(node.children)
    return pages


def _link(nodes, *, own_ids, post_author_id, open_for_replies):
    """Mark what this reader sees, link replies to parents; the kept top-level comments."""
    approved = Comment.Status.APPROVED
    max_depth = site_settings().comments_max_depth
    # One reverse() for the whole thread rather than one per comment.
    reply_prefix, _, reply_suffix = reverse("comments:reply", args=[_MARK]).partition(str(_MARK))
    by_id = {node.pk: node for node in nodes}
    roots = []
    for node in nodes:
        if node.status == approved:
            node.shown = True
            node.can_reply = open_for_replies and node.depth < max_depth
            if node.can_reply:
                node.reply_url = f"{reply_prefix}{node.pk}{reply_suffix}"
        elif node.pk in own_ids and node.status in Comment.AWAITING:
            node.shown = node.awaiting_moderation = True
        node.by_post_author = node.user_id is not None and node.user_id == post_author_id
        if node.parent_id is None:
            roots.append(node)
        elif node.parent_id in by_id:
            by_id[node.parent_id].children.append(node)
        # A reply whose parent is not in the thread (held or deleted) has no place to go.

    _keep_only_what_leads_to_shown(roots)
    return roots


def assemble(nodes, *, own_ids=frozenset(), post_author_id=None, open_for_replies=True, page=1):
    """Link `nodes` (in date order) into a tree and flatten one page of it into reading order."""
    roots = _link(
        nodes, own_ids=own_ids, post_author_id=post_author_id, open_for_replies=open_for_replies
    )
    count = 0
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.shown and not node.awaiting_moderation:
            count += 1
        if node.children:
            stack.extend(node.children)
    per_page = site_settings().comments_per_page or 0
    pages = max(1, math.ceil(len(roots) / per_page)) if per_page > 0 else 1
    if page > pages:
        raise Http404("No such page of comments.")
    if per_page > 0:
        roots = roots[(page - 1) * per_page : page * per_page]

    # Depth-first, without recursion (imported threads may be deeper than any limit), in
    # one pass: each node learns how many lists close after it when the next one comes.
    # Dates and classes are made here rather than by template filters and tags.
    months = _month_names(translation.get_language())
    zone = timezone.get_current_timezone()
    flat = []
    previous, previous_level = None, 0
    stack = [(node, 0) for node in reversed(roots)]
    while stack:
        node, level = stack.pop()
        if previous is not None and not previous.has_children:
            previous.closing = range(previous_level - level)
        children = node.children
        node.removed = removed = not node.shown
        node.has_children = bool(children)
        if children:
            stack.extend((child, level + 1) for child in reversed(children))
        if node.created_at is not None:
            local = node.created_at.astimezone(zone)
            node.date_iso = local.isoformat()
            node.date_label = _date_label(local, months)
        if node.edited_at is not None:
            local = node.edited_at.astimezone(zone)
            node.edited_iso = local.isoformat()
            node.edited_label = _date_label(local, months)
        if removed or node.awaiting_moderation or node.by_post_author:
            node.css_class = " ".join(
                ["comment"]
                + (["comment-removed"] if removed else [])
                + (["comment-awaiting"] if node.awaiting_moderation else [])
                + (["comment-by-post-author"] if node.by_post_author else [])
            )
        else:
            node.css_class = "comment"
        flat.append(node)
        previous, previous_level = node, level
    if previous is not None and not previous.has_children:
        previous.closing = range(previous_level)
    return Thread(nodes=flat, count=count, page=page, pages=pages, per_page=per_page)


def _date_label(local, months):
    return f"{local.day} {months[local.month - 1]} {local.year}, {local.hour:02d}:{local.minute:02d}"


@functools.lru_cache(maxsize=None)
def _month_names(language):
    """The months' names in `language` (the active one): translated once, not on every page."""
    return [str(name) for name in MONTHS.values()]


def _keep_only_what_leads_to_shown(roots):
    """Drop placeholders (removed or held comments) that have nothing shown below them."""
    order = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.children)
    keep = {}
    for node in reversed(order):  # children before their parents
        if node.children:
            node.children = [child for child in node.children if keep[child.pk]]
        keep[node.pk] = node.shown or bool(node.children)
    roots[:] = [node for node in roots if keep[node.pk]]


# The reader's own comments that are not approved yet, remembered in their session so
# that they (and nobody else) see them marked "awaiting moderation".
SESSION_KEY = "comments_awaiting"
SESSION_LIMIT = 20


def remember_own_comment(request, comment):
    if comment.is_visible:
        return
    ids = [pk for pk in request.session.get(SESSION_KEY, []) if pk != comment.pk]
    request.session[SESSION_KEY] = (ids + [comment.pk])[-SESSION_LIMIT:]


def own_comment_ids(request):
    """Comment ids remembered for this reader (no query for a reader without a session)."""
    if request is None or not hasattr(request, "session"):
        return []
    ids = request.session.get(SESSION_KEY, [])
    return [pk for pk in ids if isinstance(pk, int)]
