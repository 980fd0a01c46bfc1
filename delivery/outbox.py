"""The rules of a delivery's life: enqueue, attempt, retry with backoff, give up, recover.

A channel is a function that sends one Delivery and raises if it could not; it registers
under a name with `@channel("name")`. Everything else (the row, its task, the retries,
what moderators see) is the same for every channel. A channel raises `GiveUp` for a
failure that retrying cannot mend (the delivery then fails at once).
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from delivery.models import Delivery, Worker

logger = logging.getLogger(__name__)

CHANNELS = {}
KEY_MAX_LENGTH = Delivery._meta.get_field("key").max_length


class GiveUp(Exception):
    """Raised by a channel for a failure no retry can mend (an address we refuse to call):
    the delivery fails at once, for a person to read and retry if they want."""


class WorkerLost(Exception):
    """The worker that was running a task stopped (killed, or its machine went down)."""


def channel(name):
    """Register the function that sends a Delivery of this channel."""

    def register(send):
        CHANNELS[name] = send
        return send

    return register


def enqueue(channel_name, *, key, recipient, summary, payload, not_before=None):
    """Store a delivery and queue its task, both in the caller's transaction.

    Returns the new Delivery, or None when a delivery with this key exists already (the
    same notification enqueued twice is sent once). `not_before`: the first attempt waits
    until then (a scheduled post is announced when it appears); retries are counted from it.
    """
    if channel_name not in CHANNELS:
        raise ValueError(f"No delivery channel named {channel_name!r}.")
    if len(key) > KEY_MAX_LENGTH:
        # SQLite would store it; PostgreSQL refuses it and the caller's transaction with it.
        # Keys naming remote addresses carry a digest of them, never the address itself.
        raise ValueError(f"A delivery key may be at most {KEY_MAX_LENGTH} characters: {key[:60]!r}…")
    now = max(timezone.now(), not_before) if not_before else timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    channel=channel_name, key=key, recipient=recipient[:255],
                    summary=summary[:255], payload=payload,
                    created_at=now, next_attempt_at=now, give_up_at=now + settings.DELIVERY_RETRY_FOR,
                )
        except IntegrityError:
            if Delivery.objects.filter(key=key).exists():
                return None
            raise
        _schedule(delivery)
    return delivery


def _schedule(delivery):
    from delivery.tasks import deliver

    # Always with its due time: the worker takes tasks by run_after, and one without it
    # sorts after every retry, so new emails would starve behind an outage's retries.
    deliver.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk, str(delivery.ticket))


def backoff(attempts):
    """How long to wait after the given number of failed attempts: doubling, capped."""
    base = settings.DELIVERY_RETRY_BASE.total_seconds()
    cap = settings.DELIVERY_RETRY_MAX_DELAY.total_seconds()
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def attempt(delivery_id, ticket, *, worker_id=""):
    """Send the delivery if this task still holds its ticket; record what happened."""
    claimed = Delivery.objects.filter(
        pk=delivery_id, ticket=ticket, status=Delivery.Status.WAITING
    ).update(
        status=Delivery.Status.SENDING, attempts=F("attempts") + 1,
        last_attempt_at=timezone.now(), claimed_by=worker_id,
    )
    if not claimed:
        # Sent, given up, or retried under a new ticket since this task was queued.
        return "nothing to do"
    delivery = Delivery.objects.get(pk=delivery_id)
    try:
        CHANNELS[delivery.channel](delivery)
    except GiveUp as error:
        return _failed(delivery, error, give_up=True)
    except Exception as error:
        return _failed(delivery, error)
    Delivery.objects.filter(pk=delivery.pk, ticket=delivery.ticket).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"


def _failed(delivery, error, *, give_up=False):
    now = timezone.now()
    reason = f"{type(error).__name__}: {error}"[:1000]
    if give_up or now >= delivery.give_up_at:
        Delivery.objects.filter(pk=delivery.pk, ticket=delivery.ticket).update(
            status=Delivery.Status.FAILED, last_error=reason
        )
        logger.error("Gave up on delivery %s (%s) after %s attempts: %s",
                     delivery.pk, delivery.channel, delivery.attempts, reason)
        return "failed"
    delivery.next_attempt_at = min(now + backoff(delivery.attempts), delivery.give_up_at)
    _requeue(delivery, last_error=reason)
    logger.warning("Delivery %s (%s) failed, attempt %s; next at %s: %s", delivery.pk,
                   delivery.channel, delivery.attempts, delivery.next_attempt_at.isoformat(), reason)
    return "retrying"


def _requeue(delivery, **fields):
    """Back to waiting under a new ticket (any older task becomes a no-op), with its task.

    Only if nobody moved it since it was read (same ticket): returns whether it was.
    """
    old_ticket = delivery.ticket
    delivery.ticket = uuid.uuid4()
    delivery.status = Delivery.Status.WAITING
    for name, value in fields.items():
        setattr(delivery, name, value)
    with transaction.atomic():
        moved = Delivery.objects.filter(pk=delivery.pk, ticket=old_ticket).update(
            ticket=delivery.ticket, status=delivery.status,
            next_attempt_at=delivery.next_attempt_at, **fields,
        )
        if moved:
            _schedule(delivery)
    return bool(moved)


def retry(delivery):
    """A person's retry: now, with a fresh day of retries. False if it cannot be retried
    (already sent, or being sent at this moment)."""
    if delivery.status not in (Delivery.Status.WAITING, Delivery.Status.FAILED):
        return False
    now = timezone.now()
    delivery.next_attempt_at = now
    return _requeue(delivery, attempts=0, give_up_at=now + settings.DELIVERY_RETRY_FOR)


def live_worker_ids():
    since = timezone.now() - settings.DELIVERY_WORKER_DEAD_AFTER
    return set(Worker.objects.filter(seen_at__gte=since).values_list("worker_id", flat=True))


def recover():
    """Requeue what dead workers were sending, and mark their tasks failed.

    A worker killed in the middle of a send leaves its delivery "being sent": whether the
    other side got it is unknown, so it is sent again under the same key (an email's
    Message-ID), which mail programs use to show a repeat once. Returns how many.
    """
    from django_tasks_db.models import DBTaskResult

    alive = live_worker_ids()
    recovered = 0
    for delivery in Delivery.objects.filter(status=Delivery.Status.SENDING).exclude(claimed_by__in=alive):
        delivery.next_attempt_at = timezone.now()
        recovered += _requeue(delivery, last_error="The worker stopped while sending.")
    for result in DBTaskResult.objects.running():
        if result.worker_ids and result.worker_ids[-1] not in alive:
            result.set_failed(WorkerLost(f"Worker {result.worker_ids[-1]} stopped while running it."))
    if recovered:
        logger.warning("Requeued %s deliveries left half-sent by a stopped worker.", recovered)
    return recovered



def queue_state():
    """What /readyz reports: tasks due now, how long the oldest has waited, failed
    deliveries, and seconds since a worker last said it was alive (None: never)."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    never = get_date_max()
    due = DBTaskResult.objects.ready().aggregate(
        count=Count("pk"),
        # A task with no run_after waits from its enqueuing; a retry from its run_after.
        oldest_enqueued=Min("enqueued_at", filter=Q(run_after=never)),
        oldest_run_after=Min("run_after", filter=~Q(run_after=never)),
    )
    waiting_since = [t for t in (due["oldest_enqueued"], due["oldest_run_after"]) if t]
    seen = Worker.objects.aggregate(last=Max("seen_at"))["last"]
    return {
        "due": due["count"],
        "oldest_due_seconds": round((now - min(waiting_since)).total_seconds()) if waiting_since else None,
        "failed_deliveries": Delivery.objects.failed().count(),
        "worker_seen_seconds_ago": round((now - seen).total_seconds()) if seen else None,
    }
