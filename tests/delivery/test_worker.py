"""The real worker process against a real SMTP server: an outage loses nothing, a killed
worker loses nothing and sends nothing twice."""

import os
import signal
from collections import Counter

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments.models import Comment
from delivery import email
from delivery.models import Delivery
from tests.delivery.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def expected_emails():
    return Counter((d.key, d.recipient) for d in Delivery.objects.all())


def all_sent():
    return not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()


def test_comments_made_while_the_mail_server_is_down_are_all_emailed_once_it_is_back(
    client, mail_server, start_worker, django_user_model, make_user, make_post, make_comment,
    post_comment,
):
    moderator = django_user_model.objects.create_superuser("moderator", "mod@example.org", "pw")
    ada = make_user("ada", email="ada@example.org")
    post = make_post(author=ada, title="Engines")
    parent = make_comment(post=post, email="grace@example.org", notify_on_reply=True,
                          notify_confirmed_at=timezone.now())
    mail_server.stop()
    start_worker()

    for number in range(6):
        response = post_comment(post, name=f"Reader {number}", email=f"reader{number}@example.org",
                                body=f"Comment number {number}.",
                                parent=parent.pk if number < 2 else "")
        assert response.status_code == 302
    client.force_login(moderator)
    for comment in Comment.objects.filter(author_email__startswith="reader")[:4]:
        response = client.post("/comments/moderation/decide/", {"decide": f"approve:{comment.pk}"})
        assert response.status_code == 302
    # The worker tried each while the server was down; none was sent or given up.
    wait_for(lambda: not Delivery.objects.filter(attempts=0).exists(), what="a first attempt at each")
    assert not Delivery.objects.exclude(status__in=["waiting", "sending"]).exists()
    assert mail_server.inbox.counts() == Counter()

    mail_server.start()
    wait_for(all_sent, what="every email to be sent")

    # 6 moderator alerts, 4 approvals told to the post's author, 2 replies told to Grace.
    expected = expected_emails()
    assert sum(expected.values()) == 12
    assert Counter(to for _, to in expected) == {"mod@example.org": 6, "ada@example.org": 4,
                                                 "grace@example.org": 2}
    assert mail_server.inbox.counts() == expected


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(mail_server, start_worker):
    for number in range(8):
        email.enqueue(to=f"reader{number}@example.org", subject="Hello", body="Hi.", key=f"batch-{number}")
    # The server stops in the middle of the fourth conversation, before the message is
    # handed over; the worker is killed there.
    mail_server.inbox.hold_at = 4
    first = start_worker()
    assert mail_server.inbox.holding.wait(timeout=90), "the worker never reached the fourth email"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    mail_server.inbox.release.set()
    assert len(mail_server.inbox.counts()) == 3
    assert Delivery.objects.filter(status=Delivery.Status.SENDING).count() == 1

    start_worker()
    wait_for(all_sent, what="every email to be sent after the restart")

    assert mail_server.inbox.counts() == expected_emails()
    assert set(mail_server.inbox.counts().values()) == {1} and len(mail_server.inbox.counts()) == 8
    lost = [t for t in DBTaskResult.objects.failed() if t.exception_class_path.endswith("WorkerLost")]
    assert len(lost) == 1
