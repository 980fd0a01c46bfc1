"""The fake instance checks signatures the way a real server would: two of them talk.

The end-to-end specifications trust the peer to say whether the blog signed correctly,
so the peer's own checking is specified here first, with nothing of the blog involved.
"""

import pytest

from tests.federation.peer import FakeInstance, SignatureProblem


@pytest.fixture
def alice():
    peer = FakeInstance("alice", "Alice Peer").start()
    yield peer
    peer.stop()


@pytest.fixture
def bob():
    peer = FakeInstance("bob", "Bob Elsewhere").start()
    yield peer
    peer.stop()


def like_from(sender, receiver):
    return {"id": f"{sender.actor_id}#likes/1", "type": "Like", "actor": sender.actor_id,
            "object": f"{receiver.actor_id}/statuses/1"}


@pytest.mark.parametrize("scheme", ["draft-cavage", "rfc9421", "rfc9421-detailed"])
def test_a_correctly_signed_post_is_accepted_and_recorded(alice, bob, scheme):
    answer = alice.post(bob.inbox, like_from(alice, bob), scheme=scheme)

    assert answer.status == 202
    assert bob.problems() == []
    assert bob.activities("Like") == [like_from(alice, bob)]
    assert bob.received[0].scheme == scheme.removesuffix("-detailed")
    assert bob.received[0].key_id == alice.key_id


def test_the_shared_inbox_takes_signed_posts_too(alice, bob):
    assert alice.post(bob.shared_inbox, like_from(alice, bob)).status == 202
    assert bob.received[0].path == "/inbox"


@pytest.mark.parametrize("scheme", ["draft-cavage", "rfc9421", "rfc9421-detailed"])
@pytest.mark.parametrize("flaw, complaint", [
    ("bad-signature", "does not verify"),
    ("stale-date", "outside the accepted window"),
    ("wrong-digest", "does not match the body"),
    ("unsigned", "not signed"),
])
def test_a_flawed_post_is_refused_with_401_and_its_reason(alice, bob, scheme, flaw, complaint):
    answer = alice.post(bob.inbox, like_from(alice, bob), flaw=flaw, scheme=scheme)

    assert answer.status == 401
    assert complaint in answer.body.decode()
    assert bob.activities() == []
    [(path, kind, problem)] = bob.problems()
    assert (path, kind) == ("/users/bob/inbox", "Like") and complaint in problem


def test_a_post_signed_with_another_actors_key_is_refused(alice, bob):
    mallory = FakeInstance("mallory").start()
    try:
        answer = mallory.post(bob.inbox, like_from(alice, bob))
    finally:
        mallory.stop()

    assert answer.status == 401
    assert f"Signed by {mallory.actor_id}, but the activity's actor is {alice.actor_id}" in answer.body.decode()


def test_a_key_id_naming_a_key_its_actor_does_not_list_is_refused(alice, bob):
    answer = alice.post(bob.inbox, like_from(alice, bob), key_id=f"{alice.actor_id}#other-key")

    assert answer.status == 401
    assert "No key" in answer.body.decode()


def test_a_server_that_accepts_only_draft_cavage_refuses_rfc9421(alice, bob):
    bob.accepts = {"draft-cavage"}

    assert alice.post(bob.inbox, like_from(alice, bob), scheme="rfc9421").status == 401
    assert alice.post(bob.inbox, like_from(alice, bob), scheme="draft-cavage").status == 202


def test_a_peer_that_is_down_answers_503_and_records_nothing(alice, bob):
    bob.down = True

    assert alice.post(bob.inbox, like_from(alice, bob)).status == 503
    assert bob.received == []


def test_webfinger_names_the_actor_and_the_actor_its_key(alice, bob):
    actor = alice.discover(bob.handle)

    assert actor["id"] == bob.actor_id
    assert actor["publicKey"]["owner"] == bob.actor_id
    assert actor["endpoints"]["sharedInbox"] == bob.shared_inbox
    assert actor["icon"]["url"] == bob.avatar_url



def test_in_secure_mode_the_actor_answers_only_signed_fetches(alice, bob):
    bob.secure_mode = True

    with pytest.raises(SignatureProblem, match="answered 401"):
        alice.get_json(bob.actor_id)
    assert alice.signed_get(bob.actor_id).status == 200
    assert bob.signed_fetches == [alice.key_id]


def test_a_neighbour_lives_on_the_same_server_and_shares_its_inbox(alice, bob):
    carol = FakeInstance("carol", "Carol Next Door", neighbour_of=bob).start()

    assert carol.base == bob.base and carol.shared_inbox == bob.shared_inbox
    assert alice.discover(carol.handle)["id"] == carol.actor_id
    assert alice.post(carol.inbox, like_from(alice, carol)).status == 202
    assert alice.post(carol.shared_inbox, like_from(alice, carol)).status == 202
    assert [r.path for r in carol.received] == ["/users/carol/inbox"]
    assert [r.path for r in bob.received] == ["/inbox"]
    carol.stop()  # the server is Bob's: it keeps running
    assert alice.discover(bob.handle)["id"] == bob.actor_id
