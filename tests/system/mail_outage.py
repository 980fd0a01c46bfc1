"""The mail server down under load: nothing lost, nothing sent twice, nobody kept waiting.

A real aiosmtpd server on a free loopback port is stopped; a gunicorn server and the task
worker (`manage.py worker`) run against PostgreSQL. 60 readers comment at once (each held
comment alerts the moderator) and the moderator approves them all (each tells the post's
author): 120 emails expected. While the server is down every answer must be a success and
the worker must have tried every email; once the server is back, every email must arrive
exactly once (counted by Message-ID and recipient).

Run: .venv/bin/python -m tests.system.mail_outage  (PostgreSQL and Redis on loopback)
"""

import email
import subprocess
import threading
import time
from collections import Counter

from aiosmtpd.controller import Controller

from tests.system import harness
from tests.system.concurrency import all_at_once, statuses
from tests.system.harness import Client, CommentForm, Server, accepted, count, log

READERS = 60


class Inbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.received = Counter()

    async def handle_DATA(self, server, session, envelope):
        message_id = email.message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            for to in envelope.rcpt_tos:
                self.received[(message_id, to)] += 1
        return "250 Message accepted for delivery"


def main():
    port = harness.free_port()
    inbox = Inbox()
    env = harness.server_env(
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), EMAIL_USE_TLS="0", EMAIL_TIMEOUT="5",
        DELIVERY_RETRY_BASE_SECONDS="1", DELIVERY_RETRY_MAX_DELAY_SECONDS="2",
        DELIVERY_WORKER_HEARTBEAT_SECONDS="2",
    )
    log("mail-outage: fresh database")
    harness.fresh_database(env)
    site = harness.create_site(env)
    post = site["posts"][0]
    problems, figures = [], {}
    worker_log = open(harness.WORK / "mail-outage-worker.log", "ab")
    worker = subprocess.Popen([harness.PYTHON, "manage.py", "worker", "--interval", "0.2"],
                              cwd=harness.ROOT, env=env, stdout=worker_log,
                              stderr=subprocess.STDOUT)
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    started = False
    try:
        with Server(env, name="mail-outage", workers=2, threads=8) as server:
            form = CommentForm.load(Client(server), post)
            log(f"mail server down; {READERS} comments at once")
            timed = []

            def comment(n):
                started = time.monotonic()
                response = form.submit(server, address=harness.client_address(20000 + n),
                                       name=f"Reader {n}", email=f"outage-{n}@example.org",
                                       body=f"Written while the mail server is down, {n}.")
                timed.append(time.monotonic() - started)
                return response

            responses = all_at_once([lambda n=n: comment(n) for n in range(READERS)])
            figures["comments during the outage: answers"] = statuses(responses)
            figures["comment POST p50 / p95 ms"] = (
                f"{harness.percentile(timed, 50) * 1000:.0f} / {harness.percentile(timed, 95) * 1000:.0f}")
            if sum(accepted(r) for r in responses) != READERS:
                problems.append("a comment was not accepted while the mail server was down")

            moderator = Client(server)
            moderator.login(**site["moderator"])
            queue = moderator.get("/comments/moderation/")
            ids = harness.psql("SELECT string_agg(id::text, ',') FROM comments_comment "
                               "WHERE author_email LIKE 'outage-%'").split(",")
            decided = moderator.post("/comments/moderation/decide/", {
                "csrfmiddlewaretoken": harness.hidden_field(queue.text, "csrfmiddlewaretoken"),
                "action": "approve", "comment": ids,
            })
            figures["moderator's approval of all during the outage"] = decided.status
            if decided.status != 302:
                problems.append(f"approving during the outage answered {decided.status}")

            expected = count("SELECT count(*) FROM delivery_delivery")
            figures["emails expected (60 alerts + 60 to the author)"] = expected
            tried = harness.wait_for(
                lambda: count("SELECT count(*) FROM delivery_delivery WHERE attempts = 0") == 0, 120)
            figures["every email tried while the server was down"] = tried
            figures["emails sent while it was down"] = sum(inbox.received.values())
            if not tried:
                problems.append("the worker did not try every email while the server was down")

            log("mail server back")
            smtp.start()
            started = True
            drained = harness.wait_for(
                lambda: count("SELECT count(*) FROM delivery_delivery WHERE status <> 'sent'") == 0, 180)
            delivered = dict(inbox.received)
            figures["queue drained after the server came back"] = drained
            figures["emails delivered (distinct Message-ID and recipient)"] = len(delivered)
            figures["emails delivered more than once"] = sum(1 for n in delivered.values() if n > 1)
            figures["most attempts for one email"] = count("SELECT max(attempts) FROM delivery_delivery")
            if expected != 2 * READERS or len(delivered) != expected or set(delivered.values()) != {1}:
                problems.append(f"{expected} emails expected, {len(delivered)} delivered, "
                                f"{sum(delivered.values())} messages received")

            failed = harness.server_errors(server.log_entries())
            figures["server errors logged"] = len(failed)
            if failed:
                problems.append(f"{len(failed)} server errors, first: {failed[0].get('message')}")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        worker_log.close()
        if started:
            smtp.stop()
    return harness.report("mail-outage", not problems, figures, problems)


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
