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


def main():
    if not PASTURE_PYTHON.exists():
        raise SystemExit(f"{PASTURE_PYTHON} is missing: run `make federation-check`, which installs it.")
    with tempfile.TemporaryDirectory(prefix="blog-federation-check-") as work:
        work = Path(work)
        blog_port, pasture_port = free_port(), free_port()
        blog = f"http://127.0.0.1:{blog_port}"
        pasture = f"http://127.0.0.1:{pasture_port}"
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
            "DJANGO_SETTINGS_MODULE": "scripts.federation_check_settings",
            "DJANGO_DEBUG": "1",
            "SITE_URL": blog,
            "ACTIVITYPUB_ENABLED": "1",
            "SQLITE_PATH": str(work / "db.sqlite3"),
            "MEDIA_ROOT": str(work / "media"),
            "LOG_LEVEL": "WARNING",
        }
        blog_log, worker_log, pasture_log = (open(work / f"{name}.log", "w+") for name in ("blog", "worker", "pasture"))
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "--noinput", "-v0"], ["load_seed", "-v0"]):
            subprocess.run(manage + command, cwd=ROOT, env=env, check=True)
        commands = [
            ("the blog", manage + ["runserver", "--noreload", f"127.0.0.1:{blog_port}"], ROOT, env, blog_log),
            ("the worker", manage + ["worker", "--interval", "0.2"], ROOT, env, worker_log),
            ("fediverse-pasture", [str(PASTURE_PYTHON), str(ROOT / "scripts" / "federation_check_pasture.py"),
                                   str(pasture_port), str(work)], work, None, pasture_log),
        ]
        processes = []
        failed = True
        try:
            for what, command, cwd, environment, log in commands:
                processes.append((what, subprocess.Popen(command, cwd=cwd, env=environment, stdout=log,
                                                         stderr=subprocess.STDOUT), log))
            wait_until_up(f"{blog}/", processes[0][1], "the blog")
            wait_until_up(f"{pasture}/", processes[2][1], "fediverse-pasture")
            version = subprocess.run(
                [str(PASTURE_PYTHON), "-c", "import importlib.metadata as m; print(m.version('fediverse-pasture'))"],
                capture_output=True, text=True,
            ).stdout.strip()
            host = f"127.0.0.1:{blog_port}"
            print(f"fediverse-pasture {version} verify_actor at {pasture}, the blog at {blog}")
            failed = False
            for actor_uri in (f"acct:{USERNAME}@{host}", webfinger(blog, f"acct:{USERNAME}@{host}")):
                if actor_uri is None:
                    print(f"\nWebFinger on the blog names no actor for acct:{USERNAME}@{host}: FAIL")
                    failed = True
                    continue
                answer = ask(pasture, actor_uri)
                rows = judge(answer)
                show(f"verify_actor {actor_uri}", rows)
                failed |= not all(row[3] for row in rows)
                if os.environ.get("VERBOSE"):
                    print("\n".join(map(str, json.loads(answer.get("messages") or "{}").get("steps", []))))
        finally:
            for _, process, _ in processes:
                process.terminate()
            for what, process, log in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                if failed:
                    log.seek(0)
                    tail = log.read()[-3000:]
                    if tail.strip():
                        print(f"\n--- the end of {what}'s log ---\n{tail}")
    print("\nfederation-check: " + ("FAILED" if failed else "all checks passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
