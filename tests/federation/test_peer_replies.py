"""A reader replies from their own server; the reply becomes a comment on the post.

It waits for a moderator like a comment from the form, shows in the thread "via the
fediverse" once approved, follows its author's edits and deletion, and a moderator's
reply to it reaches its author's server, threaded under their Note. Likes and boosts are
counted on the post; a deleted account leaves nothing behind.
"""

import re
from html import escape

import pytest

from comments.models import Comment
from tests.comments.conftest import comment_data, moderator, post_comment  # noqa: F401
from tests.federation.peer import blog, deliver, make_peer, peer, publish  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def reply(peer, blog, deliver, in_reply_to, text, **options):
    if peer.blog_actor is None:
        peer.blog_actor = peer.discover(blog.handle)
    answer = peer.reply(in_reply_to, text, **options)
    assert answer.status == 202, answer.body
    deliver()
    return answer.activity


def approve(client, moderator, comment):
    client.force_login(moderator)
    response = client.post("/comments/moderation/decide/", {"decide": f"approve:{comment.pk}"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED


def test_a_reply_from_the_fediverse_waits_for_a_moderator_with_its_reason(
    blog, peer, deliver, published_post, client, moderator,
):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "What a lovely post.")

    comment = Comment.objects.get(remote_id=note["id"])
    assert comment.post == published_post and comment.parent is None
    assert comment.origin == Comment.Origin.FEDIVERSE
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason
    assert (comment.author_name, comment.author_url, comment.author_email) == (
        "Alice Peer", peer.profile_url, "")
    assert comment.body.strip() == "What a lovely post."
    assert "What a lovely post." not in blog.page(published_post)

    client.force_login(moderator)
    queue = client.get("/comments/moderation/").content.decode()
    assert "Alice Peer" in queue and "What a lovely post." in queue
    assert escape(comment.held_reason) in queue


def test_an_approved_reply_shows_in_the_thread_via_the_fediverse_without_an_avatar(
    blog, peer, deliver, published_post, client, moderator,
):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "What a lovely post.")
    comment = Comment.objects.get(remote_id=note["id"])

    approve(client, moderator, comment)

    page = blog.page(published_post)
    item = re.search(rf'<li id="comment-{comment.pk}".*?</article>', page, re.S).group(0)
    assert "What a lovely post." in item
    assert "via the fediverse" in item
    assert f'href="{peer.profile_url}"' in item and "Alice Peer" in item
    assert peer.avatar_url not in page
    assert not [path for path, _ in peer.fetched if path.startswith("/avatars/")]


def test_remote_html_is_not_kept_as_it_came(blog, peer, deliver, published_post, client, moderator):
    hostile = ('Nice <script>alert("x")</script><img src=x onerror=alert(1)> '
               '<a href="javascript:alert(2)">read</a>')
    note = reply(peer, blog, deliver, blog.article_id(published_post), hostile)
    comment = Comment.objects.get(remote_id=note["id"])
    approve(client, moderator, comment)

    page = blog.page(published_post)
    item = re.search(rf'<li id="comment-{comment.pk}".*?</article>', page, re.S).group(0)
    assert "Nice" in item
    for danger in ("<script", "onerror", "javascript:", "<img"):
        assert danger not in comment.body_html
        assert danger not in item


def test_a_reply_to_a_fediverse_comment_nests_under_it(
    blog, make_peer, deliver, published_post, client, moderator,
):
    alice, bob = make_peer("alice", "Alice Peer"), make_peer("bob", "Bob Elsewhere")
    first = reply(alice, blog, deliver, blog.article_id(published_post), "First!")
    parent = Comment.objects.get(remote_id=first["id"])
    approve(client, moderator, parent)

    answer = reply(bob, blog, deliver, first["id"], "Replying to Alice.")

    child = Comment.objects.get(remote_id=answer["id"])
    assert (child.parent, child.depth, child.post) == (parent, 1, published_post)
    assert child.status == Comment.Status.PENDING
    approve(client, moderator, child)
    page = blog.page(published_post)
    assert re.search(
        rf'<li id="comment-{parent.pk}".*?<ol class="comment-replies"><li id="comment-{child.pk}"', page, re.S
    ), "Bob's reply is not nested under Alice's comment"


def test_an_edit_of_the_reply_reaches_the_comment(blog, peer, deliver, published_post, client, moderator):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "Frist post.")
    comment = Comment.objects.get(remote_id=note["id"])
    approve(client, moderator, comment)

    answer = peer.edit_reply(note, "First post, spelled right.")
    assert answer.status == 202, answer.body
    deliver()

    comment.refresh_from_db()
    assert comment.body.strip() == "First post, spelled right."
    assert comment.edited_at is not None
    page = blog.page(published_post)
    assert "Frist post." not in page
    if comment.status == Comment.Status.APPROVED:
        assert "First post, spelled right." in page


def test_a_deletion_of_the_reply_takes_the_comment_away(blog, peer, deliver, published_post, client, moderator):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "Soon to be gone.")
    approve(client, moderator, Comment.objects.get(remote_id=note["id"]))
    assert "Soon to be gone." in blog.page(published_post)

    answer = peer.delete_reply(note)
    assert answer.status == 202, answer.body
    deliver()

    assert "Soon to be gone." not in blog.page(published_post)
    assert not Comment.objects.filter(remote_id=note["id"], status=Comment.Status.APPROVED).exists()


def test_only_its_author_may_edit_or_delete_a_reply(blog, make_peer, deliver, published_post, client, moderator):
    alice, mallory = make_peer("alice", "Alice Peer"), make_peer("mallory", "Mallory")
    note = reply(alice, blog, deliver, blog.article_id(published_post), "Alice's own words.")
    comment = Comment.objects.get(remote_id=note["id"])
    approve(client, moderator, comment)
    mallory.blog_actor = mallory.discover(blog.handle)

    forged = {**note, "attributedTo": mallory.actor_id, "content": "<p>Words put in Alice's mouth.</p>"}
    update = mallory.post(mallory.blog_shared_inbox, {
        "id": f"{mallory.actor_id}#updates/1", "type": "Update", "actor": mallory.actor_id, "object": forged,
    })
    delete = mallory.post(mallory.blog_shared_inbox, {
        "id": f"{mallory.actor_id}#deletes/1", "type": "Delete", "actor": mallory.actor_id,
        "object": {"id": note["id"], "type": "Tombstone"},
    })
    deliver()

    assert update.status < 500 and delete.status < 500
    comment.refresh_from_db()
    assert (comment.body.strip(), comment.status) == ("Alice's own words.", Comment.Status.APPROVED)
    page = blog.page(published_post)
    assert "own words." in page and "put in Alice" not in page


def test_a_moderators_reply_reaches_the_reader_threaded_under_their_note(
    blog, peer, deliver, published_post, client, moderator,
):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "Is there a part two?")
    comment = Comment.objects.get(remote_id=note["id"])
    peer.clear()

    client.force_login(moderator)
    response = client.post(f"/comments/moderation/{comment.pk}/reply/", {"body": "Yes, next **week**."})
    assert response.status_code == 302
    deliver()

    [create] = peer.activities("Create")
    assert peer.problems() == []
    answer = create["object"]
    assert answer["type"] == "Note"
    assert answer["inReplyTo"] == note["id"]
    assert "<strong>week</strong>" in answer["content"]
    assert peer.actor_id in answer.get("to", []) + answer.get("cc", [])
    assert {"type": "Mention", "href": peer.actor_id} in [
        {key: tag.get(key) for key in ("type", "href")} for tag in answer.get("tag", [])
    ]
    # The reply's Note answers as ActivityPub at its id, on the blog.
    assert answer["id"].startswith(blog.url + "/")
    assert peer.get_json(answer["id"])["inReplyTo"] == note["id"]


def test_a_moderators_reply_rejected_afterwards_is_deleted_on_the_readers_server(
    blog, peer, deliver, published_post, client, moderator,
):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "Is there a part two?")
    comment = Comment.objects.get(remote_id=note["id"])
    client.force_login(moderator)
    client.post(f"/comments/moderation/{comment.pk}/reply/", {"body": "Yes, next week."})
    deliver()
    [create] = peer.activities("Create")
    staff_reply = Comment.objects.get(parent=comment, user=moderator)

    response = client.post("/comments/moderation/decide/", {"decide": f"reject:{staff_reply.pk}"})
    assert response.status_code == 302
    deliver()

    [delete] = peer.activities("Delete")
    deleted = delete["object"]
    assert (deleted if isinstance(deleted, str) else deleted["id"]) == create["object"]["id"]
    assert peer.problems() == []


def test_the_readers_answer_to_the_moderators_reply_nests_under_it(
    blog, peer, deliver, published_post, client, moderator,
):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "Is there a part two?")
    comment = Comment.objects.get(remote_id=note["id"])
    client.force_login(moderator)
    client.post(f"/comments/moderation/{comment.pk}/reply/", {"body": "Yes, next week."})
    deliver()
    [create] = peer.activities("Create")

    # On Mastodon the reader answers the reply they see in their timeline, by its id.
    answer = reply(peer, blog, deliver, create["object"]["id"], "Thank you!")

    stored = Comment.objects.get(remote_id=answer["id"])
    assert stored.parent == Comment.objects.get(parent=comment, user=moderator)
    assert stored.depth == 2


def test_the_post_authors_reply_from_the_site_reaches_the_reader_too(
    blog, peer, deliver, make_post, author, client, moderator, post_comment,
):
    post = make_post(author=author, title="By Ada")
    note = reply(peer, blog, deliver, blog.article_id(post), "Who took the photographs?")
    comment = Comment.objects.get(remote_id=note["id"])
    approve(client, moderator, comment)
    peer.clear()

    client.force_login(author)
    response = post_comment(post, parent=comment.pk, name="Ada Author", email="ada@example.org",
                            body="I did, in 2012.")
    assert response.status_code == 302
    answer = Comment.objects.get(parent=comment, user=author)
    if answer.status == Comment.Status.PENDING:
        approve(client, moderator, answer)
    deliver()

    [create] = peer.activities("Create")
    assert create["object"]["inReplyTo"] == note["id"]
    assert "I did, in 2012." in create["object"]["content"]
    assert peer.problems() == []


def test_a_readers_reply_from_the_site_is_not_sent_to_the_fediverse(
    blog, peer, deliver, published_post, client, moderator, post_comment,
):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "Anyone else here?")
    comment = Comment.objects.get(remote_id=note["id"])
    approve(client, moderator, comment)
    peer.clear()
    client.logout()

    response = post_comment(published_post, parent=comment.pk, name="A reader", body="Me!")
    assert response.status_code == 302
    answer = Comment.objects.get(parent=comment)
    approve(client, moderator, answer)
    deliver()

    assert peer.received == []


@pytest.mark.parametrize("scheme", ["rfc9421", "rfc9421-detailed"])
def test_a_reply_signed_rfc9421_is_taken_like_any_other(blog, peer, deliver, published_post, scheme):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "Signed the new way.", scheme=scheme)

    comment = Comment.objects.get(remote_id=note["id"])
    assert comment.origin == Comment.Origin.FEDIVERSE


def test_a_note_that_answers_nothing_of_ours_is_not_a_comment(blog, peer, deliver, published_post):
    note = reply(peer, blog, deliver, "https://elsewhere.example/notes/1", "Talking about something else.")
    ours = reply(peer, blog, deliver, blog.article_id(published_post), "Talking about the post.")

    assert not Comment.objects.filter(remote_id=note["id"]).exists()
    assert Comment.objects.filter(remote_id=ours["id"]).exists()


@pytest.mark.parametrize("visibility, becomes_a_comment", [
    ("public", True), ("unlisted", True), ("private", False), ("direct", False),
])
def test_only_a_reply_addressed_to_the_public_becomes_a_comment(
    blog, peer, deliver, published_post, visibility, becomes_a_comment,
):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "For whom?", visibility=visibility)

    assert Comment.objects.filter(remote_id=note["id"]).exists() is becomes_a_comment


def test_the_same_reply_delivered_twice_is_one_comment(blog, peer, deliver, published_post):
    note = reply(peer, blog, deliver, blog.article_id(published_post), "Said once.")
    again = peer.post(peer.blog_shared_inbox, peer.wrap("Create", note))
    deliver()

    assert again.status < 500
    assert Comment.objects.filter(remote_id=note["id"]).count() == 1


def test_a_like_and_a_boost_are_counted_on_the_post_and_undone(blog, peer, deliver, published_post):
    from federation.models import Reaction

    def shown():
        """The counts as a reader of the post's page reads them."""
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", blog.page(published_post)))
        return [words for words in ("1 like", "1 boost") if words in text]

    peer.blog_actor = peer.discover(blog.handle)
    article = blog.article_id(published_post)
    assert shown() == []

    like, boost = peer.like(article), peer.announce(article)
    again = peer.like(article)
    deliver()
    assert (like.status, boost.status) == (202, 202) and again.status < 500
    assert Reaction.objects.counts_for(published_post) == {"like": 1, "announce": 1}
    assert shown() == ["1 like", "1 boost"]

    assert peer.undo(like.activity).status == 202
    deliver()
    assert Reaction.objects.counts_for(published_post) == {"like": 0, "announce": 1}
    assert shown() == ["1 boost"]

    assert peer.undo(boost.activity).status == 202
    deliver()
    assert Reaction.objects.counts_for(published_post) == {"like": 0, "announce": 0}
    assert shown() == []


def test_a_deleted_account_leaves_no_comment_follow_or_like_behind(
    blog, make_peer, deliver, published_post, client, moderator, publish,
):
    alice, bob = make_peer("alice", "Alice Peer"), make_peer("bob", "Bob Elsewhere")
    for peer in (alice, bob):
        assert peer.follow(blog.handle).status == 202
    note = reply(alice, blog, deliver, blog.article_id(published_post), "Soon my account is gone.")
    approve(client, moderator, Comment.objects.get(remote_id=note["id"]))
    assert alice.like(blog.article_id(published_post)).status == 202
    deliver()
    before = blog.page(published_post)
    assert "Soon my account is gone." in before and "1 like" in before
    alice.clear()

    answer = alice.delete_account()
    deliver()

    assert answer.status == 202, answer.body
    page = blog.page(published_post)
    assert "Soon my account is gone." not in page and "1 like" not in page
    publish()
    deliver()
    assert alice.received == []
    assert len(bob.activities("Create")) == 1  # Bob, still following, gets the post
