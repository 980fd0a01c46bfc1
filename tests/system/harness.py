"""What the system scripts share: real gunicorn servers on loopback, a fresh PostgreSQL
database, a small HTTP client that keeps cookies, and the comment form.

Everything runs on this machine: servers bind 127.0.0.1 on free high ports, and every
request goes there. Emulated readers differ by the X-Forwarded-For header that a proxy
in front would set (TRUSTED_PROXY_COUNT=1): each gets an address of its own in the
documentation range 2001:db8::/32, a /64 network of its own, so flood control and rate
limits treat them as the distinct people they stand for. No packet leaves loopback.
"""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
GUNICORN = str(VENV_BIN / "gunicorn")

PG_SERVER = os.environ.get("SYSTEM_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("SYSTEM_DB", "h_prod_sys")
REDIS_URL = os.environ.get("SYSTEM_REDIS_URL", "redis://127.0.0.1:6379/9")
SECRET_KEY = secrets.token_urlsafe(50)
WORK = Path(tempfile.mkdtemp(prefix="blog-system-"))


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_address(n):
    """The n-th emulated reader's address: a /64 of its own in 2001:db8::/32."""
    return f"2001:db8:{(n >> 16) & 0xFFFF:x}:{n & 0xFFFF:x}::1"


# --- PostgreSQL and Redis -------------------------------------------------------------

def psql(query, db=DB_NAME):
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAqc", query],
        capture_output=True, text=True, timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


def count(query, db=DB_NAME):
    return int(psql(query, db))


def database_url(db=DB_NAME):
    return f"{PG_SERVER}/{db}"


def postgres_is_up():
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0


def redis_is_up():
    result = subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True)
    return result.stdout.strip() == "PONG"


def redis_keys():
    db = REDIS_URL.rsplit("/", 1)[-1]
    result = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", db, "dbsize"], capture_output=True, text=True)
    return int(result.stdout.strip() or 0)


PG_VERSION = os.environ.get("SYSTEM_PG_VERSION") or (
    sorted(os.listdir("/etc/postgresql"))[0] if os.path.isdir("/etc/postgresql") else "15"
)
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]


def wait_for(check, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def restart_postgres():
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "restart"],
                   check=True, capture_output=True, timeout=120)


def ensure_postgres():
    """Start PostgreSQL if it is down (other people's tests need it); True when it is up."""
    if not postgres_is_up():
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "start"],
                       capture_output=True, timeout=120)
    return wait_for(postgres_is_up)


def stop_redis():
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], capture_output=True, timeout=30)


def ensure_redis():
    """Start Redis if it is down (other people's tests need it); True when it is up."""
    if not redis_is_up():
        os.makedirs("/var/lib/redis", exist_ok=True)
        os.makedirs("/var/log/redis", exist_ok=True)
        subprocess.run(REDIS_START, capture_output=True, timeout=30)
    return wait_for(redis_is_up)


def flush_redis():
    db = REDIS_URL.rsplit("/", 1)[-1]
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", db, "flushdb"], capture_output=True, check=True)


# --- The site ---------------------------------------------------------------------------

def server_env(**overrides):
    """Production settings (debug off), on the system database, the shared Redis."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_", "RATE_LIMIT", "GUNICORN_",
                               "WEB_CONCURRENCY", "SQLITE_", "ALLOW_SQLITE", "ALLOW_PLAIN_HTTP"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Loopback speaks plain http; in production the proxy terminates TLS.
        DJANGO_HTTPS="0",
        ALLOW_PLAIN_HTTP_IN_PRODUCTION="1",
        DATABASE_URL=database_url(),
        REDIS_URL=REDIS_URL,
        TRUSTED_PROXY_COUNT="1",
        LOG_FORMAT="json",
        SITE_URL="http://127.0.0.1",
    )
    env.update({key: value for key, value in overrides.items() if value is not None})
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
    return env


def manage(*args, env, timeout=300):
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def fresh_database(env=None):
    """Drop and create the system database, migrate it, collect static files."""
    env = env or server_env()
    if "sqlite" not in env.get("DATABASE_URL", "sqlite"):
        psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)', db="postgres")
        psql(f'CREATE DATABASE "{DB_NAME}"', db="postgres")
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    flush_redis()


SETUP = r"""
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from blog.models import Post, Tag
from comments.models import Comment

User = get_user_model()
author = User.objects.create_user("writer", "writer@example.org", "writer-password-42", is_staff=True)
moderator = User.objects.create_superuser("moderator", "moderator@example.org", PASSWORD)
tags = [Tag.objects.create(name=f"Topic {n}") for n in range(3)]
now = timezone.now()
posts = []
for n in range(POSTS):
    post = Post.objects.create(
        title=f"Dispatch number {n}", slug=f"dispatch-{n}", author=author,
        body=f"# Dispatch {n}\n\nWords about the harbour, the weather and the ships. " * 20,
        status=Post.Status.PUBLISHED, published_at=now - timedelta(days=3 + 9 * n),
    )
    post.tags.set([tags[n % 3]])
    posts.append(post)
parent = Comment.objects.create(
    post=posts[0], author_name="First reader", author_email="first@example.org",
    body="A first comment, approved, to reply to.", status=Comment.Status.APPROVED,
)
print(json.dumps({
    "posts": [{"id": p.pk, "url": p.get_absolute_url(), "year": p.published_at.year,
               "month": p.published_at.month} for p in posts],
    "parent_id": parent.pk,
    "moderator": {"username": "moderator", "password": PASSWORD},
}))
"""


def create_site(env, posts=1):
    """Posts, an approved comment to reply to, and a moderator; returns their ids and URLs."""
    password = secrets.token_urlsafe(16)
    code = SETUP.replace("PASSWORD", repr(password)).replace("POSTS", str(posts))
    output = manage("shell", "-c", code, env=env)
    return json.loads(output.strip().splitlines()[-1])


# --- Servers ----------------------------------------------------------------------------

class Server:
    """A gunicorn server of the site, started with config/gunicorn.conf.py."""

    def __init__(self, env, *, name="app", workers=2, threads=4, port=None):
        self.name = name
        self.port = port or free_port()
        self.env = {
            **env,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
        }
        self.log_path = WORK / f"{name}-{self.port}.log"
        self.process = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [GUNICORN, "--config", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log_path}")
            try:
                if Client(self).get("/healthz").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz in {timeout}s; see {self.log_path}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        # The master leads its own process group: this reaches it and its workers only.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.log_file.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log_entries(self):
        """The JSON log lines written so far (gunicorn's own plain lines are skipped)."""
        entries = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    pass
        return entries

    def log_text(self):
        return self.log_path.read_text(errors="replace")


# --- HTTP -------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    headers: dict
    text: str
    elapsed: float = 0.0

    @property
    def location(self):
        return self.headers.get("location", "")


@dataclass
class Client:
    """One reader (or moderator): its cookies, and the address the proxy would report."""

    server: Server
    address: str = None
    cookies: dict = field(default_factory=dict)

    def request(self, method, path, *, data=None, timeout=30):
        headers = {"Host": f"127.0.0.1:{self.server.port}", "User-Agent": "blog-system-check/1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.address:
            headers["X-Forwarded-For"] = self.address
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.server.port}"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for value in raw.msg.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        headers = {key.lower(): value for key, value in raw.getheaders()}
        return Response(raw.status, headers, text, time.monotonic() - started)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs):
        return self.request("POST", path, data=data, **kwargs)

    def login(self, username, password):
        page = self.get("/admin/login/")
        token = hidden_field(page.text, "csrfmiddlewaretoken")
        response = self.post(
            "/admin/login/?next=/admin/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )
        if response.status != 302:
            raise RuntimeError(f"login failed: {response.status}")
        return response


def hidden_field(html, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    if not match:
        raise RuntimeError(f"no {name} field in the page")
    return match.group(1)


@dataclass
class CommentForm:
    """What a reader's browser holds after loading a post: the form's signed timestamp and,
    only for a reader with a session, the CSRF cookie and token. They stay valid for many
    submissions."""

    post_id: int
    csrf_token: str
    timestamp: str
    cookies: dict

    @classmethod
    def load(cls, client, post):
        page = client.get(post["url"])
        if page.status != 200:
            raise RuntimeError(f"post page answered {page.status}")
        token = hidden_field(page.text, "csrfmiddlewaretoken") if "csrfmiddlewaretoken" in page.text else ""
        return cls(post["id"], token, hidden_field(page.text, "timestamp"), dict(client.cookies))

    def data(self, *, name, email, body, parent=None):
        token = {"csrfmiddlewaretoken": self.csrf_token} if self.csrf_token else {}
        return {
            **token,
            "timestamp": self.timestamp,
            "name": name,
            "email": email,
            "url": "",
            "body": body,
            "parent": parent or "",
            "honeypot": "",
        }

    def submit(self, server, *, address, name, email, body, parent=None, timeout=30, client=None):
        """Send a comment as a new reader at `address`, or as `client` (keeping its session)."""
        if client is None:
            client = Client(server, address=address, cookies=dict(self.cookies))
        return client.post(f"/comments/post/{self.post_id}/",
                           self.data(name=name, email=email, body=body, parent=parent),
                           timeout=timeout)


def accepted(response):
    """A comment the site said it took: the redirect to the comment on its post."""
    return response.status == 302 and "#comment-" in response.location


def server_errors(entries):
    """Log lines of answers that went wrong on our side: 5xx responses and their errors."""
    return [
        entry for entry in entries
        if (entry.get("logger") == "ops.request" and entry.get("status", 0) >= 500)
        or (entry.get("logger") == "django.request" and entry.get("level") in ("ERROR", "CRITICAL"))
    ]


def other_errors(entries):
    """Errors logged while the answer itself was fine (e.g. an email that was not sent)."""
    failed = {id(entry) for entry in server_errors(entries)}
    return [
        entry for entry in entries
        if entry.get("level") in ("ERROR", "CRITICAL") and id(entry) not in failed
    ]


def percentile(values, p):
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def report(name, ok, figures, problems=()):
    """One script's outcome, printed and returned for run_all's summary."""
    status = "PASS" if ok else "FAIL"
    print(f"\n== {name}: {status}")
    for key, value in figures.items():
        print(f"   {key}: {value}")
    for problem in problems:
        print(f"   problem: {problem}")
    return {"name": name, "ok": ok, "figures": figures, "problems": list(problems)}
