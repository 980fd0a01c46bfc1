"""The task worker: django-tasks-db's db_worker, plus a heartbeat and the recovery of what
a killed worker left half-done.

`make run` starts one beside the dev server; production runs deploy/systemd/blog-worker.service.
"""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string

from delivery import outbox
from delivery.models import Worker

logger = logging.getLogger("delivery.worker")

# Heartbeats of workers gone this long are deleted.
FORGET_AFTER_DAYS = 7


class Command(BaseCommand):
    help = "Run the task worker (emails and every other delivery). Stop it with Ctrl-C or SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true",
            help="Run every task that is due, then exit (drain the queue before a deploy).",
        )
        parser.add_argument(
            "--interval", type=float, default=1.0,
            help="Seconds to wait before looking again when nothing is due (default 1).",
        )

    def handle(self, *, batch, interval, verbosity, **options):
        worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"
        Worker.objects.create(worker_id=worker_id, hostname=socket.gethostname()[:255],
                              pid=os.getpid())
        outbox.recover()
        heartbeat = threading.Thread(target=beat, args=(worker_id,), daemon=True)
        heartbeat.start()
        call_command(
            "db_worker", worker_id=worker_id, batch=batch, interval=interval, reload=False,
            startup_delay=False, verbosity=verbosity,
        )


def beat(worker_id):
    """Say this worker is alive, and requeue what dead ones were sending, until exit."""
    period = settings.DELIVERY_WORKER_HEARTBEAT.total_seconds()
    stopped = threading.Event()
    while not stopped.wait(period):
        close_old_connections()
        try:
            now = timezone.now()
            Worker.objects.filter(worker_id=worker_id).update(seen_at=now)
            Worker.objects.filter(seen_at__lt=now - timedelta(days=FORGET_AFTER_DAYS)).delete()
            outbox.recover()
        except DatabaseError as error:
            logger.warning("Worker heartbeat could not reach the database: %s", error)
