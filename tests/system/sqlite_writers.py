"""The SQLite default under 8 concurrent writers: no "database is locked" reaches anyone.

One gunicorn server with 4 workers of 2 threads (8 requests writing at once) on the
default SQLite settings (WAL, IMMEDIATE transactions, a 20 s busy timeout: see
config/settings.py), ALLOW_SQLITE_IN_PRODUCTION=1 as a small site would run it. Eight
commenters post as fast as they can for 20 s while a reader keeps loading pages; every
answer must be a success, no log line may mention a locked database, and every accepted
comment must be a row.

Run: .venv/bin/python -m tests.system.sqlite_writers
"""

import itertools
import sqlite3
import threading
import time

from tests.system import harness
from tests.system.harness import Client, CommentForm, Server, accepted, log, percentile

WRITERS = 8
SECONDS = 20


def main(seconds=SECONDS):
    db_path = harness.WORK / "writers.sqlite3"
    env = harness.server_env(DATABASE_URL=None, SQLITE_PATH=str(db_path),
                             ALLOW_SQLITE_IN_PRODUCTION="1")
    log("sqlite: fresh database")
    harness.fresh_database(env)
    site = harness.create_site(env, posts=3)
    problems, figures = [], {}
    answers, latencies, emails = {}, [], []
    lock = threading.Lock()
    numbers = itertools.count(1)

    with Server(env, name="sqlite", workers=4, threads=2) as server:
        forms = [CommentForm.load(Client(server), post) for post in site["posts"]]
        deadline = time.monotonic() + seconds

        def writer():
            while time.monotonic() < deadline:
                n = next(numbers)
                email = f"writer-{n}@example.org"
                try:
                    response = forms[n % len(forms)].submit(
                        server, address=harness.client_address(300_000 + n),
                        name=f"Writer {n}", email=email, body=f"Written in a crowd, {n}.")
                    key, ok = response.status, accepted(response)
                    latencies.append(response.elapsed * 1000)
                except OSError as error:
                    key, ok = type(error).__name__, False
                with lock:
                    answers[key] = answers.get(key, 0) + 1
                    if ok:
                        emails.append(email)

        def reader():
            while time.monotonic() < deadline:
                try:
                    key = Client(server).get(site["posts"][0]["url"]).status
                except OSError as error:
                    key = type(error).__name__
                with lock:
                    answers[f"page {key}"] = answers.get(f"page {key}", 0) + 1

        threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
        threads.append(threading.Thread(target=reader))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        log_text = server.log_text()
        entries = server.log_entries()

    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT count(*) FROM comments_comment WHERE author_email LIKE 'writer-%'"
        ).fetchone()[0]
    locked = log_text.lower().count("database is locked")
    figures.update({
        "answers": dict(sorted(answers.items(), key=str)),
        "comments accepted / rows": f"{len(emails)} / {rows}",
        "comment latency ms p50 / p99": f"{round(percentile(latencies, 50), 1)} / {round(percentile(latencies, 99), 1)}",
        '"database is locked" in the logs': locked,
        "server errors logged": len(harness.server_errors(entries)),
    })
    if set(answers) - {302, "page 200"}:
        problems.append(f"answers other than success: {answers}")
    if locked:
        problems.append(f'"database is locked" appeared {locked} times')
    if rows != len(emails):
        problems.append(f"{len(emails)} accepted but {rows} rows")
    return harness.report("SQLite, 8 concurrent writers", not problems, figures, problems)


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
