"""The development settings (DJANGO_DEBUG=1) with one change for `make federation-check`:
the test tool's actors live on 127.0.0.1, which the safe fetcher refuses everywhere else."""

from config.settings import *  # noqa: F403

FETCH_ALLOW_LOOPBACK = True
