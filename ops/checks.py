"""What production refuses to start with, in one place: `manage.py check_production`.

These are not registered with Django's system checks: `check --deploy` runs in
development and in the test suite too, where SQLite and debug are right. `make serve` and
the systemd unit run check_production before gunicorn starts.
"""

import os

from django.conf import settings
from datetime import timedelta

from django.core.checks import Error, Warning
from django.db import DatabaseError

INSECURE_KEY_PREFIX = "django-insecure"
# A worker writes a heartbeat every DELIVERY_WORKER_HEARTBEAT; silent this long, it is down.
WORKER_SILENT_AFTER = timedelta(minutes=10)


def production_problems():
    problems = []
    if settings.DEBUG:
        problems.append(Error(
            "Debug mode is on.",
            hint="Unset DJANGO_DEBUG: debug pages show settings and source code to anyone.",
            id="ops.E001",
        ))
    if not settings.SECRET_KEY or settings.SECRET_KEY.startswith(INSECURE_KEY_PREFIX):
        problems.append(Error(
            "DJANGO_SECRET_KEY is not set (the development key is in use).",
            hint="Set DJANGO_SECRET_KEY to a long random string, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
            id="ops.E002",
        ))
    engine = settings.DATABASES["default"]["ENGINE"]
    if "sqlite" in engine and os.environ.get("ALLOW_SQLITE_IN_PRODUCTION") != "1":
        problems.append(Error(
            "The database is SQLite.",
            hint="Set DATABASE_URL to a PostgreSQL database. A single small site may run "
            "on SQLite deliberately: set ALLOW_SQLITE_IN_PRODUCTION=1 to say so.",
            id="ops.E003",
        ))
    if not settings.ALLOWED_HOSTS:
        problems.append(Error(
            "DJANGO_ALLOWED_HOSTS is empty: every request would get 400.",
            hint="Set DJANGO_ALLOWED_HOSTS to the site's host name(s), comma-separated.",
            id="ops.E004",
        ))
    if not settings.HTTPS and os.environ.get("ALLOW_PLAIN_HTTP_IN_PRODUCTION") != "1":
        problems.append(Error(
            "DJANGO_HTTPS is off: no redirect to https, no HSTS, cookies sent over plain http.",
            hint="Unset DJANGO_HTTPS (and set TRUSTED_PROXY_COUNT=1 behind the proxy that "
            "terminates TLS). A server reachable only on loopback may speak plain http: set "
            "ALLOW_PLAIN_HTTP_IN_PRODUCTION=1 to say so.",
            id="ops.E005",
        ))
    if "locmem" in settings.CACHES["default"]["BACKEND"]:
        problems.append(Warning(
            "REDIS_URL is not set: each worker process has its own cache.",
            hint="Rate limits then count per process and a cache purge reaches one process "
            "only. Set REDIS_URL for more than one worker or server.",
            id="ops.W001",
        ))
    problems.extend(worker_problems())
    return problems


def worker_problems():
    """No task worker has said it is alive lately: emails wait in the database."""
    from delivery import outbox

    hint = ("Start the task worker (deploy/systemd/blog-worker.service, or `make worker`); "
            "until it runs, emails wait in the database. docs/OPERATIONS.md.")
    try:
        seen = outbox.queue_state()["worker_seen_seconds_ago"]
    except DatabaseError:
        # Before the first migrate there is no queue to look at yet.
        return [Warning("Could not tell whether a task worker runs (database not ready).",
                        hint=hint, id="ops.W101")]
    if seen is None or seen > WORKER_SILENT_AFTER.total_seconds():
        last = "never" if seen is None else f"{seen // 60} minutes ago"
        return [Warning(f"No task worker has run recently (last seen: {last}).", hint=hint,
                        id="ops.W101")]
    return []
