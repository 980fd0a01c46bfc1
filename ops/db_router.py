"""Reads that may go to a standby: those of an anonymous reader's GET or HEAD request.

With DATABASE_REPLICA_URLS set, settings add the standbys as databases "replica1", ... and
this router. ReplicaReadsMiddleware picks one standby per request, and only for a GET or
HEAD without a session cookie: everything else (any write, staff, a reader who commented
and has a session, management commands, migrations) uses the primary, so nobody misses
what they just did. An anonymous reader may see a change one replication delay late.
"""

import random
from contextvars import ContextVar

from django.conf import settings

# The standby this request reads from, or None for the primary.
replica_for_request = ContextVar("replica_for_request", default=None)


def replica_aliases():
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def choose_replica(request):
    """A standby for this request's reads, or None when it must read from the primary."""
    if request.method not in ("GET", "HEAD"):
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    aliases = replica_aliases()
    return random.choice(aliases) if aliases else None


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return replica_for_request.get() or "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the standbys are copies of the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
