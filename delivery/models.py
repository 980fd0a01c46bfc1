import uuid

from django.db import models
from django.utils import timezone


class DeliveryQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status__in=[Delivery.Status.WAITING, Delivery.Status.SENDING])

    def failed(self):
        return self.filter(status=Delivery.Status.FAILED)


class Delivery(models.Model):
    """One message to one recipient: what to send, and what became of it.

    `key` is the message's stable identity (an email's Message-ID): it is chosen when the
    message is enqueued, never changes across retries, and is unique, so enqueuing the
    same notification twice stores it once. `ticket` names the one task allowed to send it
    now; a retry gets a new ticket, so a stale task finds nothing to do.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    channel = models.CharField(max_length=32)
    key = models.CharField(max_length=255, unique=True)
    recipient = models.CharField(max_length=255)
    summary = models.CharField(max_length=255, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    ticket = models.UUIDField(default=uuid.uuid4)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        permissions = [("retry_delivery", "Can retry a failed or waiting delivery")]

    def __str__(self):
        return f"{self.channel} to {self.recipient}: {self.summary}"


class Worker(models.Model):
    """A worker process's heartbeat: the proof it is alive, and when one last ran."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self):
        return f"{self.hostname}:{self.pid}"
