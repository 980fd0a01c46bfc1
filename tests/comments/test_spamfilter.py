"""The spam filter: what it learns from moderators, how it scores, and when it may act."""

from datetime import timedelta
from itertools import count

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments import moderation, privacy, spamfilter
from comments.models import Comment, ModerationLog, SpamToken

pytestmark = pytest.mark.django_db

QUEUE = "/comments/moderation/"
CHANGELIST = "/admin/comments/comment/"

SPAM = "Subscribe to my channel, free gift cards at http://cheap.example/win"
WANTED = "A lovely song, I have listened to it all week."

_sequence = count(1)


def arrive(post, body, **fields):
    """A new comment through receive(), as the comment form sends it (a new reader each)."""
    number = next(_sequence)
    values = {
        "author_name": f"Reader {number}",
        "author_email": f"reader{number}@example.org",
        "body": f"{body} ({number})",
    }
    values.update(fields)
    comment, created = moderation.receive(Comment(post=post, **values), user=AnonymousUser())
    assert created
    return comment


@pytest.fixture
def teach(published_post, moderator):
    """teach(spam=n, wanted=n): n comments of each kind arrive and a moderator decides them."""

    def decide(*, spam=0, wanted=0):
        for _ in range(spam):
            moderation.moderate(arrive(published_post, SPAM), "spam", by=moderator)
        for _ in range(wanted):
            moderation.moderate(arrive(published_post, WANTED), "approve", by=moderator)

    return decide


def counts(token):
    row = SpamToken.objects.filter(token=token).first()
    return (row.wanted, row.unwanted) if row else (0, 0)


def test_tokens_are_words_link_domains_link_count_name_email_and_website_domains():
    comment = Comment(
        author_name="Julius NM",
        author_email="julius@Mail.Example",
        author_url="https://www.julius.example/me",
        body="Check THIS out: https://www.twitch.tv/abc, don't miss it",
    )

    assert set(spamfilter.tokens(comment)) == {
        "check", "this", "out", "https", "www", "twitch", "tv", "abc", "don't", "miss", "it",
        "link:twitch.tv", "links:2", "name:julius", "name:nm", "email:mail.example",
        "site:julius.example",
    }


def test_the_filter_ships_knowing_nothing_and_scores_a_new_comment_even(published_post):
    comment = arrive(published_post, SPAM)

    comment.refresh_from_db()
    assert comment.spam_score == 0.5
    assert comment.spam_reasons == ""
    assert comment.status == Comment.Status.PENDING
    assert not SpamToken.objects.exists()


def test_approved_is_learned_as_wanted_spam_as_unwanted_and_rejected_as_neither(
    published_post, moderator
):
    approved = arrive(published_post, "Approved words")
    spam = arrive(published_post, "Spammy words")
    rejected = arrive(published_post, "Rejected words")

    moderation.moderate(approved, "approve", by=moderator)
    moderation.moderate(spam, "spam", by=moderator)
    moderation.moderate(rejected, "reject", by=moderator)

    assert counts("approved") == (1, 0)
    assert counts("spammy") == (0, 1)
    assert counts("words") == (1, 1)
    assert counts("rejected") == (0, 0)
    assert counts(spamfilter.COMMENTS) == (1, 1)


def test_a_reversed_decision_unlearns_the_old_label(published_post, moderator):
    comment = arrive(published_post, "Mistaken words")
    moderation.moderate(comment, "spam", by=moderator)
    moderation.moderate(comment, "approve", by=moderator)

    assert counts("mistaken") == (1, 0)
    assert counts(spamfilter.COMMENTS) == (1, 0)

    moderation.moderate(comment, "reject", by=moderator)

    assert counts("mistaken") == (0, 0)
    assert counts(spamfilter.COMMENTS) == (0, 0)
    comment.refresh_from_db()
    assert comment.spam_learned == ""


def test_the_rules_own_decisions_teach_nothing(published_post, make_user):
    moderation.receive(
        Comment(post=published_post, author_name="Staff", body="Staff words"),
        user=make_user(is_staff=True),
    )

    assert not SpamToken.objects.exists()


def test_after_decisions_spam_scores_high_with_its_words_as_reasons(published_post, teach):
    teach(spam=5, wanted=5)

    spam = arrive(published_post, "Free gift cards, subscribe!")
    wanted = arrive(published_post, "What a lovely song")

    assert spam.spam_score > 0.9
    assert "“gift”" in spam.spam_reasons
    assert wanted.spam_score < 0.1
    assert "“lovely”" in wanted.spam_reasons


def test_in_shadow_mode_a_high_score_sends_nothing_to_spam(published_post, teach, settings):
    settings.SPAM_FILTER_MIN_DECISIONS = 100
    teach(spam=10, wanted=10)

    comment = arrive(published_post, SPAM)

    assert comment.spam_score >= settings.SPAM_FILTER_CUTOFF
    assert comment.status == Comment.Status.PENDING
    assert not comment.spam_filtered


@pytest.fixture
def trusted(teach, settings):
    """A filter with enough decisions whose record shows a precision of 1."""
    settings.SPAM_FILTER_MIN_DECISIONS = 20
    teach(spam=10, wanted=10)  # learned while it knew little: scores below the cutoff
    teach(spam=5, wanted=5)  # scored high (spam) and low (wanted), then decided so
    assert spamfilter.record().precision == 1


def test_a_trusted_filter_sends_high_scores_to_spam_and_says_so_in_the_log(
    published_post, trusted
):
    comment = arrive(published_post, SPAM)

    comment.refresh_from_db()
    assert comment.status == Comment.Status.SPAM
    assert comment.spam_filtered
    log = ModerationLog.objects.get(comment=comment)
    assert log.moderator is None
    assert log.reason.startswith(f"spam filter: score {comment.spam_score:.2f} (“")
    assert comment.held_reason == log.reason


def test_a_trusted_filter_never_approves(published_post, trusted):
    comment = arrive(published_post, WANTED)

    assert comment.spam_score < 0.01
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "first comment from this address"


def test_a_trusted_filter_leaves_staff_comments_alone(published_post, trusted, make_user):
    comment, _ = moderation.receive(
        Comment(post=published_post, author_name="Staff", body=SPAM), user=make_user(is_staff=True)
    )

    assert comment.status == Comment.Status.APPROVED


def test_the_filter_stops_acting_when_its_precision_falls_below_the_threshold(
    published_post, trusted, moderator, settings
):
    # Comments it calls spam that moderators approve: wrongly accused, precision falls.
    for _ in range(3):
        moderation.moderate(arrive(published_post, SPAM), "approve", by=moderator)
    assert spamfilter.record().precision < settings.SPAM_FILTER_PRECISION

    comment = arrive(published_post, "Subscribe to my channel for gift cards")

    assert comment.spam_score >= settings.SPAM_FILTER_CUTOFF
    assert comment.status == Comment.Status.PENDING


def test_the_record_compares_scores_on_arrival_with_decisions(published_post, teach, moderator,
                                                              settings):
    teach(spam=10, wanted=10)
    caught = [arrive(published_post, SPAM) for _ in range(3)]
    missed = arrive(published_post, "Nothing like it was seen before")
    accused = arrive(published_post, SPAM)
    for comment in [*caught, missed]:
        moderation.moderate(comment, "spam", by=moderator)
    moderation.moderate(accused, "approve", by=moderator)

    record = spamfilter.record(window=5)

    assert (record.decisions, record.caught, record.missed, record.wrongly_accused) == (5, 3, 1, 1)
    assert record.precision == 3 / 4
    assert record.recall == 3 / 4


def test_comments_the_filter_sent_to_spam_count_until_a_moderator_reverses_them(
    published_post, trusted, moderator
):
    sent = [arrive(published_post, SPAM) for _ in range(2)]
    assert spamfilter.record(window=2).caught == 2

    moderation.moderate(sent[0], "approve", by=moderator)
    moderation.moderate(sent[1], "reject", by=moderator)

    record = spamfilter.record(window=2)
    assert record.wrongly_accused == 1
    assert record.caught == 0


def test_the_queue_shows_each_score_and_its_reasons_without_a_query_per_comment(
    client, moderator, published_post, teach
):
    teach(spam=3, wanted=3)
    arrive(published_post, "Free gift cards here")
    client.force_login(moderator)
    html = client.get(QUEUE).content.decode()
    assert "Spam score" in html
    assert "“gift”" in html

    with_one = queries_for_queue(client)
    for _ in range(5):
        arrive(published_post, "More free gift cards")

    assert queries_for_queue(client) == with_one


def queries_for_queue(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(QUEUE).status_code == 200
    return len(queries)


def test_the_admin_shows_precision_and_recall_over_the_latest_decisions(
    admin_client, published_post, trusted, settings
):
    response = admin_client.get(CHANGELIST)
    html = response.content.decode()

    assert response.status_code == 200
    assert "Spam filter" in html
    assert "precision 1.00" in html
    assert '<td class="field-spam">1.00</td>' in html  # the list's column, rounded
    assert f"It sends comments scored {settings.SPAM_FILTER_CUTOFF:.2f} or more" in html


def test_the_admin_says_when_the_filter_is_in_shadow_mode(admin_client):
    html = admin_client.get(CHANGELIST).content.decode()

    assert "Shadow mode" in html
    assert "precision not known yet" in html


def test_erasing_a_commenter_unlearns_their_comments(published_post, moderator, make_comment):
    deleted = arrive(published_post, "Erasable words", author_email="ann@example.org",
                     author_name="Ann Example", created_at=timezone.now() - timedelta(hours=1))
    kept = arrive(published_post, "Kept words", author_email="ann@example.org",
                  author_name="Ann Example")
    moderation.moderate(deleted, "spam", by=moderator)
    moderation.moderate(kept, "approve", by=moderator)
    make_comment(parent=kept, body="A reply by someone else.")
    assert counts("name:ann") == (1, 1)

    privacy.erase_commenter("ann@example.org")

    assert counts("name:ann") == (0, 0)
    assert counts("erasable") == (0, 0)
    assert counts("kept") == (0, 0)
    assert counts(spamfilter.COMMENTS) == (0, 0)
    kept.refresh_from_db()
    assert kept.spam_reasons == ""


def test_an_authors_edit_unlearns_the_old_words_and_scores_the_new(
    published_post, moderator, teach
):
    teach(spam=3)
    comment = arrive(published_post, "Harmless words")
    moderation.moderate(comment, "approve", by=moderator)
    assert counts("harmless") == (1, 0)

    moderation.revise(comment, "Subscribe to my channel", user=AnonymousUser())

    comment.refresh_from_db()
    assert counts("harmless") == (0, 0) and counts(spamfilter.COMMENTS) == (0, 3)
    assert comment.spam_learned == ""
    assert "subscribe" in comment.spam_reasons


def test_a_commenters_deletion_unlearns_their_comment(published_post, moderator):
    comment = arrive(published_post, "Withdrawn words")
    moderation.moderate(comment, "approve", by=moderator)

    privacy.withdraw(comment)

    assert counts("withdrawn") == (0, 0)
