"""Faults under load: the database restarts, the cache dies, the mail server is unreachable.

1. PostgreSQL restarted (pg_ctlcluster ... restart) while 16 readers and commenters keep
   going: requests that meet the outage get the clean 503 page with Retry-After (no 500,
   no dropped connection), the same gunicorn serves again within seconds, and every
   comment that got its success answer is a row.
2. Redis shut down for 10 s under the same load, then started again: every page is still
   served (no 5xx) and comments are still accepted, and all of them are rows.
3. The SMTP server unreachable: a comment is stored and approved, with no error for
   anyone; its emails wait in the queue (the worker, not the request, talks to the mail
   server: tests/system/mail_outage.py follows them until they are delivered).

PostgreSQL and Redis are started again at the end whatever happens (other tests need
them), and the script checks that they are up.

Run: .venv/bin/python -m tests.system.faults [postgres|redis|smtp ...]
"""

import atexit
import itertools
import signal
import sys
import threading
import time
from dataclasses import dataclass

from tests.system import harness
from tests.system.harness import Client, CommentForm, Server, accepted, log, percentile


def restore_services():
    pg, redis = harness.ensure_postgres(), harness.ensure_redis()
    if not (pg and redis):
        print(f"WARNING: services not back up: postgres={pg} redis={redis}", file=sys.stderr)
    return pg and redis


def _on_signal(signum, frame):
    restore_services()
    raise SystemExit(128 + signum)


@dataclass
class Record:
    started: float
    ended: float
    kind: str
    status: int = 0
    error: str = ""
    email: str = ""
    clean_503: bool = False
    retry_after: str = ""

    @property
    def ok(self):
        return self.status in (200, 302) and not self.error


class MixedLoad:
    """Readers and commenters in threads: every third request or so is a comment."""

    def __init__(self, server, site, forms, *, workers=16, tag="fault"):
        self.server, self.site, self.forms = server, site, forms
        self.workers, self.tag = workers, tag
        self.numbers = itertools.count(1)
        self.records = []
        self.lock = threading.Lock()

    def one(self, n):
        started = time.monotonic()
        pages = [p["url"] for p in self.site["posts"]] + ["/", "/search/?q=harbour"]
        try:
            if n % 3 == 0:
                form = self.forms[n % len(self.forms)]
                email = f"{self.tag}-{n}@example.org"
                response = form.submit(self.server, address=harness.client_address(200_000 + n),
                                       name=f"Reader {n}", email=email,
                                       body=f"Written while things break, {n}.", timeout=15)
                record = Record(started, time.monotonic(), "comment", response.status, email=email)
            else:
                response = Client(self.server).get(pages[n % len(pages)], timeout=15)
                record = Record(started, time.monotonic(), "page", response.status)
            if response.status == 503:
                record.clean_503 = "Back in a moment" in response.text
                record.retry_after = response.headers.get("retry-after", "")
            if record.kind == "comment" and response.status == 302 and not accepted(response):
                record.error = f"redirect to {response.location}"
        except OSError as error:
            record = Record(started, time.monotonic(), "comment" if n % 3 == 0 else "page",
                            error=type(error).__name__)
        with self.lock:
            self.records.append(record)

    def run(self, seconds, events=()):
        """Run for `seconds`; `events` are (at_second, callable) run on the side."""
        self.t0 = time.monotonic()
        deadline = self.t0 + seconds
        self.marks = {}

        def worker():
            while time.monotonic() < deadline:
                self.one(next(self.numbers))

        threads = [threading.Thread(target=worker) for _ in range(self.workers)]
        for thread in threads:
            thread.start()
        for at, event in events:
            time.sleep(max(0, self.t0 + at - time.monotonic()))
            event(self)
        for thread in threads:
            thread.join()
        return self.records

    def mark(self, name):
        self.marks[name] = time.monotonic()

    def rel(self, t):
        return round(t - self.t0, 2)


def accepted_emails(records):
    return [r.email for r in records if r.kind == "comment" and r.status == 302 and not r.error]


def missing_rows(emails):
    if not emails:
        return []
    stored = set(harness.psql(
        "SELECT string_agg(author_email, ',') FROM comments_comment WHERE author_email IN ("
        + ",".join(f"'{e}'" for e in emails) + ")"
    ).split(","))
    return [e for e in emails if e not in stored]


def statuses(records):
    summary = {}
    for r in records:
        key = r.error or r.status
        summary[key] = summary.get(key, 0) + 1
    return dict(sorted(summary.items(), key=str))


def postgres_restart(env, site):
    problems, figures = [], {}
    with Server(env, name="pg-fault", workers=3, threads=4) as server:
        forms = [CommentForm.load(Client(server), post) for post in site["posts"][:3]]

        def watch(load, stop):
            """When PostgreSQL stopped and started accepting connections, by pg_isready."""
            while not stop.is_set():
                up = harness.postgres_is_up()
                if not up and "pg_down" not in load.marks:
                    load.mark("pg_down")
                if up and "pg_down" in load.marks and "pg_up" not in load.marks:
                    load.mark("pg_up")
                time.sleep(0.05)

        def restart(load):
            stop = threading.Event()
            watcher = threading.Thread(target=watch, args=(load, stop))
            watcher.start()
            load.mark("restart_begin")
            log("restarting PostgreSQL")
            harness.restart_postgres()
            load.mark("restart_end")
            time.sleep(1)
            stop.set()
            watcher.join()
            log("PostgreSQL restarted")

        load = MixedLoad(server, site, forms, tag="pgfault")
        records = load.run(30, events=[(8, restart)])
        entries = server.log_entries()

    begin, end = load.marks["restart_begin"], load.marks["restart_end"]
    pg_down, pg_up = load.marks.get("pg_down", begin), load.marks.get("pg_up", end)
    failures = [r for r in records if not r.ok]
    unclean = [r for r in failures if not (r.status == 503 and r.clean_503 and r.retry_after)]
    # Serving again: the first success after the last failure, counted from the moment
    # PostgreSQL accepted connections again (pg_isready).
    last_failure = max((r.ended for r in failures), default=pg_up)
    first_ok_after = min((r.ended for r in records if r.ok and r.started >= last_failure), default=None)
    recovery = max(first_ok_after - pg_up, 0) if first_ok_after else None
    emails = accepted_emails(records)
    lost = missing_rows(emails)
    during = [r for r in records if r.started >= begin and r.ended <= (first_ok_after or end)]

    figures.update({
        "requests": len(records),
        "answers": statuses(records),
        "restart command took s": round(end - begin, 2),
        "failed requests (all 503?)": f"{len(failures)} ({'yes' if not unclean else 'NO'})",
        "first and last failure, s into the run": (
            f"{load.rel(min(r.started for r in failures))} / {load.rel(max(r.ended for r in failures))}"
            if failures else "none"),
        "restart command ran, s into the run": f"{load.rel(begin)} to {load.rel(end)}",
        "PostgreSQL refused connections, s into the run": f"{load.rel(pg_down)} to {load.rel(pg_up)}",
        "serving again, s after PostgreSQL was back": round(recovery, 2) if recovery is not None else "never",
        "requests during the outage": len(during),
        "comments accepted / rows missing": f"{len(emails)} / {len(lost)}",
        "database outage log lines": sum(1 for e in entries if e.get("logger") == "ops.database"),
        "500s logged": sum(1 for e in entries if e.get("logger") == "ops.request" and e.get("status") == 500),
    })
    if unclean:
        problems.append(f"{len(unclean)} failures were not the clean 503: {statuses(unclean)}")
    if recovery is None or recovery > 5:
        problems.append(f"not serving again within 5 s of PostgreSQL's restart ({recovery})")
    if lost:
        problems.append(f"{len(lost)} accepted comments are not rows: {lost[:3]}")
    if not failures:
        figures["note"] = "no request met the outage (it was shorter than one request)"
    return harness.report("fault: PostgreSQL restart under load", not problems, figures, problems)


def redis_outage(env, site):
    problems, figures = [], {}
    with Server(env, name="redis-fault", workers=3, threads=4) as server:
        forms = [CommentForm.load(Client(server), post) for post in site["posts"][:3]]

        def stop(load):
            load.mark("stopped")
            log("shutting Redis down")
            harness.stop_redis()

        def start(load):
            log("starting Redis again")
            harness.ensure_redis()
            load.mark("started")

        load = MixedLoad(server, site, forms, tag="redisfault")
        records = load.run(25, events=[(5, stop), (15, start)])
        entries = server.log_entries()

    stopped, started = load.marks["stopped"], load.marks["started"]
    before = [r for r in records if r.ended < stopped]
    during = [r for r in records if r.started > stopped and r.ended < started]
    failures = [r for r in records if not r.ok]
    emails = accepted_emails(records)
    lost = missing_rows(emails)
    during_comments = [r for r in during if r.kind == "comment" and r.ok]

    def p50(rs):
        return round(percentile([(r.ended - r.started) * 1000 for r in rs], 50), 1)

    figures.update({
        "requests": len(records),
        "answers": statuses(records),
        "requests while Redis was down": len(during),
        "comments accepted while Redis was down": len(during_comments),
        "latency p50 ms before / during": f"{p50(before)} / {p50(during)}",
        "comments accepted / rows missing": f"{len(emails)} / {len(lost)}",
        "server errors logged": len(harness.server_errors(entries)),
    })
    if failures:
        problems.append(f"{len(failures)} requests failed: {statuses(failures)}")
    if not during_comments:
        problems.append("no comment was accepted while Redis was down")
    if lost:
        problems.append(f"{len(lost)} accepted comments are not rows")
    return harness.report("fault: Redis down under load", not problems, figures, problems)


def smtp_unreachable(env, site):
    problems, figures = [], {}
    closed_port = harness.free_port()  # nothing listens there
    smtp_env = {**env, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(closed_port),
                "EMAIL_USE_TLS": "0", "EMAIL_TIMEOUT": "3"}
    post = site["posts"][1]
    with Server(smtp_env, name="smtp-fault", workers=1, threads=2) as server:
        form = CommentForm.load(Client(server), post)
        sent = form.submit(server, address=harness.client_address(900_001), name="Mail tester",
                           email="mailtest@example.org", body="Stored even if no mail goes out.")
        comment_id = int(sent.location.rsplit("#comment-", 1)[1]) if accepted(sent) else None
        moderator = Client(server)
        moderator.login(**site["moderator"])
        queue = moderator.get("/comments/moderation/")
        decided = moderator.post("/comments/moderation/decide/", {
            "csrfmiddlewaretoken": harness.hidden_field(queue.text, "csrfmiddlewaretoken"),
            "decide": f"approve:{comment_id}",
        })
        time.sleep(0.5)
        entries = server.log_entries()

    stored = harness.psql(f"SELECT status FROM comments_comment WHERE id = {comment_id or 0}")
    waiting = harness.count("SELECT count(*) FROM delivery_delivery WHERE status = 'waiting' "
                            f"AND key LIKE '<comment-{comment_id or 0}.%'")
    errors = [e for e in entries if e.get("level") in ("ERROR", "CRITICAL")]
    figures.update({
        "comment answer": sent.status,
        "approval answer": decided.status,
        "comment in the database": stored or "MISSING",
        "its emails waiting in the queue (alert, author's notice)": waiting,
        "errors logged by the server": len(errors),
    })
    if not accepted(sent) or stored != "approved" or decided.status != 302:
        problems.append("the comment was not stored and approved")
    if waiting != 2:
        problems.append(f"{waiting} emails queued for the comment, 2 expected")
    if errors:
        problems.append(f"the server logged an error: {errors[0].get('message')}")
    return harness.report("fault: SMTP unreachable", not problems, figures, problems)


SCENARIOS = {"postgres": postgres_restart, "redis": redis_outage, "smtp": smtp_unreachable}


def main(names=None):
    atexit.register(restore_services)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    results = []
    try:
        env = harness.server_env()
        log("faults: fresh database")
        harness.fresh_database(env)
        site = harness.create_site(env, posts=5)
        for name in names or SCENARIOS:
            try:
                results.append(SCENARIOS[name](env, site))
            finally:
                up = restore_services()
                log(f"PostgreSQL and Redis up again: {up}")
    finally:
        restore_services()
    return results


if __name__ == "__main__":
    results = main(sys.argv[1:] or None)
    raise SystemExit(0 if all(r["ok"] for r in results) else 1)
