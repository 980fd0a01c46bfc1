"""A commenter changes or deletes their own comment, from the browser that sent it, for a while."""

import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blog.site import SiteSettings
from comments import editing, privacy
from comments.models import Comment, ModerationKeyword
from tests.comments.conftest import confirm_in_browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderation_off(site_rules):
    site_rules(comment_moderation=SiteSettings.Moderation.OFF)


@pytest.fixture
def sent(client, post_comment, published_post, moderation_off):
    """sent(**fields): a comment posted through the form by `client`, approved at once."""

    def send(**fields):
        response = post_comment(published_post, **fields)
        assert response.status_code == 302
        return Comment.objects.latest("pk")

    return send


def edit_url(comment):
    return reverse("comments:edit", args=[comment.pk])


def delete_url(comment):
    return reverse("comments:delete", args=[comment.pk])


def own_page(client, comment):
    return client.get(comment.post.get_absolute_url()).content.decode()


def links_to_change(html, comment):
    return re.findall(rf'href="/comments/{comment.pk}/(edit|delete)/"', html)


# Editing.


def test_the_browser_that_sent_a_comment_can_change_its_text(client, sent):
    comment = sent(body="Teh first version.")

    form = client.get(edit_url(comment))
    response = client.post(edit_url(comment), {"body": "The first version."})

    comment.refresh_from_db()
    assert form.status_code == 200 and "Teh first version." in form.content.decode()
    assert response.status_code == 302
    assert response["Location"] == comment.get_absolute_url()
    assert comment.body == "The first version."
    assert comment.body_html == "<p>The first version.</p>\n"
    assert comment.status == Comment.Status.APPROVED
    assert comment.edited_at is not None


def test_an_edit_is_shown_as_edited_with_its_time_to_every_reader(client, sent):
    comment = sent(body="Before.")
    client.post(edit_url(comment), {"body": "After."})

    html = Client().get(comment.post.get_absolute_url()).content.decode()

    assert "After." in html and "Before." not in html
    edited = timezone.localtime(Comment.objects.get().edited_at)
    assert re.search(
        rf'<span class="comment-edited">edited <time datetime="{re.escape(edited.isoformat())}">', html
    )


def test_the_log_keeps_the_text_an_edit_replaced_and_the_rules_reason(client, sent):
    comment = sent(body="Original words.")

    client.post(edit_url(comment), {"body": "New words."})

    entry = comment.log.first()
    assert entry.previous_body == "Original words."
    assert entry.reason == "edited by its author: moderation is off"
    assert (entry.from_status, entry.to_status) == ("approved", "approved")
    assert entry.moderator is None


def test_an_edit_that_adds_links_sends_an_approved_comment_back_to_the_queue(
    client, sent, moderator, mailoutbox, send_queued
):
    comment = sent(body="Harmless.")

    client.post(edit_url(comment), {"body": "Buy at https://a.example and https://b.example"})
    send_queued()

    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "2 links"
    assert comment.log.first().reason == "edited by its author: 2 links"
    assert "https://a.example" not in Client().get(comment.post.get_absolute_url()).content.decode()
    own = own_page(client, comment)
    assert "https://a.example" in own and "awaiting moderation" in own
    assert [message.to for message in mailoutbox] == [["mod@example.org"]]


def test_moderators_see_in_the_queue_that_a_held_comment_was_edited(client, sent, moderator):
    comment = sent(body="Harmless.")
    client.post(edit_url(comment), {"body": "Now https://a.example and https://b.example"})

    staff = Client()
    staff.force_login(moderator)
    html = staff.get(reverse("comments:queue")).content.decode()

    assert "Edited by its author" in html and "https://a.example" in html


def test_an_edit_with_a_hold_keyword_is_held_like_a_new_comment(client, sent):
    ModerationKeyword.objects.create(word="casino")
    comment = sent(body="Nice post.")

    client.post(edit_url(comment), {"body": "Nice post. Visit my casino."})

    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "moderation keyword “casino”"


@pytest.mark.parametrize("confirmed, after_edit", [
    (True, Comment.Status.APPROVED), (False, Comment.Status.PENDING),
])
def test_an_edit_by_a_returning_commenter_needs_the_same_proof_as_a_new_comment(
    client, post_comment, published_post, make_comment, confirmed, after_edit
):
    make_comment(email="regular@example.org")  # approved earlier: a returning address
    confirm_in_browser(client, "regular@example.org")
    post_comment(published_post, email="regular@example.org", body="Hello again.")
    comment = Comment.objects.latest("pk")
    assert comment.status == Comment.Status.APPROVED
    if not confirmed:
        # The address's proof is gone from this browser (the edit right stays).
        del client.cookies["confirmed_commenter"]

    client.post(edit_url(comment), {"body": "Hello again, edited."})

    comment.refresh_from_db()
    assert comment.body == "Hello again, edited." and comment.status == after_edit


def test_an_edit_of_a_comment_taken_for_spam_leaves_it_spam(client, post_comment, published_post):
    post_comment(published_post, body="cheap pills")
    comment = Comment.objects.get()
    comment.mark_spam(by=None, reason="blocklisted word “pills”")

    response = client.post(edit_url(comment), {"body": "A sincere thought."})

    comment.refresh_from_db()
    assert response.status_code == 302
    assert comment.status == Comment.Status.SPAM
    assert comment.body == "A sincere thought."


def test_an_edit_is_checked_like_a_new_comment_text(client, sent):
    comment = sent(body="Fine.")

    empty = client.post(edit_url(comment), {"body": ""})
    control = client.post(edit_url(comment), {"body": "bad \x08 char"})

    assert empty.status_code == control.status_code == 400
    assert "U+0008" in control.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Fine." and comment.edited_at is None


def test_an_edit_into_the_words_of_another_comment_of_the_same_sender_is_refused(client, sent):
    first = sent(body="Said once.", email="ann@example.org")
    # Sent a minute apart, so that the flood rule lets the second through.
    Comment.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(minutes=1))
    second = sent(body="Said twice?", email="ann@example.org")

    response = client.post(edit_url(second), {"body": "Said once."})

    assert response.status_code == 400
    assert "these words here already" in response.content.decode()
    second.refresh_from_db()
    assert second.body == "Said twice?" and second.edited_at is None


def test_an_edit_that_changes_nothing_is_not_marked_edited(client, sent):
    comment = sent(body="Same.")

    response = client.post(edit_url(comment), {"body": "Same."})

    comment.refresh_from_db()
    assert response.status_code == 302
    assert comment.edited_at is None and comment.log.count() == 1


# Who may change a comment, and until when.


def test_another_browser_may_not_change_or_delete_the_comment(client, sent):
    comment = sent(body="Mine.")
    stranger = Client()

    for response in (
        stranger.get(edit_url(comment)),
        stranger.post(edit_url(comment), {"body": "Yours now."}),
        stranger.post(delete_url(comment)),
    ):
        assert response.status_code == 403
        assert "only be changed from the browser that sent it" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Mine." and comment.status == Comment.Status.APPROVED


def test_a_tampered_cookie_gives_no_right(client, sent):
    first = sent(body="First.")
    second_client = Client()
    second = Comment.objects.create(
        post=first.post, author_name="Other", author_email="o@example.org", body="Other.",
        status=Comment.Status.APPROVED,
    )
    token = client.cookies[editing.COOKIE].value
    payload, _, rest = token.partition(":")
    forged = signing.b64_encode(f"[{second.pk}]".encode()).decode() + ":" + rest
    second_client.cookies[editing.COOKIE] = forged
    client.cookies[editing.COOKIE] = token + "x"

    assert second_client.get(edit_url(second)).status_code == 403
    assert client.get(edit_url(first)).status_code == 403
    assert links_to_change(own_page(client, first), first) == []


def test_the_right_lasts_fifteen_minutes(client, sent, clock):
    comment = sent(body="Quick.")
    assert links_to_change(own_page(client, comment), comment) == ["edit", "delete"]

    clock.move(timedelta(minutes=15, seconds=1))
    response = client.post(edit_url(comment), {"body": "Too late."})

    assert response.status_code == 410
    assert "that time has passed" in response.content.decode()
    assert links_to_change(own_page(client, comment), comment) == []
    comment.refresh_from_db()
    assert comment.body == "Quick."


def test_a_cookie_signed_more_than_fifteen_minutes_ago_is_refused_with_410(client, sent):
    comment = sent(body="Old cookie.")
    signer = signing.TimestampSigner(salt=editing.SALT)
    then = int(time.time() - 16 * 60)
    signer.timestamp = lambda: signing.b62_encode(then)
    client.cookies[editing.COOKIE] = signer.sign_object([comment.pk])

    assert client.get(edit_url(comment)).status_code == 410


def test_an_approved_reply_ends_the_right_to_change(client, sent, make_comment):
    comment = sent(body="Answer me.")
    make_comment(parent=comment, status=Comment.Status.APPROVED)

    edit = client.post(edit_url(comment), {"body": "Changed after the answer."})
    delete = client.post(delete_url(comment))

    assert edit.status_code == delete.status_code == 403
    assert "Someone has replied" in edit.content.decode()
    assert links_to_change(own_page(client, comment), comment) == []
    comment.refresh_from_db()
    assert comment.body == "Answer me." and comment.status == Comment.Status.APPROVED


def test_a_reply_still_awaiting_moderation_does_not_end_it(client, sent, make_comment):
    comment = sent(body="Answer me.")
    make_comment(parent=comment, status=Comment.Status.PENDING)

    assert client.post(edit_url(comment), {"body": "Clearer."}).status_code == 302


def test_a_removed_comment_cannot_be_changed(client, sent, moderator):
    comment = sent(body="Rejected soon.")
    comment.reject(by=moderator)

    assert client.get(edit_url(comment)).status_code == 410


def test_a_comment_on_a_post_readers_cannot_see_is_not_found(client, sent):
    comment = sent(body="On a post that goes away.")
    comment.post.status = comment.post.Status.DRAFT
    comment.post.save()

    assert client.get(edit_url(comment)).status_code == 404
    assert client.get(reverse("comments:edit", args=[2**63])).status_code == 404


def test_a_change_sent_from_another_site_is_refused(client, sent):
    comment = sent(body="Mine.")

    response = client.post(
        edit_url(comment), {"body": "Forged."}, HTTP_SEC_FETCH_SITE="cross-site"
    )

    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Mine."


# What the browser that sent a comment sees.


def test_only_the_browser_that_sent_it_sees_the_links_and_its_page_is_private(client, sent):
    comment = sent(body="With links.")

    own = client.get(comment.post.get_absolute_url())
    stranger = Client().get(comment.post.get_absolute_url())

    assert links_to_change(own.content.decode(), comment) == ["edit", "delete"]
    assert "private" in own["Cache-Control"]
    assert links_to_change(stranger.content.decode(), comment) == []
    assert "public" in stranger["Cache-Control"]
    assert own.cookies == {}  # the page itself sets nothing


def test_the_links_cost_the_thread_no_extra_query(client, sent, make_comment):
    comment = sent(body="Counted.")
    for _ in range(3):
        make_comment(parent=comment, status=Comment.Status.PENDING)

    def queries(browser):
        cache.clear()  # measure rendering, not the page cache
        with CaptureQueriesContext(connection) as captured:
            browser.get(comment.post.get_absolute_url())
        return [query["sql"] for query in captured]

    own, stranger = queries(client), queries(Client())
    # The stranger's render also reads the thread fragment's version; the own page keeps
    # no fragment. Either way the thread is one query, links or none.
    assert len(own) <= len(stranger)
    assert len([sql for sql in own if '"comments_comment"' in sql]) == 1
    assert links_to_change(own_page(client, comment), comment) == ["edit", "delete"]


# Deleting.


def test_a_comment_without_replies_disappears_when_its_author_deletes_it(client, sent):
    comment = sent(body="Regrettable.", name="Ann", url="https://ann.example")

    confirm = client.get(delete_url(comment))
    done = client.post(delete_url(comment))

    comment.refresh_from_db()
    assert confirm.status_code == 200 and "Regrettable." in confirm.content.decode()
    assert done.status_code == 200 and "Your comment has been deleted." in done.content.decode()
    assert comment.status == Comment.Status.REJECTED
    assert (comment.body, comment.author_name, comment.author_email, comment.author_url) == (
        "", "", "", ""
    )
    assert comment.ip_address is None and comment.user_agent == ""
    assert comment.log.first().reason == privacy.WITHDRAWN_REASON
    html = Client().get(comment.post.get_absolute_url()).content.decode()
    assert f'id="comment-{comment.pk}"' not in html and "Comment removed." not in html


def test_a_deleted_comment_keeps_its_replies_under_comment_removed(
    client, sent, make_comment, moderator
):
    comment = sent(body="Soon gone.")
    reply = make_comment(parent=comment, status=Comment.Status.PENDING, body="A reply.")

    client.post(delete_url(comment))
    reply.approve(by=moderator)

    html = Client().get(comment.post.get_absolute_url()).content.decode()
    assert "Comment removed." in html and "A reply." in html and "Soon gone." not in html


def test_deleting_keeps_no_earlier_text_in_the_log(client, sent):
    comment = sent(body="First text.")
    client.post(edit_url(comment), {"body": "Second text."})

    client.post(delete_url(comment))

    assert not comment.log.exclude(previous_body="").exists()
    assert not comment.log.filter(reason__contains="moderation is off").exists()


def test_a_deleted_comment_cannot_be_deleted_or_changed_again(client, sent):
    comment = sent(body="Once.")
    client.post(delete_url(comment))

    assert client.post(delete_url(comment)).status_code == 410
    assert client.get(edit_url(comment)).status_code == 410


# Privacy: what an edit keeps.


def test_an_export_holds_the_texts_edits_replaced(client, sent):
    comment = sent(body="One.", email="ann@example.org")
    client.post(edit_url(comment), {"body": "Two."})

    data = privacy.export_commenter("ann@example.org")

    assert data["comments"][0]["body"] == "Two."
    assert data["comments"][0]["earlier_texts"] == ["One."]


def test_an_erasure_clears_the_earlier_texts_of_a_kept_comment(client, sent, make_comment):
    comment = sent(body="One.", email="ann@example.org")
    client.post(edit_url(comment), {"body": "Two."})
    make_comment(parent=comment, status=Comment.Status.APPROVED)

    privacy.erase_commenter("ann@example.org")

    assert not comment.log.exclude(previous_body="").exists()


# Pages kept for other readers.


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_a_change_refreshes_the_page_other_readers_share(
    client, sent, change, django_capture_on_commit_callbacks
):
    comment = sent(body="Cached words.")
    stranger, url = Client(), comment.post.get_absolute_url()
    stranger.get(url)
    assert stranger.get(url).get("X-Page-Cache") == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        if change == "edit":
            client.post(edit_url(comment), {"body": "Fresh words."})
        else:
            client.post(delete_url(comment))

    html = stranger.get(url).content.decode()
    assert "Cached words." not in html
    assert ("Fresh words." in html) == (change == "edit")
