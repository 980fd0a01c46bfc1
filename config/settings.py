"""Settings for the blog, driven by environment variables.

Development defaults are safe: debug is off unless DJANGO_DEBUG is set, and with debug
off the process refuses to start without DJANGO_SECRET_KEY. README.md lists every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production refuses to start without a secret key: "
            "set DJANGO_SECRET_KEY to a long random string (for local development, "
            "set DJANGO_DEBUG=1 instead, as `make run` does)."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
# Old keys still accepted for signatures while a new key is rolled out.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

# How many reverse proxies that we run stand in front of the app (0: none, the socket
# address is the client). Only then is X-Forwarded-For believed; see blog/client_address.py.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else ""
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS: on by default in production (debug off), off for development. It turns on the
# redirect to https, HSTS, and cookies that are never sent over plain http.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
# The proxy's word that the request came over https is believed only when settings say a
# proxy we run stands in front; otherwise any client could claim it with a header.
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF cookie: forms carry the token, and markdownx falls back
# to the form's hidden field when the cookie is out of reach.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Absolute links that leave the site (emails, feeds' self links in notifications) are built
# from this, never from the request's Host header.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The site's name, and the comment rules below, are first-run defaults: superusers change
# them in the admin (blog/site.py), and a running site reads them from there.
SITE_NAME = os.environ.get("SITE_NAME", "Notes from history")

INSTALLED_APPS = [
    # Django's admin on a site that checks every list's bulk-action selection.
    "blog.apps.BlogAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "markdownx",
    "csp",
    "axes",
    "reversion",
    "solo",
    "blog",
    "comments",
    "transfer",
    "pages",
    "ops",
    "pagecache",
    "django_tasks",
    "django_tasks_db",
    "delivery",
    "federation",
    "webmention",
]

MIDDLEWARE = [
    # ops/middleware.py: first the request id and the access log line, so they cover
    # every response; then /healthz and /readyz, answered before the HTTPS redirect, the
    # host check, sessions and any page cache; database outages become 503s.
    "ops.middleware.RequestLogMiddleware",
    "ops.middleware.HealthCheckMiddleware",
    "ops.middleware.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Refuses oversized bodies (413) and NUL bytes in URLs (400) before anything reads them.
    "blog.security.EarlyRefusalMiddleware",
    # django-csp's own: one fixed header on public pages, which use no inline script.
    "csp.middleware.CSPMiddleware",
    # ETags and 304s for every GET (pagecache/ gives shared pages the ETag of their bytes).
    "django.middleware.http.ConditionalGetMiddleware",
    # Anonymous reads may go to a standby (ops/db_router.py), the page versions included.
    "ops.middleware.ReplicaReadsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The Webmention endpoint's Link header on post pages (webmention/middleware.py).
    "webmention.middleware.WebmentionLinkMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Old Blogger/WordPress links of imported posts: 301 to the permalink (transfer/middleware.py).
    "transfer.middleware.LegacyURLMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the lockout flag the login attempt set.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "blog.context_processors.site",
                "csp.context_processors.nonce",
            ],
        },
    },
    # Templates under templates/jinja2/ (the comment thread's items): Jinja2 renders a
    # long loop several times faster than Django's language, escaping the same way
    # (blog/jinja2.py). Rendered by naming the engine: render_to_string(..., using="jinja2").
    {
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "blog.jinja2.environment"},
    },
]

# Database: DATABASE_URL alone selects it; unset means SQLite in the project folder.
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            # Persistent connections, checked before reuse so a database restart heals
            # by itself instead of failing the first request after it.
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Opening the file and running the PRAGMAs on every request costs more than the
            # request itself; each worker keeps its connection.
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 600),
            "OPTIONS": {
                # WAL lets readers work while one writer writes; IMMEDIATE takes the write
                # lock at BEGIN so concurrent writers queue (up to the timeout) instead of
                # failing with "database is locked" halfway through a transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

# Standbys kept current by PostgreSQL's streaming replication: an anonymous reader's GET
# reads from one of them, everything else from the primary (ops/db_router.py).
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")
for _number, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    DATABASES[f"replica{_number}"] = {
        **dj_database_url.parse(
            _url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600), conn_health_checks=True
        ),
        "TEST": {"MIRROR": "default"},
    }
if DATABASE_REPLICA_URLS:
    DATABASE_ROUTERS = ["ops.db_router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: a shared Redis when REDIS_URL is set, else memory local to each process.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                # A Redis outage slows the site down; it must never take it down.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# In production a web server (or object storage) serves media; Django serves it only
# for development and the browser tests.
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"
# Where a login goes when its `next` is missing or points off the site (Django's default,
# /accounts/profile/, does not exist here).
LOGIN_REDIRECT_URL = "admin:index"

AUTHENTICATION_BACKENDS = [
    # Refuses logins while an account or an address is locked out (django-axes).
    "blog.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Email: the console by default; SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "blog@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background work (delivery/): every email goes through a queue kept in the database, run
# by `manage.py worker`. A failed delivery is retried with doubling waits (from
# DELIVERY_RETRY_BASE up to DELIVERY_RETRY_MAX_DELAY) until DELIVERY_RETRY_HOURS have passed.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DELIVERY_RETRY_FOR = timedelta(hours=env_int("DELIVERY_RETRY_HOURS", 24))
DELIVERY_RETRY_BASE = timedelta(seconds=env_int("DELIVERY_RETRY_BASE_SECONDS", 30))
DELIVERY_RETRY_MAX_DELAY = timedelta(seconds=env_int("DELIVERY_RETRY_MAX_DELAY_SECONDS", 7200))
# A worker writes a heartbeat this often; one silent for DELIVERY_WORKER_DEAD_AFTER is
# taken for dead and what it was sending is queued again.
DELIVERY_WORKER_HEARTBEAT = timedelta(seconds=env_int("DELIVERY_WORKER_HEARTBEAT_SECONDS", 15))
DELIVERY_WORKER_DEAD_AFTER = 4 * DELIVERY_WORKER_HEARTBEAT
# Fetching from other servers (images of an import with --fetch-media; delivery/http.py):
# one deadline for a whole fetch and its redirects, and how many redirects are followed.
# Only public addresses are fetched. FETCH_ALLOW_LOOPBACK lets tests reach their own
# server on 127.0.0.1; it is deliberately not read from the environment.
FETCH_TIMEOUT_SECONDS = env_int("FETCH_TIMEOUT_SECONDS", 30)
FETCH_MAX_REDIRECTS = 5
FETCH_ALLOW_LOOPBACK = False

# Uploads the admin's import page queued for the worker are kept here until their import
# ends (transfer/runs.py): private, never under MEDIA_ROOT; the web process and the worker
# must both be able to write it.
TRANSFER_UPLOAD_ROOT = Path(os.environ.get("TRANSFER_UPLOAD_ROOT", BASE_DIR / "var" / "imports"))

# Blog
POSTS_PER_PAGE = 10
# Shareable preview links of drafts last this many days unless the author chooses (1 to the max).
PREVIEW_LINK_DAYS = env_int("PREVIEW_LINK_DAYS", 7)
PREVIEW_LINK_MAX_DAYS = 90
# Search counts and lists at most this many matches (blog/search.py says why).
SEARCH_MAX_RESULTS = 1000

# Pages every anonymous reader shares (pagecache/): shared caches (nginx, a CDN) may serve
# a copy for PAGECACHE_S_MAXAGE seconds, then a stale one for up to
# PAGECACHE_STALE_WHILE_REVALIDATE more while one request asks the app again (a 304 when
# nothing changed). Browsers always ask first (max-age=0). docs/DEPLOY.md.
PAGECACHE_S_MAXAGE = env_int("PAGECACHE_S_MAXAGE", 1)
PAGECACHE_STALE_WHILE_REVALIDATE = env_int("PAGECACHE_STALE_WHILE_REVALIDATE", 5)

# Comments (first-run defaults of the site settings, blog/site.py): replies nest at most
# this deep (top-level comments are depth 0).
COMMENTS_MAX_DEPTH = env_int("COMMENTS_MAX_DEPTH", 5)
# Days after publication when a post stops taking comments; unset: never.
COMMENTS_CLOSE_AFTER_DAYS = env_int("COMMENTS_CLOSE_AFTER_DAYS", None)
# Top-level comments (with their replies) per page of a thread; 0: the whole thread on one page.
COMMENTS_PER_PAGE = env_int("COMMENTS_PER_PAGE", 50)

# The spam filter that learns from moderators' decisions (comments/spamfilter.py,
# docs/SPAM.md). It scores every new comment; it sends one to the spam folder only when it
# has learned from SPAM_FILTER_MIN_DECISIONS decisions, its precision over the last
# SPAM_FILTER_WINDOW decisions is at least SPAM_FILTER_PRECISION, and the comment's score
# is at least SPAM_FILTER_CUTOFF. It never approves anything.
SPAM_FILTER_MIN_DECISIONS = env_int("SPAM_FILTER_MIN_DECISIONS", 100)
SPAM_FILTER_WINDOW = env_int("SPAM_FILTER_WINDOW", 200)
SPAM_FILTER_PRECISION = float(os.environ.get("SPAM_FILTER_PRECISION", "0.98"))
SPAM_FILTER_CUTOFF = float(os.environ.get("SPAM_FILTER_CUTOFF", "0.99"))

# django-markdownx: the live preview renders with the very function that renders posts,
# so the preview equals the published HTML byte for byte.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "blog.markdown.render_post"
MARKDOWNX_URLS_PATH = "/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/markdownx/upload/"
MARKDOWNX_UPLOAD_MAX_SIZE = 5 * 1024 * 1024
# Uploaded images (blog/images.py): at most this many bytes, pixels in one picture, frames,
# and pixels over all frames of an animation (decoded and re-encoded one full canvas per
# frame), checked from the headers before decoding; decoding stops after the given seconds
# of CPU time. docs/SECURITY.md gives what each costs.
IMAGE_UPLOAD_MAX_BYTES = MARKDOWNX_UPLOAD_MAX_SIZE
IMAGE_UPLOAD_MAX_PIXELS = 40_000_000
IMAGE_UPLOAD_MAX_FRAMES = 300
IMAGE_UPLOAD_MAX_ANIMATION_PIXELS = 20_000_000
IMAGE_UPLOAD_MAX_DECODE_SECONDS = 5

# Request sizes. Bodies longer than these are refused with 413 before anything reads them
# (blog/security.py): public pages take only small forms, the admin and the editor take
# posts and uploads. Django's own limits below answer 400.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 256 * 1024)
REQUEST_BODY_MAX_BYTES_STAFF = env_int("REQUEST_BODY_MAX_BYTES_STAFF", 32 * 1024 * 1024)
REQUEST_BODY_STAFF_PATHS = ["/admin/", "/markdownx/"]
# Form data held in memory: a post of POST_MAX_LENGTH characters fits, URL-encoded.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# ActivityPub (federation/, docs/FEDERATION.md): the blog is the actor
# @ACTIVITYPUB_BLOG_USERNAME@<host of SITE_URL>. Off: every ActivityPub endpoint answers
# 404 and nothing is sent.
ACTIVITYPUB_ENABLED = env_bool("ACTIVITYPUB_ENABLED", True)
ACTIVITYPUB_BLOG_USERNAME = os.environ.get("ACTIVITYPUB_BLOG_USERNAME", "blog").strip() or "blog"
# Each author with a published post is an actor of their own too (@username@host), who
# publishes their posts; the blog then boosts them to its followers.
ACTIVITYPUB_AUTHORS = env_bool("ACTIVITYPUB_AUTHORS", False)
# Inbox bodies past this are refused (413) before they are read or parsed; Mastodon's own
# activities are a few kilobytes.
ACTIVITYPUB_INBOX_MAX_BYTES = env_int("ACTIVITYPUB_INBOX_MAX_BYTES", 128 * 1024)
# How far a signature's Date (or RFC 9421 `created`) may be from our clock, in seconds:
# Mastodon's own margin. Replays inside it are caught by the activity id (federation/inbox.py).
ACTIVITYPUB_SIGNATURE_MAX_SKEW = env_int("ACTIVITYPUB_SIGNATURE_MAX_SKEW", 3600)
# Fetching a remote actor or key: a short deadline, since an inbox request waits for it.
ACTIVITYPUB_FETCH_TIMEOUT_SECONDS = env_int("ACTIVITYPUB_FETCH_TIMEOUT_SECONDS", 10)
# Activities one instance may send to our inboxes: "count/period" (s, m or h), then 429.
ACTIVITYPUB_INBOX_RATE = os.environ.get("ACTIVITYPUB_INBOX_RATE", "300/5m")

# Rate limits per client address (blog/ratelimit.py): "count/period", period in s, m or h.
RATE_LIMITS = {
    "comment-post": os.environ.get("RATE_LIMIT_COMMENTS", "10/10m"),
    "markdown-preview": os.environ.get("RATE_LIMIT_PREVIEW", "120/1m"),
    "image-upload": os.environ.get("RATE_LIMIT_UPLOADS", "30/10m"),
    # Webmentions: per sending client, and per host of the source page (webmention/).
    "webmention": os.environ.get("RATE_LIMIT_WEBMENTIONS", "60/10m"),
    "webmention-source": os.environ.get("RATE_LIMIT_WEBMENTION_SOURCES", "30/1h"),
}

# Webmentions (webmention/, docs/FEDERATION.md): received as comments that go through
# moderation, and sent to the pages a post links to when it is published or edited. Off:
# the endpoint answers 404, pages do not advertise it, nothing is sent. A source or target
# page larger than WEBMENTION_MAX_BYTES is not read.
WEBMENTION_ENABLED = env_bool("WEBMENTION_ENABLED", True)
WEBMENTION_MAX_BYTES = env_int("WEBMENTION_MAX_BYTES", 1024 * 1024)

# Content-Security-Policy (django-csp's own middleware): scripts and styles only from this
# site's files. Public pages have no inline script, so their header is one fixed string and
# the page the same bytes for every reader; a page that really needs an inline script may
# use the per-request nonce (nonce="{{ request.csp_nonce }}"), and is then never stored by
# the page cache (pagecache/).
# Style attributes are allowed because the Markdown sanitizer keeps exactly one kind,
# text-align on table cells; <style> elements stay blocked. Images may come from any https
# host because imported posts link to images where their old blog kept them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", csp_constants.NONCE],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "https:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Admin login lockout (django-axes): after AXES_FAILURE_LIMIT failures for one username,
# or from one client address, further attempts are refused for the cool-off period.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "blog.client_address.client_ip"
AXES_RESET_ON_SUCCESS = True
# Hammering a locked account does not extend its lockout beyond the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# No "AXES: BEGIN" line from every manage.py command; failures and lockouts are still logged.
AXES_VERBOSE = False

# Privacy: commenters' IP addresses and user agents are erased after this many days by
# `manage.py purge_comment_ips` (run it daily from cron; docs/PRIVACY.md).
COMMENTS_IP_RETENTION_DAYS = env_int("COMMENTS_IP_RETENTION_DAYS", 30)
# Comments in spam are deleted this many days after they were written by
# `manage.py purge_spam` (blog-purge-ips.timer runs it daily; docs/OPERATIONS.md).
COMMENTS_SPAM_RETENTION_DAYS = env_int("COMMENTS_SPAM_RETENTION_DAYS", 30)

# Logs go to stderr, one line per record: JSON in production (LOG_FORMAT=json, the default
# with debug off), readable text in development. Every line carries its request's id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "ops.logging.RequestIdFilter"},
        "refusal_without_traceback": {"()": "ops.logging.RefusalWithoutTraceback"},
        "no_request_lines": {"()": "ops.logging.NoServerRequestLines"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "ops.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id", "refusal_without_traceback"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django.security.* (a foreign Host header, a bad signature...) reaches the console
        # like every other logger, in one line (RefusalWithoutTraceback drops the traceback).
        # runserver's own line for each request repeats ops.request's; its other messages stay.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False,
                          "filters": ["no_request_lines"]},
    },
}
