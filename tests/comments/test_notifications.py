"""Emails after a comment is held or approved, and the one-click unsubscribe."""

import logging
import re

import pytest
from django.core.mail import EmailMessage

from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, transaction
from django_tasks_db.models import DBTaskResult

from comments import moderation
from comments.models import Comment
from delivery.models import Delivery
from comments.notifications import unsubscribe_token
from django.utils import timezone
from tests.comments.conftest import confirm_in_browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def post_by_ada(make_post, make_user):
    ada = make_user("ada", email="ada@example.org", groups=["Authors"], is_staff=True)
    return make_post(author=ada, title="Engines")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://blog.example"


def test_moderators_are_emailed_when_a_comment_is_held(post_comment, published_post, moderator,
                                                      mailoutbox,
                                                      send_queued):
    post_comment(published_post, name="Newcomer", email="new@example.org", body="Hi all.")
    send_queued()

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["mod@example.org"]
    assert "waiting for moderation" in message.subject
    assert "https://blog.example/comments/moderation/" in message.body
    assert "first comment from this address" in message.body
    assert "Hi all." in message.body and "Newcomer" in message.body
    assert "new@example.org" not in message.body + message.subject


def test_the_request_only_queues_the_email_and_the_worker_sends_it(post_comment, published_post,
                                                                     moderator, mailoutbox,
                                                                     send_queued):
    post_comment(published_post)

    assert mailoutbox == []
    assert [d.recipient for d in Delivery.objects.waiting()] == ["mod@example.org"]
    send_queued()
    assert len(mailoutbox) == 1
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_a_comment_that_is_rolled_back_takes_its_email_with_it(published_post, moderator):
    comment = Comment(post=published_post, author_name="A", author_email="a@example.org",
                      body="Lost.", ip_address="198.51.100.7")

    with pytest.raises(DatabaseError):
        with transaction.atomic():
            moderation.receive(comment, user=AnonymousUser())
            assert Delivery.objects.count() == 1 and DBTaskResult.objects.count() == 1
            raise DatabaseError("the disk filled up before the commit")

    assert not Comment.objects.exists()
    assert not Delivery.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_the_posts_author_is_emailed_when_a_comment_is_approved(client, post_comment, post_by_ada,
                                                               moderator, mailoutbox,
                                                               send_queued):
    post_comment(post_by_ada, email="reader@example.org", body="Lovely engines.")
    comment = Comment.objects.get()
    client.force_login(moderator)
    send_queued()  # the moderator's alert
    mailoutbox.clear()

    client.post("/comments/moderation/decide/", {"decide": f"approve:{comment.pk}"})
    send_queued()

    assert [m.to for m in mailoutbox] == [["ada@example.org"]]
    body = mailoutbox[0].body
    assert f"https://blog.example{post_by_ada.get_absolute_url()}#comment-{comment.pk}" in body
    assert "Lovely engines." in body
    assert "reader@example.org" not in body


def test_an_author_hears_of_each_comment_once(client, post_by_ada, moderator, make_comment,
                                              mailoutbox, send_queued):
    comment = make_comment(post=post_by_ada, status=Comment.Status.PENDING)
    client.force_login(moderator)

    for action in ("approve", "reject", "approve"):
        client.post("/comments/moderation/decide/", {"decide": f"{action}:{comment.pk}"})
    send_queued()

    assert len(mailoutbox) == 1


def test_an_author_is_not_emailed_about_their_own_comment(client, post_by_ada, mailoutbox,
                                                          send_queued,
                                                          post_comment):
    client.force_login(post_by_ada.author)

    post_comment(post_by_ada, email="ada@example.org")
    send_queued()

    assert Comment.objects.get().status == Comment.Status.APPROVED
    assert mailoutbox == []


def test_a_commenter_who_asked_is_emailed_about_an_approved_reply(
    client, post_comment, published_post, make_comment, moderator, mailoutbox,
    send_queued,
):
    parent = make_comment(name="Grace", email="grace@example.org", notify_on_reply=True,
                          notify_confirmed_at=timezone.now())
    post_comment(published_post, name="Alan", email="alan@example.org", body="Good point.",
                 parent=parent.pk)
    reply = Comment.objects.get(parent=parent)
    client.force_login(moderator)

    client.post("/comments/moderation/decide/", {"decide": f"approve:{reply.pk}"})
    send_queued()

    to_grace = [m for m in mailoutbox if m.to == ["grace@example.org"]]
    assert len(to_grace) == 1
    message = to_grace[0]
    assert "Alan replied to your comment" in message.subject
    assert "Good point." in message.body
    assert "alan@example.org" not in message.body + message.subject + str(message.extra_headers)
    link = re.search(r"https://blog\.example/comments/unsubscribe/\S+/", message.body).group(0)
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_commenter_who_did_not_ask_gets_no_reply_email(client, post_comment, published_post,
                                                          make_comment, mailoutbox, make_user,
                                                          send_queued):
    parent = make_comment(email="quiet@example.org", notify_on_reply=False)
    make_comment(email="known@example.org")
    confirm_in_browser(client, "known@example.org")

    post_comment(published_post, email="known@example.org", parent=parent.pk)
    send_queued()

    assert Comment.objects.get(parent=parent).status == Comment.Status.APPROVED
    assert not [m for m in mailoutbox if "quiet@example.org" in m.to]


def test_replying_to_yourself_sends_no_email(client, post_comment, published_post, make_comment,
                                             mailoutbox, send_queued):
    parent = make_comment(email="self@example.org", notify_on_reply=True,
                          notify_confirmed_at=timezone.now())
    confirm_in_browser(client, "self@example.org")

    post_comment(published_post, email="self@example.org", parent=parent.pk)
    send_queued()

    assert Comment.objects.get(parent=parent).status == Comment.Status.APPROVED
    assert not [m for m in mailoutbox if "self@example.org" in m.to]


def test_the_unsubscribe_link_asks_on_get_and_unsubscribes_on_post(client, make_comment,
                                                                   published_post, make_post):
    comment = make_comment(email="grace@example.org", notify_on_reply=True)
    other_here = make_comment(email="grace@example.org", notify_on_reply=True)
    elsewhere = make_comment(post=make_post(), email="grace@example.org", notify_on_reply=True)
    url = f"/comments/unsubscribe/{unsubscribe_token(comment)}/"

    page = client.get(url)
    comment.refresh_from_db()
    assert page.status_code == 200 and comment.notify_on_reply is True
    assert "Unsubscribe" in page.content.decode()

    done = client.post(url)
    assert done.status_code == 200 and "no more emails" in done.content.decode()
    assert Comment.objects.get(pk=comment.pk).notify_on_reply is False
    assert Comment.objects.get(pk=other_here.pk).notify_on_reply is False
    assert Comment.objects.get(pk=elsewhere.pk).notify_on_reply is True


def test_a_mail_programs_one_click_unsubscribe_works_without_a_csrf_cookie(make_comment):
    from django.test import Client

    comment = make_comment(notify_on_reply=True)
    client = Client(enforce_csrf_checks=True)

    response = client.post(f"/comments/unsubscribe/{unsubscribe_token(comment)}/",
                           {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert Comment.objects.get(pk=comment.pk).notify_on_reply is False


@pytest.mark.parametrize("token", ["nonsense", "MTIz:forged:signature", "1"])
def test_a_forged_unsubscribe_link_changes_nothing(client, make_comment, token):
    comment = make_comment(notify_on_reply=True)

    response = client.post(f"/comments/unsubscribe/{token}/")

    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).notify_on_reply is True


def test_a_failing_mail_server_loses_no_comment_and_the_email_waits(
    post_comment, published_post, moderator, monkeypatch, caplog, send_queued, mailoutbox
):
    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr(EmailMessage, "send", refuse)

    response = post_comment(published_post, body="Keep me.")
    with caplog.at_level(logging.WARNING, logger="delivery.outbox"):
        assert send_queued() == ["retrying"]

    assert response.status_code == 302
    assert Comment.objects.get().body == "Keep me."
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.WAITING and delivery.attempts == 1
    assert "SMTP is down" in delivery.last_error and "SMTP is down" in caplog.text
    assert "Traceback" not in caplog.text
