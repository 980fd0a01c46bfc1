"""`make federation-check`: the blog's actor checked by fediverse-pasture's verify_actor.

fediverse-pasture (https://funfedi.dev, from PyPI) is a test tool of the Fediverse Test
Framework; its verify_actor app looks an actor up by WebFinger, fetches it as six test
actors and POSTs to its inbox as each of them:

- alice, dean: fetch unsigned and POST unsigned; the inbox must refuse the POST;
- bob, emily: POST signed (draft-cavage, by bovine); the inbox must take it;
- claire, frank: as bob, but their own actor documents answer only signed GETs, so the
  blog must sign its key fetches for their POST to be taken;
- dean, emily, frank have no WebFinger account (the blog must not need one);
- webfinger: the actor's preferredUsername and host lead back to the same actor id.

This starts the blog (`manage.py runserver`, debug settings plus FETCH_ALLOW_LOOPBACK,
a throwaway SQLite database with the seed post, ACTIVITYPUB_ENABLED=1) and the tool, both
on 127.0.0.1 ports of their own, over plain http; asks the tool about acct:blog@host and
about the actor's URL; prints what passed, and exits 1 if anything did not.

    make federation-check     # or: .venv/bin/python scripts/federation_check.py
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASTURE_PYTHON = ROOT / os.environ.get("PASTURE_PYTHON", ".venv-federation/bin/python")
USERNAME = os.environ.get("ACTIVITYPUB_BLOG_USERNAME", "blog")

# What each of the tool's actors should manage: (GET the actor, POST to its inbox).
EXPECTED = {
    "alice": (True, False),
    "bob": (True, True),
    "claire": (True, True),
    "dean": (True, False),
    "emily": (True, True),
    "frank": (True, True),
}
WHY = {
    "alice": "unsigned fetch; unsigned POST refused",
    "bob": "signed POST taken (key fetched unsigned)",
    "claire": "signed POST taken (its key answers only signed fetches)",
    "dean": "as alice, without a WebFinger account",
    "emily": "as bob, without a WebFinger account",
    "frank": "as claire, without a WebFinger account",
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url, process, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} stopped at start (exit {process.returncode}); see its log above.")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not answer at {url} within {timeout} s.")


def webfinger(blog, resource):
    """The actor id the blog's WebFinger gives for `resource`, or None."""
    url = f"{blog}/.well-known/webfinger?" + urllib.parse.urlencode({"resource": resource})
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            links = json.load(response).get("links", [])
    except (OSError, ValueError):
        return None
    return next((link.get("href") for link in links
                 if link.get("rel") == "self" and link.get("type") == "application/activity+json"), None)


def ask(pasture, actor_uri):
    data = urllib.parse.urlencode({"actor_uri": actor_uri}).encode()
    request = urllib.request.Request(pasture + "/", data=data, headers={
        "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded",
    })
    with urllib.request.urlopen(request, timeout=180) as response:
        return json.load(response)


def inbox_answers(steps):
    """{actor name: what the blog's inbox answered it}, read from the tool's log."""
    answers, name = {}, None
    for index, step in enumerate(map(str, steps)):
        if step.startswith("Running verification for "):
            name = step.removeprefix("Running verification for ")
        elif name and step.startswith("Got ") and step.endswith(" for unsigned POST"):
            answers[name] = step.split()[1]
        elif name and step == "Successfully posted to inbox with result":
            answers[name] = " ".join(map(str, steps[index + 1:index + 3]))[:60]
        elif name and step in ("Failed to post to inbox", "Something went wrong"):
            answers[name] = f"failed: {' '.join(map(str, steps[index + 1:index + 2]))}"[:60]
    return answers


def judge(answer):
    """[(check, expected, got, passed, why, inbox answer)] for one verify_actor answer."""
    result = answer["result"]
    try:
        answers = inbox_answers(json.loads(answer.get("messages") or "{}").get("steps", []))
    except ValueError:
        answers = {}
    rows = [("webfinger", True, result.get("webfinger"), result.get("webfinger") is True,
             "preferredUsername@host leads back to the actor", "")]
    for name, (get_actor, post_inbox) in EXPECTED.items():
        got = result.get(name) or {}
        seen = (got.get("get_actor"), got.get("post_inbox"))
        rows.append((name, (get_actor, post_inbox), seen, seen == (get_actor, post_inbox), WHY[name],
                     answers.get(name, "")))
    return rows


def show(label, rows):
    print(f"\n{label}")
    print(f"  {'check':<10} {'expected (GET, POST)':<21} {'got':<15} {'result':<7} the inbox answered")
    for check, expected, got, passed, why, answered in rows:
        print(f"  {check:<10} {str(expected):<21} {str(got):<15} {'pass' if passed else 'FAIL':<7} {answered}")
        print(f"  {'':<10} {why}")


PASTURE = [str(PASTURE_PYTHON), str(ROOT / "scripts" / "federation_check_pasture.py")]
ALTERNATE = re.compile(r'<link rel="alternate" type="application/activity\+json" href="([^"]+)"')
REPLY_TEXT = "A reply from fediverse-pasture's one_actor."
# What the blog's database says of the reply (a comment waiting for a moderator, or not).
FIND_REPLY = """
import json, os
from comments.models import Comment
c = Comment.objects.filter(remote_id=os.environ["NOTE_ID"]).first()
print(json.dumps(c and {"origin": c.origin, "status": c.status, "held_reason": c.held_reason,
                        "author": c.author_name, "post": c.post.title, "body": c.body}))
"""


class Site:
    """The blog and the tool's servers, started on free loopback ports, stopped on exit."""

    def __init__(self, work):
        self.work = work
        self.blog_port, self.verify_port, self.one_actor_port = free_port(), free_port(), free_port()
        self.blog = f"http://127.0.0.1:{self.blog_port}"
        self.host = f"127.0.0.1:{self.blog_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
            "DJANGO_SETTINGS_MODULE": "scripts.federation_check_settings",
            "DJANGO_DEBUG": "1",
            "SITE_URL": self.blog,
            "ACTIVITYPUB_ENABLED": "1",
            "SQLITE_PATH": str(work / "db.sqlite3"),
            "MEDIA_ROOT": str(work / "media"),
            "LOG_LEVEL": "WARNING",
        }
        self.manage = [sys.executable, "manage.py"]
        self.processes = []

    def start(self, what, command, cwd, env=None, url=None):
        log = open(self.work / f"{len(self.processes)}.log", "w+")
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append((what, process, log))
        if url:
            wait_until_up(url, process, what)

    def __enter__(self):
        for command in (["migrate", "--noinput", "-v0"], ["load_seed", "-v0"]):
            subprocess.run(self.manage + command, cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)
        self.start("the blog", self.manage + ["runserver", "--noreload", f"127.0.0.1:{self.blog_port}"],
                   ROOT, self.env, f"{self.blog}/")
        self.start("the worker", self.manage + ["worker", "--interval", "0.2"], ROOT, self.env)
        for folder in ("verify", "one-actor"):
            (self.work / folder).mkdir()
        self.start("verify_actor", PASTURE + ["verify", str(self.verify_port), str(self.work / "verify")],
                   self.work, url=f"http://127.0.0.1:{self.verify_port}/")
        self.start("one_actor", PASTURE + ["one-actor", str(self.one_actor_port), str(self.work / "one-actor")],
                   self.work, url=f"http://127.0.0.1:{self.one_actor_port}/actor")
        return self

    def __exit__(self, *exc):
        for _, process, _ in self.processes:
            process.terminate()
        for _, process, _ in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def logs(self):
        for what, _, log in self.processes:
            log.seek(0)
            tail = log.read()[-3000:]
            if tail.strip():
                print(f"\n--- the end of {what}'s log ---\n{tail}")

    def django(self, code, **env):
        """What `code`, run by `manage.py shell` on the blog's database, prints last (JSON)."""
        done = subprocess.run(self.manage + ["shell", "-c", code], cwd=ROOT, env={**self.env, **env},
                              capture_output=True, text=True)
        if done.returncode != 0 or not done.stdout.strip():
            raise SystemExit(f"manage.py shell failed: {done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def check_actor(site):
    """verify_actor, asked about the blog's acct: URI and about its actor's URL."""
    passed = True
    resource = f"acct:{USERNAME}@{site.host}"
    for actor_uri in (resource, webfinger(site.blog, resource)):
        if actor_uri is None:
            print(f"\nWebFinger on the blog names no actor for {resource}: FAIL")
            passed = False
            continue
        answer = ask(f"http://127.0.0.1:{site.verify_port}", actor_uri)
        rows = judge(answer)
        show(f"verify_actor {actor_uri}", rows)
        passed &= all(row[3] for row in rows)
        if os.environ.get("VERBOSE"):
            print("\n".join(map(str, json.loads(answer.get("messages") or "{}").get("steps", []))))
    return passed


def check_reply(site):
    """one_actor replies to the seed post; the reply must wait in the moderation queue."""
    print("\none_actor replies to the seed post (a signed Create of a Note, inReplyTo its Article)")
    actor = webfinger(site.blog, f"acct:{USERNAME}@{site.host}")
    with urllib.request.urlopen(f"{site.blog}/", timeout=10) as response:
        home = response.read().decode()
    post_path = re.search(r'href="(/\d{4}/\d{2}/\d{2}/[^"]+/)"', home)
    article = None
    if post_path:
        with urllib.request.urlopen(site.blog + post_path.group(1), timeout=10) as response:
            found = ALTERNATE.search(response.read().decode())
            article = found and found.group(1)
    if not (actor and article):
        print(f"  FAIL  the post's page names no ActivityPub id (actor {actor}, article {article})")
        return False
    sent = subprocess.run(PASTURE + ["reply", str(site.one_actor_port), str(site.work / "one-actor"),
                                     actor, article, REPLY_TEXT], capture_output=True, text=True)
    try:
        result = json.loads(sent.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"  FAIL  the sender failed: {sent.stderr[-2000:]}")
        return False
    comment = site.django(FIND_REPLY, NOTE_ID=result["note"]["id"])
    print(f"  the inbox answered     {result['status']}")
    print(f"  the blog stored        {comment}")
    passed = (result["status"] == 202 and comment is not None and comment["origin"] == "fediverse"
              and comment["status"] == "pending" and bool(comment["held_reason"])
              and REPLY_TEXT in comment["body"])
    print(f"  {'pass' if passed else 'FAIL'}  a comment via the fediverse, waiting for a moderator with its reason")
    return passed


def main():
    if not PASTURE_PYTHON.exists():
        raise SystemExit(f"{PASTURE_PYTHON} is missing: run `make federation-check`, which installs it.")
    version = subprocess.run(
        [str(PASTURE_PYTHON), "-c", "import importlib.metadata as m; print(m.version('fediverse-pasture'))"],
        capture_output=True, text=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="blog-federation-check-") as work, Site(Path(work)) as site:
        print(f"fediverse-pasture {version}: verify_actor at 127.0.0.1:{site.verify_port}, one_actor at "
              f"127.0.0.1:{site.one_actor_port}; the blog at {site.blog}")
        results = {"verify_actor": check_actor(site), "reply": check_reply(site)}
        if not all(results.values()):
            site.logs()
    print("\nfederation-check: " + ", ".join(f"{name} {'passed' if ok else 'FAILED'}" for name, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
