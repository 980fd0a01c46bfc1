"""Whole pages cached for anonymous readers, invalidated exactly when their content changes.

A cached page records the versions of the content it shows: `SITE` (posts and tags, shown
on every page through lists and the sidebar), `COMMENTS` (comment counts on lists, comment
feeds) and one thread key per post. Versions live in the database (`PageVersion`), read in
one query per request, so a change made by one process is seen by every other process and
machine, with a shared Redis cache or with memory local to each process, and a Redis
outage costs speed, never correctness. The code path that changes content calls
`site_changed()` or `thread_changed(post)`; they take effect when the transaction commits.
Scheduled posts need no call: the site version carries the time of the next due
publication and counts as changed from then on.

What is never cached: requests with a session (logged-in staff, a commenter whose
"awaiting moderation" comment only they may see) or flash messages, responses that set
cookies or mark themselves private or uncacheable (previews), and anything but a 200.
Pages with a form keep working: the cached copy holds a placeholder where the CSRF token
was, and each reader gets a token of their own, with the CSRF cookie Django sets for them;
a CSP nonce in the page is replaced the same way. Answers carry an ETag, and a matching
If-None-Match gets 304.
"""

import functools
import hashlib
import operator
import os
import random
import re
import time
from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
    _unmask_cipher_token,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date

SITE = "site"
COMMENTS = "comments"

# How long an entry may sit unused; versions, not time, decide whether it is still right.
TIMEOUT = 24 * 3600
CSRF_MARK = b"\x00csrf\x00"
NONCE_MARK = b"\x00nonce\x00"
# A CSRF token in an HTML attribute (the form's hidden input, or a data- attribute): a
# literal-led pattern, ~10 times faster over a 100 KB page than looking at every word.
_TOKEN_CANDIDATE = re.compile(rb'="([A-Za-z0-9]{%d})"' % CSRF_TOKEN_LENGTH)
_MARK = re.compile(b"(" + re.escape(CSRF_MARK) + b"|" + re.escape(NONCE_MARK) + b")")


@functools.cache
def release():
    """A digest of the templates and code that render pages, so a deploy starts afresh.

    Cached pages in a shared Redis outlive the processes that made them; a page made by
    the previous release's templates is never served by the next.
    """
    digest = hashlib.sha1()
    base = Path(settings.BASE_DIR)
    for pattern in ("templates/**/*.html", "blog/**/*.py", "comments/**/*.py", "pages/**/*.py", "*/templates/**/*.html"):
        for path in sorted(base.glob(pattern)):
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def thread_key(post_url):
    """The version key of one post's comment thread: its page (all pages of it) and feeds."""
    return "thread:" + hashlib.sha1(post_url.encode()).hexdigest()[:20]


# Invalidation: called by the code paths that change content.


def site_changed():
    """Posts or tags changed: every page may show it."""
    transaction.on_commit(lambda: _bump([SITE]))


def thread_changed(post):
    """A comment on `post` appeared, changed or went: its pages, lists and comment feeds."""
    url = post.get_absolute_url()
    transaction.on_commit(lambda: _bump([COMMENTS, thread_key(url)]))


def _bump(keys):
    from blog.models import PageVersion, Post

    valid_until = None
    if SITE in keys:
        valid_until = (
            Post.objects.scheduled()
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
    PageVersion.objects.bulk_create(
        [
            PageVersion(
                key=key,
                version=random.getrandbits(62),
                valid_until=valid_until if key == SITE else None,
            )
            for key in keys
        ],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["version", "valid_until"],
    )


# Reading versions: once per request and key.


def versions(request, keys):
    """{key: version} for `keys`, read once per request (memoised on the request)."""
    known = request.__dict__.setdefault("_page_versions", {})
    missing = [key for key in keys if key not in known]
    if missing:
        found = {key: (version, _aware(valid_until)) for key, version, valid_until in _read(missing)}
        now = timezone.now()
        for key in missing:
            version, valid_until = found.get(key, (0, None))
            if valid_until is not None and valid_until <= now:
                # A scheduled post is due: everything that lists posts changes now.
                _bump([key])
                version = _read([key])[0][1]
            known[key] = version
    return tuple(known[key] for key in keys)


def _read(keys):
    """(key, version, valid_until) rows for `keys`.

    Plain SQL, written once per database and number of keys: this runs on every cached
    page, where building an ORM query cost more than the rest of the answer.
    """
    with connection.cursor() as cursor:
        cursor.execute(_read_sql(connection.vendor, len(keys)), list(keys))
        return cursor.fetchall()


@functools.cache
def _read_sql(vendor, count):
    from blog.models import PageVersion

    quote = connection.ops.quote_name
    table = quote(PageVersion._meta.db_table)
    placeholders = ", ".join(["%s"] * count)
    return (
        f"SELECT {quote('key')}, {quote('version')}, {quote('valid_until')} FROM {table} "
        f"WHERE {quote('key')} IN ({placeholders})"
    )


def _aware(value):
    """A datetime as the ORM would give it (SQLite hands back text, naive UTC)."""
    if value is None or isinstance(value, datetime):
        return value if value is None or timezone.is_aware(value) else value.replace(tzinfo=dt_timezone.utc)
    parsed = parse_datetime(value)
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt_timezone.utc)


def fragment(request, name, keys, render):
    """A piece of a page (e.g. the sidebar) rendered by `render()`, cached under `keys`."""
    if request is None:
        return render()
    current = versions(request, keys)
    cache_key = f"fragment:{release()}:{name}"
    entry = cache.get(cache_key)
    if entry is not None and entry[0] == current:
        return entry[1]
    value = render()
    cache.set(cache_key, (current, value), TIMEOUT)
    return value


def expire_at(request, when):
    """The page being rendered changes by itself at `when` (e.g. comments close)."""
    if when is None:
        return
    current = getattr(request, "_page_expires_at", None)
    if current is None or when < current:
        request._page_expires_at = when


# Serving.


def is_cacheable_request(request):
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def serve(request, keys, render):
    """The page for `request` from the cache, or `render()`ed and cached, answering 304s.

    `keys` are the version keys the page depends on, known from the URL alone.
    """
    if not is_cacheable_request(request):
        return render()
    current = versions(request, keys)
    cache_key = _cache_key(request)
    entry = cache.get(cache_key)
    if entry is not None and entry["versions"] == current and not _expired(entry):
        return _from_entry(request, entry)

    response = render()
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    entry = _entry_for(request, response, keys, current)
    if entry is not None:
        cache.set(cache_key, entry, TIMEOUT)
        _mark_cacheable(request, response, entry)
    return response


def cache_for_readers(view, keys):
    """`view` served through the cache; `keys` as for serve(), fixed for every URL."""

    def cached_view(request, *args, **kwargs):
        return serve(request, keys, lambda: view(request, *args, **kwargs))

    return cached_view


class EarlyHitMiddleware:
    """Serves a cached page before sessions, auth, URL resolving and the view run.

    Placed right after CSPMiddleware (settings.MIDDLEWARE): the request id and log line,
    the security headers, the HTTPS redirect, the body and NUL checks and the CSP header
    with its nonce come from the real middleware around it, and of the rest this calls the
    only ones that touch a cached answer, CommonMiddleware (host check, redirects),
    CsrfViewMiddleware (the reader's CSRF cookie; the cookie and Vary: Cookie on the way
    out are set as it sets them, see _set_csrf_cookie) and XFrameOptions, so the answer
    is the one the view would give, headers included. The rest have nothing to do
    for an anonymous GET without a session or messages cookie: no session is read,
    AxesMiddleware only acts on a login attempt, and MessageMiddleware has nothing to
    store. Requests with a query string take the usual path, because the old-link
    middleware (transfer) answers some of them (WordPress's `/?p=123`) before any view.
    On a miss, the versions read here are remembered on the request, so the view's
    serve() does not read them again.
    """

    def __init__(self, get_response):
        from django.middleware.clickjacking import XFrameOptionsMiddleware
        from django.middleware.common import CommonMiddleware
        from django.middleware.csrf import CsrfViewMiddleware

        self.get_response = get_response
        self.common = CommonMiddleware(get_response)
        self.csrf = CsrfViewMiddleware(get_response)
        self.frame_options = XFrameOptionsMiddleware(get_response)
        self.static_prefix = "/" + (settings.STATIC_URL or "").lstrip("/")

    def __call__(self, request):
        response = self.hit(request)
        return response if response is not None else self.get_response(request)

    def hit(self, request):
        if (
            request.META.get("QUERY_STRING")
            or not is_cacheable_request(request)
            or request.path_info.startswith(self.static_prefix)
        ):
            return None
        try:
            # With neither setting, CommonMiddleware.process_request() only checks the host,
            # which _cache_key()'s get_host() does too: once is enough.
            if settings.PREPEND_WWW or settings.DISALLOWED_USER_AGENTS:
                if self.common.process_request(request) is not None:
                    return None
            cache_key = _cache_key(request)
        except DisallowedHost:
            return None  # the usual path answers it, as it always has
        entry = cache.get(cache_key)
        if entry is None:
            return None
        current = versions(request, entry["keys"])
        if entry["versions"] != current or _expired(entry):
            return None
        self.csrf.process_request(request)
        response = _from_entry(request, entry)
        response = self.frame_options.process_response(request, response)
        response = self._set_csrf_cookie(request, response)
        return self.common.process_response(request, response)

    def _set_csrf_cookie(self, request, response):
        """CsrfViewMiddleware.process_response(): the same cookie, for less.

        Its set_cookie() call, with the same settings, but with the expiry date that
        set_cookie() would work out from max_age (email.utils.formatdate, a fifth of the
        cookie's cost) formatted once a second, and Vary: Cookie set outright when the
        answer has no Vary yet. Secrets kept in the session take Django's own path.
        """
        if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or settings.CSRF_USE_SESSIONS:
            return self.csrf.process_response(request, response)
        max_age = settings.CSRF_COOKIE_AGE
        response.set_cookie(
            settings.CSRF_COOKIE_NAME,
            request.META["CSRF_COOKIE"],
            max_age=max_age,
            expires=_http_date(time.time() + max_age) if max_age is not None else None,
            domain=settings.CSRF_COOKIE_DOMAIN,
            path=settings.CSRF_COOKIE_PATH,
            secure=settings.CSRF_COOKIE_SECURE,
            httponly=settings.CSRF_COOKIE_HTTPONLY,
            samesite=settings.CSRF_COOKIE_SAMESITE,
        )
        if "Vary" in response:
            patch_vary_headers(response, ("Cookie",))
        else:
            response["Vary"] = "Cookie"
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
        return response


_formatted_second = (None, "")


def _http_date(timestamp):
    """django.utils.http.http_date(timestamp), formatted once for each second."""
    global _formatted_second
    second = datetime.fromtimestamp(timestamp, dt_timezone.utc).replace(microsecond=0)
    formatted = _formatted_second  # one read: another thread may replace it meanwhile
    if formatted[0] != second:
        formatted = _formatted_second = (second, http_date(second.timestamp()))
    return formatted[1]


def _expired(entry):
    return entry["expires_at"] is not None and timezone.now().timestamp() >= entry["expires_at"]


def _cache_key(request):
    raw = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"page:{release()}:" + hashlib.sha1(raw.encode()).hexdigest()


def _entry_for(request, response, keys, current):
    """What to store of `response`, or None when it must not be shared."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return None
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return None
    messages = getattr(request, "_messages", None)
    if messages is not None and getattr(messages, "added_new", False):
        return None
    content = response.content
    has_csrf = False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        if settings.CSRF_USE_SESSIONS:
            return None
        content, has_csrf = _punch_csrf(content, request.META["CSRF_COOKIE"])
    nonce = getattr(request, "_csp_nonce", None)
    has_nonce = isinstance(nonce, str) and nonce.encode() in content
    expires_at = getattr(request, "_page_expires_at", None)
    if has_nonce:
        content = content.replace(nonce.encode(), NONCE_MARK)
    return {
        "keys": tuple(keys),
        "versions": current,
        # A POSIX timestamp: a float is unpickled on every hit, a datetime costs more.
        "expires_at": expires_at.timestamp() if expires_at is not None else None,
        # The page cut at its placeholders (split keeps them, at the odd indexes), so an
        # answer is one join rather than a search of the whole page for each placeholder.
        "parts": _MARK.split(content),
        "content_type": response["Content-Type"],
        "csrf": has_csrf,
        "nonce": has_nonce,
        "etag": hashlib.sha1(repr(current).encode() + content).hexdigest()[:24],
    }


def _punch_csrf(content, secret):
    """Replace every CSRF token of this request's secret (in attributes) by a placeholder."""
    found = False

    def replace(match):
        nonlocal found
        if _unmask_cipher_token(match.group(1).decode()) == secret:
            found = True
            return b'="' + CSRF_MARK + b'"'
        return match.group()

    return _TOKEN_CANDIDATE.sub(replace, content), found


def _etag(request, entry):
    if entry["nonce"]:
        # The nonce is new on every answer and the browser's copy holds an old one.
        return None
    tag = entry["etag"]
    if entry["csrf"]:
        # A token in the browser's copy is good only with the cookie it was made for.
        secret = request.META.get("CSRF_COOKIE", "")
        tag += "-" + hashlib.sha1(secret.encode()).hexdigest()[:8]
    return f'"{tag}"'


def _mark_cacheable(request, response, entry):
    etag = _etag(request, entry)
    if etag:
        response["ETag"] = etag
    _patch_cache_control(response, private=entry["csrf"] or entry["nonce"])


def _patch_cache_control(response, *, private):
    """Browsers and proxies may keep the page but must ask (If-None-Match) before each use."""
    if "Cache-Control" not in response:
        # What patch_cache_control() writes when there is no header yet, without its parsing.
        response["Cache-Control"] = "no-cache, private" if private else "no-cache"
    elif private:
        patch_cache_control(response, no_cache=True, private=True)
    else:
        patch_cache_control(response, no_cache=True)


def _from_entry(request, entry):
    if "HTTP_IF_NONE_MATCH" in request.META:
        etag = _etag(request, entry)
        if etag and etag in _if_none_match(request):
            response = HttpResponseNotModified()
            response["ETag"] = etag
            _patch_cache_control(response, private=entry["csrf"])
            return response
    parts = entry["parts"]
    if len(parts) > 1:
        fill = {}
        if entry["csrf"]:
            fill[CSRF_MARK] = csrf_token(request).encode()
        if entry["nonce"]:
            fill[NONCE_MARK] = str(request.csp_nonce).encode()
        parts = parts.copy()
        parts[1::2] = [fill.get(mark, mark) for mark in parts[1::2]]
    body = b"".join(parts)
    response = HttpResponse(body, content_type=entry["content_type"])
    # CommonMiddleware would take the length of response.content, a copy of the whole page.
    response["Content-Length"] = str(len(body))
    _mark_cacheable(request, response, entry)
    response["X-Page-Cache"] = "hit"
    return response


def csrf_token(request):
    """What django.middleware.csrf.get_token(request) does, at a tenth of its cost.

    Django draws each of a token's 64 characters with its own os.urandom() call (about
    0.2 ms, a third of a cached answer); this draws them from one call, just as uniformly
    (bytes of 248 and above, which would favour some characters, are thrown away). The
    secret, the masking and the request.META flags that make CsrfViewMiddleware set the
    cookie are Django's, so tokens are checked by Django as before.
    """
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        # A new reader's secret and the mask of their token, from the same draw.
        drawn = _random_csrf_string(2 * CSRF_SECRET_LENGTH)
        secret, mask = drawn[:CSRF_SECRET_LENGTH], drawn[CSRF_SECRET_LENGTH:]
        request.META["CSRF_COOKIE"] = secret
    else:
        mask = _random_csrf_string(CSRF_SECRET_LENGTH)
    # Set (or renew) the cookie on the way out, as get_token() does.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    # Django's _mask_cipher_secret(): each character of the secret moved on by the mask's.
    return mask + "".join(map(_MASKED.__getitem__, map(operator.add, secret, mask)))


_MASKED = {
    secret + mask: CSRF_ALLOWED_CHARS[(i + j) % len(CSRF_ALLOWED_CHARS)]
    for i, secret in enumerate(CSRF_ALLOWED_CHARS)
    for j, mask in enumerate(CSRF_ALLOWED_CHARS)
}
# Random bytes become characters by a table (byte % 62), in C; bytes of 248 and above are
# deleted rather than mapped, as they would favour the first eight characters.
_CSRF_CHAR_OF_BYTE = bytes(ord(CSRF_ALLOWED_CHARS[byte % len(CSRF_ALLOWED_CHARS)]) for byte in range(256))
_BIASED_BYTES = bytes(range(256 - 256 % len(CSRF_ALLOWED_CHARS), 256))


def _random_csrf_string(length):
    drawn = b""
    while len(drawn) < length:
        drawn += os.urandom(length + 16).translate(_CSRF_CHAR_OF_BYTE, _BIASED_BYTES)
    return drawn[:length].decode("ascii")


def _if_none_match(request):
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
