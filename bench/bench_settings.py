"""Our production settings for the benchmark, with two changes that do not touch speed:
static files are named without the collectstatic manifest (nothing is collected for a
benchmark), and the database and secrets come from bench/run.py's environment."""

from config.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# One connection per worker kept open, as production's PostgreSQL settings do
# (DATABASE_CONN_MAX_AGE); the peer gets the same. Opening SQLite with the WAL pragmas for
# every request made concurrent workers queue on the database's lock.
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
