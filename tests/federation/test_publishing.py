"""Publishing reaches followers through the queue: Create, Update, Delete of Articles,
one signed POST per inbox, retried per host, in the signature format the host takes."""

import json
import socket
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Post
from comments import moderation
from comments.models import Comment
from delivery.models import Delivery
from federation import signatures
from federation.models import Block, Follower, LocalActor, RemoteActor, RemoteHost
from tests.comments.conftest import make_comment, moderator  # noqa: F401
from tests.federation.fediverse import fediverse  # noqa: F401
from tests.httpserver import Route

pytestmark = pytest.mark.django_db

BLOG = "http://testserver/ap/actors/blog"


@pytest.fixture
def followers(client, fediverse):  # noqa: F811
    """alice and bob on one server (one shared inbox), carol with an inbox of her own."""
    accounts = [fediverse.account(name) for name in ("alice", "bob", "carol")]
    carol = accounts[2]
    document = carol.document()
    del document["endpoints"]
    fediverse.server.routes["/users/carol"] = Route(200, json.dumps(document).encode(), "application/activity+json")
    for account in accounts:
        assert account.post(client, account.activity("Follow", BLOG)).status_code == 202
    Delivery.objects.all().delete()  # the Accepts
    return accounts


def activities(server):
    return [(path, json.loads(body)) for path, _, body in server.posted]


def test_publishing_sends_a_create_of_the_article_to_each_inbox_once(followers, make_post, send_queued, fediverse):  # noqa: F811
    post = make_post(title="News", age=timedelta(minutes=1))

    send_queued()  # the fan-out, which queues one delivery per inbox
    assert sorted(d.recipient for d in Delivery.objects.filter(channel="activitypub")) == [
        fediverse.server.url("/inbox"), fediverse.server.url("/users/carol/inbox"),
    ]
    send_queued()

    sent = activities(fediverse.server)
    assert sorted(path for path, _ in sent) == ["/inbox", "/users/carol/inbox"]
    for _, activity in sent:
        assert activity["type"] == "Create" and activity["actor"] == BLOG
        assert activity["object"]["type"] == "Article"
        assert activity["object"]["id"] == f"http://testserver/ap/posts/{post.pk}"
        assert activity["object"]["name"] == "News"
        assert activity["object"]["preview"]["type"] == "Note"


def test_deliveries_are_signed_with_the_blogs_key(followers, make_post, send_queued, fediverse):  # noqa: F811
    make_post()
    send_queued()
    send_queued()

    for path, headers, body in fediverse.server.posted:
        request = signatures.Request(
            method="POST", url=fediverse.server.url(path), body=body,
            headers={name.lower(): value for name, value in headers.items()},
        )
        assert signatures.verify(request, LocalActor.blog().public_key_pem) == "cavage"


def test_a_retried_fanout_never_queues_a_delivery_twice(followers, make_post, send_queued):
    from federation import publishing

    make_post()
    [fanout] = Delivery.objects.filter(channel="activitypub-fanout")
    publishing.fan_out(fanout)
    publishing.fan_out(fanout)

    assert Delivery.objects.filter(channel="activitypub").count() == 2


def test_editing_a_published_post_sends_an_update(followers, make_post, send_queued, fediverse):  # noqa: F811
    post = make_post()
    send_queued(), send_queued()
    fediverse.server.posted.clear()

    post.title = "News, corrected"
    post.save()
    send_queued(), send_queued()

    types = {activity["type"] for _, activity in activities(fediverse.server)}
    assert types == {"Update"}
    assert all(a["object"]["name"] == "News, corrected" for _, a in activities(fediverse.server))


def test_unpublishing_or_deleting_sends_a_delete(followers, make_post, send_queued, fediverse, author):  # noqa: F811
    post = make_post()
    other = make_post()
    send_queued(), send_queued()
    fediverse.server.posted.clear()

    post.unpublish(by=author)
    other_id = other.pk
    other.delete()
    send_queued(), send_queued()

    deletes = [a for _, a in activities(fediverse.server)]
    assert {a["type"] for a in deletes} == {"Delete"}
    assert {a["object"]["id"] for a in deletes} == {
        f"http://testserver/ap/posts/{post.pk}", f"http://testserver/ap/posts/{other_id}",
    }


def test_a_draft_sends_nothing(followers, make_post, send_queued, fediverse):  # noqa: F811
    make_post(status=Post.Status.DRAFT)
    send_queued(), send_queued()

    assert fediverse.server.posted == []


def test_a_scheduled_post_is_sent_when_it_appears_as_it_is_then(followers, make_post, send_queued, fediverse, clock):  # noqa: F811
    post = make_post(published_at=timezone.now() + timedelta(hours=1))
    send_queued()
    assert fediverse.server.posted == []

    post.title = "Final title"
    post.save()
    clock.move(timedelta(hours=1, minutes=1))
    send_queued(), send_queued()

    sent = activities(fediverse.server)
    assert len(sent) == 2 and {a["type"] for _, a in sent} == {"Create"}
    assert {a["object"]["name"] for _, a in sent} == {"Final title"}


def test_a_scheduled_post_unpublished_before_it_appears_is_never_sent(
    followers, make_post, send_queued, fediverse, clock, author  # noqa: F811
):
    post = make_post(published_at=timezone.now() + timedelta(hours=1))
    post.unpublish(by=author)
    clock.move(timedelta(hours=2))
    send_queued(), send_queued()

    assert fediverse.server.posted == []


def test_an_old_post_coming_in_by_import_is_not_announced(followers, make_post, send_queued, fediverse):  # noqa: F811
    make_post(age=timedelta(days=400))
    send_queued(), send_queued()

    assert fediverse.server.posted == []


def test_a_dead_host_makes_its_other_deliveries_wait(followers, make_post, send_queued, fediverse):  # noqa: F811
    fediverse.server.routes["/inbox"] = Route(503, b"down", "text/plain")
    make_post()
    make_post()
    send_queued()  # fan-outs

    results = send_queued()

    # One attempt reached the failing host; its three other deliveries (the shared inbox's
    # second post, carol's two on the same host) waited without calling it.
    assert len(fediverse.server.posted) == 1
    assert results == ["retrying"] * 4
    host = RemoteHost.objects.get(domain="127.0.0.1")
    assert host.failures == 1 and host.retry_at > timezone.now()
    waiting = Delivery.objects.filter(channel="activitypub")
    assert {d.status for d in waiting} == {Delivery.Status.WAITING}
    assert any("waiting until" in d.last_error for d in waiting)


def test_a_host_that_answers_401_to_cavage_gets_rfc9421_and_it_is_remembered(
    followers, make_post, send_queued, fediverse  # noqa: F811
):
    server = fediverse.server
    original = server.httpd.RequestHandlerClass.do_POST

    def do_post(handler):
        if "Signature-Input" not in handler.headers:
            length = int(handler.headers.get("Content-Length") or 0)
            handler.rfile.read(length)
            server.posted.append((handler.path, handler.headers, b"refused"))
            handler.send_response(401)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        original(handler)

    server.httpd.RequestHandlerClass.do_POST = do_post
    make_post()
    send_queued(), send_queued()

    accepted = [(p, h) for p, h, b in server.posted if b != b"refused"]
    assert len(accepted) == 2 and all("Signature-Input" in h for _, h in accepted)
    assert RemoteHost.objects.get().signature_format == "rfc9421"

    server.posted.clear()
    make_post()
    send_queued(), send_queued()
    assert all("Signature-Input" in h for _, h, _ in server.posted)  # no cavage first now


def test_a_blocked_instance_gets_nothing(followers, make_post, send_queued, fediverse):  # noqa: F811
    Block.objects.create(kind=Block.Kind.INSTANCE, value="127.0.0.1")
    make_post()
    send_queued(), send_queued()

    assert fediverse.server.posted == []


def test_a_blocked_actor_is_dropped_from_deliveries(followers, make_post, send_queued, fediverse):  # noqa: F811
    carol = followers[2]
    Block.objects.create(kind=Block.Kind.ACTOR, value=carol.uri)
    make_post()
    send_queued(), send_queued()

    assert [path for path, _ in activities(fediverse.server)] == ["/inbox"]


def test_a_moderators_reply_to_a_fediverse_comment_goes_back_to_its_thread(
    client, followers, make_post, send_queued, fediverse, moderator  # noqa: F811
):
    alice = followers[0]
    post = make_post(age=timedelta(days=30))
    note = alice.note(f"http://testserver/ap/posts/{post.pk}")
    alice.post(client, alice.activity("Create", note))
    remote_comment = Comment.objects.get()

    answer = moderation.reply(remote_comment, "Thank you, Alice.", by=moderator)
    send_queued(), send_queued()

    sent = activities(fediverse.server)
    assert {path for path, _ in sent} == {"/inbox", "/users/carol/inbox"}
    for _, activity in sent:
        assert activity["type"] == "Create"
        reply_note = activity["object"]
        assert reply_note["type"] == "Note"
        assert reply_note["inReplyTo"] == note["id"]
        assert reply_note["id"] == f"http://testserver/ap/comments/{answer.pk}"
        assert "Thank you, Alice." in reply_note["content"]
        assert {"type": "Mention", "href": alice.uri, "name": "@alice@127.0.0.1"} in reply_note["tag"]


def test_a_readers_reply_to_a_fediverse_comment_is_not_sent(
    client, followers, make_post, send_queued, fediverse, site_rules  # noqa: F811
):
    from blog.site import SiteSettings

    site_rules(comment_moderation=SiteSettings.Moderation.OFF)
    alice = followers[0]
    post = make_post(age=timedelta(days=30))
    alice.post(client, alice.activity("Create", alice.note(f"http://testserver/ap/posts/{post.pk}")))
    Comment.objects.create(post=post, parent=Comment.objects.get(), author_name="Reader",
                           author_email="r@example.org", body="Me too.", status=Comment.Status.APPROVED)
    send_queued(), send_queued()

    assert fediverse.server.posted == []


def test_turned_off_nothing_is_queued(followers, make_post, settings):
    settings.ACTIVITYPUB_ENABLED = False
    make_post()

    assert not Delivery.objects.exists()


def test_unfollowed_nobody_is_sent_anything(followers, make_post, send_queued, fediverse):  # noqa: F811
    Follower.objects.all().delete()
    make_post()
    send_queued(), send_queued()

    assert fediverse.server.posted == [] and not Delivery.objects.exists()


def test_a_host_that_recovers_is_sent_to_again(followers, make_post, send_queued, fediverse, clock):  # noqa: F811
    fediverse.server.routes["/inbox"] = Route(503, b"down", "text/plain")
    make_post()
    send_queued(), send_queued()
    del fediverse.server.routes["/inbox"]

    clock.move(timedelta(hours=3))
    send_queued()

    assert Delivery.objects.filter(channel="activitypub", status=Delivery.Status.SENT).count() == 2
    host = RemoteHost.objects.get()
    assert host.failures == 0 and host.retry_at is None


def test_moderators_manage_blocks_in_the_admin(client, moderator):  # noqa: F811
    client.force_login(moderator)

    response = client.post("/admin/federation/block/add/", {
        "kind": "instance", "value": " Spam.Example. ", "note": "floods",
    })

    assert response.status_code == 302
    block = Block.objects.get()
    assert block.value == "spam.example"
    assert Block.objects.blocking("https://a.spam.example/users/x").exists()
    assert not Block.objects.blocking("https://notspam.example/users/x").exists()


def test_a_post_published_again_after_unpublishing_is_created_again(
    followers, make_post, send_queued, fediverse, author  # noqa: F811
):
    post = make_post(age=timedelta(hours=1))
    post.unpublish(by=author)
    post.refresh_from_db()
    post.publish_now(by=author)
    send_queued(), send_queued()

    types = sorted(a["type"] for path, a in activities(fediverse.server) if path == "/inbox")
    assert types == ["Create", "Create", "Delete"]


def test_a_rescheduled_post_is_sent_once_at_its_new_time(followers, make_post, send_queued, fediverse, clock):  # noqa: F811
    post = make_post(published_at=timezone.now() + timedelta(hours=1))
    post.published_at = timezone.now() + timedelta(hours=3)
    post.save()

    clock.move(timedelta(hours=2))
    send_queued(), send_queued()
    assert fediverse.server.posted == []
    clock.move(timedelta(hours=2))
    send_queued(), send_queued()

    assert [a["type"] for path, a in activities(fediverse.server) if path == "/inbox"] == ["Create"]


def test_a_staff_reply_rejected_afterwards_is_deleted_in_the_fediverse(
    client, followers, make_post, send_queued, fediverse, moderator  # noqa: F811
):
    alice = followers[0]
    post = make_post(age=timedelta(days=30))
    alice.post(client, alice.activity("Create", alice.note(f"http://testserver/ap/posts/{post.pk}")))
    answer = moderation.reply(Comment.objects.get(), "Thank you.", by=moderator)
    send_queued(), send_queued()
    fediverse.server.posted.clear()

    moderation.moderate(answer, "reject", by=moderator)
    send_queued(), send_queued()

    sent = activities(fediverse.server)
    assert {path for path, _ in sent} == {"/inbox", "/users/carol/inbox"}
    assert all(a["type"] == "Delete" and a["object"]["id"] == f"http://testserver/ap/comments/{answer.pk}"
               for _, a in sent)


def test_a_staff_reply_never_sent_is_not_deleted_either(
    client, followers, make_post, send_queued, fediverse, moderator, make_comment  # noqa: F811
):
    post = make_post(age=timedelta(days=30))
    parent = make_comment(post=post)
    send_queued(), send_queued()  # the Create of make_comment's own post
    fediverse.server.posted.clear()
    answer = moderation.reply(parent, "Thanks.", by=moderator)
    moderation.moderate(answer, "reject", by=moderator)
    send_queued(), send_queued()

    assert fediverse.server.posted == []


def test_a_follower_with_a_very_long_inbox_address_gets_its_accept_and_posts(
    client, make_post, send_queued, fediverse  # noqa: F811
):
    dave = fediverse.account("dave")
    long_inbox = fediverse.server.url("/users/dave/inbox/" + "a" * 1900)
    document = {**dave.document(), "inbox": long_inbox}
    del document["endpoints"]
    fediverse.server.routes["/users/dave"] = Route(200, json.dumps(document).encode(), "application/activity+json")
    assert dave.post(client, dave.activity("Follow", BLOG)).status_code == 202
    make_post()
    send_queued(), send_queued()

    # Every key fits its column, which PostgreSQL enforces and SQLite does not.
    key_length = Delivery._meta.get_field("key").max_length
    assert all(len(key) <= key_length for key in Delivery.objects.values_list("key", flat=True))
    assert sorted(a["type"] for _, a in activities(fediverse.server)) == ["Accept", "Create"]


@pytest.mark.parametrize("answer, outcome", [
    (Route(400, b"{}", "application/json"), "GiveUp: {inbox} answered HTTP 400."),
    (Route(403, b"", "text/plain"), "GiveUp: {inbox} answered HTTP 403."),
    (Route(404, b"", "text/plain"), "GiveUp: {inbox} answered HTTP 404."),
    (Route(301, b"", "text/plain", headers={"Location": "http://127.0.0.1:1/x"}), "GiveUp: {inbox} answered HTTP 301."),
    (Route(307, b"", "text/plain", headers={"Location": "/elsewhere"}), "GiveUp: {inbox} answered HTTP 307."),
    (Route(600, b"", "text/plain"), "GiveUp: {inbox} answered HTTP 600."),
    (Route(500, b"", "text/plain"), "Unavailable: {inbox} answered HTTP 500."),
    (Route(429, b"", "text/plain", headers={"Retry-After": "never"}), "Unavailable: {inbox} answered HTTP 429."),
    (Route(202, b"x" * 300_000, "text/plain"), ""),
])
def test_what_an_inbox_answers_fails_sends_or_retries_with_its_reason(
    followers, make_post, send_queued, fediverse, answer, outcome  # noqa: F811
):
    carol = followers[2]
    fediverse.server.routes["/users/carol/inbox"] = answer
    make_post()
    send_queued(), send_queued()

    delivery = Delivery.objects.get(channel="activitypub", recipient=carol.inbox)
    assert delivery.last_error == outcome.format(inbox=carol.inbox)
    expected = {"GiveUp": "failed", "Unavailable": "waiting", "": "sent"}[outcome.partition(":")[0]]
    assert delivery.status == expected


@pytest.fixture
def raw_inbox():
    """raw_inbox(answer): the address of a server that answers every request with `answer`
    (bytes, or None to close the connection at once)."""
    listeners = []

    def serve(answer):
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def run():
            while True:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return
                with connection:
                    connection.settimeout(2)
                    try:
                        connection.recv(65536)
                        if answer is not None:
                            connection.sendall(answer)
                    except OSError:
                        pass

        threading.Thread(target=run, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}/inbox"

    yield serve
    for listener in listeners:
        listener.close()


@pytest.mark.parametrize("answer, reason", [
    (b"NOT HTTP AT ALL\r\n\r\n", "did not answer"),
    (None, "did not answer"),
    (b"HTTP/1.1 -1 Odd\r\n\r\n", "did not answer"),
    (b"HTTP/1.1 202 Accepted\r\n" + b"X: a\r\n" * 200 + b"\r\n", "did not answer"),
    (b"HTTP/1.1 202 Accepted\r\nX: " + b"a" * 200_000 + b"\r\n\r\n", "did not answer"),
    (b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "stopped sending"),
    (b"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n", "answered HTTP 999"),
])
def test_an_inbox_that_answers_nonsense_is_retried_or_given_up_with_its_reason(
    make_post, send_queued, fediverse, raw_inbox, answer, reason  # noqa: F811
):
    inbox = raw_inbox(answer)
    dave = RemoteActor.objects.create(
        uri=fediverse.server.url("/users/dave"), domain="127.0.0.1", inbox=inbox,
        key_id=fediverse.server.url("/users/dave#main-key"), public_key_pem="-",
    )
    Follower.objects.create(local_actor=LocalActor.blog(), actor=dave)
    make_post()
    send_queued(), send_queued()

    delivery = Delivery.objects.get(channel="activitypub")
    assert delivery.status in (Delivery.Status.WAITING, Delivery.Status.FAILED)
    kind = delivery.last_error.partition(":")[0]
    assert kind == ("GiveUp" if delivery.status == Delivery.Status.FAILED else "Unavailable")
    assert reason in delivery.last_error


def test_a_follower_whose_own_inbox_answers_410_gone_is_removed(followers, make_post, send_queued, fediverse):  # noqa: F811
    carol = followers[2]
    fediverse.server.routes["/users/carol/inbox"] = Route(410, b"Gone", "text/plain")
    make_post()
    send_queued(), send_queued()

    assert sorted(f.actor.uri for f in Follower.objects.select_related("actor")) == sorted(
        account.uri for account in followers[:2])
    delivery = Delivery.objects.get(channel="activitypub", recipient=carol.inbox)
    assert delivery.status == Delivery.Status.FAILED
    assert "410" in delivery.last_error and "follows were removed" in delivery.last_error


def test_a_shared_inbox_answering_410_removes_no_one(followers, make_post, send_queued, fediverse):  # noqa: F811
    fediverse.server.routes["/inbox"] = Route(410, b"Gone", "text/plain")
    make_post()
    send_queued(), send_queued()

    # A shared inbox speaks for its server, not for one account: a 410 there is no deletion.
    assert Follower.objects.count() == 3
    assert Delivery.objects.get(channel="activitypub", recipient=fediverse.server.url("/inbox")).status == "failed"


def test_a_410_from_the_inbox_a_follow_is_accepted_at_removes_that_follower(client, send_queued, fediverse):  # noqa: F811
    dave = fediverse.account("dave")
    fediverse.server.routes["/users/dave/inbox"] = Route(410, b"", "text/plain")
    assert dave.post(client, dave.activity("Follow", BLOG)).status_code == 202

    send_queued()

    assert not Follower.objects.exists()
