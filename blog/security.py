"""Request-level defences that belong to no single view.

- EarlyRefusalMiddleware refuses an oversized body with 413 from its Content-Length,
  before anything reads it. Public pages only take small forms; the admin and the editor
  (settings.REQUEST_BODY_STAFF_PATHS) take posts and image uploads. It also answers 400 to
  a NUL byte in the path or query string, which no real link has and which PostgreSQL
  refuses in a query (every lookup by URL or parameter would otherwise be a 500).
- LockoutBackend is django-axes' lockout check for logins (the admin's among them).
"""

import logging

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.shortcuts import render

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
