"""Checking a received Webmention in the worker: the source must link here; what it says
becomes a comment that meets the same moderation as the form's."""

import pytest
from blog.site import SiteSettings
from comments import moderation
from comments.models import Comment
from delivery.models import Delivery
from tests.webmention.conftest import page, permalink, reply_page
from webmention.models import Mention

pytestmark = pytest.mark.django_db


@pytest.fixture
def receive(webmention, send_queued):
    """receive(source, target): a Webmention as another site sends it, then the worker's check."""

    def run(source, target):
        assert webmention(source, target).status_code == 202
        return send_queued()

    return run


@pytest.fixture
def moderation_off(site_rules):
    site_rules(comment_moderation=SiteSettings.Moderation.OFF)


def test_a_reply_is_held_for_a_moderator_with_its_reason_then_shown_once_approved(
    elsewhere, post, receive, client, django_user_model, django_capture_on_commit_callbacks
):
    elsewhere.routes["/reply"] = page(reply_page(permalink(post)))

    assert receive(elsewhere.url("/reply"), permalink(post)) == ["sent"]

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "first comment from this address"
    assert (comment.origin, comment.remote_id) == (Comment.Origin.WEBMENTION, elsewhere.url("/reply"))
    assert (comment.author_name, comment.author_url) == ("Ada Lovelace", "https://ada.example/")
    assert comment.body == "What a fine engine."
    assert comment.author_email == "" and comment.ip_address is None
    mention = Mention.objects.get()
    assert (mention.kind, mention.state, mention.comment) == ("reply", "accepted", comment)
    assert "held for a moderator" in mention.detail
    assert "What a fine engine." not in client.get(post.get_absolute_url()).content.decode()

    moderator = django_user_model.objects.create_superuser("mod", "mod@example.org", "pw")
    with django_capture_on_commit_callbacks(execute=True):  # the thread's page is refreshed
        assert moderation.moderate(comment, "approve", by=moderator)
    html = client.get(post.get_absolute_url()).content.decode()

    assert "What a fine engine." in html
    assert f'replied <a href="{elsewhere.url("/reply")}" rel="nofollow ugc noopener">on their site</a>' in html
    assert '<a href="https://ada.example/" rel="nofollow ugc noopener">Ada Lovelace</a>' in html


def test_the_moderation_queue_shows_where_a_mention_came_from(elsewhere, post, receive, admin_client):
    elsewhere.routes["/reply"] = page(reply_page(permalink(post)))
    receive(elsewhere.url("/reply"), permalink(post))

    html = admin_client.get("/comments/moderation/").content.decode()

    assert "Came from" in html and elsewhere.url("/reply") in html
    assert "first comment from this address" in html


def test_a_page_that_only_links_here_reads_as_a_mention(elsewhere, post, receive, client, moderation_off):
    elsewhere.routes["/note"] = page(reply_page(permalink(post), kind="u-url-of-something"))

    receive(elsewhere.url("/note"), permalink(post))

    assert Mention.objects.get().kind == "mention"
    html = client.get(post.get_absolute_url()).content.decode()
    assert f'mentioned this <a href="{elsewhere.url("/note")}"' in html


def test_a_like_without_words_says_so(elsewhere, post, receive, moderation_off):
    elsewhere.routes["/like"] = page(reply_page(permalink(post), kind="u-like-of", text=""))

    receive(elsewhere.url("/like"), permalink(post))

    assert Mention.objects.get().kind == "like"
    assert Comment.objects.get().body == "Liked this post."


def test_two_likes_from_two_sites_are_two_comments(elsewhere, post, receive, moderation_off):
    for path in ("/like-1", "/like-2"):
        elsewhere.routes[path] = page(reply_page(permalink(post), kind="u-like-of", text=""))
        receive(elsewhere.url(path), permalink(post))

    assert Comment.objects.count() == 2


def test_a_page_without_microformats_is_a_mention_named_after_its_site_and_title(elsewhere, post, receive):
    elsewhere.routes["/plain"] = page(
        f'<html><head><title>Plain page</title></head><body><p><a href="{permalink(post)}">x</a></p></body></html>')

    receive(elsewhere.url("/plain"), permalink(post))

    comment = Comment.objects.get()
    assert comment.author_name == "127.0.0.1"
    assert comment.author_url == elsewhere.url("/plain")
    assert comment.body == "Mentioned this post in “Plain page”."


def test_a_relative_link_to_the_post_counts(elsewhere, post, receive, settings):
    elsewhere.routes["/relative"] = page(
        f'<html><head><base href="{settings.SITE_URL}/"></head><body>'
        f'<a href="{post.get_absolute_url().lstrip("/")}">x</a></body></html>')

    receive(elsewhere.url("/relative"), permalink(post))

    assert Mention.objects.get().state == "accepted"


@pytest.mark.parametrize("layout", ["feed", "nested"])
def test_on_a_page_of_several_entries_the_one_that_answers_the_post_speaks(elsewhere, post, receive, layout):
    other = '<a class="p-author h-card" href="https://ada.example/">Ada</a><p class="e-content">Unrelated.</p>'
    answer = (f'<a class="p-author h-card" href="https://ada.example/">Ada</a>'
              f'<a class="u-in-reply-to" href="{permalink(post)}">re</a><p class="e-content">About your engine.</p>')
    entries = (f'<article class="h-entry">{other}</article><article class="h-entry">{answer}</article>'
               if layout == "feed" else f'<article class="h-entry">{other}<div class="h-entry">{answer}</div></article>')
    elsewhere.routes["/feed"] = page(f'<html><body><div class="h-feed">{entries}</div></body></html>')

    receive(elsewhere.url("/feed"), permalink(post))

    assert Mention.objects.get().kind == "reply"
    assert Comment.objects.get().body == "About your engine."


def test_a_source_that_does_not_link_here_stores_nothing(elsewhere, post, receive):
    elsewhere.routes["/unrelated"] = page('<html><body><a href="https://else.example/">x</a></body></html>')

    receive(elsewhere.url("/unrelated"), permalink(post))

    assert not Comment.objects.exists()
    mention = Mention.objects.get()
    assert (mention.state, mention.detail) == ("no-link", "the source does not link to the post")


def test_a_link_in_a_comment_or_text_does_not_count(elsewhere, post, receive):
    elsewhere.routes["/sly"] = page(
        f"<html><body><!-- <a href=\"{permalink(post)}\">x</a> --><p>{permalink(post)}</p></body></html>")

    receive(elsewhere.url("/sly"), permalink(post))

    assert not Comment.objects.exists()


def test_a_source_sent_again_with_new_words_updates_its_comment(elsewhere, post, receive, moderation_off):
    source = elsewhere.url("/reply")
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="First thoughts."))
    receive(source, permalink(post))
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Second thoughts.", author="Ada L."))

    receive(source, permalink(post))

    comment = Comment.objects.get()
    assert (comment.body, comment.author_name) == ("Second thoughts.", "Ada L.")
    assert comment.edited_at is not None
    assert comment.log.filter(previous_body="First thoughts.").exists()
    assert Mention.objects.get().receipts == 2


def test_an_update_is_decided_again_by_the_rules(elsewhere, post, receive, moderation_off):
    from comments.models import ModerationKeyword

    source = elsewhere.url("/reply")
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Harmless."))
    receive(source, permalink(post))
    assert Comment.objects.get().status == Comment.Status.APPROVED
    ModerationKeyword.objects.create(word="casino")
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Visit my casino."))

    receive(source, permalink(post))

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "moderation keyword “casino”"


def test_a_source_gone_410_withdraws_its_comment(elsewhere, post, receive, moderation_off, client):
    source = elsewhere.url("/reply")
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Soon deleted."))
    receive(source, permalink(post))
    elsewhere.routes["/reply"] = page("gone", status=410, content_type="text/plain")

    receive(source, permalink(post))

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.REJECTED and comment.body == "" and comment.author_name == ""
    assert Mention.objects.get().state == "gone"
    assert "Soon deleted." not in client.get(post.get_absolute_url()).content.decode()


def test_a_source_that_stops_linking_here_withdraws_its_comment(elsewhere, post, receive, moderation_off):
    source = elsewhere.url("/reply")
    elsewhere.routes["/reply"] = page(reply_page(permalink(post)))
    receive(source, permalink(post))
    elsewhere.routes["/reply"] = page("<html><body>Changed my mind.</body></html>")

    receive(source, permalink(post))

    assert Comment.objects.get().status == Comment.Status.REJECTED
    assert Mention.objects.get().state == "no-link"


def test_a_withdrawn_mention_linking_again_comes_back_through_moderation(elsewhere, post, receive, moderation_off):
    source = elsewhere.url("/reply")
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Back again."))
    receive(source, permalink(post))
    elsewhere.routes["/reply"] = page("gone", status=410, content_type="text/plain")
    receive(source, permalink(post))
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Back again."))

    receive(source, permalink(post))

    comment = Comment.objects.get()
    assert (comment.status, comment.body, comment.author_name) == ("approved", "Back again.", "Ada Lovelace")


def test_a_mention_a_moderator_rejected_stays_rejected_when_sent_again(elsewhere, post, receive, django_user_model):
    moderator = django_user_model.objects.create_superuser("mod", "mod@example.org", "pw")
    source = elsewhere.url("/reply")
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Rude words."))
    receive(source, permalink(post))
    moderation.moderate(Comment.objects.get(), "reject", by=moderator)
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Polite words."))

    receive(source, permalink(post))

    comment = Comment.objects.get()
    assert (comment.status, comment.body) == ("rejected", "Rude words.")
    assert "rejected by a moderator" in Mention.objects.get().detail


def test_a_blocked_site_goes_to_spam(elsewhere, post, receive):
    from comments.models import BlocklistEntry

    entry = BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.DOMAIN, value="ada.example")
    elsewhere.routes["/reply"] = page(reply_page(permalink(post)))

    receive(elsewhere.url("/reply"), permalink(post))

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.SPAM
    assert comment.held_reason == f"blocklisted website domain ada.example (entry {entry.pk})"


def test_markup_in_a_source_is_shown_as_text_never_run(elsewhere, post, receive, moderation_off, client):
    hostile = ('<script>alert(1)</script><img src=x onerror=alert(2)>'
               '[click](javascript:alert(3)) **bold** <b>tag</b>\n# heading\n1. item')
    elsewhere.routes["/hostile"] = page(reply_page(
        permalink(post), text=hostile, author='<img src=x onerror=alert(4)>Eve'))

    receive(elsewhere.url("/hostile"), permalink(post))

    comment = Comment.objects.get()
    assert "<script" not in comment.body_html and "onerror" not in comment.body_html
    assert "javascript:" not in comment.body_html.replace("[click](javascript:alert(3))", "")
    assert "<strong>" not in comment.body_html and "<h1>" not in comment.body_html and "<ol>" not in comment.body_html
    assert "**bold**" in comment.body_html and "tag" in comment.body_html
    html = client.get(post.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "onerror=alert" not in html


@pytest.mark.parametrize("address", ["https://eve .example/", "https://eve.example/a\x01b", "https://eve.example/\x7f"])
def test_an_author_address_no_browser_could_follow_is_not_kept(elsewhere, post, receive, address):
    elsewhere.routes["/eve"] = page(reply_page(permalink(post), author="Eve", author_url=address))

    receive(elsewhere.url("/eve"), permalink(post))

    comment = Comment.objects.get()
    assert (comment.author_name, comment.author_url) == ("Eve", elsewhere.url("/eve"))


def test_a_long_text_is_cut_to_the_comment_limit(elsewhere, post, receive):
    from comments.models import BODY_MAX_LENGTH

    elsewhere.routes["/long"] = page(reply_page(permalink(post), text="word_ " * 3000))

    receive(elsewhere.url("/long"), permalink(post))

    body = Comment.objects.get().body
    assert len(body) <= BODY_MAX_LENGTH and body.endswith("…")


@pytest.mark.parametrize("route, detail", [
    (page("<html><body>hi</body></html>", content_type="application/json"), "not text/html"),
    (page("x" * (1024 * 1024 + 10)), "limit"),
    (page("<div>" * 5000 + "<a href='{target}'>x</a>"), "nested more than 200"),
    (page("", status=500, content_type="text/plain"), None),
])
def test_a_source_that_is_not_usable_html_is_refused_and_recorded(elsewhere, post, receive, route, detail, caplog):
    route.body = route.body.replace(b"{target}", permalink(post).encode())
    elsewhere.routes["/bad"] = route

    attempts = receive(elsewhere.url("/bad"), permalink(post))

    assert not Comment.objects.exists()
    mention = Mention.objects.get()
    if detail is None:  # a server error: tried again later, not given up
        assert attempts == ["retrying"]
        assert Delivery.objects.get().status == Delivery.Status.WAITING
    else:
        assert attempts == ["sent"]
        assert (mention.state, detail in mention.detail) == ("refused", True)
    assert "Traceback" not in caplog.text


def test_a_source_whose_address_has_accented_letters_is_checked(elsewhere, post, receive, moderation_off):
    elsewhere.routes["/caf%C3%A9"] = page(reply_page(permalink(post), text="Au café."))

    assert receive(elsewhere.url("/café"), permalink(post)) == ["sent"]

    assert Mention.objects.get().state == "accepted"
    assert Comment.objects.get().body == "Au café."


def test_a_source_that_redirects_to_a_malformed_address_is_refused_with_the_reason(elsewhere, post, receive, caplog):
    from tests.httpserver import Route

    elsewhere.routes["/moved"] = Route(301, headers={"Location": "http://[oops/"}, content_type="text/html")

    assert receive(elsewhere.url("/moved"), permalink(post)) == ["sent"]

    mention = Mention.objects.get()
    assert mention.state == "refused" and "not a valid address" in mention.detail
    assert "Traceback" not in caplog.text


def test_a_source_whose_microformats_cannot_be_read_is_refused_in_words(elsewhere, post, receive):
    # mf2py resolves every address against the page's <base>, and fails on this one.
    elsewhere.routes["/base"] = page(f'<html><head><base href="http://[oops/"></head><body>'
                                     f'<a href="{permalink(post)}">x</a></body></html>')

    assert receive(elsewhere.url("/base"), permalink(post)) == ["sent"]

    mention = Mention.objects.get()
    assert (mention.state, mention.detail) == ("refused", "the source is unreadable as microformats (ValueError)")


def has_control_characters(text):
    return any(ord(c) < 32 and c != "\n" or ord(c) == 127 for c in text)


@pytest.mark.parametrize("status, state", [(404, "gone"), (503, "waiting")])
def test_what_a_source_server_sent_is_recorded_without_control_characters(elsewhere, post, receive, status, state):
    from tests.httpserver import Route

    # PostgreSQL cannot store a NUL: the record, and with it the worker's task, would fail.
    elsewhere.routes["/moved"] = Route(302, headers={"Location": "/x\x00y"}, content_type="text/html")
    elsewhere.routes["/x%00y"] = page("no", status=status, content_type="text/plain")

    receive(elsewhere.url("/moved"), permalink(post))

    mention, delivery = Mention.objects.get(), Delivery.objects.get()
    assert mention.state == state and "/x\\x00y" in mention.detail
    assert not has_control_characters(mention.detail + delivery.last_error)


def test_a_source_on_a_private_address_is_never_fetched(post, receive, settings):
    settings.FETCH_ALLOW_LOOPBACK = False

    receive("http://127.0.0.1:9/secret", permalink(post))

    mention = Mention.objects.get()
    assert mention.state == "refused" and "loopback" in mention.detail


def test_a_source_whose_mention_record_was_deleted_keeps_its_one_comment(elsewhere, post, receive, moderation_off):
    source = elsewhere.url("/reply")
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Once."))
    receive(source, permalink(post))
    Mention.objects.all().delete()
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Twice."))

    receive(source, permalink(post))

    assert list(Comment.objects.values_list("body", flat=True)) == ["Twice."]
    assert Mention.objects.get().comment == Comment.objects.get()


def test_a_webmention_cannot_take_over_a_comment_that_came_from_the_fediverse(elsewhere, post, receive,
                                                                              moderation_off):
    note = elsewhere.url("/notes/1")
    fediverse = Comment.objects.create(
        post=post, author_name="Grace", author_url="https://social.example/@grace", body="From the fediverse.",
        status=Comment.Status.APPROVED, origin=Comment.Origin.FEDIVERSE, remote_id=note)
    elsewhere.routes["/notes/1"] = page(reply_page(permalink(post), text="Overwritten.", author="Mallory"))

    assert receive(note, permalink(post)) == ["sent"]

    fediverse.refresh_from_db()
    assert (fediverse.body, fediverse.author_name, fediverse.status) == ("From the fediverse.", "Grace", "approved")
    assert Comment.objects.count() == 1
    mention = Mention.objects.get()
    assert (mention.state, mention.comment) == ("refused", None)
    assert "fediverse" in mention.detail


def test_the_date_the_source_gives_is_the_comments_when_it_is_plausible(elsewhere, make_post, receive):
    from datetime import datetime, timedelta, timezone as tz

    old_post = make_post(title="Old", age=timedelta(days=3000))
    said = (datetime.now(tz.utc) - timedelta(days=2)).replace(microsecond=0)
    elsewhere.routes["/then"] = page(reply_page(permalink(old_post), published=said.isoformat()))
    elsewhere.routes["/future"] = page(reply_page(permalink(old_post), published="2999-01-01T00:00:00+00:00"))

    receive(elsewhere.url("/then"), permalink(old_post))
    receive(elsewhere.url("/future"), permalink(old_post))

    dated = dict(Comment.objects.values_list("remote_id", "created_at"))
    assert dated[elsewhere.url("/then")] == said
    assert dated[elsewhere.url("/future")] < datetime.now(tz.utc)


def test_a_source_too_slow_to_answer_is_tried_again_later(elsewhere, post, receive, settings, caplog):
    from tests.httpserver import Route

    settings.FETCH_TIMEOUT_SECONDS = 1
    elsewhere.routes["/slow"] = Route(200, reply_page(permalink(post)).encode(), "text/html", trickle=0.05)

    assert receive(elsewhere.url("/slow"), permalink(post)) == ["retrying"]
    assert not Comment.objects.exists()
    assert "took longer than" in Delivery.objects.get().last_error
    assert "Traceback" not in caplog.text


def test_a_source_that_cannot_be_reached_now_says_so_on_its_mention(elsewhere, post, receive):
    elsewhere.routes["/busy"] = page("busy", status=503, content_type="text/plain")

    assert receive(elsewhere.url("/busy"), permalink(post)) == ["retrying"]

    mention = Mention.objects.get()
    assert mention.state == "waiting"
    assert mention.detail.startswith("not reached, tried again later: ") and "HTTP 503" in mention.detail


def test_a_source_never_reached_before_the_queue_gives_up_is_refused_with_the_reason(
    elsewhere, post, webmention, send_queued
):
    from django.utils import timezone

    elsewhere.routes["/busy"] = page("busy", status=503, content_type="text/plain")
    webmention(elsewhere.url("/busy"), permalink(post))
    Delivery.objects.update(give_up_at=timezone.now())

    assert send_queued() == ["failed"]

    mention = Mention.objects.get()
    assert mention.state == "refused"
    assert mention.detail.startswith("not reached in time, given up: ") and "HTTP 503" in mention.detail


def test_a_mention_of_a_post_unpublished_before_its_check_is_not_fetched(elsewhere, post, webmention, send_queued):
    from blog.models import Post

    elsewhere.routes["/reply"] = page(reply_page(permalink(post)))
    webmention(elsewhere.url("/reply"), permalink(post))
    Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)

    send_queued()

    assert elsewhere.hits == []
    assert not Comment.objects.exists()
    assert Mention.objects.get().detail == "not checked: the post is no longer published"


def test_checks_queued_before_webmentions_were_turned_off_fetch_nothing(elsewhere, post, webmention, send_queued,
                                                                        settings):
    elsewhere.routes["/reply"] = page(reply_page(permalink(post)))
    webmention(elsewhere.url("/reply"), permalink(post))
    settings.WEBMENTION_ENABLED = False

    send_queued()

    assert elsewhere.hits == []
    assert Mention.objects.get().detail == "not checked: Webmentions are turned off"
