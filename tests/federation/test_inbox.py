"""What the inbox accepts: signed activities only, each refusal with its status."""

import base64
import hashlib
import json
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from email.utils import format_datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519

from comments.models import Comment
from delivery.models import Delivery
from federation import signatures
from federation.models import Block, Follower, LocalActor, ReceivedActivity, RemoteActor
from tests.federation.fediverse import fediverse, private_pem, public_pem, rsa_key  # noqa: F401

pytestmark = pytest.mark.django_db

BLOG = "http://testserver/ap/actors/blog"


@pytest.fixture
def alice(fediverse):  # noqa: F811
    return fediverse.account("alice")


def follow(account):
    return account.activity("Follow", BLOG)


def test_a_follow_signed_as_mastodon_signs_is_accepted_and_answered(client, alice, send_queued):
    activity = follow(alice)
    response = alice.post(client, activity)

    assert response.status_code == 202
    follower = Follower.objects.get()
    assert follower.actor.uri == alice.uri and follower.follow_id == activity["id"]
    [delivery] = Delivery.objects.filter(channel="activitypub")
    assert delivery.recipient == alice.inbox

    assert send_queued() == ["sent"]
    [(path, headers, body)] = alice.server.posted
    assert path == "/users/alice/inbox"
    accept = json.loads(body)
    assert accept["type"] == "Accept" and accept["actor"] == BLOG
    assert accept["object"]["id"] == activity["id"]
    assert headers["Content-Type"] == "application/activity+json"
    # Signed with the blog's key, as the remote server will check it.
    request = signatures.Request(
        method="POST", url=alice.inbox, body=body,
        headers={name.lower(): value for name, value in headers.items()},
    )
    assert signatures.verify(request, LocalActor.blog().public_key_pem) == "cavage"
    assert 'keyId="http://testserver/ap/actors/blog#main-key"' in headers["Signature"]


def test_a_follow_to_the_actors_own_inbox_is_accepted_too(client, alice):
    response = alice.post(client, follow(alice), path="/ap/actors/blog/inbox")

    assert response.status_code == 202 and Follower.objects.count() == 1


def test_an_rfc9421_signature_is_accepted(client, alice):
    response = alice.post(client, follow(alice), signing="rfc9421")

    assert response.status_code == 202, response.content
    assert Follower.objects.count() == 1


def test_undo_of_a_follow_removes_the_follower(client, alice):
    activity = follow(alice)
    alice.post(client, activity)

    response = alice.post(client, alice.activity("Undo", activity))

    assert response.status_code == 202
    assert not Follower.objects.exists()


def test_undo_naming_the_follow_by_its_id_alone_works_too(client, alice):
    activity = follow(alice)
    alice.post(client, activity)

    assert alice.post(client, alice.activity("Undo", activity["id"])).status_code == 202
    assert not Follower.objects.exists()


def test_an_unsigned_activity_is_refused(client, alice):
    response = alice.post(client, follow(alice), signing=None)

    assert response.status_code == 401
    assert not Follower.objects.exists()


def test_a_signature_by_another_key_is_refused(client, alice, fediverse):  # noqa: F811
    mallory_key = fediverse.account("mallory").key
    response = alice.post(client, follow(alice), key=mallory_key)

    assert response.status_code == 401 and not Follower.objects.exists()


def test_a_stale_date_is_refused(client, alice):
    old = format_datetime(datetime.now(dt_timezone.utc) - timedelta(hours=2), usegmt=True)

    response = alice.post(client, follow(alice), date=old)

    assert response.status_code == 401
    assert "Date" in response.json()["error"]


def test_a_date_in_the_future_beyond_the_skew_is_refused(client, alice):
    ahead = format_datetime(datetime.now(dt_timezone.utc) + timedelta(hours=2), usegmt=True)
    assert alice.post(client, follow(alice), date=ahead).status_code == 401


def test_a_digest_that_does_not_match_the_body_is_refused(client, alice):
    response = alice.post(client, follow(alice), digest="SHA-256=" + "A" * 43 + "=")

    assert response.status_code == 401
    assert "Digest" in response.json()["error"]


def test_a_signature_that_leaves_the_digest_uncovered_is_refused(client, alice):
    response = alice.post(client, follow(alice), covered="(request-target) host date")

    assert response.status_code == 401 and not Follower.objects.exists()


def test_a_body_changed_after_signing_is_refused(client, alice):
    activity = follow(alice)
    headers = alice.cavage_headers(json.dumps(activity).encode())
    activity["object"] = "http://testserver/ap/actors/other"
    response = client.generic("POST", "/ap/inbox", json.dumps(activity).encode(),
                              content_type="application/activity+json", **headers)

    assert response.status_code == 401


def test_an_oversized_body_is_refused_before_it_is_read(client, alice, settings):
    settings.ACTIVITYPUB_INBOX_MAX_BYTES = 1000
    activity = follow(alice)
    activity["padding"] = "x" * 2000

    response = alice.post(client, activity)

    assert response.status_code == 413
    assert not RemoteActor.objects.exists()  # no key was fetched for it


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"Follow"', b"\xff\xfe",
                                  b'{"type": "Follow", "actor": "x"}', b'{"id": 5, "type": "Follow"}',
                                  b"[" * 50_000 + b"]" * 50_000])
def test_what_is_not_an_activity_is_a_bad_request(client, alice, body):
    response = alice.post(client, body)

    assert response.status_code == 400
    assert response.json()["error"]


def test_an_activity_of_a_type_we_do_not_act_on_is_accepted_and_ignored(client, alice):
    response = alice.post(client, alice.activity("Flag", BLOG))

    assert response.status_code == 202
    assert b"ignored" in response.content


def test_a_follow_of_someone_else_is_a_bad_request(client, alice):
    response = alice.post(client, alice.activity("Follow", "http://testserver/ap/actors/nobody"))

    assert response.status_code == 400 and not Follower.objects.exists()


def test_the_inbox_of_an_actor_we_do_not_have_is_a_json_404(client, alice):
    response = alice.post(client, follow(alice), path="/ap/actors/nobody/inbox")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "No such actor."}
    assert not Follower.objects.exists()


def test_the_signer_must_be_the_activitys_actor(client, alice, fediverse):  # noqa: F811
    bob = fediverse.account("bob")
    activity = bob.activity("Follow", BLOG)

    response = alice.post(client, activity)

    assert response.status_code == 401 and not Follower.objects.exists()


def test_a_blocked_instance_is_refused_before_anything_is_fetched(client, alice):
    Block.objects.create(kind=Block.Kind.INSTANCE, value="127.0.0.1")

    response = alice.post(client, follow(alice))

    assert response.status_code == 403
    assert alice.server.hits == [] and not Follower.objects.exists()


def test_a_blocked_actor_is_refused(client, alice):
    Block.objects.create(kind=Block.Kind.ACTOR, value=alice.uri)

    assert alice.post(client, follow(alice)).status_code == 403


def test_a_replayed_activity_is_not_applied_twice(client, alice):
    activity = follow(alice)
    assert alice.post(client, activity).status_code == 202
    Follower.objects.all().delete()

    response = alice.post(client, activity)

    assert response.status_code == 202 and response.content == b"already received"
    assert not Follower.objects.exists()
    assert ReceivedActivity.objects.count() == 1


def test_an_instance_past_its_rate_is_told_to_wait(client, alice, settings):
    settings.ACTIVITYPUB_INBOX_RATE = "2/1m"
    assert alice.post(client, alice.activity("Flag", BLOG)).status_code == 202
    assert alice.post(client, alice.activity("Flag", BLOG)).status_code == 202

    response = alice.post(client, alice.activity("Flag", BLOG))

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_key_is_fetched_once_and_then_kept(client, alice):
    alice.post(client, alice.activity("Flag", BLOG))
    alice.post(client, alice.activity("Flag", BLOG))

    assert alice.server.hits.count("/users/alice") == 1


def test_a_rotated_key_is_fetched_again_before_refusing(client, alice):
    alice.post(client, alice.activity("Flag", BLOG))
    RemoteActor.objects.update(fetched_at=datetime.now(dt_timezone.utc) - timedelta(hours=1))
    alice.rotate_key()

    response = alice.post(client, follow(alice))

    assert response.status_code == 202
    assert alice.server.hits.count("/users/alice") == 2


def test_a_key_that_cannot_be_fetched_is_refused(client, alice):
    del alice.server.routes["/users/alice"]

    assert alice.post(client, follow(alice)).status_code == 401


def test_keys_on_private_addresses_are_never_fetched(client, alice, settings):
    settings.FETCH_ALLOW_LOOPBACK = False

    response = alice.post(client, follow(alice))

    assert response.status_code == 401
    assert alice.server.hits == []


def test_only_post_is_allowed(client):
    assert client.get("/ap/inbox").status_code == 405


def test_a_key_document_of_another_host_is_not_believed(client, alice, fediverse):  # noqa: F811
    document = alice.document()
    document["publicKey"]["id"] = "https://elsewhere.example/users/alice#main-key"
    alice.server.routes["/users/alice"].body = json.dumps(document).encode()

    assert alice.post(client, follow(alice)).status_code == 401


def test_our_signer_and_verifier_agree_on_both_formats():
    key_pem = private_pem(rsa_key("carol"))
    for sign in (signatures.sign_cavage, signatures.sign_rfc9421):
        body = b'{"type": "Note"}'
        headers = sign(method="POST", url="https://blog.example/ap/inbox", body=body,
                       key_id="https://x.example/users/carol#main-key", private_key_pem=key_pem)
        request = signatures.Request(method="POST", url="https://blog.example/ap/inbox", body=body,
                                     headers={k.lower(): v for k, v in headers.items()})
        signatures.verify(request, public_pem(rsa_key("carol")))
        request.body = b'{"type": "Other"}'
        with pytest.raises(signatures.BadSignature):
            signatures.verify(request, public_pem(rsa_key("carol")))


@pytest.mark.parametrize("activity_id", [
    "https://elsewhere.example/activities/1", "javascript:alert(1)", "http://127.0.0.1/" + "a" * 2100,
])
def test_an_activity_id_not_on_its_actors_server_is_a_bad_request(client, alice, activity_id):
    activity = follow(alice)
    activity["id"] = activity_id

    assert alice.post(client, activity).status_code == 400
    assert not Follower.objects.exists()


def test_remembered_activity_ids_are_forgotten_after_their_retention(client, alice):
    ReceivedActivity.objects.create(
        digest="0" * 64, activity_id="https://old.example/1",
        received_at=datetime.now(dt_timezone.utc) - ReceivedActivity.RETENTION - timedelta(minutes=1),
    )

    alice.post(client, follow(alice))

    assert list(ReceivedActivity.objects.values_list("activity_id", flat=True)) != ["https://old.example/1"]
    assert not ReceivedActivity.objects.filter(activity_id="https://old.example/1").exists()


@pytest.mark.parametrize("document_change", [
    {"type": ["Person"]}, {"type": None}, {"publicKey": "not a key"}, {"publicKey": {"id": 5}},
    {"inbox": ["x", {"href": 3}]}, {"id": {"nested": [[[]]]}},
    {"publicKey": {"id": "K", "owner": "O", "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nAAAA"}},
])
def test_a_malformed_actor_document_is_a_refusal_not_an_error(client, alice, document_change):
    document = {**alice.document(), **document_change}
    alice.server.routes["/users/alice"].body = json.dumps(document).encode()

    assert alice.post(client, follow(alice)).status_code == 401
    assert not Follower.objects.exists()


def test_an_actor_document_nested_without_bound_is_refused(client, alice):
    alice.server.routes["/users/alice"].body = b"[" * 100_000 + b"]" * 100_000

    assert alice.post(client, follow(alice)).status_code == 401


@pytest.mark.parametrize("undone", [{"type": ["Follow"], "id": "http://127.0.0.1/x"}, {"id": None}, 5, None])
def test_a_malformed_undo_is_a_bad_request(client, alice, undone):
    assert alice.post(client, alice.activity("Undo", undone)).status_code == 400


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/octet-stream"])
def test_a_body_that_says_it_is_not_json_is_refused_with_415(client, alice, content_type):
    body = json.dumps(follow(alice)).encode()

    response = client.generic("POST", "/ap/inbox", body, content_type=content_type, **alice.cavage_headers(body))

    assert response.status_code == 415
    assert "application/activity+json" in response.json()["error"]
    assert not Follower.objects.exists() and alice.server.hits == []


@pytest.mark.parametrize("content_type", ["application/activity+json", "application/json",
                                          'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
                                          "Application/Activity+JSON; charset=utf-8", ""])
def test_every_json_content_type_is_taken(client, alice, content_type):
    body = json.dumps(follow(alice)).encode()

    response = client.generic("POST", "/ap/inbox", body, content_type=content_type, **alice.cavage_headers(body))

    assert response.status_code == 202 and Follower.objects.count() == 1


def _reply(alice, article, **fields):
    return alice.activity("Create", {**alice.note(article), **fields})


# Where an attacker may put text no database can hold: a NUL (PostgreSQL refuses it) or an
# unpaired surrogate (which no database can encode as UTF-8).
UNSTORABLE_PLACES = {
    "the activity id": lambda alice, article, bad: {**follow(alice), "id": alice.server.url(f"/activities/{bad}")},
    "the reply's id": lambda alice, article, bad: _reply(alice, article, id=alice.server.url(f"/statuses/{bad}")),
    "inReplyTo": lambda alice, article, bad: _reply(alice, article, inReplyTo=f"https://elsewhere.example/{bad}"),
    "the content": lambda alice, article, bad: _reply(alice, article, content=f"<p>Hello {bad} there.</p>"),
    "the content warning": lambda alice, article, bad: _reply(alice, article, summary=f"Spoiler {bad}"),
    "the followed actor": lambda alice, article, bad: alice.activity("Follow", BLOG + bad),
    "the undone activity": lambda alice, article, bad: alice.activity("Undo", alice.server.url(f"/follows/{bad}")),
    "the deleted note": lambda alice, article, bad: alice.activity("Delete", alice.server.url(f"/statuses/{bad}")),
    "the profile's name": lambda alice, article, bad: alice.activity("Update", {**alice.document(), "name": bad}),
    "a field nobody reads": lambda alice, article, bad: {**follow(alice), "extra": {bad: [bad]}},
}


@pytest.mark.parametrize("bad", ["\u0000", "\ud800"], ids=["NUL", "lone-surrogate"])
@pytest.mark.parametrize("place", UNSTORABLE_PLACES)
def test_text_no_database_can_store_is_a_bad_request_wherever_it_is(client, alice, make_post, place, bad):
    article = f"http://testserver/ap/posts/{make_post().pk}"
    assert alice.post(client, alice.activity("Flag", BLOG)).status_code == 202  # alice is known
    activity = UNSTORABLE_PLACES[place](alice, article, bad)

    response = alice.post(client, activity)

    assert response.status_code == 400
    assert "NUL character or an unpaired surrogate" in response.json()["error"]
    assert not Follower.objects.exists() and not Comment.objects.exists()
    assert RemoteActor.objects.get().name == "Alice"
    assert ReceivedActivity.objects.count() == 1


@pytest.mark.parametrize("bad", ["\u0000", "\ud800"], ids=["NUL", "lone-surrogate"])
def test_an_actor_document_holding_text_no_database_can_store_is_refused(client, alice, bad):
    alice.server.routes["/users/alice"].body = json.dumps({**alice.document(), "preferredUsername": bad}).encode()

    response = alice.post(client, follow(alice))

    assert response.status_code == 401
    assert "NUL character or an unpaired surrogate" in response.json()["error"]
    assert not RemoteActor.objects.exists() and not Follower.objects.exists()


@pytest.mark.parametrize("date", [
    "Mon, 01 Jan 99999999999999999999 00:00:00 GMT", "Mon, 01 Jan 2026 00:00:00 +99999999999999999999",
    "Mon, 01 Jan 9999 23:59:59 -2359", "Mon, 32 Jan 2026 00:00:00 GMT", "Mon, 01 Jan 2026 25:61:61 GMT",
    "yesterday", "1" * 5000, "\u00ff",
])
def test_a_date_header_out_of_any_range_is_refused_with_401(client, alice, date):
    response = alice.post(client, follow(alice), date=date)

    assert response.status_code == 401
    assert "Date" in response.json()["error"]
    assert not Follower.objects.exists()


def test_an_rfc9421_signature_over_another_body_says_it_does_not_match(client, alice):
    signed = json.dumps(follow(alice)).encode()
    headers = alice.rfc9421_headers(signed)
    swapped = json.dumps(follow(alice)).encode()
    headers["HTTP_CONTENT_DIGEST"] = f"sha-256=:{base64.b64encode(hashlib.sha256(swapped).digest()).decode()}:"

    response = client.generic("POST", "/ap/inbox", swapped, content_type="application/activity+json", **headers)

    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    assert not Follower.objects.exists()


def test_two_signature_headers_in_one_request_are_refused_before_any_key_is_fetched(client, alice, fediverse):  # noqa: F811
    mallory = fediverse.account("mallory")
    body = json.dumps(follow(alice)).encode()
    headers = alice.cavage_headers(body)
    # Two Signature headers reach Django joined by a comma, as WSGI servers join repeated headers.
    headers["HTTP_SIGNATURE"] += ", " + mallory.cavage_headers(body)["HTTP_SIGNATURE"]

    response = client.generic("POST", "/ap/inbox", body, content_type="application/activity+json", **headers)

    assert response.status_code == 401
    assert "twice" in response.json()["error"]
    assert fediverse.server.hits == [] and not Follower.objects.exists()


@pytest.mark.parametrize("inbox", [
    "https://victim.example/inbox", "https://127.0.0.1.victim.example/inbox",
    "http://127.0.0.1/users/alice/in box", "http://127.0.0.1/users/alice/in\tbox", "http://127.0.0.1/users/\u00e4/inbox",
    "http://127.0.0.1/users/alice/inbox\x7f",
])
def test_an_actor_whose_inbox_we_could_not_or_should_not_send_to_is_refused(client, alice, inbox):
    alice.server.routes["/users/alice"].body = json.dumps({**alice.document(), "inbox": inbox}).encode()

    response = alice.post(client, follow(alice))

    assert response.status_code == 401
    assert "inbox" in response.json()["error"]
    assert not RemoteActor.objects.exists() and not Delivery.objects.exists()


def test_a_shared_inbox_on_another_server_is_not_used(client, alice):
    document = {**alice.document(), "endpoints": {"sharedInbox": "https://victim.example/inbox"}}
    alice.server.routes["/users/alice"].body = json.dumps(document).encode()

    assert alice.post(client, follow(alice)).status_code == 202

    actor = RemoteActor.objects.get()
    assert actor.shared_inbox == "" and actor.delivery_inbox == alice.inbox


@pytest.mark.parametrize("key_id", [
    "file:///etc/passwd", "ftp://127.0.0.1/key", "javascript:alert(1)", "data:text/plain,key", "urn:uuid:1234",
    "http://[::1", "http://localhost:99999/key", "http://user:secret@127.0.0.1/key", "http://127.0.0.1/key",
    "http://[::ffff:127.0.0.1]/key", "http://2130706433/key", "http://0x7f000001/key", "http://10.0.0.1/key",
    "http://169.254.169.254/latest/meta-data/", "http://" + "a" * 300 + ".example/key", "http://a..b/key",
    "http://127.0.0.1/" + "k" * 20_000, "",
])
def test_a_key_id_we_must_not_or_cannot_fetch_is_refused_with_401_and_never_fetched(client, alice, settings, key_id):
    settings.FETCH_ALLOW_LOOPBACK = False
    body = json.dumps(follow(alice)).encode()
    headers = alice.cavage_headers(body)
    headers["HTTP_SIGNATURE"] = headers["HTTP_SIGNATURE"].replace(alice.key_id, key_id)

    response = client.generic("POST", "/ap/inbox", body, content_type="application/activity+json", **headers)

    assert response.status_code == 401 and response.json()["error"]
    assert alice.server.hits == [] and not RemoteActor.objects.exists()


@pytest.mark.parametrize("signature", [
    ",,,", "keyId=5", 'keyId="', 'keyId="x" signature="y"', 'algorithm="rsa-sha256"', "\u00ff" * 50,
    'keyId="{key_id}",algorithm="ed25519",headers="(request-target) host date digest",signature="AAAA"',
    'keyId="{key_id}",headers="(request-target) host date digest",signature="!!not base64!!"',
    'keyId="{key_id}",headers="(request-target) host date digest (created)",signature="AAAA"',
    'keyId="{key_id}",headers="(request-target) host date digest x-missing",signature="AAAA"',
    'keyId="{key_id}",headers="",signature="AAAA"',
])
def test_a_malformed_signature_header_is_refused_with_401(client, alice, signature):
    body = json.dumps(follow(alice)).encode()
    headers = {**alice.cavage_headers(body), "HTTP_SIGNATURE": signature.format(key_id=alice.key_id)}

    response = client.generic("POST", "/ap/inbox", body, content_type="application/activity+json", **headers)

    assert response.status_code == 401 and response.json()["error"]
    assert not Follower.objects.exists()


@pytest.mark.parametrize("digest", ["SHA-256", "SHA-256=", "=", ",,,", "MD5=abc", "SHA-256=\u00ff",
                                    "SHA-256=%%%", "sha-512=abc", "SHA-256=" + "A" * 10_000])
def test_a_malformed_digest_is_refused_with_401(client, alice, digest):
    response = alice.post(client, follow(alice), digest=digest)

    assert response.status_code == 401 and "Digest" in response.json()["error"]
    assert not Follower.objects.exists()


@pytest.mark.parametrize("signature_input", [
    'sig1=();keyid="{key_id}"',
    'sig1=("@method" "@target-uri" "content-digest");created=999999999999999;keyid="{key_id}"',
    'sig1=("@method" "@target-uri" "content-digest");created=-999999999999999;keyid="{key_id}"',
    'sig1=("@method" "@target-uri" "content-digest");created=99999999999999999999;keyid="{key_id}"',
    'sig1=("@method" "@target-uri" "content-digest");created="soon";keyid="{key_id}"',
    'sig1=("@method" "@target-uri" "content-digest" "@query-param");created={now};keyid="{key_id}"',
    'sig1=("@method" "@target-uri" "content-digest" "@status");created={now};keyid="{key_id}"',
    'sig1=("@method" "@target-uri" "content-digest" "content-digest");created={now};keyid="{key_id}"',
    'sig1=("@method" "@target-uri" "content-digest");created={now};alg="hmac-sha256";keyid="{key_id}"',
    'garbage;keyid="{key_id}"',
    'sig1=("@method" "@target-uri" "content-digest");created={now};keyid="{key_id}", sig2=("@method");keyid="x"',
])
def test_a_malformed_rfc9421_signature_input_is_refused_with_401(client, alice, signature_input):
    body = json.dumps(follow(alice)).encode()
    headers = alice.rfc9421_headers(body)
    now = int(datetime.now(dt_timezone.utc).timestamp())
    headers["HTTP_SIGNATURE_INPUT"] = signature_input.format(key_id=alice.key_id, now=now)

    response = client.generic("POST", "/ap/inbox", body, content_type="application/activity+json", **headers)

    assert response.status_code == 401 and response.json()["error"]
    assert not Follower.objects.exists()


@pytest.mark.parametrize("content_length", ["abc", "-5", "1e3", "9" * 30])
def test_a_content_length_that_is_no_size_is_refused(client, alice, content_length):
    body = json.dumps(follow(alice)).encode()

    response = client.generic("POST", "/ap/inbox", body, content_type="application/activity+json",
                              CONTENT_LENGTH=content_length, **alice.cavage_headers(body))

    assert response.status_code in (400, 413)
    assert alice.server.hits == [] and not Follower.objects.exists()


def _note(alice, article, **fields):
    return {**alice.note(article), **fields}


# Each field of an activity or its Note given as what it should not be: the activity is
# refused (400) or taken and ignored (202), and nothing is stored either way.
MISSHAPEN = {
    "actor as a list": lambda alice, article: {**follow(alice), "actor": [alice.uri]},
    "actor as a number": lambda alice, article: {**follow(alice), "actor": 5},
    "actor as an object without id": lambda alice, article: {**follow(alice), "actor": {"type": "Person"}},
    "type as a list": lambda alice, article: {**follow(alice), "type": ["Follow"]},
    "type as null": lambda alice, article: {**follow(alice), "type": None},
    "id as a number": lambda alice, article: {**follow(alice), "id": 7},
    "id not an address": lambda alice, article: {**follow(alice), "id": "urn:uuid:5"},
    "id relative": lambda alice, article: {**follow(alice), "id": "/activities/1"},
    "id on another host": lambda alice, article: {**follow(alice), "id": "https://victim.example/1"},
    "object as a number": lambda alice, article: alice.activity("Create", 5),
    "object as a list": lambda alice, article: alice.activity("Create", [alice.note(article)]),
    "object as null": lambda alice, article: alice.activity("Follow", None),
    "followed object as a list": lambda alice, article: alice.activity("Follow", [BLOG]),
    "to as a number": lambda alice, article: alice.activity("Create", _note(alice, article, to=5)),
    "to as an object": lambda alice, article: alice.activity("Create", _note(alice, article, to={"id": "x"})),
    "inReplyTo as a list": lambda alice, article: alice.activity("Create", _note(alice, article, inReplyTo=[article])),
    "inReplyTo as a number": lambda alice, article: alice.activity("Create", _note(alice, article, inReplyTo=5)),
    "inReplyTo past any id": lambda alice, article: alice.activity(
        "Create", _note(alice, article, inReplyTo="http://testserver/ap/posts/" + "9" * 40)),
    "inReplyTo huge": lambda alice, article: alice.activity(
        "Create", _note(alice, article, inReplyTo="https://x.example/" + "a" * 50_000)),
    "content as a list": lambda alice, article: alice.activity("Create", _note(alice, article, content=["<p>x</p>"])),
    "content as an object": lambda alice, article: alice.activity("Create", _note(alice, article, content={"en": "x"})),
    "content too long": lambda alice, article: alice.activity("Create", _note(alice, article, content="word " * 2000)),
    "attributedTo as a number": lambda alice, article: alice.activity("Create", _note(alice, article, attributedTo=5)),
    "attributedTo empty": lambda alice, article: alice.activity("Create", _note(alice, article, attributedTo=[])),
    "attributedTo someone else": lambda alice, article: alice.activity(
        "Create", _note(alice, article, attributedTo=[alice.uri, "https://victim.example/users/v"])),
    "note id as a number": lambda alice, article: alice.activity("Create", _note(alice, article, id=5)),
    "note id on another host": lambda alice, article: alice.activity(
        "Create", _note(alice, article, id="https://victim.example/statuses/1")),
    "liked object as an object of nothing": lambda alice, article: alice.activity("Like", {"id": 5}),
    "liked post past any id": lambda alice, article: alice.activity("Like", "http://testserver/ap/posts/" + "9" * 40),
    "undone object as a number": lambda alice, article: alice.activity("Undo", 5),
    "deleted object as a list": lambda alice, article: alice.activity("Delete", [alice.uri]),
    "profile update without a key": lambda alice, article: alice.activity(
        "Update", {**alice.document(), "publicKey": None}),
    "profile update with a type list": lambda alice, article: alice.activity(
        "Update", {**alice.document(), "type": ["Person"]}),
}


@pytest.mark.parametrize("shape", MISSHAPEN)
def test_a_misshapen_activity_is_refused_or_ignored_and_stores_nothing(client, alice, make_post, shape):
    post = make_post()
    article = f"http://testserver/ap/posts/{post.pk}"
    alice.post(client, alice.activity("Flag", BLOG))  # alice is known, as she was
    known = RemoteActor.objects.values().get()

    response = alice.post(client, MISSHAPEN[shape](alice, article))

    assert response.status_code in (400, 202)
    if response.status_code == 400:
        assert response.json()["error"]
    assert not Comment.objects.exists() and not Follower.objects.exists()
    assert not post.reactions.exists()
    assert RemoteActor.objects.values().get() == known


@pytest.mark.parametrize("body", [
    b"1" * 5000, b"null", b"true", b"3.5", b'{"id": 1' + b"1" * 5000 + b"}", "{}".encode("utf-16"), b"\x00" * 10,
    b'{"id": "http://127.0.0.1/a", "type": "Follow", "actor": "http://127.0.0.1/u", "object": '
    + b"[" * 5000 + b"]" * 5000 + b"}",
])
def test_a_body_that_is_no_json_object_is_a_bad_request(client, alice, body):
    response = alice.post(client, body)

    assert response.status_code == 400 and response.json()["error"]
    assert not Follower.objects.exists()


def _key_of_kind(kind):
    def public(private_key):
        return private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    unknown_algorithm = base64.b64encode(bytes.fromhex("300f300706032a0304050003040000ff")).decode()
    return {
        "ec": lambda: public(ec.generate_private_key(ec.SECP256R1())),
        "ed25519": lambda: public(ed25519.Ed25519PrivateKey.generate()),
        "dsa": lambda: public(dsa.generate_private_key(1024)),
        "private": lambda: private_pem(rsa_key("alice")),
        "certificate": lambda: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "unknown-algorithm": lambda: f"-----BEGIN PUBLIC KEY-----\n{unknown_algorithm}\n-----END PUBLIC KEY-----\n",
        "empty": lambda: "",
        "huge": lambda: "A" * 200_000,
    }[kind]()


@pytest.mark.parametrize("kind", ["ec", "ed25519", "dsa", "private", "certificate", "unknown-algorithm",
                                  "empty", "huge"])
def test_an_actor_key_that_is_no_rsa_public_key_is_refused_with_401(client, alice, kind):
    document = alice.document()
    document["publicKey"]["publicKeyPem"] = _key_of_kind(kind)
    alice.server.routes["/users/alice"].body = json.dumps(document).encode()

    response = alice.post(client, follow(alice))

    assert response.status_code == 401 and response.json()["error"]
    assert not Follower.objects.exists()


@pytest.mark.parametrize("change, expected", [
    ({"name": "x" * 100_000}, {"name": "x" * 200}),
    ({"name": {"en": "Alice"}, "preferredUsername": ["alice"]}, {"name": "", "username": ""}),
    ({"url": [{"href": 5}, "javascript:alert(1)"]}, {"profile_url": "{uri}"}),
    ({"url": "javascript:alert(1)"}, {"profile_url": "{uri}"}),
    ({"endpoints": [1, 2]}, {"shared_inbox": ""}),
    ({"endpoints": {"sharedInbox": ["x", 5]}}, {"shared_inbox": ""}),
])
def test_odd_fields_of_an_actor_document_are_kept_within_bounds(client, alice, change, expected):
    alice.server.routes["/users/alice"].body = json.dumps({**alice.document(), **change}).encode()

    assert alice.post(client, follow(alice)).status_code == 202

    actor = RemoteActor.objects.get()
    for field, value in expected.items():
        assert getattr(actor, field) == value.format(uri=alice.uri)
