"""A blog read from an export, in one shape whatever platform wrote it.

The Blogger and WordPress readers fill these; `importing` saves them. Bodies are already
what our models store (a post's HTML laid out as its Markdown body, a comment's Markdown),
dates are aware datetimes, and each object keeps its id in the source.
"""

import re
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from datetime import timezone as dt_timezone
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone

from blog.models import Post
from blog.text import without_forbidden_characters
from comments.models import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, URL_MAX_LENGTH, Comment
from transfer.models import PATH_MAX_LENGTH

TITLE_MAX_LENGTH = Post._meta.get_field("title").max_length
SLUG_MAX_LENGTH = Post._meta.get_field("slug").max_length


@dataclass
class SourceAuthor:
    key: str
    username: str
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""


@dataclass
class SourcePost:
    key: str
    title: str
    slug: str
    body: str
    status: str
    published_at: datetime | None
    author_key: str
    summary: str = ""
    tags: list = field(default_factory=list)
    comments_enabled: bool = True
    old_paths: list = field(default_factory=list)
    # Whether `body` is HTML laid out by transfer.html (then its rendering is checked).
    body_is_html: bool = True
    # In an export of this very site, the post's id here.
    local_id: int | None = None
    data: dict = field(default_factory=dict)


@dataclass
class SourcePage:
    """A standalone page of the old blog ("About"): it becomes a pages.Page."""

    key: str
    title: str
    slug: str
    body: str
    status: str
    published_at: datetime | None
    author_key: str
    # The key of the page it sits under in the source (resolved by the importer, whatever
    # the order of the export), and its place in the header menu (None: not in it).
    parent_key: str | None = None
    menu_order: int | None = None
    old_paths: list = field(default_factory=list)
    body_is_html: bool = True
    data: dict = field(default_factory=dict)


@dataclass
class SourceComment:
    key: str
    post_key: str
    parent_key: str | None
    author_name: str
    created_at: datetime
    body: str
    status: str = Comment.Status.APPROVED
    author_email: str = ""
    author_url: str = ""
    # "comment", or a pingback/trackback that is kept apart from reader comments.
    kind: str = "comment"
    # The WordPress comment id: kept as our id when it is free, so old #comment-N anchors work.
    number: int | None = None
    held_reason: str = ""
    data: dict = field(default_factory=dict)

    @property
    def is_linkback(self):
        return self.kind != "comment"


@dataclass
class SourceBlog:
    platform: str
    site: str
    title: str = ""
    authors: dict = field(default_factory=dict)
    posts: list = field(default_factory=list)
    pages: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    # Addresses of images on the old blog (its own host, its attachments' hosts): what
    # --fetch-media brings here.
    media_hosts: set = field(default_factory=set)
    # WordPress attachments' file addresses (fetched with --fetch-media even if no post shows them).
    attachment_urls: list = field(default_factory=list)
    # What the export holds that is not imported, by reason, and what conversions dropped.
    skipped: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    warnings: list = field(default_factory=list)
    # Published posts without a date, kept as drafts (WordPress would publish them, dated now).
    undated_drafts: int = 0
    # Tags and categories of the export whether a post uses them or not, and the categories
    # that had a parent, as "Travel › Norway" (tags here are flat).
    extra_tags: list = field(default_factory=list)
    # Posts already here that comments of the export belong to (a Disqus thread's post).
    known_posts: dict = field(default_factory=dict)
    category_paths: list = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Small conversions both readers need

def clip(value, length):
    """`value` cut to `length` characters (with an ellipsis), and whether it was cut."""
    if len(value) <= length:
        return value, False
    return value[: length - 1].rstrip() + "…", True


def valid_email(value):
    value = (value or "").strip()
    if not value or len(value) > EMAIL_MAX_LENGTH:
        return ""
    try:
        EmailValidator()(value)
    except ValidationError:
        return ""
    return value


def valid_url(value):
    """An http(s) address short enough for a comment's website, or ""."""
    value = (value or "").strip()
    if not value or len(value) > URL_MAX_LENGTH:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return ""
    return value


def author_name(value, data):
    """A commenter's name that fits the field; the full name stays in `data` when cut."""
    name = re.sub(r"\s+", " ", value or "").strip() or "Anonymous"
    clipped, was_cut = clip(name, NAME_MAX_LENGTH)
    if was_cut:
        data["author_name"] = name
    return clipped


def legacy_path(url_or_path, *, root="/"):
    """The path (or `/?p=N` query) a post had on the old blog, as requests will ask for it.

    WordPress's plain links name the post in the query (`/?p=12`, `/blog/index.php?p=12`
    when it is installed in a subdirectory): the query is kept, as `<folder>/?p=12`. The
    blog's own home (`root`) is never a post's address.
    """
    value = url_or_path.strip()
    # A path that starts with "//" (WordPress writes such links) is a path, not a host.
    parts = urlsplit("http://old" + value if value.startswith("/") else value)
    path = unquote(parts.path or "/")
    if not path.startswith("/"):
        path = "/" + path
    folder = query_folder(path)
    for key in QUERY_KEYS:
        match = re.search(rf"(?:^|&){key}=(\d{{1,18}})(?:&|$)", parts.query)
        if match and folder is not None:
            return f"{folder}?{key}={int(match.group(1))}"
    if path.rstrip("/") == root.rstrip("/") or path == "/" or len(path) > PATH_MAX_LENGTH:
        return None
    return path


# The query parameters WordPress's plain links name a post or a page by.
QUERY_KEYS = ("p", "page_id")


def query_folder(path):
    """`/blog/` for `/blog/` and `/blog/index.php`: where WordPress answers `?p=N`; else None."""
    if path.endswith("/index.php"):
        return path.removesuffix("index.php")
    return path if path.endswith("/") else None


# The earliest and latest moments kept: permalinks have four-digit years, every time zone
# can show both, and the day after each still exists for archives and feeds.
EARLIEST = datetime(1000, 1, 2, tzinfo=dt_timezone.utc)
LATEST = datetime(9999, 12, 29, tzinfo=dt_timezone.utc)


def in_range(moment, *, what, raw, warnings):
    """`moment`, or the nearest moment this site can keep (with a warning naming `what`)."""
    if moment is None:
        return None
    try:
        utc = moment.astimezone(dt_timezone.utc)
        if EARLIEST <= utc <= LATEST:
            return moment
        fitted = EARLIEST if utc < EARLIEST else LATEST
    except OverflowError:  # before year 1 or after 9999 once in UTC
        fitted = EARLIEST if moment.year < 5000 else LATEST
    warnings.append(f"{what} is dated {raw.strip()}, out of the range of dates this site can keep: "
                    f"dated {fitted:%Y-%m-%d} instead (the original stays in its import record).")
    return fitted


def note_faults(blog, faults):
    """What a recovering read of a file that is not well-formed XML could not read."""
    if faults:
        blog.skipped["places in the file that are not well-formed XML (read past with --recover)"] += len(faults)
        blog.warnings.append("The file is not well-formed XML; what could be read was read. Not read: "
                             + "; ".join(faults[:20]) + ("; …" if len(faults) > 20 else "") + ".")


def parse_iso_datetime(value):
    """An aware datetime from ISO 8601 as Blogger writes it (offset or Z, milliseconds)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _without_controls(value):
    """(`value` without control characters, how many were removed), through lists and dicts."""
    if isinstance(value, str):
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return without_forbidden_characters(value)
    if isinstance(value, list):
        cleaned = [_without_controls(item) for item in value]
        return [item for item, _ in cleaned], sum(number for _, number in cleaned)
    if isinstance(value, dict):
        removed, result = 0, {}
        for key, item in value.items():
            key, in_key = _without_controls(key)
            result[key], in_item = _without_controls(item)
            removed += in_key + in_item
        return result, removed
    return value, 0


def _clean_object(thing):
    removed = 0
    for spec in fields(thing):
        value = getattr(thing, spec.name)
        if isinstance(value, (str, list, dict)):
            cleaned, number = _without_controls(value)
            if number:
                setattr(thing, spec.name, cleaned)
                removed += number
    return removed


def remove_control_characters(blog):
    """Take control characters out of every text of `blog`, with one warning saying where."""
    removed, where, titles = 0, Counter(), []
    for kind, things in (("author", blog.authors.values()), ("post", blog.posts), ("page", blog.pages),
                         ("comment", blog.comments)):
        for thing in things:
            number = _clean_object(thing)
            if number:
                removed += number
                where[kind] += 1
                if kind in ("post", "page"):
                    titles.append(f"“{thing.title}”")
    blog.authors = {_without_controls(key)[0]: author for key, author in blog.authors.items()}
    for name in ("site", "title"):
        cleaned, number = _without_controls(getattr(blog, name))
        setattr(blog, name, cleaned)
        removed += number
    blog.warnings = [_without_controls(warning)[0] for warning in blog.warnings]
    if removed:
        places = ", ".join(f"{number} {kind}{'s' if number > 1 else ''}" for kind, number in where.items())
        shown = ", ".join(titles[:5]) + (", …" if len(titles) > 5 else "")
        blog.warnings.append(
            f"{removed} control character(s) (invisible, and not allowed in feeds) were removed"
            + (f" from {places}" if places else "") + (f": {shown}" if shown else "") + "."
        )
    return removed
