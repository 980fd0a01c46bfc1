"""A delivery's life: queued, sent once under a stable identity, retried with backoff
while it fails, given up after a day, seen and retried by moderators in the admin."""

import logging
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from delivery import email, outbox
from delivery.models import Delivery, Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_server_down(monkeypatch):
    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    return lambda: monkeypatch.undo()


def queue_one(to="grace@example.org", key="comment-1.reply"):
    return email.enqueue(to=to, subject="A reply", body="Hello.", key=key)


def test_a_queued_email_waits_for_the_worker_with_its_task(mailoutbox):
    delivery = queue_one()

    assert mailoutbox == []
    assert delivery.status == Delivery.Status.WAITING
    [task] = DBTaskResult.objects.ready()
    assert task.task_path == "delivery.tasks.deliver"
    assert task.args_kwargs["args"] == [delivery.pk, str(delivery.ticket)]


def test_the_worker_sends_it_once_with_its_message_id(send_queued, mailoutbox):
    delivery = queue_one()

    assert send_queued() == ["sent"]
    assert send_queued() == []

    [message] = mailoutbox
    assert message.to == ["grace@example.org"]
    assert message.extra_headers["Message-ID"] == delivery.key
    assert message.message()["Message-ID"] == delivery.key
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.sent_at is not None


def test_the_message_id_is_the_same_on_every_retry_and_differs_per_recipient(
    settings, send_queued, mailoutbox, mail_server_down
):
    settings.SITE_URL = "https://blog.example"
    delivery = queue_one()
    other = queue_one(to="alan@example.org")
    send_queued()
    Delivery.objects.update(next_attempt_at=timezone.now())
    mail_server_down()
    send_queued()

    assert {m.extra_headers["Message-ID"] for m in mailoutbox} == {delivery.key, other.key}
    assert delivery.key.endswith("@blog.example>") and delivery.key != other.key
    assert "grace" not in delivery.key


def test_the_same_notification_is_queued_once():
    assert queue_one() is not None
    assert queue_one() is None
    assert Delivery.objects.count() == 1 and DBTaskResult.objects.count() == 1


def test_a_key_longer_than_its_column_is_refused_on_every_database():
    """SQLite would keep it; PostgreSQL would refuse it and the transaction that caused it."""
    with pytest.raises(ValueError, match="at most 255 characters"):
        queue_one(key="comment-1." + "x" * 250)

    assert not Delivery.objects.exists()
    assert outbox.enqueue(
        "email", key="k" * 255, recipient="grace@example.org", summary="A reply",
        payload={"subject": "A reply", "body": "Hello.", "headers": {}},
    ) is not None


def test_a_failed_send_is_retried_with_doubling_waits(mail_server_down, caplog):
    delivery = queue_one()
    waits = []
    with caplog.at_level(logging.WARNING, logger="delivery.outbox"):
        for _ in range(4):
            assert outbox.attempt(delivery.pk, delivery.ticket) == "retrying"
            delivery.refresh_from_db()
            waits.append(round((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()))

    assert waits == [30, 60, 120, 240]
    assert delivery.status == Delivery.Status.WAITING and delivery.attempts == 4
    assert delivery.last_error == "ConnectionRefusedError: Connection refused"
    # Each retry is a task of its own, due when the wait is over.
    assert DBTaskResult.objects.filter(run_after=delivery.next_attempt_at).count() == 1
    assert "Traceback" not in caplog.text


def test_waits_grow_to_two_hours_and_stop_growing():
    waits = [outbox.backoff(attempts).total_seconds() for attempts in range(1, 14)]

    assert waits[:4] == [30, 60, 120, 240]
    assert waits[-1] == 7200 and max(waits) == 7200


def test_retries_go_on_for_a_day_then_the_delivery_is_marked_failed(mail_server_down, caplog):
    delivery = queue_one()
    assert delivery.give_up_at - delivery.created_at == timedelta(days=1)

    Delivery.objects.update(give_up_at=timezone.now() + timedelta(seconds=10))
    outbox.attempt(delivery.pk, delivery.ticket)
    delivery.refresh_from_db()
    # The last try is at the end of the day, never later.
    assert delivery.next_attempt_at == delivery.give_up_at

    Delivery.objects.update(give_up_at=timezone.now())
    with caplog.at_level(logging.ERROR, logger="delivery.outbox"):
        assert outbox.attempt(delivery.pk, delivery.ticket) == "failed"

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 2
    assert "Gave up on delivery" in caplog.text


def test_a_task_from_before_a_retry_sends_nothing(send_queued, mailoutbox):
    delivery = queue_one()
    old_ticket = delivery.ticket
    assert outbox.retry(delivery)

    assert outbox.attempt(delivery.pk, old_ticket) == "nothing to do"
    assert send_queued() == ["sent"]
    assert len(mailoutbox) == 1


def test_a_sent_message_is_never_sent_again_by_a_retry(send_queued, mailoutbox):
    delivery = queue_one()
    send_queued()
    delivery.refresh_from_db()

    assert outbox.retry(delivery) is False
    assert outbox.attempt(delivery.pk, delivery.ticket) == "nothing to do"
    assert len(mailoutbox) == 1


def test_what_a_dead_worker_was_sending_is_queued_again(settings):
    alive = Worker.objects.create(worker_id="alive", hostname="here", pid=1)
    Worker.objects.create(worker_id="dead", hostname="there", pid=2,
                          seen_at=timezone.now() - settings.DELIVERY_WORKER_DEAD_AFTER * 2)
    stuck = queue_one(key="stuck")
    first_ticket = stuck.ticket
    busy = queue_one(key="busy")
    Delivery.objects.filter(pk=stuck.pk).update(status=Delivery.Status.SENDING, claimed_by="dead")
    Delivery.objects.filter(pk=busy.pk).update(status=Delivery.Status.SENDING, claimed_by=alive.pk)

    assert outbox.recover() == 1

    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert stuck.status == Delivery.Status.WAITING and stuck.ticket != first_ticket
    assert busy.status == Delivery.Status.SENDING
    assert [stuck.pk, str(stuck.ticket)] in [t.args_kwargs["args"] for t in DBTaskResult.objects.ready()]


def test_a_dead_workers_task_is_marked_failed():
    queue_one()
    task = DBTaskResult.objects.get()
    task.claim("gone-worker")

    outbox.recover()

    task.refresh_from_db()
    assert task.status == "FAILED" and task.exception_class_path == "delivery.outbox.WorkerLost"


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="No delivery channel"):
        outbox.enqueue("pigeon", key="k", recipient="r", summary="s", payload={})


def test_a_failure_no_retry_can_mend_fails_at_once_for_a_person_to_see(send_queued):
    @outbox.channel("test-refusing")
    def refuse(delivery):
        raise outbox.GiveUp("That address is not one we call.")

    try:
        delivery = outbox.enqueue("test-refusing", key="refused-1", recipient="x", summary="s", payload={})
        assert send_queued() == ["failed"]
        delivery.refresh_from_db()
        assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 1
        assert "not one we call" in delivery.last_error
    finally:
        del outbox.CHANNELS["test-refusing"]


def test_a_delivery_for_later_waits_until_then_and_retries_count_from_then():
    later = timezone.now() + timedelta(days=3)
    delivery = outbox.enqueue("email", key="post-9.announce", recipient="grace@example.org",
                              summary="A scheduled post", payload={"to": "grace@example.org"},
                              not_before=later)

    assert delivery.next_attempt_at == later
    assert delivery.give_up_at == later + timedelta(days=1)
    assert not DBTaskResult.objects.ready().exists()
    [task] = DBTaskResult.objects.all()
    assert task.run_after == later
