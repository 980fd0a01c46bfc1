"""A real SMTP server (aiosmtpd, on a free loopback port) and real worker processes."""

import asyncio
import email
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from tests.comments.conftest import comment_data, make_comment, post_comment  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server accepted: (Message-ID, recipient) pairs. `hold_at` makes the
    server stop, mid-conversation, at that recipient command until `release` is set."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []
        self.recipients_seen = 0
        self.hold_at = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.recipients_seen += 1
            hold = self.recipients_seen == self.hold_at
        if hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message_id = email.message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            self.received.extend((message_id, to) for to in envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def counts(self):
        with self.lock:
            return Counter(self.received)


class MailServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mail_server():
    server = MailServer()
    server.start()
    yield server
    server.stop()


def worker_environment(mail_port):
    """Production settings, the test database, the test's mail server, short waits."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "EMAIL_"))}
    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        env["SQLITE_PATH"] = str(database["NAME"])
    else:
        env["DATABASE_URL"] = (f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@"
                               f"{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}")
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "worker-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail_port),
        "EMAIL_USE_TLS": "0",
        "EMAIL_TIMEOUT": "10",
        "DELIVERY_RETRY_BASE_SECONDS": "1",
        "DELIVERY_RETRY_MAX_DELAY_SECONDS": "1",
        "DELIVERY_WORKER_HEARTBEAT_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    })
    return env


@pytest.fixture
def start_worker(mail_server, tmp_path):
    """start_worker(): a `manage.py worker` process; stopped (SIGTERM) after the test."""
    workers = []

    def start():
        log = open(tmp_path / f"worker-{len(workers)}.log", "w")
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.1"],
            cwd=ROOT, env=worker_environment(mail_server.port), stdout=log, stderr=subprocess.STDOUT,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)


def wait_for(condition, *, timeout=90, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")
