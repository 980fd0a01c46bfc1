"""Moderators see failed and waiting deliveries in the admin and can retry them."""

import pytest
from django.core.mail import EmailMessage

from delivery import email, outbox
from delivery.models import Delivery

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/delivery/delivery/"


@pytest.fixture
def moderator(make_user):
    return make_user("moderator", groups=["Moderators"], is_staff=True, email="mod@example.org")


@pytest.fixture
def failed(monkeypatch):
    delivery = email.enqueue(to="grace@example.org", subject="Alan replied", body="Hi.", key="c-1.reply")

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("Connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMessage, "send", refuse)
        Delivery.objects.filter(pk=delivery.pk).update(give_up_at=delivery.created_at)
        outbox.attempt(delivery.pk, delivery.ticket)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    return delivery


def test_moderators_see_failed_and_waiting_deliveries(client, moderator, failed):
    email.enqueue(to="ada@example.org", subject="New comment", body="Hi.", key="c-2.author")
    client.force_login(moderator)

    failed_page = client.get(CHANGELIST, {"status__exact": "failed"}).content.decode()
    waiting_page = client.get(CHANGELIST, {"status__exact": "waiting"}).content.decode()

    assert "grace@example.org" in failed_page and "Connection refused" in failed_page
    assert "ada@example.org" not in failed_page
    assert "ada@example.org" in waiting_page


def test_a_moderator_retries_a_failed_delivery_and_it_is_sent_once(client, moderator, failed,
                                                                    send_queued, mailoutbox):
    client.force_login(moderator)

    response = client.post(CHANGELIST, {"action": "retry_deliveries", "_selected_action": [failed.pk]},
                           follow=True)

    assert "Queued again: 1." in response.content.decode()
    assert send_queued() == ["sent"]
    assert [m.to for m in mailoutbox] == [["grace@example.org"]]
    response = client.post(CHANGELIST, {"action": "retry_deliveries", "_selected_action": [failed.pk]},
                           follow=True)
    assert "already sent or being sent" in response.content.decode()
    assert send_queued() == []
    assert len(mailoutbox) == 1


def test_moderators_can_neither_edit_nor_delete_a_delivery(client, moderator, failed):
    client.force_login(moderator)

    assert client.post(f"{CHANGELIST}{failed.pk}/change/", {"recipient": "x@example.org"}).status_code == 403
    assert client.post(f"{CHANGELIST}{failed.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Delivery.objects.get().recipient == "grace@example.org"


def test_an_author_sees_no_deliveries(client, make_user, failed):
    client.force_login(make_user("ada", groups=["Authors"], is_staff=True))

    assert client.get(CHANGELIST).status_code == 403
