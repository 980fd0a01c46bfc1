"""Whoever cannot prove who they are is refused at the inbox, and changes nothing.

Each forged request is otherwise a perfectly good one from the fake instance: only the
flaw named differs. "Nothing changes" is checked from outside too: a forged Follow that
had been taken would bring the next post to the forger's inbox. An actor a moderator
blocked is refused the same way, with 403.
"""

import pytest

from comments.models import Comment
from delivery.models import Delivery
from tests.comments.conftest import moderator  # noqa: F401
from tests.federation.peer import (  # noqa: F401
    blog, deliver, follow_activity, known, make_peer, peer, publish,
)

pytestmark = pytest.mark.django_db(transaction=True)

FLAWS = ["bad-signature", "stale-date", "wrong-digest", "unsigned"]


@pytest.fixture
def nothing_reaches(blog, make_peer, deliver, publish):
    """nothing_reaches(peer): after a post is published, `peer` has been sent nothing,
    while a reader who did follow (Bob) has been sent the post."""

    def check(peer):
        bob = make_peer("bob", "Bob Elsewhere")
        assert bob.follow(blog.handle).status == 202
        deliver()
        publish()
        deliver()
        assert len(bob.activities("Create")) == 1, "the control follower did not get the post"
        return peer.received == []

    return check


@pytest.mark.parametrize("flaw, scheme", [(flaw, "draft-cavage") for flaw in FLAWS] + [
    (flaw, "rfc9421") for flaw in FLAWS if flaw != "unsigned"
])
def test_a_forged_follow_is_refused_and_follows_nothing(known, nothing_reaches, flaw, scheme):
    answer = known.post(known.blog_actor["inbox"], follow_activity(known), flaw=flaw, scheme=scheme)

    assert answer.status == 401
    assert not Delivery.objects.exists()
    assert nothing_reaches(known)


@pytest.mark.parametrize("flaw", FLAWS)
def test_a_forged_reply_is_refused_and_stores_nothing(known, deliver, published_post, blog, flaw):
    article = blog.article_id(published_post)
    known.notes.clear()
    note = {"id": f"{known.actor_id}/statuses/99", "type": "Note", "attributedTo": known.actor_id,
            "inReplyTo": article, "content": "<p>Forged words.</p>", "published": "2026-01-01T00:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": []}
    answer = known.post(known.blog_shared_inbox, {
        "id": f"{note['id']}/activity", "type": "Create", "actor": known.actor_id, "object": note,
    }, flaw=flaw)
    deliver()

    assert answer.status == 401
    assert not Comment.objects.exists()


def test_a_follow_signed_with_another_actors_key_is_refused(known, make_peer, nothing_reaches):
    mallory = make_peer("mallory", "Mallory")

    # Mallory signs, correctly, with her own key, an activity that says Alice follows.
    answer = known.post(known.blog_actor["inbox"], follow_activity(known), key=mallory.key, key_id=mallory.key_id)

    assert answer.status == 401
    assert nothing_reaches(known)
    assert mallory.received == []


def test_a_key_id_pointing_at_a_key_the_actor_does_not_have_is_refused(known, make_peer, nothing_reaches):
    mallory = make_peer("mallory", "Mallory")

    # Alice's key id, Mallory's private key: the key fetched from Alice's actor differs.
    answer = known.post(known.blog_actor["inbox"], follow_activity(known), key=mallory.key)

    assert answer.status == 401
    assert nothing_reaches(known)


def test_a_forged_like_counts_nothing(known, blog, published_post):
    from federation.models import Reaction

    answer = known.post(known.blog_actor["inbox"], {
        "id": f"{known.actor_id}#likes/1", "type": "Like", "actor": known.actor_id,
        "object": blog.article_id(published_post),
    }, flaw="bad-signature")

    assert answer.status == 401
    assert Reaction.objects.counts_for(published_post) == {"like": 0, "announce": 0}


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"a string"'])
def test_a_signed_body_that_is_no_activity_is_a_bad_request(known, body):
    answer = known.post(known.blog_actor["inbox"], None, body=body)

    assert answer.status == 400
    assert not Delivery.objects.exists()



def test_a_follow_sent_twice_is_accepted_once(known, deliver):
    follow = follow_activity(known)
    first = known.post(known.blog_actor["inbox"], follow)
    replayed = known.post(known.blog_actor["inbox"], follow)
    deliver()

    assert (first.status, replayed.status) == (202, 202)
    assert len(known.activities("Accept")) == 1


def test_an_activity_too_large_to_read_is_refused_with_413(known, blog, published_post):
    note = {"id": f"{known.actor_id}/statuses/big", "type": "Note", "attributedTo": known.actor_id,
            "inReplyTo": blog.article_id(published_post), "content": "<p>" + "words " * 200_000 + "</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    answer = known.post(known.blog_shared_inbox, {
        "id": f"{note['id']}/activity", "type": "Create", "actor": known.actor_id, "object": note,
    })

    assert answer.status == 413
    assert not Comment.objects.exists()


def test_with_activitypub_off_the_blog_is_not_on_the_fediverse(known, blog, settings, deliver):
    settings.ACTIVITYPUB_ENABLED = False

    assert blog.get(f"/.well-known/webfinger?resource=acct:{blog.handle}").status == 404
    assert blog.get(known.blog_actor["id"], accept="application/activity+json").status == 404
    assert known.post(known.blog_actor["inbox"], follow_activity(known)).status == 404
    deliver()
    assert known.received == []


def test_a_blocked_actor_is_refused_with_403_and_sent_nothing_more(
    blog, make_peer, deliver, publish, client, moderator, published_post,
):
    alice, bob = make_peer("alice", "Alice Peer"), make_peer("bob", "Bob Elsewhere")
    for peer in (alice, bob):
        assert peer.follow(blog.handle).status == 202
    deliver()
    alice.clear()

    client.force_login(moderator)
    response = client.post("/admin/federation/block/add/",
                           {"kind": "actor", "value": alice.actor_id, "note": "Spam replies"})
    assert response.status_code == 302
    answer = alice.reply(blog.article_id(published_post), "Spam, spam, spam.")
    publish()
    deliver()

    assert answer.status == 403
    assert not Comment.objects.filter(remote_id=answer.activity["id"]).exists()
    assert alice.received == []
    assert len(bob.activities("Create")) == 1
