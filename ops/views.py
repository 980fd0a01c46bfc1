"""Health probes for load balancers, and the error pages that must render without a database.

/healthz says the process answers; it touches nothing. /readyz says this instance can
serve: the database answers and every migration is applied (503 otherwise). It also
reports the task queue (tasks due, the oldest one's wait, failed deliveries, the last
worker heartbeat) without judging it, and the shared cache, but an unreachable Redis
leaves it at 200 ("degraded"): the site
serves without its cache, only slower, and since every instance shares the one Redis, a
probe that failed on it would take all of them out of the load balancer at once.
"""

import sys
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults, static

from delivery import outbox

# Seconds a client is asked to wait when the database is unreachable.
RETRY_AFTER = 5

_migrations_applied = False


def healthz(request):
    response = HttpResponse("ok\n", content_type="text/plain")
    add_never_cache_headers(response)
    return response


def readyz(request):
    checks = {"database": _check_database()}
    if checks["database"] == "ok":
        try:
            checks["migrations"] = "ok" if migrations_applied() else "pending"
        except DatabaseError:
            checks["database"] = "unreachable"
    checks["cache"] = _check_cache()
    ready = checks["database"] == "ok" and checks.get("migrations") == "ok"
    if ready:
        # Reported, not judged: a long queue slows emails, not pages.
        checks["tasks"] = _task_queue()
    status = ("ok" if checks["cache"] == "ok" else "degraded") if ready else "unavailable"
    response = JsonResponse({"status": status, **checks}, status=200 if ready else 503)
    add_never_cache_headers(response)
    return response


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "unreachable"
    return "ok"


def _task_queue():
    try:
        return outbox.queue_state()
    except DatabaseError:
        return "unknown"


def _check_cache():
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        seen = cache.get(key)
        cache.delete(key)
    except Exception:
        return "unreachable"
    # django-redis, told to ignore exceptions, answers None instead of raising.
    return "ok" if seen == "1" else "unreachable"


def migrations_applied():
    """Whether the database has every migration; remembered once true (it stays true)."""
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


def service_unavailable(request):
    """503 with Retry-After, rendered without the database (no context processors)."""
    context = {"retry_after": RETRY_AFTER}
    response = HttpResponse(loader.render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response


def server_error(request):
    """handler500: the database outage page when that is what went wrong, else the 500 page."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return service_unavailable(request)
    return defaults.server_error(request)


def media_file(request, path):
    """Uploaded files when Django serves them (SERVE_MEDIA): Django's own static view.

    A name the file system refuses to look up (longer than it allows) is no file: 404.
    """
    try:
        return static.serve(request, path, document_root=settings.MEDIA_ROOT)
    except OSError:
        raise Http404("No such file.") from None
