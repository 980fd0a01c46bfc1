"""With ACTIVITYPUB_AUTHORS, each author with a published post is an actor of their own,
who publishes their posts; the blog boosts them to its followers."""

import json

import pytest

from blog.models import AuthorProfile
from federation.models import Follower, LocalActor
from tests.federation.fediverse import fediverse  # noqa: F401

pytestmark = pytest.mark.django_db

AP = "application/activity+json"
ADA = "http://testserver/ap/actors/author"
BLOG = "http://testserver/ap/actors/blog"


@pytest.fixture
def authors_on(settings):
    settings.SITE_URL = "http://testserver"
    settings.ACTIVITYPUB_AUTHORS = True


@pytest.fixture
def ada_post(make_post, author):
    return make_post(author=author, title="Ada's notes")


def test_an_author_with_a_published_post_is_found_by_webfinger(client, authors_on, ada_post):
    document = client.get("/.well-known/webfinger", {"resource": "acct:author@testserver"}).json()

    [self_link] = [link for link in document["links"] if link["rel"] == "self"]
    assert self_link["href"] == ADA
    [page] = [link for link in document["links"] if link["rel"].endswith("profile-page")]
    assert page["href"] == "http://testserver/authors/author/"


def test_authors_are_not_actors_unless_turned_on(client, settings, ada_post):
    settings.SITE_URL = "http://testserver"
    assert client.get("/.well-known/webfinger", {"resource": "acct:author@testserver"}).status_code == 404
    assert client.get("/ap/actors/author", HTTP_ACCEPT=AP).status_code == 404


def test_an_author_without_a_published_post_is_no_actor(client, authors_on, make_post, author):
    make_post(author=author, status="draft")

    assert client.get("/.well-known/webfinger", {"resource": "acct:author@testserver"}).status_code == 404
    assert client.get("/ap/actors/author", HTTP_ACCEPT=AP).status_code == 404


def test_an_authors_actor_has_their_name_bio_and_own_key(client, authors_on, ada_post, author):
    AuthorProfile.objects.create(user=author, display_name="Ada L.", bio="Counts things.")

    document = client.get("/ap/actors/author", HTTP_ACCEPT=AP).json()

    assert document["id"] == ADA and document["name"] == "Ada L."
    assert "Counts things." in document["summary"]
    assert document["url"] == "http://testserver/authors/author/"
    assert document["publicKey"]["publicKeyPem"] == LocalActor.objects.get(username="author").public_key_pem
    assert document["publicKey"]["publicKeyPem"] != LocalActor.blog().public_key_pem
    response = client.get("/ap/actors/author")
    assert response.status_code == 302 and response["Location"] == "/authors/author/"


def test_an_authors_post_is_theirs_and_their_outbox_lists_only_theirs(client, authors_on, ada_post, make_post):
    make_post(title="Someone else's")

    article = client.get(f"/ap/posts/{ada_post.pk}", HTTP_ACCEPT=AP).json()
    assert article["attributedTo"] == ADA
    outbox = client.get("/ap/actors/author/outbox", HTTP_ACCEPT=AP).json()
    assert [item["object"]["name"] for item in outbox["orderedItems"]] == ["Ada's notes"]


def test_following_an_author_is_answered_by_the_author(client, authors_on, ada_post, fediverse, send_queued):  # noqa: F811
    alice = fediverse.account("alice")
    follow = alice.activity("Follow", ADA)

    assert alice.post(client, follow).status_code == 202
    assert Follower.objects.get().local_actor.username == "author"
    send_queued()
    [(_, headers, body)] = fediverse.server.posted
    assert json.loads(body)["actor"] == ADA
    assert f'keyId="{ADA}#main-key"' in headers["Signature"]


def test_an_authors_new_post_comes_from_them_and_the_blog_boosts_it(
    client, authors_on, ada_post, fediverse, send_queued, make_post, author  # noqa: F811
):
    alice, bob = fediverse.account("alice"), fediverse.account("bob")
    document = bob.document()
    del document["endpoints"]
    bob.server.routes["/users/bob"].body = json.dumps(document).encode()
    alice.post(client, alice.activity("Follow", ADA))     # alice follows Ada
    bob.post(client, bob.activity("Follow", BLOG))        # bob follows the blog
    send_queued()
    fediverse.server.posted.clear()

    post = make_post(author=author, title="Fresh")
    send_queued(), send_queued()

    sent = [(path, json.loads(body)) for path, _, body in fediverse.server.posted]
    creates = {path: a for path, a in sent if a["type"] == "Create"}
    assert set(creates) == {"/inbox", "/users/bob/inbox"}
    assert all(a["actor"] == ADA and a["object"]["attributedTo"] == ADA for a in creates.values())
    [(path, announce)] = [(p, a) for p, a in sent if a["type"] == "Announce"]
    assert path == "/users/bob/inbox"
    assert announce["actor"] == BLOG and announce["object"] == f"http://testserver/ap/posts/{post.pk}"
