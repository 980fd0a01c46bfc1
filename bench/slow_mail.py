"""A comment POST while the mail server takes 5 s to answer: queued emails (today's code)
beside the old way, sending from the request (the same run, the same server).

    .venv/bin/python bench/slow_mail.py [--posts 10] [--delay 5]

Each comment is held, so each POST causes one email to the moderator. The "queued" POSTs
only store the email for the worker; the "in the request" POSTs send it before answering,
as notifications did before delivery/ (emulated by sending where the code enqueues). A
throwaway SQLite database and an aiosmtpd server on a free loopback port; prints the
median and worst POST times and their ratio.
"""

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class SlowServer:
    """Accepts every message, but only after `delay` seconds at the RCPT command."""

    def __init__(self, delay):
        self.delay = delay
        self.received = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--delay", type=float, default=5.0)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    handler = SlowServer(args.delay)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    workdir = tempfile.mkdtemp(prefix="bench-slow-mail-")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "testserver", "DJANGO_HTTPS": "0",
        "SQLITE_PATH": f"{workdir}/db.sqlite3", "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port), "EMAIL_USE_TLS": "0", "EMAIL_TIMEOUT": str(int(args.delay) + 10),
        "LOG_LEVEL": "WARNING",
    })
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"):
        os.environ.pop(name, None)

    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.core import signing
    from django.core.mail import EmailMessage
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from blog.models import Post
    from comments.forms import TIMESTAMP_SALT
    from delivery import email
    from delivery.models import Delivery

    call_command("migrate", verbosity=0)
    User = django.contrib.auth.get_user_model()
    moderator = User.objects.create_user("mod", email="mod@example.org", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    post = Post.objects.create(title="Engines", slug="engines", body="Words.", author=moderator,
                               status=Post.Status.PUBLISHED, published_at=timezone.now())
    client = Client()
    sequence = iter(range(1, 10_000))

    def post_one():
        number = next(sequence)
        data = {"name": "Reader", "email": f"reader{number}@example.org", "url": "",
                "body": f"Comment {number}.", "parent": "", "honeypot": "",
                "timestamp": signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(str(post.pk))}
        started = time.perf_counter()
        response = client.post(f"/comments/post/{post.pk}/", data,
                               REMOTE_ADDR=f"198.51.{number // 250}.{number % 250 + 1}")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 302, response.status_code
        return elapsed

    def send_in_the_request(*, to, subject, body, key, headers=None):
        EmailMessage(subject, body, to=[to], headers=headers or {}).send()

    def no_email(**kwargs):
        pass

    post_one()  # warm up: templates, connections
    original = email.enqueue
    email.enqueue = no_email
    try:
        floor = [post_one() for _ in range(args.posts)]
    finally:
        email.enqueue = original
    queued = [post_one() for _ in range(args.posts)]
    waiting = Delivery.objects.waiting().count()
    email.enqueue = send_in_the_request
    try:
        in_request = [post_one() for _ in range(args.posts)]
    finally:
        email.enqueue = original
    controller.stop()

    print(f"comment POST, mail server answering after {args.delay:g} s, {args.posts} POSTs each")
    print(f"{'path':<22}{'median ms':>12}{'worst ms':>12}")
    for label, times in (("no email (floor)", floor), ("queued (delivery/)", queued),
                         ("sent in the request", in_request)):
        print(f"{label:<22}{statistics.median(times):>12.1f}{max(times):>12.1f}")
    print(f"ratio, queued / no email (median): {statistics.median(queued) / statistics.median(floor):.2f}")
    print(f"ratio, sent in the request / queued (median): "
          f"{statistics.median(in_request) / statistics.median(queued):.0f}x")
    print(f"queued emails waiting for the worker: {waiting}; sent in the request: {handler.received}")
    verdict = "under" if max(queued) < 50 else "NOT under"
    print(f"queued POSTs {verdict} 50 ms at worst")


if __name__ == "__main__":
    main()
