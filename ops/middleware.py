"""Request-level operations: the request id and access log, health probes, database outages.

RequestLogMiddleware comes first in settings.MIDDLEWARE so that it times and logs every
response, the ones other middleware answer included. HealthCheckMiddleware comes right
after it, before SecurityMiddleware: a probe never meets the HTTPS redirect, the host
check, sessions or a page cache, and costs nothing but its own check. CSPMiddleware is
django-csp's, with its header strings built once rather than on every response.
"""

import logging
import os
import re
import time
from http import HTTPStatus

from csp import middleware as csp_middleware
from csp.constants import HEADER as CSP_HEADER
from csp.constants import HEADER_REPORT_ONLY as CSP_HEADER_REPORT_ONLY
from csp.utils import build_policy
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
    # uuid.uuid4().hex without building a UUID object: the version and variant bits set
    # on 16 random bytes, as uuid4() does.
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


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


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, with its two header strings built once, not on every response.

    django-csp builds the policy and the report-only policy from the settings for each
    response (~0.08 ms, a sixth of a cached page's answer). They depend only on the
    settings and on the request's nonce, so each is built once by django-csp's own
    build_policy, with a stand-in where a nonce goes, and the nonce is put in per
    response. Responses with a policy of their own (django-csp's decorators) take
    django-csp's path unchanged.
    """

    _NONCE_STAND_IN = "\x00nonce\x00"
    _OWN_POLICY = frozenset({
        "_csp_config", "_csp_update", "_csp_replace",
        "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro",
    })
    _built = None

    def __init__(self, get_response):
        super().__init__(get_response)
        # As django-csp does: a nonce asked for after the header is written is an error.
        # The object never holds a value (asking raises), so every request can share it.
        self._nonce_after_response = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)

    def process_response(self, request, response):
        attributes = vars(response)
        if not self._OWN_POLICY.isdisjoint(attributes) and any(
            attributes.get(name) is not None for name in self._OWN_POLICY
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (
            HTTPStatus.INTERNAL_SERVER_ERROR,
            HTTPStatus.NOT_FOUND,
        ):
            return response
        nonce = getattr(request, "_csp_nonce", None)
        for header, exempt, prefixes, without_nonce, with_nonce in self._headers():
            if (
                header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = with_nonce.replace(self._NONCE_STAND_IN, nonce) if nonce else without_nonce
        if nonce is None:
            request.csp_nonce = self._nonce_after_response
        return response

    def _headers(self):
        """(header, exempt attribute, excluded prefixes, policy, policy with the stand-in nonce)
        for each header that has a policy.

        Built again whenever the settings objects change (tests override them).
        """
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not policy or built[1] is not report_only:
            headers = []
            for header, exempt, config, is_report_only in (
                (CSP_HEADER, "_csp_exempt", policy, False),
                (CSP_HEADER_REPORT_ONLY, "_csp_exempt_ro", report_only, True),
            ):
                without_nonce = build_policy(report_only=is_report_only)
                if without_nonce:
                    headers.append((
                        header,
                        exempt,
                        tuple((config or {}).get("EXCLUDE_URL_PREFIXES", None) or ()),
                        without_nonce,
                        build_policy(nonce=self._NONCE_STAND_IN, report_only=is_report_only),
                    ))
            built = self._built = (policy, report_only, headers)
        return built[2]
