"""The real worker of tests/webmention/test_worker.py: production settings, except that it
may fetch from the test's own server on 127.0.0.1."""

from config.settings import *  # noqa: F403

FETCH_ALLOW_LOOPBACK = True
