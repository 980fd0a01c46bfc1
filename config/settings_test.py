"""Settings for the test suite: production settings with test-only secrets and fast hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# The test client and the browser tests speak plain http; tests/security checks the
# production values of the https settings.
os.environ.setdefault("DJANGO_HTTPS", "0")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SERVE_MEDIA = True
# Serve static files from the app folders as they are, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Tests decide when queued work runs (the send_queued fixture); the queue's own tests
# (tests/delivery/) start a real worker process, which must see what they commit: on
# SQLite the test database is therefore a file, not memory (TEST_SQLITE_PATH to run two
# suites side by side).
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    _test_database = os.environ.get("TEST_SQLITE_PATH", str(BASE_DIR / "test-db.sqlite3"))  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": _test_database}  # noqa: F405
    # Django recreates the file but not its write-ahead log: one left by a killed process
    # would make the new database unreadable ("disk I/O error").
    for _suffix in ("-wal", "-shm"):
        if os.path.exists(_test_database + _suffix):
            os.remove(_test_database + _suffix)
