"""A reader on another server follows the blog and reads its posts in their timeline.

The blog runs on pytest-django's live server; the reader is tests/federation/peer.py, a
Mastodon-like server on 127.0.0.1 that checks every signature it receives on its own.
Deliveries are sent by the queue, run here as the worker would (`deliver`).
"""

from datetime import timedelta

import pytest

from delivery.models import Delivery
from tests.federation.peer import (  # noqa: F401
    AS_PUBLIC, FakeInstance, blog, change_post, deliver, make_peer, peer, publish,
)

pytestmark = pytest.mark.django_db(transaction=True)


def follow(peer, blog, deliver):
    answer = peer.follow(blog.handle)
    assert answer.status == 202, answer.body
    deliver()
    return answer.activity


def test_following_the_blog_is_answered_with_a_signed_accept(blog, peer, deliver):
    follow_activity = follow(peer, blog, deliver)

    [accept] = peer.activities("Accept")
    assert peer.problems() == []
    assert accept["actor"] == peer.blog_actor["id"]
    accepted = accept["object"]
    assert (accepted if isinstance(accepted, str) else accepted["id"]) == follow_activity["id"]
    # To the follower's own inbox, signed draft-cavage as Mastodon expects first.
    [received] = peer.received
    assert (received.path, received.scheme) == ("/users/alice/inbox", "draft-cavage")
    assert received.headers["content-type"].startswith("application/activity+json")


def test_the_blog_is_found_by_webfinger_with_a_key_and_a_shared_inbox(blog, peer):
    actor = peer.discover(blog.handle)

    assert actor["id"].startswith(blog.url + "/")
    assert actor["preferredUsername"] == blog.handle.split("@")[0]
    assert actor["publicKey"]["owner"] == actor["id"]
    assert "BEGIN PUBLIC KEY" in actor["publicKey"]["publicKeyPem"]
    for name in ("inbox", "outbox", "followers"):
        assert actor[name].startswith(blog.url + "/")
    assert actor["endpoints"]["sharedInbox"].startswith(blog.url + "/")


def test_a_published_post_reaches_a_follower_as_a_signed_create_of_an_article(blog, peer, deliver, publish):
    follow(peer, blog, deliver)
    peer.clear()

    post = publish(title="Hello, fediverse", body="A post for **every** follower.")
    deliver()

    [create] = peer.activities("Create")
    assert peer.problems() == []
    article = create["object"]
    assert article["type"] == "Article"
    assert article["name"] == "Hello, fediverse"
    assert "<strong>every</strong>" in article["content"]
    assert article["url"] == blog.url + post.get_absolute_url()
    # The blog, or the post's author as an actor of the blog's own.
    assert article["attributedTo"].startswith(blog.url + "/")
    assert AS_PUBLIC in article["to"] + article.get("cc", [])
    # FEP-b2b8: a short Note for servers that show only notes, linking to the post.
    assert article["preview"]["type"] == "Note"
    assert blog.url + post.get_absolute_url() in article["preview"]["content"]
    # The article's id is not the page's address, and it answers as ActivityPub; the page
    # names it for whoever pastes the page's address in their search box.
    assert article["id"] != article["url"]
    assert blog.article_id(post) == article["id"]
    fetched = peer.get_json(article["id"])
    assert (fetched["id"], fetched["type"]) == (article["id"], "Article")
    # Delivered to the shared inbox, since the peer offers one.
    assert [r.path for r in peer.received] == ["/inbox"]


def test_followers_on_one_server_are_sent_the_post_once_at_its_shared_inbox(blog, peer, deliver, publish):
    carol = FakeInstance("carol", "Carol Next Door", neighbour_of=peer).start()
    follow(peer, blog, deliver)
    follow(carol, blog, deliver)
    peer.clear()

    publish()
    deliver()

    assert [(r.path, r.type) for r in peer.received] == [("/inbox", "Create")]
    assert [r.type for r in carol.received] == ["Accept"]  # her own inbox had only her Accept
    assert peer.problems() == []


def test_a_follower_without_a_shared_inbox_gets_the_post_in_its_own(blog, peer, deliver, publish):
    peer.actor_changes = {"endpoints": None}  # a server that offers no shared inbox
    follow(peer, blog, deliver)
    peer.clear()

    publish()
    deliver()

    assert [(r.path, r.type) for r in peer.received] == [("/users/alice/inbox", "Create")]
    assert peer.problems() == []


def test_the_articles_links_and_images_point_back_to_the_blog(blog, peer, deliver, publish):
    follow(peer, blog, deliver)

    publish(body="See [the archive](/archive-page/) and ![a map](/media/map.png).")
    deliver()

    [create] = peer.activities("Create")
    content = create["object"]["content"]
    assert f'href="{blog.url}/archive-page/"' in content
    assert f'src="{blog.url}/media/map.png"' in content
    assert 'href="/' not in content and 'src="/' not in content


def test_editing_a_post_sends_update_and_unpublishing_sends_delete(blog, peer, deliver, publish, change_post):
    follow(peer, blog, deliver)
    post = publish(title="First title")
    deliver()
    [create] = peer.activities("Create")

    change_post(post, title="A better title")
    deliver()
    [update] = peer.activities("Update")
    assert update["object"]["id"] == create["object"]["id"]
    assert update["object"]["name"] == "A better title"

    change_post(post, status="draft")
    deliver()
    [delete] = peer.activities("Delete")
    deleted = delete["object"]
    assert (deleted if isinstance(deleted, str) else deleted["id"]) == create["object"]["id"]
    assert peer.problems() == []
    # The unpublished post's article is gone for everyone who asks.
    assert blog.get(create["object"]["id"], accept="application/activity+json").status in (404, 410)


def test_deleting_a_post_sends_delete(blog, peer, deliver, publish, client):
    follow(peer, blog, deliver)
    post = publish()
    deliver()
    [create] = peer.activities("Create")

    response = client.post(f"/admin/blog/post/{post.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deliver()

    [delete] = peer.activities("Delete")
    deleted = delete["object"]
    assert (deleted if isinstance(deleted, str) else deleted["id"]) == create["object"]["id"]
    assert peer.problems() == []


def test_a_draft_is_sent_to_nobody(blog, peer, deliver, publish):
    follow(peer, blog, deliver)
    peer.clear()

    publish(status="draft")
    deliver()

    assert peer.received == []
    publish(slug="now-published")  # while a published post does reach the follower
    deliver()
    assert len(peer.activities("Create")) == 1


def test_an_unfollowed_reader_receives_nothing_more(blog, make_peer, deliver, publish):
    alice, bob = make_peer("alice", "Alice Peer"), make_peer("bob", "Bob Elsewhere")
    follow(alice, blog, deliver)
    follow(bob, blog, deliver)
    answer = alice.unfollow()
    assert answer.status == 202, answer.body
    deliver()
    alice.clear()

    publish()
    deliver()

    assert alice.received == []
    assert len(bob.activities("Create")) == 1  # Bob, still following, gets it


def test_every_follower_gets_the_post_once(blog, make_peer, deliver, publish):
    alice, bob = make_peer("alice", "Alice Peer"), make_peer("bob", "Bob Elsewhere")
    follow(alice, blog, deliver)
    follow(bob, blog, deliver)

    publish()
    deliver()

    assert len(alice.activities("Create")) == 1
    assert len(bob.activities("Create")) == 1
    assert alice.problems() == bob.problems() == []


def test_a_follower_that_is_down_gets_the_post_when_it_is_back(blog, peer, deliver, publish, clock):
    follow(peer, blog, deliver)
    peer.clear()
    peer.down = True

    post = publish()  # the author's publish succeeds whatever the followers' servers do
    deliver()

    assert peer.received == []
    waiting = Delivery.objects.filter(status=Delivery.Status.WAITING, attempts__gte=1)
    assert waiting.exists(), "the delivery to the down server was not kept for a retry"
    assert all("503" in delivery.last_error for delivery in waiting)
    assert blog.page(post)  # the post itself is on the blog

    peer.down = False
    clock.move(timedelta(minutes=5))
    deliver()

    [create] = peer.activities("Create")
    assert create["object"]["url"] == blog.url + post.get_absolute_url()
    assert peer.problems() == []
    assert not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()


def test_a_server_that_takes_only_rfc9421_gets_it_after_refusing_draft_cavage(blog, peer, deliver, publish):
    peer.accepts = {"rfc9421"}  # a server that no longer reads draft-cavage signatures

    follow(peer, blog, deliver)
    publish()
    deliver()

    # The first try was refused (401); the blog signed again, RFC 9421, and remembered.
    schemes = [(r.type, r.scheme, bool(r.problem)) for r in peer.received]
    assert schemes[0] == ("Accept", "draft-cavage", True)
    assert ("Accept", "rfc9421", False) in schemes
    assert ("Create", "rfc9421", False) in schemes
    assert ("Create", "draft-cavage", True) not in schemes
    assert len(peer.activities("Accept")) == len(peer.activities("Create")) == 1


def test_a_reader_on_a_server_in_secure_mode_can_follow(blog, peer, deliver, publish):
    peer.secure_mode = True  # Mastodon's AUTHORIZED_FETCH: unsigned fetches of the actor get 401

    follow(peer, blog, deliver)
    publish()
    deliver()

    # The blog signed its fetch of the follower's key, so the follow was taken.
    assert peer.signed_fetches and set(peer.signed_fetches) <= {peer.blog_actor["publicKey"]["id"]}
    assert len(peer.activities("Accept")) == len(peer.activities("Create")) == 1
    assert peer.problems() == []


def test_a_post_published_again_after_unpublishing_is_created_again(blog, peer, deliver, publish, change_post):
    follow(peer, blog, deliver)
    post = publish()
    deliver()
    change_post(post, status="draft")
    deliver()

    change_post(post, status="published")
    deliver()

    kinds = [activity["type"] for activity in peer.activities() if activity["type"] != "Accept"]
    assert kinds == ["Create", "Delete", "Create"]
    assert peer.problems() == []


def test_with_authors_on_a_reader_follows_an_author_and_gets_their_posts(
    blog, make_peer, deliver, publish, author, settings,
):
    settings.ACTIVITYPUB_AUTHORS = True
    publish(slug="first-post")  # an author is an actor once they have a published post
    alice, bob = make_peer("alice", "Alice Peer"), make_peer("bob", "Bob Elsewhere")
    follow(alice, blog, deliver)  # Alice follows the blog
    answer = bob.follow(f"{author.username}@{blog.host}")  # Bob follows the author
    assert answer.status == 202, answer.body
    deliver()
    author_actor = bob.blog_actor
    assert author_actor["id"] != alice.blog_actor["id"]
    [accept] = bob.activities("Accept")
    assert accept["actor"] == author_actor["id"]

    publish(title="Second post", slug="second-post")
    deliver()

    # Bob has the Article from its author; Alice, the blog's boost of it.
    [create] = bob.activities("Create")
    assert create["actor"] == create["object"]["attributedTo"] == author_actor["id"]
    [announce] = alice.activities("Announce")
    assert announce["actor"] == alice.blog_actor["id"]
    announced = announce["object"]
    assert (announced if isinstance(announced, str) else announced["id"]) == create["object"]["id"]
    assert alice.problems() == bob.problems() == []
