"""The queue's tools: blocking a sender, replying, editing, deleting, filters, shortcuts'
answers, "why", the links that lead to the queue, and old spam's deletion."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comments import moderation
from comments.models import BlocklistEntry, Comment, ModerationLog

pytestmark = pytest.mark.django_db

QUEUE = "/comments/moderation/"
DECIDE = "/comments/moderation/decide/"


@pytest.fixture
def held(make_comment):
    return make_comment(status=Comment.Status.PENDING, name="Vendor", email="vendor@spam.example",
                        author_url="https://shop.spam.example/watches", ip_address="203.0.113.7",
                        body="Cheap watches.", held_reason="first comment from this address")


@pytest.fixture
def as_moderator(client, moderator):
    client.force_login(moderator)
    return client


def new_comment(post, **fields):
    values = {"author_name": "Someone", "author_email": "someone@example.org", "body": "Hello.",
              "ip_address": "198.51.100.1", **fields}
    return Comment(post=post, **values)


# Blocking.


@pytest.mark.parametrize("kind, value, fields", [
    ("email", "vendor@spam.example", {"author_email": "vendor@spam.example"}),
    ("ip", "203.0.113.0/24", {"ip_address": "203.0.113.99"}),
    ("domain", "spam.example", {"author_url": "https://www.spam.example/page"}),
    ("name", "*casino*", {"author_name": "Best CASINO online"}),
])
def test_a_blocklist_entry_of_each_kind_sends_its_comments_to_spam_naming_the_entry(
    published_post, kind, value, fields
):
    entry = BlocklistEntry.objects.create(kind=kind, value=value)

    decision = moderation.decide(new_comment(published_post, **fields), user=_anonymous())

    assert decision.status == Comment.Status.SPAM
    assert decision.reason.endswith(f"{entry.value} (entry {entry.pk})")


@pytest.mark.parametrize("kind, value, fields", [
    ("domain", "spam.example", {"author_url": "https://notspam.example/"}),
    ("domain", "spam.example", {"author_url": "https://spam.example.org/"}),
    ("name", "casino", {"author_name": "Casino Royale fan"}),
    ("name", "ann[*]", {"author_name": "Ann2"}),
])
def test_a_blocklist_entry_blocks_only_what_it_names(published_post, kind, value, fields):
    BlocklistEntry.objects.create(kind=kind, value=value)

    decision = moderation.decide(new_comment(published_post, **fields), user=_anonymous())

    assert decision.status != Comment.Status.SPAM


def test_an_expired_block_no_longer_applies(published_post):
    BlocklistEntry.objects.create(kind="email", value="someone@example.org",
                                  expires_at=timezone.now() - timedelta(minutes=1))
    BlocklistEntry.objects.create(kind="ip", value="198.51.100.1",
                                  expires_at=timezone.now() + timedelta(days=1))

    decision = moderation.decide(new_comment(published_post), user=_anonymous())

    assert decision.reason.startswith("blocklisted IP 198.51.100.1")


def test_the_admin_refuses_a_domain_with_a_scheme(client, moderator):
    client.force_login(moderator)

    response = client.post(reverse("admin:comments_blocklistentry_add"),
                           {"kind": "domain", "value": "https://spam.example/"})

    assert response.status_code == 200 and "Enter a domain such as" in response.content.decode()
    assert not BlocklistEntry.objects.exists()


def test_the_block_page_offers_what_the_comment_holds(as_moderator, held):
    html = as_moderator.get(f"{QUEUE}{held.pk}/block/").content.decode()

    for choice in ("email:vendor@spam.example", "ip:203.0.113.7", "ip:203.0.113.0/24",
                   "domain:shop.spam.example", "name:vendor"):
        assert f'value="{choice}"' in html


def test_blocking_from_the_queue_sends_the_comment_and_the_waiting_ones_it_covers_to_spam(
    as_moderator, moderator, held, make_comment
):
    same_network = make_comment(status=Comment.Status.PENDING, ip_address="203.0.113.200")
    elsewhere = make_comment(status=Comment.Status.PENDING, ip_address="192.0.2.1")

    response = as_moderator.post(f"{QUEUE}{held.pk}/block/",
                                 {"what": "ip:203.0.113.0/24", "duration": "7", "note": "a botnet"})

    entry = BlocklistEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert (entry.kind, entry.value, entry.note) == ("ip", "203.0.113.0/24", "a botnet")
    assert timedelta(days=6) < entry.expires_at - timezone.now() <= timedelta(days=7)
    for comment in (held, same_network, elsewhere):
        comment.refresh_from_db()
    assert held.status == same_network.status == Comment.Status.SPAM
    assert elsewhere.status == Comment.Status.PENDING
    log = ModerationLog.objects.get(comment=held)
    assert log.moderator == moderator and log.reason == f"blocklisted IP 203.0.113.0/24 (entry {entry.pk})"


def test_blocking_the_same_thing_again_renews_the_entry(as_moderator, held, make_comment):
    BlocklistEntry.objects.create(kind="email", value="vendor@spam.example",
                                  expires_at=timezone.now() - timedelta(days=1))

    as_moderator.post(f"{QUEUE}{held.pk}/block/", {"what": "email:vendor@spam.example",
                                                   "duration": ""})

    assert BlocklistEntry.objects.get().expires_at is None


@pytest.mark.parametrize("data", [{}, {"what": "email:someone-else@example.org"},
                                  {"what": "ip:0.0.0.0/0"}, {"what": "name:vendor", "duration": "9999"}])
def test_a_tampered_block_is_refused_with_400_and_blocks_nothing(as_moderator, held, data):
    response = as_moderator.post(f"{QUEUE}{held.pk}/block/", data)

    held.refresh_from_db()
    assert response.status_code == 400
    assert not BlocklistEntry.objects.exists() and held.status == Comment.Status.PENDING


@pytest.mark.parametrize("path", ["block", "reply", "edit"])
def test_the_queues_pages_are_for_moderators_only(client, author, held, path):
    url = f"{QUEUE}{held.pk}/{path}/"

    assert client.get(url).status_code == 302
    client.force_login(author)
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "x", "what": "name:vendor"}).status_code == 403
    assert not BlocklistEntry.objects.exists()


@pytest.mark.parametrize("comment_id", ["999999", "9" * 30])
def test_a_missing_comment_is_a_404(as_moderator, comment_id):
    assert as_moderator.get(f"{QUEUE}{comment_id}/block/").status_code == 404


# "Why".


def test_why_spam_shows_the_moderators_decision_not_the_hold_reason(as_moderator, held):
    as_moderator.post(DECIDE, {"decide": f"spam:{held.pk}"})

    html = as_moderator.get(QUEUE, {"status": "spam"}).content.decode()

    assert '<dd class="queue-reason">Marked as spam by moderator</dd>' in html
    assert '<dd class="queue-reason">first comment' not in html


def test_why_spam_shows_the_rules_reason_when_the_rules_decided(as_moderator, published_post):
    BlocklistEntry.objects.create(kind="name", value="*casino*")
    comment, _ = moderation.receive(new_comment(published_post, author_name="casino king"),
                                    user=_anonymous())

    html = as_moderator.get(QUEUE, {"status": "spam"}).content.decode()

    assert comment.status == Comment.Status.SPAM
    assert "Why spam" in html and "blocklisted name *casino*" in html


# Filters, the page itself.


def test_the_queue_shows_email_website_and_ip_while_kept(as_moderator, held, make_comment):
    purged = make_comment(status=Comment.Status.PENDING, ip_address=None)

    html = as_moderator.get(QUEUE).content.decode()

    assert "vendor@spam.example" in html and "https://shop.spam.example/watches" in html
    assert "203.0.113.7" in html and purged.author_email in html
    assert html.count("IP address</dt>") == 1


def test_the_queue_filters_by_post_and_reason(as_moderator, make_comment, make_post):
    other_post = make_post(title="Another post")
    on_first = make_comment(status=Comment.Status.PENDING, body="On the first.", held_reason="2 links")
    make_comment(status=Comment.Status.PENDING, body="On the other.", post=other_post,
                 held_reason="2 links")
    make_comment(status=Comment.Status.PENDING, body="Keyword.", held_reason="moderation keyword “x”")

    by_post = as_moderator.get(QUEUE, {"post": on_first.post_id}).content.decode()
    by_reason = as_moderator.get(QUEUE, {"reason": "2 links"}).content.decode()

    assert "On the first." in by_post and "Keyword." in by_post and "On the other." not in by_post
    assert "On the first." in by_reason and "On the other." in by_reason
    assert "Keyword." not in by_reason
    assert '<option value="2 links" selected>' in by_reason


@pytest.mark.parametrize("query", [{"post": "abc"}, {"post": "9" * 30}, {"post": "-1"},
                                   {"reason": "x" * 500}, {"page": "zzz"}])
def test_a_filter_that_makes_no_sense_is_ignored(as_moderator, held, query):
    response = as_moderator.get(QUEUE, query)

    assert response.status_code == 200
    assert "Cheap watches." in response.content.decode()


def test_the_queue_is_private_and_never_cached(as_moderator, held):
    response = as_moderator.get(QUEUE)

    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_the_queue_costs_the_same_queries_for_many_comments(as_moderator, make_comment, make_post):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert as_moderator.get(QUEUE).status_code == 200
        return len(captured)

    make_comment(status=Comment.Status.PENDING)
    queries()  # the first request reads the site settings and the moderator's permissions
    few = queries()
    for number in range(10):
        parent = make_comment(post=make_post())
        make_comment(status=Comment.Status.PENDING, parent=parent, ip_address="192.0.2.1",
                     author_url="https://example.org/")

    assert queries() == few


def test_the_moderate_url_answers_json_to_the_keyboard_shortcuts(as_moderator, held):
    response = as_moderator.post(DECIDE, {"decide": f"approve:{held.pk}"},
                                 headers={"Accept": "application/json"})
    refused = as_moderator.post(DECIDE, {"decide": "approve:x"},
                                headers={"Accept": "application/json"})

    held.refresh_from_db()
    assert response.json() == {"messages": ["Approve: 1 comment."]}
    assert refused.status_code == 400 and "Choose what to do" in refused.json()["messages"][0]
    assert held.status == Comment.Status.APPROVED
    # Nothing is left over to show on the next page.
    assert "Approve: 1 comment." not in as_moderator.get(QUEUE).content.decode()


def test_a_decision_comes_back_to_the_same_filters(as_moderator, held):
    response = as_moderator.post(DECIDE, {"decide": f"reject:{held.pk}", "status": "pending",
                                          "post": str(held.post_id), "reason": "x y"})

    assert response["Location"] == f"{QUEUE}?post={held.post_id}&reason=x+y"


# The way in.


def test_moderators_find_the_queue_in_the_site_header_and_on_the_admins_front_page(
    client, moderator, author
):
    link = f'href="{QUEUE}"'
    anonymous = client.get("/").content.decode()
    client.force_login(author)
    for_author = client.get("/").content.decode()
    client.force_login(moderator)

    assert link not in anonymous and link not in for_author
    assert link in client.get("/").content.decode()
    assert link in client.get(reverse("admin:index")).content.decode()


def test_the_header_link_leaves_anonymous_pages_the_same_bytes(client, moderator, published_post):
    url = published_post.get_absolute_url()
    before = client.get(url)
    client.force_login(moderator)
    client.get(url)
    client.logout()
    client.cookies.clear()

    after = client.get(url)

    assert before.content == after.content
    assert "public" in after["Cache-Control"]


# Replying and editing.


def test_a_reply_from_the_queue_approves_the_comment_and_is_published_under_it(
    as_moderator, moderator, held, published_post, send_queued, mailoutbox
):
    # Subscribed, and the subscription confirmed (double opt-in).
    held.notify_on_reply, held.notify_confirmed_at = True, timezone.now()
    held.save(update_fields=["notify_on_reply", "notify_confirmed_at"])

    response = as_moderator.post(f"{QUEUE}{held.pk}/reply/", {"body": "Thanks, but no."})

    held.refresh_from_db()
    reply = Comment.objects.get(parent=held)
    assert response.status_code == 302 and response["Location"] == reply.get_absolute_url()
    assert held.status == reply.status == Comment.Status.APPROVED
    assert reply.user == moderator and reply.depth == 1
    send_queued()
    assert any(message.to == ["vendor@spam.example"] and "replied" in message.subject
               for message in mailoutbox)


def test_a_spam_comment_cannot_be_replied_to(as_moderator, make_comment):
    spam = make_comment(status=Comment.Status.SPAM)

    response = as_moderator.post(f"{QUEUE}{spam.pk}/reply/", {"body": "Hello?"})

    assert response.status_code == 400
    assert "Only an approved or waiting comment" in response.content.decode()
    assert not Comment.objects.filter(parent=spam).exists()


def test_an_edit_from_the_queue_changes_the_comment_and_is_logged(as_moderator, moderator, held):
    response = as_moderator.post(f"{QUEUE}{held.pk}/edit/", {
        "author_name": "Vendor", "author_url": "", "body": "Watches, *cheap*.",
    })

    held.refresh_from_db()
    log = ModerationLog.objects.get(comment=held)
    assert response.status_code == 302
    assert held.author_url == "" and "<em>cheap</em>" in held.body_html
    assert held.status == Comment.Status.PENDING
    assert (log.moderator, log.from_status, log.to_status) == (moderator, "pending", "pending")
    assert log.reason == "edited author url, body"


def test_an_edit_does_not_count_as_the_first_approval(moderator, make_comment, post_comment,
                                                      published_post):
    comment = make_comment(status=Comment.Status.PENDING)
    comment.edit(by=moderator, body="Changed.")
    moderation.moderate(comment, "approve", by=moderator)
    comment.edit(by=moderator, body="Changed again.")

    assert moderation.moderate(comment, "reject", by=moderator)
    assert ModerationLog.objects.filter(comment=comment).count() == 4


@pytest.mark.parametrize("data, error", [
    ({"author_name": "\u200b", "body": "x"}, "visible letters"),
    ({"author_name": "A", "body": "x\x08"}, "U+0008"),
    ({"author_name": "A", "body": "x", "author_url": "javascript:alert(1)"}, "http://"),
])
def test_a_bad_edit_is_refused_with_400(as_moderator, held, data, error):
    response = as_moderator.post(f"{QUEUE}{held.pk}/edit/", data)

    held.refresh_from_db()
    assert response.status_code == 400 and error in response.content.decode()
    assert held.body == "Cheap watches." and not ModerationLog.objects.exists()


# Deleting.


def test_moderators_delete_spam_and_rejected_comments_but_not_others(as_moderator, make_comment):
    spam = make_comment(status=Comment.Status.SPAM)
    rejected = make_comment(status=Comment.Status.REJECTED)
    pending = make_comment(status=Comment.Status.PENDING)
    with_reply = make_comment(status=Comment.Status.SPAM)
    make_comment(parent=with_reply)

    response = as_moderator.post(DECIDE, {"action": "delete", "status": "spam",
                                          "comment": [spam.pk, rejected.pk, pending.pk, with_reply.pk]},
                                 follow=True)

    html = response.content.decode()
    assert set(Comment.objects.filter(pk__in=[spam.pk, rejected.pk, pending.pk, with_reply.pk])
               .values_list("pk", flat=True)) == {pending.pk, with_reply.pk}
    assert "Deleted: 2 comments." in html and "Left unchanged: 2 comments" in html


def test_the_admin_deletes_spam_for_moderators(client, moderator, make_comment):
    spam = make_comment(status=Comment.Status.SPAM)
    approved = make_comment()
    client.force_login(moderator)

    client.post(reverse("admin:comments_comment_changelist"),
                {"action": "delete_removed_comments", "_selected_action": [spam.pk, approved.pk]})

    assert list(Comment.objects.values_list("pk", flat=True)) == [approved.pk]


def test_purge_spam_deletes_old_spam_only(make_comment, settings):
    settings.COMMENTS_SPAM_RETENTION_DAYS = 30
    old = make_comment(status=Comment.Status.SPAM, age=timedelta(days=31))
    old_reply = make_comment(status=Comment.Status.SPAM, parent=old, age=timedelta(days=31))
    recent = make_comment(status=Comment.Status.SPAM, age=timedelta(days=29))
    old_rejected = make_comment(status=Comment.Status.REJECTED, age=timedelta(days=60))
    keeps_a_place = make_comment(status=Comment.Status.SPAM, age=timedelta(days=60))
    make_comment(parent=keeps_a_place)
    out = io.StringIO()

    call_command("purge_spam", stdout=out)

    left = set(Comment.objects.values_list("pk", flat=True))
    assert old.pk not in left and old_reply.pk not in left
    assert {recent.pk, old_rejected.pk, keeps_a_place.pk} <= left
    assert "Deleted 2 spam comments older than 30 days." in out.getvalue()


def test_purge_spam_takes_another_age_for_one_run(make_comment):
    week_old = make_comment(status=Comment.Status.SPAM, age=timedelta(days=8))

    call_command("purge_spam", "--days", "7", stdout=io.StringIO())

    assert not Comment.objects.filter(pk=week_old.pk).exists()


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
