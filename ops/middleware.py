"""Request-level operations: the request id and access log, health probes, database outages.

RequestLogMiddleware comes first in settings.MIDDLEWARE so that it times and logs every
response, the ones other middleware answer included. HealthCheckMiddleware comes right
after it, before SecurityMiddleware: a probe never meets the HTTPS redirect, the host
check, sessions or a page cache, and costs nothing but its own check.
"""

import logging
import re
import time
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError

from blog.client_address import client_ip
from ops import views
from ops.db_router import choose_replica, replica_for_request
from ops.logging import request_id_var

logger = logging.getLogger("ops.request")
outage_logger = logging.getLogger("ops.database")

# A request id from the proxy is kept only if it looks like one: it goes into every log line.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_for(request):
    """The proxy's X-Request-ID when a proxy we run stands in front, else a new one."""
    if settings.TRUSTED_PROXY_COUNT > 0:
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        if _REQUEST_ID.match(offered):
            return offered
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """One log line per request: method, path, status, duration and request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id_for(request)
        token = request_id_var.set(request.id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "client": client_ip(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before anything else runs."""

    PROBES = {"/healthz": views.healthz, "/readyz": views.readyz}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = self.PROBES.get(request.path_info.rstrip("/"))
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)


class ReplicaReadsMiddleware:
    """Sends an anonymous reader's reads to a standby, when there are standbys (db_router)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = replica_for_request.set(choose_replica(request))
        try:
            return self.get_response(request)
        finally:
            replica_for_request.reset(token)


class DatabaseOutageMiddleware:
    """A database that cannot be reached answers 503 with Retry-After, not a 500.

    While PostgreSQL restarts, every query fails with OperationalError (or InterfaceError
    on a connection it closed); the page says to come back in a few seconds, and Django's
    persistent connections reconnect by themselves once it is back. Exceptions raised
    outside views (a session saved on the way out) reach ops.views.server_error instead,
    which makes the same choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            outage_logger.error(
                "Database unavailable, answered 503: %s",
                str(exception).strip(),
                extra={"method": request.method, "path": request.path},
            )
            return views.service_unavailable(request)
        return None
