"""Request-level defences that belong to no single view.

- EarlyRefusalMiddleware refuses an oversized body with 413 from its Content-Length,
  before anything reads it. Public pages only take small forms; the admin and the editor
  (settings.REQUEST_BODY_STAFF_PATHS) take posts and image uploads. It also answers 400 to
  a NUL byte in the path or query string, which no real link has and which PostgreSQL
  refuses in a query (every lookup by URL or parameter would otherwise be a 500).
- LockoutBackend is django-axes' lockout check for logins (the admin's among them).
- same_origin_or_csrf_token guards forms that anonymous readers send (the comment form)
  without a per-reader token, so that the page holding the form is the same bytes for
  every reader and a shared cache may keep it (docs/SECURITY.md, "Cross-site requests").
"""

import functools
import logging
from urllib.parse import urlsplit

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.shortcuts import render
from django.utils.http import is_same_domain
from django.views.decorators.csrf import csrf_exempt, csrf_protect

logger = logging.getLogger(__name__)


class EarlyRefusalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or self.has_nul(request):
            return render(request, "400.html", status=400)
        limit = self.limit_for(request.path_info)
        if length > limit:
            logger.warning(
                "Refused a %s-byte body for %s (limit %s bytes).", length, request.path_info, limit
            )
            return render(request, "413.html", {"limit": limit}, status=413)
        return self.get_response(request)

    @staticmethod
    def has_nul(request):
        query = request.META.get("QUERY_STRING", "")
        return "\x00" in request.path_info or "\x00" in query or "%00" in query

    @staticmethod
    def limit_for(path):
        if path.startswith(tuple(settings.REQUEST_BODY_STAFF_PATHS)):
            return settings.REQUEST_BODY_MAX_BYTES_STAFF
        return settings.REQUEST_BODY_MAX_BYTES


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check, for logins that come with a request.

    Every login through the web passes its request; the ones that do not (the test
    client's login(), code running in a shell) have no client to count against, and axes
    would raise an error for them instead of letting the next backend decide.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def carries_session(request):
    """Whether the request comes with a session cookie (signed in, or a commenter's own state).

    Such a request keeps Django's CSRF token check, and its pages are never shared-cached.
    """
    return settings.SESSION_COOKIE_NAME in request.COOKIES


CROSS_SITE_REFUSED = (
    "This form was sent from another site, so it was not accepted. If you wrote it here, "
    "go back to the page, reload it and send it again."
)


def same_origin_or_csrf_token(view):
    """Refuse cross-site POSTs to `view` without asking anonymous readers for a token.

    A request carrying a session cookie (a signed-in user, a commenter with their own
    pending comment) goes through Django's `csrf_protect`, exactly as Django ships it: its
    form carries a token. A request without one has no ambient authority a forger could
    borrow; it is refused only when the browser says it comes from another site. That is
    how WordPress takes anonymous comments and how Go's http.CrossOriginProtection works:

    - `Sec-Fetch-Site` (sent by every current browser): `same-origin` or `none` (typed or
      bookmarked) passes; `same-site` or `cross-site` passes only from an origin listed in
      CSRF_TRUSTED_ORIGINS;
    - without it, `Origin`, when sent, must be this site's or a trusted one (Django's
      origin check, CsrfViewMiddleware);
    - with neither, on HTTPS the `Referer` must be this site's or a trusted one (Django's
      referer check); on plain HTTP, as in Go, the request is taken for a non-browser
      client, which could send the same request from anywhere anyway.
    """
    protected = csrf_protect(view)

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if carries_session(request):
            return protected(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            reason = cross_site_reason(request)
            if reason is not None:
                logger.warning("Forbidden (%s): %s", reason, request.path)
                return render(request, "403.html", {"exception": CROSS_SITE_REFUSED}, status=403)
        return view(request, *args, **kwargs)

    return csrf_exempt(guarded)


def cross_site_reason(request):
    """Why a session-less unsafe request counts as cross-site, or None when it is not."""
    fetch_site = request.META.get("HTTP_SEC_FETCH_SITE")
    origin = request.META.get("HTTP_ORIGIN")
    if fetch_site is not None:
        if fetch_site in ("same-origin", "none"):
            return None
        if origin is not None and _trusted_origin(origin):
            return None
        return f"Sec-Fetch-Site is {fetch_site!r}"
    if origin is not None:
        if origin == _own_origin(request) or _trusted_origin(origin):
            return None
        return f"Origin {origin!r} is not this site"
    if request.is_secure():
        return _referer_problem(request)
    return None


def _own_origin(request):
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{'https' if request.is_secure() else 'http'}://{host}"


def _trusted_origin(origin):
    """Whether CSRF_TRUSTED_ORIGINS lists `origin`, as Django's origin check reads it."""
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in trusted:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parsed.netloc, urlsplit(entry).netloc.lstrip("*"))
        for entry in trusted
        if "*" in entry and urlsplit(entry).scheme == parsed.scheme
    )


def _referer_problem(request):
    """Django's referer check for HTTPS requests without an Origin, or None when it passes."""
    referer = request.META.get("HTTP_REFERER")
    if referer is None:
        return "no Referer on HTTPS"
    try:
        parsed = urlsplit(referer)
    except ValueError:
        return "malformed Referer"
    if "" in (parsed.scheme, parsed.netloc):
        return "malformed Referer"
    if parsed.scheme != "https":
        return "Referer is not https"
    trusted_hosts = {urlsplit(entry).netloc.lstrip("*") for entry in settings.CSRF_TRUSTED_ORIGINS}
    if any(is_same_domain(parsed.netloc, host) for host in trusted_hosts):
        return None
    good = settings.SESSION_COOKIE_DOMAIN if settings.CSRF_USE_SESSIONS else settings.CSRF_COOKIE_DOMAIN
    if good is None:
        try:
            good = request.get_host()
        except DisallowedHost:
            return "Referer is not this site"
    elif request.get_port() not in ("443", "80"):
        good = f"{good}:{request.get_port()}"
    if not is_same_domain(parsed.netloc, good):
        return "Referer is not this site"
    return None
