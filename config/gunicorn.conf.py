"""Gunicorn's settings for `make serve` and the systemd unit, all from the environment.

Sync workers behind a buffering proxy (nginx) are the plain, robust choice: nginx absorbs
slow clients, each worker serves one request at a time, and a worker stuck longer than
the timeout is killed and replaced. docs/DEPLOY.md explains each number.
"""

import multiprocessing
import os


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Where to listen: the proxy connects here. A unix socket works too: unix:/run/blog/gunicorn.sock
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Processes: (2 x cores) + 1 is gunicorn's rule of thumb for sync workers.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
# More than 1 switches to threaded workers (gthread): more requests waiting on the
# database at once for the same memory.
threads = _int("GUNICORN_THREADS", 1)
# A request running longer than this kills its worker (the proxy answers 502 for it).
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Each worker is replaced after about this many requests, so a slow leak never grows; the
# jitter keeps the workers from restarting all at once. Rare: a new worker loads Django
# again, and a worker replaced every second or two (the old default of 1,000 under load)
# showed as spikes in p99 latency; bench/restarts.py measures both settings and
# docs/PERFORMANCE.md keeps its figures, and memory's over many requests.
max_requests = _int("GUNICORN_MAX_REQUESTS", 100_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 10_000)
# GUNICORN_PRELOAD=1: the master imports Django and the site once, and workers start as
# forks of it, so a replaced worker is ready at once and shares the code's memory. Off by
# default: a preloaded master must be restarted (not reloaded with HUP) for new code, and
# nothing may open a database connection at import time (nothing does: tests/ops).
preload_app = os.environ.get("GUNICORN_PRELOAD", "").strip().lower() in {"1", "true", "yes", "on"}
backlog = _int("GUNICORN_BACKLOG", 2048)

# Which peers may tell gunicorn the request came over https (X-Forwarded-Proto and the
# like): the same trust as Django's (TRUSTED_PROXY_COUNT, docs/SECURITY.md). With no proxy
# of ours in front, nobody, not even loopback; with one, the proxy on this machine, or the
# addresses in GUNICORN_FORWARDED_ALLOW_IPS when it runs elsewhere.
if _int("TRUSTED_PROXY_COUNT", 0) > 0:
    forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
else:
    forwarded_allow_ips = ""

# Django writes one JSON line per request (ops/middleware.py); gunicorn's own access log
# would only repeat it. Gunicorn's errors (worker timeouts, restarts) go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "blog"
# Worker heartbeats on tmpfs: a slow disk must not make healthy workers look stuck.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
