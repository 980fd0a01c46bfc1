"""The shared page cache in front, run: nginx with deploy/nginx/blog.conf's proxy_cache in
front of gunicorn, on loopback with a self-signed certificate, as docs/DEPLOY.md sets it up.

Checks: an anonymous page is served from nginx's cache; a request with a session cookie
and a POST always reach the app; an expired copy is revalidated with its ETag (the app
answers 304 without sending the page); while readers keep the pages hot, a newly published
post and a newly approved comment are on the pages nginx serves at most one freshness
window (s-maxage=1: one second) after their commit, plus the time of the one request that
fetches them (ONE_REQUEST allows half a second on a busy machine), and never disappear
again. Figures: the measured delays, and how many of the readers' requests reached the app.

Run: .venv/bin/python -m tests.system.shared_cache   (needs nginx: make system-tools)
"""

import shutil
import subprocess
import threading
import time

from tests.system import harness
from tests.system.harness import log
from tests.system.proxy import HOST, https, render_config

# s-maxage=1 (PAGECACHE_S_MAXAGE): a change is served at most this long after its commit,
# plus the one request that asks the app for it.
FRESHNESS = 1.0
ONE_REQUEST = 0.5


class Readers:
    """Threads reading `paths` through nginx without pause; what each answer held, when."""

    def __init__(self, port, paths, needle):
        self.port, self.paths, self.needle = port, paths, needle
        self.seen = []  # (monotonic time the answer arrived, path, needle in it, cache status)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.read, args=(path,), daemon=True) for path in paths]

    def read(self, path):
        while not self.stop.is_set():
            status, headers, text, _ = https(self.port, "GET", path)
            self.seen.append((time.monotonic(), path, self.needle in text, headers.get("x-cache-status")))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def delay_after(self, committed_at):
        """Seconds from the commit until every path showed the needle, and whether any answer
        after that went back to the old page."""
        delays, regressed = [], False
        for path in self.paths:
            answers = [(at, has) for at, p, has, _ in self.seen if p == path and at >= committed_at]
            first = next((at for at, has in answers if has), None)
            if first is None:
                return None, False
            delays.append(first - committed_at)
            regressed |= any(not has for at, has in answers if at > first)
        return max(delays), regressed


def run_in_django(env, code):
    """Run `code` in the site's process, returning the monotonic time its last line printed."""
    started = time.monotonic()
    wall_before = time.time()
    output = harness.manage("shell", "-c", code + "\nimport time; print(time.time())", env=env)
    committed_wall = float(output.strip().splitlines()[-1])
    return started + (committed_wall - wall_before)


def main():
    if shutil.which("nginx") is None:
        return harness.report("shared page cache through nginx", False, {},
                              ["nginx is not installed (make system-tools)"])
    work = harness.WORK / "nginx-cache"
    shutil.rmtree(work, ignore_errors=True)
    (work / "media").mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={HOST}", "-keyout", str(work / "key.pem"),
                    "-out", str(work / "cert.pem")], check=True, capture_output=True)
    env = harness.server_env(DJANGO_HTTPS="1", DJANGO_ALLOWED_HOSTS=HOST, SITE_URL=f"https://{HOST}",
                             DJANGO_HSTS_SECONDS="60")
    log("shared cache: fresh database")
    harness.fresh_database(env)
    site = harness.create_site(env, posts=2)
    post = site["posts"][0]
    problems, figures = [], {}

    def check(name, ok, detail=""):
        figures[name] = ("yes" if ok else "NO") + (f" ({detail})" if detail else "")
        if not ok:
            problems.append(name)

    http_port, https_port = harness.free_port(), harness.free_port()
    with harness.Server(env, name="cached") as app:
        config = render_config(work, http_port, https_port, [app.port])
        tested = subprocess.run(["nginx", "-t", "-p", str(work), "-c", str(config)],
                                capture_output=True, text=True)
        check("nginx -t accepts the cache settings", tested.returncode == 0,
              "" if tested.returncode == 0 else tested.stderr.strip()[-300:])
        nginx = subprocess.Popen(["nginx", "-p", str(work), "-c", str(config), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            harness.wait_for(lambda: subprocess.run(
                ["curl", "-sk", "-o", "/dev/null", f"https://127.0.0.1:{https_port}/healthz"]).returncode == 0, 10)

            first = https(https_port, "GET", post["url"])
            second = https(https_port, "GET", post["url"])
            check("an anonymous page comes from nginx's cache the second time",
                  second[1].get("x-cache-status") == "HIT",
                  f"{first[1].get('x-cache-status')}, then {second[1].get('x-cache-status')}")
            check("... with no cookie and no token", not first[3] and "csrfmiddlewaretoken" not in first[2])
            check("... and the same bytes", first[2] == second[2])

            private = https(https_port, "GET", post["url"], headers={"Cookie": "sessionid=abc"})
            check("a session cookie bypasses the cache", private[1].get("x-cache-status") == "BYPASS"
                  and "private" in private[1].get("cache-control", ""))

            time.sleep(FRESHNESS + 0.2)
            app_304s = sum(1 for e in app.log_entries() if e.get("status") == 304)
            again = https(https_port, "GET", post["url"])
            time.sleep(0.3)
            revalidated = sum(1 for e in app.log_entries() if e.get("status") == 304) - app_304s
            check("an expired copy is revalidated by its ETag (304 from the app)",
                  again[1].get("x-cache-status") in ("REVALIDATED", "HIT", "UPDATING") and revalidated >= 1,
                  f"cache status {again[1].get('x-cache-status')}, {revalidated} 304s from the app")

            # A new post, published while readers keep the home page and a tag page hot.
            title = "Fresh off the press"
            app_before = len(app.log_entries())
            with Readers(https_port, ["/", "/tags/topic-0/"], title) as readers:
                time.sleep(2.5)
                committed_at = run_in_django(env, f"""
from django.contrib.auth import get_user_model
from django.utils import timezone
from blog.models import Post, Tag
new = Post.objects.create(title={title!r}, slug="fresh-off-the-press", body="New words.",
                          author=get_user_model().objects.get(username="writer"),
                          status=Post.Status.PUBLISHED, published_at=timezone.now())
new.tags.add(Tag.objects.get(name="Topic 0"))""")
                time.sleep(FRESHNESS + 2)
            delay, regressed = readers.delay_after(committed_at)
            reached = len(app.log_entries()) - app_before
            figures["readers' requests during the post's run"] = f"{len(readers.seen)}, {reached} reached the app"
            check("a new post is on the cached pages one freshness window (1 s) and one fetch after its commit",
                  delay is not None and delay <= FRESHNESS + ONE_REQUEST,
                  "never seen" if delay is None else f"after {round(delay * 1000)} ms")
            check("... and no reader got the old page after that", not regressed)
            check("most readers' requests never reached the app", reached < len(readers.seen) / 2,
                  f"{reached} of {len(readers.seen)}")

            # A comment sent through nginx (a POST: never cached), then approved.
            status, headers, text, _ = https(https_port, "GET", post["url"])
            timestamp = harness.hidden_field(text, "timestamp")
            words = "Approved+and+seen+through+the+cache."
            body = (f"timestamp={timestamp.replace(':', '%3A')}&name=Cached&email=cached%40example.org"
                    f"&url=&body={words}&parent=&honeypot=")
            status, headers, _, cookies = https(https_port, "POST", f"/comments/post/{post['id']}/", body, {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{HOST}", "Sec-Fetch-Site": "same-origin",
            })
            check("a comment POST goes through to the app", status == 302 and not headers.get("x-cache-status"),
                  f"answer {status}")
            comment_id = int(headers.get("location", "#comment-0").rsplit("#comment-", 1)[1])
            needle = words.replace("+", " ")
            with Readers(https_port, [post["url"], "/comments/feed/atom/"], needle) as readers:
                time.sleep(2.5)
                committed_at = run_in_django(env, f"""
from comments import moderation
from comments.models import Comment
moderation.moderate(Comment.objects.get(pk={comment_id}), "approve", by=None)""")
                time.sleep(FRESHNESS + 2)
            delay, regressed = readers.delay_after(committed_at)
            check("an approved comment is on the cached pages one freshness window (1 s) and one fetch after its commit",
                  delay is not None and delay <= FRESHNESS + ONE_REQUEST,
                  "never seen" if delay is None else f"after {round(delay * 1000)} ms")
            check("... and no reader got the old page after that", not regressed)

            failed = harness.server_errors(app.log_entries())
            figures["server errors logged"] = len(failed)
            if failed:
                problems.append(f"server errors: {failed[0].get('message')}")
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    return harness.report("shared page cache through nginx", not problems, figures, problems)


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
