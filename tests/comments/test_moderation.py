"""The rules that decide a new comment's fate, and the flood and duplicate rules."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from comments import moderation
from comments.models import BlocklistEntry, Comment, ModerationKeyword, ModerationLog
from comments.threads import SESSION_KEY
from tests.comments.conftest import confirm_in_browser

pytestmark = pytest.mark.django_db


def new_comment(post, **fields):
    values = {
        "author_name": "Reader",
        "author_email": "reader@example.org",
        "body": "A comment.",
        "ip_address": "198.51.100.1",
        "user_agent": "Mozilla/5.0",
    }
    values.update(fields)
    return Comment(post=post, **values)


def decide(post, user=None, address_proven=False, **fields):
    return moderation.decide(
        new_comment(post, **fields), user=user or AnonymousUser(), address_proven=address_proven
    )


def test_a_first_comment_from_an_address_is_held(published_post):
    assert decide(published_post) == moderation.Decision(
        Comment.Status.PENDING, "first comment from this address"
    )


def test_a_proven_address_with_an_approved_comment_is_approved(published_post, make_comment):
    make_comment(email="reader@example.org")

    assert decide(published_post, address_proven=True) == moderation.Decision(
        Comment.Status.APPROVED,
        "earlier approved comment from this address, confirmed in this browser",
    )


def test_an_address_with_an_approved_comment_but_no_proof_is_held(published_post, make_comment):
    make_comment(email="reader@example.org")

    assert decide(published_post) == moderation.Decision(
        Comment.Status.PENDING, "address not confirmed"
    )


def test_proof_alone_does_not_make_a_first_comment_welcome(published_post):
    assert decide(published_post, address_proven=True) == moderation.Decision(
        Comment.Status.PENDING, "first comment from this address"
    )


@pytest.mark.parametrize("status", [Comment.Status.PENDING, Comment.Status.REJECTED,
                                    Comment.Status.SPAM])
def test_an_address_whose_comments_were_never_approved_is_held(published_post, make_comment,
                                                               status):
    make_comment(email="reader@example.org", status=status)

    assert decide(published_post).status == Comment.Status.PENDING


def test_staff_and_moderators_are_approved(published_post, author, moderator):
    assert decide(published_post, user=author).status == Comment.Status.APPROVED
    assert decide(published_post, user=moderator).status == Comment.Status.APPROVED


def test_a_logged_in_reader_without_rights_goes_through_the_rules(published_post, make_user):
    assert decide(published_post, user=make_user()).status == Comment.Status.PENDING


@pytest.mark.parametrize(
    "fields",
    [
        {"body": "See https://a.example and http://b.example"},
        {"body": "Visit www.a.example", "author_url": "https://me.example"},
        {"body": "[one](https://a.example) [two](https://b.example)"},
    ],
)
def test_two_links_hold_a_comment_even_from_a_known_address(published_post, make_comment,
                                                            fields):
    make_comment(email="reader@example.org")

    decision = decide(published_post, **fields)

    assert decision == moderation.Decision(Comment.Status.PENDING, "2 links")


def test_one_link_is_fine(published_post, make_comment):
    make_comment(email="reader@example.org")

    decision = decide(published_post, address_proven=True, author_url="https://me.example")

    assert decision.status == Comment.Status.APPROVED


@pytest.mark.parametrize(
    "fields",
    [
        {"author_name": "Cheap Pills"},
        {"author_email": "pills@example.org"},
        {"author_url": "https://pills.example"},
        {"body": "Buy PILLS today"},
        {"ip_address": "192.0.2.55", "keyword": "192.0.2."},
        {"user_agent": "PillBot/1.0"},
    ],
)
def test_a_moderation_keyword_in_any_field_holds_the_comment(published_post, make_comment,
                                                             fields):
    make_comment(email="reader@example.org")
    keyword = fields.pop("keyword", "pill")
    ModerationKeyword.objects.create(word=keyword)

    decision = decide(published_post, **fields)

    assert decision.status == Comment.Status.PENDING
    assert decision.reason == f"moderation keyword “{keyword}”"


@pytest.mark.parametrize(
    "kind, value, fields",
    [
        (BlocklistEntry.Kind.WORD, "casino", {"body": "Best CASINO here"}),
        (BlocklistEntry.Kind.WORD, "casino", {"author_name": "casino king"}),
        (BlocklistEntry.Kind.EMAIL, "Spammer@Example.org", {"author_email": "spammer@example.org"}),
        (BlocklistEntry.Kind.EMAIL, "@spam.example", {"author_email": "anyone@spam.example"}),
        (BlocklistEntry.Kind.IP, "203.0.113.9", {"ip_address": "203.0.113.9"}),
        (BlocklistEntry.Kind.IP, "203.0.113.0/24", {"ip_address": "203.0.113.200"}),
        (BlocklistEntry.Kind.IP, "2001:db8::/32", {"ip_address": "2001:db8::1"}),
    ],
)
def test_a_blocklisted_word_email_or_ip_is_spam(published_post, make_comment, kind, value,
                                                fields):
    make_comment(email=fields.get("author_email", "reader@example.org"))
    BlocklistEntry.objects.create(kind=kind, value=value)

    assert decide(published_post, **fields).status == Comment.Status.SPAM


def test_near_misses_of_the_blocklist_are_not_spam(published_post):
    BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.EMAIL, value="@spam.example")
    BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.IP, value="203.0.113.9")

    decision = decide(published_post, author_email="me@notspam.example.org",
                      ip_address="203.0.113.90")

    assert decision.status == Comment.Status.PENDING


def test_a_comment_without_an_ip_address_is_judged_by_the_rest(published_post):
    BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.IP, value="203.0.113.0/24")

    assert decide(published_post, ip_address=None).status == Comment.Status.PENDING


def test_the_blocklist_beats_a_known_address(published_post, make_comment):
    make_comment(email="reader@example.org")
    BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.WORD, value="casino")

    assert decide(published_post, body="casino").status == Comment.Status.SPAM


def test_blocklist_entries_are_checked_when_entered(db):
    for kind, value in [(BlocklistEntry.Kind.EMAIL, "not an address"),
                        (BlocklistEntry.Kind.IP, "300.1.1.1"),
                        (BlocklistEntry.Kind.WORD, "   ")]:
        entry = BlocklistEntry(kind=kind, value=value)
        with pytest.raises(Exception) as error:
            entry.full_clean()
        assert "value" in error.value.message_dict


def test_a_posted_comment_records_why_and_logs_the_rules_decision(client, post_comment,
                                                                  published_post, make_comment):
    make_comment(email="known@example.org")
    confirm_in_browser(client, "known@example.org")

    post_comment(published_post, email="known@example.org", body="Hello again.")
    post_comment(published_post, body="Hello, first time.")

    again = Comment.objects.get(body="Hello again.")
    first = Comment.objects.get(body="Hello, first time.")
    assert again.status == Comment.Status.APPROVED
    assert first.status == Comment.Status.PENDING
    assert first.held_reason == "first comment from this address"
    log = ModerationLog.objects.get(comment=again)
    assert (log.moderator, log.from_status, log.to_status) == (None, "pending", "approved")
    assert log.reason == "earlier approved comment from this address, confirmed in this browser"


def test_a_spam_comment_looks_to_its_author_like_it_awaits_moderation(client, post_comment,
                                                                      published_post):
    BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.WORD, value="casino")

    response = post_comment(published_post, body="casino casino")
    comment = Comment.objects.get()
    html = client.get(response["Location"]).content.decode()

    assert comment.status == Comment.Status.SPAM
    assert comment.held_reason == "blocklisted word “casino”"
    assert "awaiting moderation" in html
    assert "blocklisted" not in html


def test_a_second_comment_within_15_seconds_from_one_ip_is_refused(post_comment, published_post):
    first = post_comment(published_post, ip="203.0.113.1", body="One.")
    second = post_comment(published_post, ip="203.0.113.1", body="Two.")

    assert first.status_code == 302
    assert second.status_code == 429
    assert "You are posting comments too quickly" in second.content.decode()
    assert "Two." in second.content.decode()  # the text comes back to be sent again
    assert second["Retry-After"] == "15"
    assert list(Comment.objects.values_list("body", flat=True)) == ["One."]


def test_a_second_comment_within_15_seconds_from_one_email_is_refused(post_comment,
                                                                      published_post):
    post_comment(published_post, email="same@example.org", body="One.")

    response = post_comment(published_post, email="same@example.org", body="Two.")

    assert response.status_code == 429
    assert Comment.objects.count() == 1


def test_a_comment_after_15_seconds_is_accepted(post_comment, published_post, make_comment):
    make_comment(email="same@example.org", ip_address="203.0.113.1",
                 age=timedelta(seconds=16))

    response = post_comment(published_post, email="same@example.org", ip="203.0.113.1")

    assert response.status_code == 302
    assert Comment.objects.count() == 2


def test_moderators_are_not_held_back_by_the_flood_rule(client, post_comment, published_post,
                                                        moderator):
    client.force_login(moderator)

    post_comment(published_post, ip="203.0.113.1", body="One.")
    response = post_comment(published_post, ip="203.0.113.1", body="Two.")

    assert response.status_code == 302
    assert Comment.objects.count() == 2


def test_a_duplicate_stores_one_row_and_leads_back_to_the_first(post_comment, published_post,
                                                                 make_comment):
    fields = {"email": "twice@example.org", "body": "Same words."}
    first = post_comment(published_post, **fields)
    # Later, from another network: still the same comment.
    again = post_comment(published_post, **fields)

    comment = Comment.objects.get()
    assert again.status_code == 302
    assert again["Location"] == first["Location"] == comment.get_absolute_url()


def test_the_same_words_in_reply_to_another_comment_are_not_a_duplicate(post_comment,
                                                                        published_post,
                                                                        make_comment):
    parent = make_comment()
    make_comment(email="twice@example.org", age=timedelta(minutes=5))
    make_comment(email="twice@example.org", age=timedelta(minutes=5))  # known address

    post_comment(published_post, email="twice@example.org", body="+1")
    Comment.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    post_comment(published_post, email="twice@example.org", body="+1", parent=parent.pk)

    assert Comment.objects.filter(body="+1").count() == 2


def test_two_identical_submissions_at_once_store_one_row(published_post, monkeypatch):
    # Both pass the look-up for an earlier copy before either is stored: the database's
    # unique constraint decides, and the loser is led to the winner.
    first, _ = moderation.receive(new_comment(published_post), user=AnonymousUser())
    monkeypatch.setattr(moderation, "_earlier_submission", lambda fingerprint: None)
    # (The flood rule would refuse the second; in the race it has not seen the first yet.)
    monkeypatch.setattr(moderation, "is_flooding", lambda comment: False)

    second, created = moderation.receive(new_comment(published_post), user=AnonymousUser())

    assert created is False
    assert second.pk == first.pk
    assert Comment.objects.count() == 1


def test_the_database_refuses_a_second_row_with_the_same_fingerprint(published_post):
    Comment.objects.create(post=published_post, author_name="A", body="x", fingerprint="f" * 64)

    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(post=published_post, author_name="A", body="x", fingerprint="f" * 64)


def test_imported_comments_without_a_fingerprint_may_repeat(published_post):
    for _ in range(2):
        Comment.objects.create(post=published_post, author_name="Anonymous", body="Nice.")

    assert Comment.objects.count() == 2


def test_a_flood_from_another_browser_is_still_a_flood(post_comment, published_post):
    post_comment(published_post, ip="203.0.113.1")

    response = post_comment(published_post, ip="203.0.113.1", using=Client())

    assert response.status_code == 429


def test_resubmitting_someone_elses_pending_comment_reveals_nothing_of_it(
        client, post_comment, published_post):
    fields = {"email": "victim@example.org", "body": "Private words awaiting moderation."}
    post_comment(published_post, name="Victim Name", url="https://victim.example/", **fields)
    original = Comment.objects.get()
    assert original.status == Comment.Status.PENDING
    other_browser = Client()

    response = post_comment(published_post, using=other_browser, name="Attacker", **fields)
    later = other_browser.get(published_post.get_absolute_url())

    assert Comment.objects.get() == original
    assert response.status_code == 200
    assert "received already" in response.content.decode()
    for page in (response, later):
        content = page.content.decode()
        assert "Victim Name" not in content and "victim.example" not in content
        assert f"comment-{original.pk}" not in content
    assert original.pk not in other_browser.session.get(SESSION_KEY, [])


def test_resubmitting_ones_own_pending_comment_leads_back_to_it(client, post_comment,
                                                               published_post):
    fields = {"email": "me@example.org", "body": "My words.", "name": "Me Myself"}
    post_comment(published_post, **fields)

    again = post_comment(published_post, **fields)
    page = client.get(published_post.get_absolute_url())

    assert again.status_code == 302
    assert again["Location"] == Comment.objects.get().get_absolute_url()
    assert "Me Myself" in page.content.decode()
