"""Whole pages and fragments kept for anonymous readers, right until their content changes.

A cached page records the versions of the content it shows. The keys: `SITE` (posts,
tags, authors, pages: every page shows some of them through lists, the sidebar and the
menu), `COMMENTS` (comment counts on lists, the comment feeds) and one `thread(post_id)`
per post. Versions live in the database (`PageVersion`), so a change made by one process
is seen by every other process and machine, with a shared Redis or with memory local to
each process, and a Redis outage costs speed, never correctness. pagecache/refresh.py
declares which change bumps which key, after the change commits. Scheduled posts need no
change: the site's version carries the time of the next due publication and counts as
changed from then on.

A page's version of a key is read before the render reads anything that key covers, from
the database the render reads (a standby, for anonymous readers when there are standbys:
ops/db_router.py), and once per request. So a page is never stored under versions newer
than the data it was rendered from: at worst it is stored under older ones, and the next
request renders it again.

Who shares a copy: only GET and HEAD requests without a session cookie, flash messages or
a commenter's right to change their comments (`is_shareable`, READER_COOKIES). Those answers are the same bytes for every reader and say so:
`Cache-Control: public, max-age=0, s-maxage=PAGECACHE_S_MAXAGE,
stale-while-revalidate=PAGECACHE_STALE_WHILE_REVALIDATE`, an ETag (Django's
ConditionalGetMiddleware answers a matching If-None-Match with 304), `Vary: Cookie` (a
session cookie changes the page). A request with a session gets `private, no-cache` and
never reads or writes the shared copy. What is never stored: anything but a 200, a
response that sets a cookie or marks itself private or uncacheable (previews), a render
that drew a CSRF token or a CSP nonce, or that changed the session or added messages.
"""

import functools
import hashlib
import random
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.signals import setting_changed
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

SITE = "site"
COMMENTS = "comments"

# How long an entry may sit unused; versions, not time, decide whether it is still right.
TIMEOUT = 24 * 3600

# Settings whose values change rendered pages: a deploy that changes one starts afresh.
PAGE_SETTINGS = (
    "SITE_NAME",
    "SITE_URL",
    "TIME_ZONE",
    "LANGUAGE_CODE",
    "USE_TZ",
    "STATIC_URL",
    "MEDIA_URL",
    "CONTENT_SECURITY_POLICY",
    "CONTENT_SECURITY_POLICY_REPORT_ONLY",
    "POSTS_PER_PAGE",
    "SEARCH_MAX_RESULTS",
    "COMMENTS_MAX_DEPTH",
    "COMMENTS_CLOSE_AFTER_DAYS",
    "COMMENTS_PER_PAGE",
    "WEBMENTION_ENABLED",
    "PAGECACHE_S_MAXAGE",
    "PAGECACHE_STALE_WHILE_REVALIDATE",
    "ACTIVITYPUB_ENABLED",
)


def thread(post_id):
    """The version key of one post's comment thread: its pages, its reply forms, its feeds."""
    return f"thread:{post_id}"


@functools.cache
def release():
    """A digest of what renders pages besides the content, so a deploy starts afresh.

    Cached pages in a shared Redis outlive the processes that made them; a page made by
    the previous release's code, templates, static files (their hashed names are in the
    pages), pinned libraries or page-changing settings is never served by the next.
    """
    digest = hashlib.sha1()
    base = Path(settings.BASE_DIR).resolve()
    folders = [Path(config.path).resolve() for config in apps.get_app_configs()]
    # Our apps only: a virtualenv inside the project holds the libraries, named by the pins.
    folders = [
        folder for folder in folders
        if folder.is_relative_to(base) and "site-packages" not in folder.parts
    ]
    paths = [base / "requirements.txt"]
    for folder in [base / "templates", base / "static", *folders]:
        paths += [path for path in folder.rglob("*") if path.suffix in {".py", ".html", ".css", ".js", ".svg", ".txt", ".xml"}]
    for path in sorted(set(paths)):
        if path.is_file() and "__pycache__" not in path.parts and "migrations" not in path.parts:
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    for name in PAGE_SETTINGS:
        digest.update(f"{name}={getattr(settings, name, None)!r}".encode())
    return digest.hexdigest()[:12]


def forget_release_on_setting_changes():
    """Tests (and override_settings) change settings in a running process."""

    def forget(*, setting, **kwargs):
        if setting in PAGE_SETTINGS:
            release.cache_clear()

    setting_changed.connect(forget, weak=False, dispatch_uid="pagecache.release")


# Changing versions: pagecache/refresh.py calls bump() after the change commits.


def bump(keys):
    """New versions for `keys` on the primary; `SITE` learns when it next changes by itself."""
    from blog.models import Post
    from pagecache.models import PageVersion

    keys = sorted(set(keys))
    if not keys:
        return
    valid_until = None
    if SITE in keys:
        valid_until = (
            Post.objects.using("default").scheduled()
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
    PageVersion.objects.using("default").bulk_create(
        [
            PageVersion(key=key, version=random.getrandbits(62), valid_until=valid_until if key == SITE else None)
            for key in keys
        ],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["version", "valid_until"],
    )


# Reading versions: once per request and key, before what they cover is read.


class PageState:
    """What one request's render has read: versions, and when the page changes by itself."""

    def __init__(self):
        self.versions = {}
        self.expires_at = None


def state(request):
    found = getattr(request, "pagecache", None)
    if found is None:
        found = request.pagecache = PageState()
    return found


def depends_on(request, keys):
    """The page being rendered shows what `keys` cover: their versions, read now if not yet.

    Call it before reading that content, so the page is not stored under versions newer
    than what it shows.
    """
    from pagecache.models import PageVersion

    known = state(request).versions
    missing = [key for key in keys if key not in known]
    if missing:
        # Through the ORM and its router: the database this request's render reads.
        found = dict(
            (key, (version, valid_until))
            for key, version, valid_until in PageVersion.objects.filter(key__in=missing).values_list(
                "key", "version", "valid_until"
            )
        )
        now = timezone.now()
        for key in missing:
            version, valid_until = found.get(key, (0, None))
            if valid_until is not None and valid_until <= now:
                # A scheduled post is due: what lists posts changes now. The primary gets a
                # new version (and the next due time); this page is told apart from the
                # ones made before the due time by the time itself.
                bump([key])
                version = f"{version}@{valid_until.timestamp()}"
            known[key] = version
    return tuple(known[key] for key in keys)


def expire_at(request, when):
    """The page being rendered changes by itself at `when` (e.g. comments close)."""
    if request is None or when is None:
        return
    page = state(request)
    if page.expires_at is None or when < page.expires_at:
        page.expires_at = when


def fragment(request, name, keys, render):
    """A piece of a page (e.g. the sidebar) rendered by `render()`, cached under `keys`."""
    if request is None:
        return render()
    current = depends_on(request, keys)
    cache_key = f"fragment:{release()}:{name}"
    entry = cache.get(cache_key)
    if entry is not None and entry[0] == current:
        return entry[1]
    value = render()
    cache.set(cache_key, (current, value), TIMEOUT)
    return value


# Serving.


# Set by comments/editing.py for the browser that posted a comment: its thread shows that
# reader "Edit" and "Delete" links for a quarter of an hour.
COMMENT_EDITS_COOKIE = "comment_edits"
# Cookies besides the session's that make a page one reader's own (nginx's
# $blog_private map in deploy/nginx/blog.conf names the same).
READER_COOKIES = ("messages", COMMENT_EDITS_COOKIE)


def is_shareable(request):
    """Whether the answer to `request` is the one every anonymous reader gets."""
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and not any(
        name in cookies for name in READER_COOKIES
    )


def serve(request, keys, render):
    """The page for `request` from the cache, or `render()`ed and cached.

    `keys` are the version keys the page depends on, known before rendering; the render
    may add others (depends_on) before reading what they cover.
    """
    if not is_shareable(request):
        response = render()
        patch_cache_control(response, private=True, no_cache=True)
        return response
    cache_key = _cache_key(request)
    entry = cache.get(cache_key)
    if entry is not None:
        if depends_on(request, entry["keys"]) == entry["versions"] and not _expired(entry):
            return _from_entry(entry)
    # Versions first, then the render: the render reads data at least as new.
    depends_on(request, keys)
    response = render()
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    entry = _entry_for(request, response)
    if entry is not None:
        cache.set(cache_key, entry, TIMEOUT)
        _mark_shared(response, entry)
    elif response.status_code == 200:
        patch_cache_control(response, private=True, no_cache=True)
    return response


def for_readers(view, keys):
    """`view` served through the cache; `keys` as for serve(), or a function of the URL's
    keyword arguments that returns them."""

    @functools.wraps(view)
    def cached_view(request, *args, **kwargs):
        page_keys = keys(**kwargs) if callable(keys) else keys
        return serve(request, page_keys, lambda: view(request, *args, **kwargs))

    return cached_view


def _expired(entry):
    return entry["expires_at"] is not None and timezone.now().timestamp() >= entry["expires_at"]


def _cache_key(request):
    raw = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"page:{release()}:" + hashlib.sha1(raw.encode()).hexdigest()


def _entry_for(request, response):
    """What to store of `response`, or None when it must not be shared."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return None
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or getattr(request, "csp_nonce", None):
        # A CSRF token or a CSP nonce is one reader's (django-csp's request.csp_nonce is
        # true once the render has asked for it).
        return None
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return None
    if getattr(get_messages(request), "added_new", False):
        return None
    page = state(request)
    keys = tuple(page.versions)
    content = response.content
    return {
        "keys": keys,
        "versions": tuple(page.versions[key] for key in keys),
        "expires_at": page.expires_at.timestamp() if page.expires_at is not None else None,
        "content": content,
        "content_type": response["Content-Type"],
        "etag": '"' + hashlib.sha1(content).hexdigest()[:24] + '"',
    }


def _mark_shared(response, entry):
    """Every anonymous reader's bytes: shared caches may keep them briefly, browsers ask first."""
    response["ETag"] = entry["etag"]
    patch_cache_control(
        response,
        public=True,
        max_age=0,
        s_maxage=settings.PAGECACHE_S_MAXAGE,
        stale_while_revalidate=settings.PAGECACHE_STALE_WHILE_REVALIDATE,
    )
    patch_vary_headers(response, ("Cookie",))


def _from_entry(entry):
    response = HttpResponse(entry["content"], content_type=entry["content_type"])
    _mark_shared(response, entry)
    response["X-Page-Cache"] = "hit"
    return response
