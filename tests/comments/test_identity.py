"""An address is not proof: returning commenters confirm it by a mailed link, and reply
emails go only to confirmed addresses (double opt-in)."""

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments import identity, moderation, notifications, privacy
from comments.models import AddressConfirmation, BlocklistEntry, Comment, ModerationLog
from tests.comments.conftest import confirm_in_browser

pytestmark = pytest.mark.django_db

ANN = "ann@example.org"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://blog.example"


@pytest.fixture
def ann_is_known(make_comment):
    """Ann has an approved comment: her address is a returning commenter's."""
    return make_comment(name="Ann", email=ANN, body="My first words here.")


def confirmation_mails(mailoutbox, to=ANN):
    return [m for m in mailoutbox if m.to == [to] and "Confirm your email address" in m.subject]


def link_path(message):
    url = re.search(r"https://blog\.example(/comments/confirm/\S+/)", message.body).group(1)
    return url


def later(email):
    """Move `email`'s comments back in time, past the flood rule's interval."""
    Comment.objects.filter(author_email=email).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )


def test_a_returning_address_without_proof_is_held_and_mailed_a_link(
    post_comment, published_post, ann_is_known, mailoutbox, send_queued
):
    post_comment(published_post, name="Site Administrator", email=ANN,
                 url="https://phish.example", body="Log in here to keep your account.")
    send_queued()

    comment = Comment.objects.get(author_name="Site Administrator")
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "address not confirmed"
    [message] = confirmation_mails(mailoutbox)
    assert "Log in here to keep your account." in message.body
    assert "publishes this comment" in message.body
    assert link_path(message).startswith("/comments/confirm/")
    row = AddressConfirmation.objects.get()
    assert row.digest == identity.digest(ANN) and row.confirmed_at is None
    assert ANN not in str(AddressConfirmation.objects.values_list().get())


def test_a_flood_of_comments_with_one_address_mails_it_once_a_day(
    post_comment, published_post, ann_is_known, mailoutbox, send_queued
):
    for number in range(3):
        post_comment(published_post, email=ANN, body=f"Flood {number}.", using=Client())
        later(ANN)
    send_queued()

    assert Comment.objects.filter(held_reason="address not confirmed").count() == 3
    assert len(confirmation_mails(mailoutbox)) == 1

    AddressConfirmation.objects.update(mailed_at=timezone.now() - identity.MAIL_INTERVAL)
    post_comment(published_post, email=ANN, body="A day later.", using=Client())
    send_queued()
    assert len(confirmation_mails(mailoutbox)) == 2


def test_a_first_comment_gets_no_confirmation_email(post_comment, published_post, mailoutbox,
                                                   send_queued):
    post_comment(published_post, email=ANN, body="Hello.")
    send_queued()

    assert Comment.objects.get().held_reason == "first comment from this address"
    assert confirmation_mails(mailoutbox) == []


def test_following_the_link_asks_first_then_publishes_and_remembers_the_browser(
    client, post_comment, published_post, ann_is_known, mailoutbox, send_queued, settings
):
    settings.SESSION_COOKIE_SECURE = True
    post_comment(published_post, email=ANN, body="Back again.")
    send_queued()
    path = link_path(confirmation_mails(mailoutbox)[0])
    comment = Comment.objects.get(body="Back again.")

    # A mail scanner opening the link changes nothing.
    page = Client().get(path)
    assert page.status_code == 200
    assert "Confirm my address" in page.content.decode()
    assert "Back again." in page.content.decode()
    assert identity.COOKIE_NAME not in page.cookies
    assert "no-cache" in page["Cache-Control"]
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert AddressConfirmation.objects.get().confirmed_at is None

    done = client.post(path)

    assert done.status_code == 200
    assert "Your comment is published." in done.content.decode()
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    log = ModerationLog.objects.get(comment=comment)
    assert (log.moderator, log.to_status) == (None, "approved")
    assert log.reason == "address confirmed by the link mailed for this comment"
    assert AddressConfirmation.objects.get().confirmed_at is not None
    cookie = done.cookies[identity.COOKIE_NAME]
    assert cookie["path"] == "/comments/"
    assert cookie["httponly"] and cookie["secure"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 300 * 24 * 3600
    assert ANN not in cookie.value

    later(ANN)
    post_comment(published_post, email=ANN, body="Trusted now.")
    trusted = Comment.objects.get(body="Trusted now.")
    assert trusted.status == Comment.Status.APPROVED
    assert ModerationLog.objects.get(comment=trusted).reason == (
        "earlier approved comment from this address, confirmed in this browser"
    )


def test_a_stranger_using_a_confirmed_address_is_held(
    client, post_comment, published_post, ann_is_known, mailoutbox, send_queued
):
    confirm_in_browser(client, ANN)
    post_comment(published_post, email=ANN, body="Ann, from her browser.")
    later(ANN)

    post_comment(published_post, name="Ann", email=ANN, body="Not Ann at all.",
                 using=Client())

    assert Comment.objects.get(body="Ann, from her browser.").is_visible
    stranger = Comment.objects.get(body="Not Ann at all.")
    assert stranger.status == Comment.Status.PENDING
    assert stranger.held_reason == "address not confirmed"


def test_proof_for_one_address_is_no_proof_for_another(
    client, post_comment, published_post, make_comment
):
    make_comment(email="bob@example.org")
    confirm_in_browser(client, ANN)

    post_comment(published_post, email="bob@example.org", body="Bob, from Ann's browser.")

    assert Comment.objects.get(body="Bob, from Ann's browser.").held_reason == "address not confirmed"


@pytest.mark.parametrize(
    "cookie",
    [
        "nonsense",
        signing.dumps([identity.digest(ANN)], salt="another purpose"),
        signing.dumps([identity.digest(ANN)], salt=identity.COOKIE_SALT, key="another site's key"),
        signing.dumps({"digest": identity.digest(ANN)}, salt=identity.COOKIE_SALT),
    ],
)
def test_a_forged_cookie_proves_nothing(client, post_comment, published_post, ann_is_known, cookie):
    AddressConfirmation.objects.create(digest=identity.digest(ANN), confirmed_at=timezone.now())
    client.cookies[identity.COOKIE_NAME] = cookie

    response = post_comment(published_post, email=ANN, body="Forged.")

    assert response.status_code == 302
    assert Comment.objects.get(body="Forged.").held_reason == "address not confirmed"


def test_an_expired_cookie_proves_nothing(client, post_comment, published_post, ann_is_known,
                                          monkeypatch):
    confirm_in_browser(client, ANN)
    monkeypatch.setattr(identity, "COOKIE_MAX_AGE", timedelta(seconds=-1))

    post_comment(published_post, email=ANN, body="Too late.")

    assert Comment.objects.get(body="Too late.").held_reason == "address not confirmed"


def test_erasing_the_commenter_voids_every_browsers_proof(client, post_comment, published_post,
                                                         ann_is_known, make_comment):
    confirm_in_browser(client, ANN)
    privacy.erase_commenter(ANN)
    make_comment(email=ANN)  # she comes back, and is approved again

    post_comment(published_post, email=ANN, body="After erasure.")

    assert not AddressConfirmation.objects.filter(confirmed_at__isnull=False).exists()
    assert Comment.objects.get(body="After erasure.").held_reason == "address not confirmed"


def test_the_link_confirms_but_does_not_publish_a_comment_held_for_another_reason(
    client, post_comment, published_post, ann_is_known, mailoutbox, send_queued
):
    post_comment(published_post, email=ANN, notify="on",
                 body="See https://a.example and https://b.example")
    send_queued()
    comment = Comment.objects.get(body__startswith="See")
    assert comment.held_reason == "2 links"

    done = client.post(link_path(confirmation_mails(mailoutbox)[0]))

    comment.refresh_from_db()
    assert done.status_code == 200
    assert "still waits for a moderator" in done.content.decode()
    assert comment.status == Comment.Status.PENDING
    assert comment.notify_confirmed_at is not None
    assert AddressConfirmation.objects.get().confirmed_at is not None


def test_a_moderators_decision_before_the_click_stands(
    client, post_comment, published_post, ann_is_known, mailoutbox, send_queued, moderator
):
    post_comment(published_post, email=ANN, body="Rejected first.")
    send_queued()
    comment = Comment.objects.get(body="Rejected first.")
    comment.reject(by=moderator)

    client.post(link_path(confirmation_mails(mailoutbox)[0]))

    comment.refresh_from_db()
    assert comment.status == Comment.Status.REJECTED


def test_confirming_twice_changes_nothing_more(client, post_comment, published_post, ann_is_known,
                                               mailoutbox, send_queued):
    post_comment(published_post, email=ANN, body="Twice.")
    send_queued()
    path = link_path(confirmation_mails(mailoutbox)[0])

    first = client.post(path)
    second = client.post(path)

    assert first.status_code == second.status_code == 200
    assert "already published" in second.content.decode()
    assert ModerationLog.objects.filter(comment__body="Twice.").count() == 1


def test_an_expired_link_explains_and_changes_nothing(client, post_comment, published_post,
                                                      ann_is_known, mailoutbox, send_queued,
                                                      monkeypatch):
    post_comment(published_post, email=ANN, body="Slow reader.")
    send_queued()
    path = link_path(confirmation_mails(mailoutbox)[0])
    monkeypatch.setattr(identity, "LINK_MAX_AGE", timedelta(seconds=-1))

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert "has expired" in response.content.decode()
        assert "fresh link" in response.content.decode()
    assert Comment.objects.get(body="Slow reader.").status == Comment.Status.PENDING
    assert identity.COOKIE_NAME not in client.cookies


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        signing.dumps(1, salt=notifications.UNSUBSCRIBE_SALT),
        signing.dumps(1, salt=identity.LINK_SALT, key="another site's key"),
        signing.dumps("1", salt=identity.LINK_SALT),
    ],
)
def test_a_tampered_link_gets_400(client, make_comment, token):
    make_comment(pk=1, email=ANN, status=Comment.Status.PENDING,
                 held_reason="address not confirmed")

    response = client.post(f"/comments/confirm/{token}/")

    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert Comment.objects.get(pk=1).status == Comment.Status.PENDING


def test_a_link_to_an_erased_comment_is_gone(client, make_comment):
    comment = make_comment(email=ANN, status=Comment.Status.PENDING)
    path = reverse("comments:confirm-address", args=[identity.link_token(comment)])
    privacy.erase_commenter(ANN)

    response = client.get(path)

    assert response.status_code == 410
    assert "no longer exists" in response.content.decode()


def test_confirming_from_another_site_is_refused(make_comment):
    comment = make_comment(email=ANN, status=Comment.Status.PENDING,
                           held_reason="address not confirmed")
    path = reverse("comments:confirm-address", args=[identity.link_token(comment)])

    response = Client().post(path, HTTP_SEC_FETCH_SITE="cross-site")

    assert response.status_code == 403
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.PENDING


def test_the_cookie_leaves_public_pages_the_same_for_everyone(client, published_post,
                                                               ann_is_known):
    url = published_post.get_absolute_url()
    plain = Client().get(url)
    confirm_in_browser(client, ANN)

    carrying = client.get(url)

    assert carrying.content == plain.content
    assert carrying["Cache-Control"] == plain["Cache-Control"]
    assert "public" in carrying["Cache-Control"]
    assert not carrying.cookies


# Double opt-in for reply emails.


def reply_mails(mailoutbox, to):
    return [m for m in mailoutbox if m.to == [to] and "replied to your comment" in m.subject]


def test_asking_for_reply_emails_sends_one_confirmation_and_nothing_else(
    post_comment, published_post, moderator, mailoutbox, send_queued
):
    post_comment(published_post, email="grace@example.org", notify="on", body="Tell me.")
    parent = Comment.objects.get()
    moderation.moderate(parent, "approve", by=moderator)
    post_comment(published_post, email="alan@example.org", body="A reply.", parent=parent.pk)
    moderation.moderate(Comment.objects.get(parent=parent), "approve", by=moderator)
    send_queued()

    assert Comment.objects.get(pk=parent.pk).notify_confirmed_at is None
    assert len(confirmation_mails(mailoutbox, "grace@example.org")) == 1
    assert reply_mails(mailoutbox, "grace@example.org") == []


def test_a_confirmed_subscription_gets_reply_emails(
    client, post_comment, published_post, moderator, mailoutbox, send_queued
):
    post_comment(published_post, email="grace@example.org", notify="on", body="Tell me.")
    send_queued()
    parent = Comment.objects.get()
    moderation.moderate(parent, "approve", by=moderator)
    client.post(link_path(confirmation_mails(mailoutbox, "grace@example.org")[0]))

    post_comment(published_post, email="alan@example.org", body="A reply.", parent=parent.pk,
                 using=Client())
    moderation.moderate(Comment.objects.get(parent=parent), "approve", by=moderator)
    send_queued()

    assert Comment.objects.get(pk=parent.pk).notify_confirmed_at is not None
    assert len(reply_mails(mailoutbox, "grace@example.org")) == 1


def test_a_subscription_from_a_confirmed_browser_needs_no_email(
    client, post_comment, published_post, mailoutbox, send_queued
):
    confirm_in_browser(client, "grace@example.org")

    post_comment(published_post, email="grace@example.org", notify="on", body="Tell me.")
    send_queued()

    assert Comment.objects.get().notify_confirmed_at is not None
    assert confirmation_mails(mailoutbox, "grace@example.org") == []


def test_no_one_can_flood_a_strangers_mailbox_with_subscriptions(
    post_comment, published_post, make_post, mailoutbox, send_queued
):
    for number in range(3):
        post_comment(make_post(), email="victim@example.org", notify="on",
                     body=f"Subscribe them {number}.", using=Client())
        later("victim@example.org")
    send_queued()

    assert len([m for m in mailoutbox if m.to == ["victim@example.org"]]) == 1


def test_spam_gets_no_confirmation_email(post_comment, published_post, mailoutbox, send_queued):
    BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.WORD, value="casino")
    post_comment(published_post, email="victim@example.org", notify="on", body="Casino!")
    send_queued()

    assert [m for m in mailoutbox if m.to == ["victim@example.org"]] == []


def test_an_expired_unsubscribe_link_explains_how_to_get_a_fresh_one(client, make_comment,
                                                                      monkeypatch):
    comment = make_comment(notify_on_reply=True, notify_confirmed_at=timezone.now())
    token = notifications.unsubscribe_token(comment)
    monkeypatch.setattr(notifications, "UNSUBSCRIBE_MAX_AGE", timedelta(seconds=-1))

    response = client.post(f"/comments/unsubscribe/{token}/")

    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert "most recent email" in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).notify_on_reply is True


def test_subscriptions_made_before_double_opt_in_keep_their_emails(make_comment):
    kept = make_comment(notify_on_reply=True)
    quiet = make_comment(notify_on_reply=False)
    migration = importlib.import_module("comments.migrations.0005_address_confirmation")

    migration.keep_existing_subscriptions(apps, None)

    assert Comment.objects.get(pk=kept.pk).sends_reply_emails
    assert Comment.objects.get(pk=quiet.pk).notify_confirmed_at is None


def test_the_commenters_export_says_what_proves_their_address(client, post_comment,
                                                               published_post, ann_is_known,
                                                               mailoutbox, send_queued):
    post_comment(published_post, email=ANN, body="Export me.")
    send_queued()
    client.post(link_path(confirmation_mails(mailoutbox)[0]))

    data = privacy.export_commenter(ANN)

    assert data["address_confirmation"]["confirmed_at"] is not None
    assert data["address_confirmation"]["confirmation_emailed_at"] is not None
