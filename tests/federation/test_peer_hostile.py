"""A server that lies or breaks about its own actor gets a clear refusal, never a crash.

The blog learns a sender's key from the sender's own server, so that server is treated as
an attacker: each case below is a fake instance that signs correctly but serves a wrong,
broken or dangerous actor document.
"""

import json

import pytest

from delivery.models import Delivery
from tests.federation.peer import (  # noqa: F401
    ACTIVITY_JSON, blog, deliver, follow_activity, known, make_peer, new_key, peer, public_pem,
)

pytestmark = pytest.mark.django_db(transaction=True)


def key_owned_by_someone_else(peer):
    return {"publicKey": {"id": peer.key_id, "owner": "http://127.0.0.1:9/users/someone",
                          "publicKeyPem": public_pem(peer.key)}}


def another_key(peer):
    return {"publicKey": {"id": peer.key_id, "owner": peer.actor_id, "publicKeyPem": public_pem(new_key())}}


def no_key(peer):
    return {"publicKey": None}


def a_key_that_is_not_pem(peer):
    return {"publicKey": {"id": peer.key_id, "owner": peer.actor_id, "publicKeyPem": "-----BEGIN nonsense"}}


def an_id_of_another_actor(peer):
    return {"id": "http://127.0.0.1:9/users/someone"}


@pytest.mark.parametrize("lie", [key_owned_by_someone_else, another_key, no_key, a_key_that_is_not_pem,
                                 an_id_of_another_actor])
def test_a_sender_whose_actor_document_lies_is_refused_with_401(known, deliver, lie):
    known.actor_changes = lie(known)

    answer = known.post(known.blog_actor["inbox"], follow_activity(known))
    deliver()

    assert answer.status == 401
    assert not Delivery.objects.exists()
    assert known.received == []


@pytest.mark.parametrize("body", [
    (b"<html>Not an actor</html>", "text/html"),
    (b"{not json", ACTIVITY_JSON),
    (b"[]", ACTIVITY_JSON),
    (json.dumps({"id": "x" * 50, "publicKey": "x" * 5_000_000}).encode(), ACTIVITY_JSON),
], ids=["html", "broken-json", "a-list", "five-megabytes"])
def test_a_sender_whose_actor_document_is_not_one_is_refused_with_401(known, deliver, body):
    known.actor_body = body

    answer = known.post(known.blog_actor["inbox"], follow_activity(known))
    deliver()

    assert answer.status == 401
    assert not Delivery.objects.exists()


def test_a_follower_whose_inbox_is_on_a_private_address_is_never_sent_to(known, deliver):
    known.actor_changes = {"inbox": "http://169.254.169.254/latest/meta-data/",
                           "endpoints": {"sharedInbox": "http://10.0.0.1/inbox"}}

    answer = known.post(known.blog_actor["inbox"], follow_activity(known))
    deliver()

    assert answer.status in (202, 400, 401)
    assert not Delivery.objects.filter(status=Delivery.Status.SENT).exists()
    assert not Delivery.objects.filter(status=Delivery.Status.WAITING).exists()
