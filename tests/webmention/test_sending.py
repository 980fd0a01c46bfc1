"""Sending: a person's publication or edit of a post tells the pages it links to, through
the queue, once per version of its text."""

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from blog import revisions
from blog.models import Post
from delivery.models import Delivery
from tests.webmention.conftest import page, permalink
from webmention.models import Outgoing

pytestmark = pytest.mark.django_db

WITH_ENDPOINT = '<html><head><link rel="webmention" href="/endpoint"></head><body>Hello.</body></html>'


@pytest.fixture
def write(author):
    """write(post, **changes): a person's save of `post` (the admin's form does the same)."""

    def save(post, **changes):
        for name, value in changes.items():
            setattr(post, name, value)
        with revisions.saving(author, "Edited."):
            post.save()
        return post

    return save


@pytest.fixture
def draft(make_post, author):
    return make_post(title="Links", status=Post.Status.DRAFT, author=author, body="Nothing yet.")


def posted(server):
    return [(path, {k: v[0] for k, v in parse_qs(body.decode()).items()}) for path, _, body in server.posted]


def test_publishing_a_post_tells_each_page_it_links_to(elsewhere, draft, write, author, send_queued, settings):
    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    elsewhere.routes["/b"] = page(WITH_ENDPOINT)
    draft.body = (f"See [a]({elsewhere.url('/a')}), [b]({elsewhere.url('/b')}#part), [a again]({elsewhere.url('/a')}),"
                  f" [ours]({settings.SITE_URL}/about/), [mail](mailto:x@example.org) and [here](/tags/).")
    draft.publish_now(by=author)

    assert sorted(d.recipient for d in Delivery.objects.filter(channel="webmention")) == [
        elsewhere.url("/a"), elsewhere.url("/b")]
    assert send_queued() == ["sent", "sent"]

    assert sorted(posted(elsewhere), key=lambda sent: sent[1]["target"]) == [
        ("/endpoint", {"source": permalink(draft), "target": elsewhere.url("/a")}),
        ("/endpoint", {"source": permalink(draft), "target": elsewhere.url("/b")}),
    ]
    assert elsewhere.posted[0][1]["Content-Type"] == "application/x-www-form-urlencoded"
    assert set(Outgoing.objects.values_list("outcome", flat=True)) == {
        f"sent to {elsewhere.url('/endpoint')} (HTTP 202)"}


def test_a_page_without_an_endpoint_is_nothing_to_send_not_a_failure(elsewhere, draft, author, send_queued):
    elsewhere.routes["/plain"] = page("<html><body>No endpoint.</body></html>")
    draft.body = f"[plain]({elsewhere.url('/plain')})"
    draft.publish_now(by=author)

    assert send_queued() == ["sent"]

    assert elsewhere.posted == []
    assert Outgoing.objects.get().outcome == "not sent: the page has no Webmention endpoint"


def test_an_endpoint_that_refuses_fails_the_delivery_for_a_person_to_see(elsewhere, draft, author, send_queued):
    from tests.httpserver import Route

    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    elsewhere.routes["/endpoint"] = Route(400, b"target not found", "text/plain")
    draft.body = f"[a]({elsewhere.url('/a')})"
    draft.publish_now(by=author)

    assert send_queued() == ["failed"]
    assert "HTTP 400" in Delivery.objects.get().last_error


def test_a_server_that_is_down_is_tried_again_later(elsewhere, draft, author, send_queued):
    elsewhere.routes["/a"] = page("busy", status=503, content_type="text/plain")
    draft.body = f"[a]({elsewhere.url('/a')})"
    draft.publish_now(by=author)

    assert send_queued() == ["retrying"]
    assert Delivery.objects.get().status == Delivery.Status.WAITING


def test_saving_a_post_unchanged_sends_nothing_new_and_an_edit_sends_again(elsewhere, draft, write, author,
                                                                          send_queued):
    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    draft.body = f"[a]({elsewhere.url('/a')})"
    draft.publish_now(by=author)
    send_queued()

    write(draft)
    assert send_queued() == []

    write(draft, body=draft.body + "\n\nA new paragraph.")
    assert send_queued() == ["sent"]
    assert len(elsewhere.posted) == 2


def test_a_link_removed_by_an_edit_is_told_once_more(elsewhere, draft, write, author, send_queued):
    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    elsewhere.routes["/b"] = page(WITH_ENDPOINT)
    draft.body = f"[a]({elsewhere.url('/a')}) [b]({elsewhere.url('/b')})"
    draft.publish_now(by=author)
    send_queued()

    write(draft, body=f"[a]({elsewhere.url('/a')}) only.")
    send_queued()

    assert sorted(target for _, body in posted(elsewhere)[2:] for target in [body["target"]]) == [
        elsewhere.url("/a"), elsewhere.url("/b")]
    assert dict(Outgoing.objects.values_list("target", "linked")) == {
        elsewhere.url("/a"): True, elsewhere.url("/b"): False}

    write(draft, body=f"[a]({elsewhere.url('/a')}) only, still.")
    send_queued()
    assert [body["target"] for _, body in posted(elsewhere)[4:]] == [elsewhere.url("/a")]


def test_a_scheduled_post_is_announced_once_it_appears(elsewhere, draft, write, send_queued, clock):
    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    at = timezone.now() + timedelta(hours=2)
    write(draft, body=f"[a]({elsewhere.url('/a')})", status=Post.Status.PUBLISHED, published_at=at)

    assert Delivery.objects.get().next_attempt_at == at
    assert send_queued() == []

    clock.move(timedelta(hours=2, minutes=1))
    assert send_queued() == ["sent"]
    assert len(elsewhere.posted) == 1


def test_a_scheduled_post_taken_back_before_it_appears_sends_nothing(elsewhere, draft, write, send_queued, clock):
    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    write(draft, body=f"[a]({elsewhere.url('/a')})", status=Post.Status.PUBLISHED,
          published_at=timezone.now() + timedelta(hours=2))
    write(draft, status=Post.Status.DRAFT)

    clock.move(timedelta(hours=3))
    send_queued()

    assert elsewhere.posted == []


def test_a_rescheduled_post_is_announced_at_its_new_time_only(elsewhere, draft, write, send_queued, clock):
    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    write(draft, body=f"[a]({elsewhere.url('/a')})", status=Post.Status.PUBLISHED,
          published_at=timezone.now() + timedelta(hours=1))
    write(draft, published_at=timezone.now() + timedelta(hours=5))

    clock.move(timedelta(hours=2))
    send_queued()
    assert elsewhere.posted == []

    clock.move(timedelta(hours=4))
    send_queued()
    assert len(elsewhere.posted) == 1


def test_an_imported_post_announces_nothing(elsewhere, make_post):
    make_post(title="Old", body=f"[a]({elsewhere.url('/a')})")  # saved outside any revision, as imports do

    assert not Delivery.objects.exists()


def test_nothing_is_sent_when_webmentions_are_turned_off(elsewhere, draft, author, settings, send_queued):
    settings.WEBMENTION_ENABLED = False
    draft.body = f"[a]({elsewhere.url('/a')})"
    draft.publish_now(by=author)

    assert not Delivery.objects.exists()


def test_a_page_whose_endpoint_is_on_our_own_site_is_not_called(elsewhere, draft, author, settings, send_queued):
    elsewhere.routes["/a"] = page(f'<link rel="webmention" href="{settings.SITE_URL}/webmention/">')
    draft.body = f"[a]({elsewhere.url('/a')})"
    draft.publish_now(by=author)

    assert send_queued() == ["sent"]

    assert "is not one we call" in Outgoing.objects.get().outcome


def test_an_endpoint_holding_control_characters_is_not_called_and_recorded_written_out(elsewhere, draft, author,
                                                                                      send_queued):
    elsewhere.routes["/a"] = page("<p>A page.</p>", headers={"Link": '</end\x00point>; rel="webmention"'})
    draft.body = f"[a]({elsewhere.url('/a')})"
    draft.publish_now(by=author)

    assert send_queued() == ["sent"]

    outcome = Outgoing.objects.get().outcome
    assert "is not one we call" in outcome and "/end\\x00point" in outcome
    assert elsewhere.posted == []


def test_unpublishing_a_post_tells_the_pages_it_linked_to_and_publishing_again_announces_anew(
    elsewhere, draft, write, author, send_queued
):
    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    elsewhere.routes["/quiet"] = page("<html><body>No endpoint.</body></html>")
    draft.body = f"[a]({elsewhere.url('/a')}) [quiet]({elsewhere.url('/quiet')})"
    draft.publish_now(by=author)
    send_queued()
    source = permalink(draft)

    draft.unpublish(by=author)
    assert send_queued() == ["sent"]  # only the page that was told; the quiet one never was
    assert posted(elsewhere)[1] == ("/endpoint", {"source": source, "target": elsewhere.url("/a")})
    write(draft, title="Still a draft")
    assert send_queued() == []

    draft.publish_now(by=author)
    send_queued()
    assert len(elsewhere.posted) == 3


def test_deleting_a_post_tells_the_pages_it_linked_to(elsewhere, draft, author, send_queued):
    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    draft.body = f"[a]({elsewhere.url('/a')})"
    draft.publish_now(by=author)
    send_queued()
    source = permalink(draft)

    draft.delete()

    assert send_queued() == ["sent"]
    assert posted(elsewhere)[1] == ("/endpoint", {"source": source, "target": elsewhere.url("/a")})


def test_a_scheduled_post_taken_back_tells_nobody_it_is_gone(elsewhere, draft, write, send_queued):
    elsewhere.routes["/a"] = page(WITH_ENDPOINT)
    write(draft, body=f"[a]({elsewhere.url('/a')})", status=Post.Status.PUBLISHED,
          published_at=timezone.now() + timedelta(hours=2))

    draft.delete()

    assert not Delivery.objects.filter(key__contains="-gone-").exists()


def test_saving_an_unchanged_post_costs_the_same_queries_however_many_links_it_has(make_post, write, author):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_resave(links):
        post = make_post(title=f"{links} links", author=author, status=Post.Status.DRAFT,
                         body=" ".join(f"[{n}](https://site{n}.example/)" for n in range(links)))
        post.publish_now(by=author)
        with CaptureQueriesContext(connection) as saved:
            write(post)
        return len(saved)

    assert queries_to_resave(2) == queries_to_resave(20)
