"""A reply from Mastodon becomes a comment, moderated like one from the form."""

import pytest
from django.utils import timezone

from blog.site import SiteSettings
from comments import moderation
from comments.models import BlocklistEntry, Comment, ModerationLog
from delivery.models import Delivery
from federation import replies
from federation.models import Reaction, RemoteReply
from tests.comments.conftest import make_comment, moderator  # noqa: F401
from tests.federation.fediverse import fediverse  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(fediverse):  # noqa: F811
    return fediverse.account("alice", display_name="Alice Liddell")


@pytest.fixture
def post(published_post):
    return published_post


def article(post):
    return f"http://testserver/ap/posts/{post.pk}"


def reply(client, account, in_reply_to, content="<p>Lovely post.</p>", **note_fields):
    note = account.note(in_reply_to, content, **note_fields)
    response = account.post(client, account.activity("Create", note))
    return response, note


def test_a_reply_to_a_post_waits_in_the_queue_like_a_first_comment(client, alice, post, moderator):  # noqa: F811
    response, note = reply(client, alice, article(post))

    assert response.status_code == 202
    comment = Comment.objects.get()
    assert comment.post == post and comment.parent is None
    assert comment.origin == Comment.Origin.FEDIVERSE
    assert comment.remote_id == note["id"]
    assert comment.author_name == "Alice Liddell"
    assert comment.author_url == alice.server.url("/@alice")
    assert comment.author_email == ""
    assert comment.body == "Lovely post."
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "first comment from this address"
    assert RemoteReply.objects.get(comment=comment).actor.uri == alice.uri
    # The moderators hear of it as of any comment waiting for them.
    [notice] = Delivery.objects.filter(channel="email")
    assert notice.recipient == moderator.email and f"comment-{comment.pk}.held" in notice.key


def test_a_reply_to_the_permalink_is_taken_too(client, alice, post):
    response, _ = reply(client, alice, "http://testserver" + post.get_absolute_url())

    assert response.status_code == 202 and Comment.objects.get().post == post


def test_with_moderation_off_a_reply_is_published_at_once(client, alice, post, site_rules):
    site_rules(comment_moderation=SiteSettings.Moderation.OFF)

    reply(client, alice, article(post))

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.APPROVED
    assert comment.log.get().reason == "moderation is off"


def test_the_blocklist_applies_to_fediverse_replies(client, alice, post, site_rules):
    site_rules(comment_moderation=SiteSettings.Moderation.OFF)
    BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.WORD, value="casino")

    reply(client, alice, article(post), "<p>Best casino in town</p>")

    assert Comment.objects.get().status == Comment.Status.SPAM


def test_the_links_rule_counts_real_links_but_not_mentions_and_hashtags(client, alice, post, site_rules):
    site_rules(comment_moderation=SiteSettings.Moderation.OFF)
    content = (
        '<p><span class="h-card"><a href="http://testserver/" class="u-url mention">@<span>blog</span></a></span> '
        'so true <a href="https://social.example/tags/history" class="mention hashtag" rel="tag">#<span>history</span></a> '
        '<span class="h-card"><a href="https://social.example/@bob" class="u-url mention">@<span>bob</span></a></span></p>'
    )

    reply(client, alice, article(post), content)

    comment = Comment.objects.get()
    assert comment.body == "so true #history @bob"
    # The profile link alone: below the links rule, so published with moderation off.
    assert comment.status == Comment.Status.APPROVED


def test_remote_html_is_never_kept_and_goes_through_the_sanitizer(client, alice, post, site_rules):
    site_rules(comment_moderation=SiteSettings.Moderation.OFF)
    content = ('<p>Hi <script>alert(1)</script><img src="https://x.example/a.png" onerror="x()">'
               '<a href="javascript:alert(1)">click</a> <em>there</em></p>')

    reply(client, alice, article(post), content)

    comment = Comment.objects.get()
    assert "<script" not in comment.body_html and "onerror" not in comment.body_html
    assert "javascript:" not in comment.body_html
    assert "<img" not in comment.body_html
    assert "<em>there</em>" in comment.body_html


def test_a_reply_to_a_comment_nests_under_it(client, alice, post, make_comment):  # noqa: F811
    parent = make_comment(post=post)

    reply(client, alice, f"http://testserver/ap/comments/{parent.pk}")

    assert Comment.objects.get(origin=Comment.Origin.FEDIVERSE).parent == parent


def test_a_reply_to_a_fediverse_comment_nests_under_it(client, alice, fediverse, post, site_rules):  # noqa: F811
    site_rules(comment_moderation=SiteSettings.Moderation.OFF)
    bob = fediverse.account("bob")
    _, first = reply(client, alice, article(post))

    reply(client, bob, first["id"], "<p>Agreed.</p>")

    answer = Comment.objects.get(author_name="Bob")
    assert answer.parent.remote_id == first["id"]


def test_a_reply_past_the_deepest_level_goes_under_the_deepest_allowed(
    client, alice, post, make_comment, site_rules  # noqa: F811
):
    site_rules(comments_max_depth=1)
    top = make_comment(post=post)
    deepest = make_comment(parent=top)

    reply(client, alice, f"http://testserver/ap/comments/{deepest.pk}")

    assert Comment.objects.get(origin=Comment.Origin.FEDIVERSE).parent == top


def test_two_people_replying_the_same_words_are_two_comments(client, alice, fediverse, post):  # noqa: F811
    reply(client, alice, article(post), "<p>Thanks!</p>")
    reply(client, fediverse.account("bob"), article(post), "<p>Thanks!</p>")

    assert Comment.objects.filter(body="Thanks!").count() == 2


def test_the_same_note_twice_is_one_comment(client, alice, post):
    _, note = reply(client, alice, article(post))
    alice.post(client, alice.activity("Create", note))

    assert Comment.objects.count() == 1


def test_a_note_that_replies_to_nothing_of_ours_is_ignored(client, alice, post):
    response, _ = reply(client, alice, "https://elsewhere.example/notes/1")

    assert response.status_code == 202 and not Comment.objects.exists()


def test_a_reply_on_a_closed_post_is_refused(client, alice, make_post):
    closed = make_post(comments_enabled=False)

    response, _ = reply(client, alice, article(closed))

    assert response.status_code == 403 and not Comment.objects.exists()


def test_a_note_of_someone_else_is_refused(client, alice, post):
    response, _ = reply(client, alice, article(post), attributedTo="https://elsewhere.example/users/eve")

    assert response.status_code == 400 and not Comment.objects.exists()


def test_a_note_too_long_for_a_comment_is_refused(client, alice, post):
    response, _ = reply(client, alice, article(post), "<p>" + "word " * 1200 + "</p>")

    assert response.status_code == 400 and not Comment.objects.exists()


def test_a_note_whose_markup_is_far_longer_than_any_comment_is_refused_unread(client, alice, post):
    # Empty elements, many of them: a few words, but markup whose cleaning would cost
    # seconds if it were nested instead.
    content = "<p>" + "<b></b>" * (replies.CONTENT_MAX_LENGTH // 7 + 1) + "A few words.</p>"

    response, _ = reply(client, alice, article(post), content)

    assert response.status_code == 400
    assert f"at most {replies.CONTENT_MAX_LENGTH:,} characters" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_note_with_as_much_markup_as_a_long_comment_is_taken(client, alice, post):
    content = "<p>" + "<b></b>" * ((replies.CONTENT_MAX_LENGTH - 100) // 7) + "A few words.</p>"

    response, _ = reply(client, alice, article(post), content)

    assert response.status_code == 202
    assert Comment.objects.get().body == "A few words."


def test_its_author_can_edit_it_through_the_same_rules(client, alice, post, site_rules):
    site_rules(comment_moderation=SiteSettings.Moderation.OFF)
    _, note = reply(client, alice, article(post))
    edited = {**note, "content": "<p>Lovely post, really.</p>"}

    response = alice.post(client, alice.activity("Update", edited))

    assert response.status_code == 202
    comment = Comment.objects.get()
    assert comment.body == "Lovely post, really." and comment.edited_at is not None
    assert comment.log.filter(previous_body="Lovely post.").exists()


def test_an_edit_that_adds_links_sends_it_back_to_the_queue(client, alice, post, site_rules):
    site_rules(comment_moderation=SiteSettings.Moderation.OFF)
    _, note = reply(client, alice, article(post))
    edited = {**note, "content": '<p>Buy <a href="https://a.example">a</a> <a href="https://b.example">b</a></p>'}

    alice.post(client, alice.activity("Update", edited))

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING and "links" in comment.held_reason


def test_only_its_author_may_edit_or_delete_it(client, alice, fediverse, post):  # noqa: F811
    _, note = reply(client, alice, article(post))
    mallory = fediverse.account("mallory")
    forged = {**note, "content": "<p>Forged</p>", "attributedTo": mallory.uri}

    assert mallory.post(client, mallory.activity("Update", forged)).status_code == 403
    assert mallory.post(client, mallory.activity("Delete", note["id"])).status_code == 403
    assert Comment.objects.get().body == "Lovely post."


def test_its_author_deleting_it_withdraws_it_like_a_commenter_would(client, alice, post):
    _, note = reply(client, alice, article(post))

    response = alice.post(client, alice.activity("Delete", {"id": note["id"], "type": "Tombstone"}))

    assert response.status_code == 202
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.REJECTED
    assert comment.body == "" and comment.author_name == "" and comment.author_url == ""
    assert not RemoteReply.objects.exists()
    assert ModerationLog.objects.filter(comment=comment, reason="Deleted by its author.").exists()


def test_a_deleted_account_takes_its_replies_likes_and_follow_with_it(client, alice, post):
    reply(client, alice, article(post))
    alice.post(client, alice.activity("Like", article(post)))
    alice.post(client, alice.activity("Follow", "http://testserver/ap/actors/blog"))

    response = alice.post(client, alice.activity("Delete", alice.uri))

    assert response.status_code == 202
    assert Comment.objects.get().body == ""
    assert not Reaction.objects.exists()
    assert not alice_follows()


def alice_follows():
    from federation.models import Follower

    return Follower.objects.exists()


def test_an_approved_fediverse_reply_shows_in_the_thread_marked_as_such(client, alice, post, moderator):  # noqa: F811
    reply(client, alice, article(post))
    moderation.moderate(Comment.objects.get(), "approve", by=moderator)

    page = client.get(post.get_absolute_url()).content.decode()

    assert "Alice Liddell" in page and "Lovely post." in page
    assert "via the fediverse" in page
    assert alice.server.url("/@alice") in page
    assert "a.png" not in page


def test_likes_and_boosts_are_counted_once_per_account_and_shown(client, alice, fediverse, post):  # noqa: F811
    bob = fediverse.account("bob")
    alice.post(client, alice.activity("Like", article(post)))
    alice.post(client, alice.activity("Like", article(post)))
    bob.post(client, bob.activity("Like", "http://testserver" + post.get_absolute_url()))
    bob.post(client, bob.activity("Announce", article(post)))

    assert Reaction.objects.counts_for(post) == {"like": 2, "announce": 1}
    page = client.get(post.get_absolute_url()).content.decode()
    assert "2 likes" in page and "1 boost" in page


def test_undoing_a_like_uncounts_it_and_refreshes_the_page(
    client, alice, post, django_capture_on_commit_callbacks
):
    like = alice.activity("Like", article(post))
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(client, like)
    assert "1 like" in client.get(post.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        alice.post(client, alice.activity("Undo", like))

    assert not Reaction.objects.exists()
    assert "1 like" not in client.get(post.get_absolute_url()).content.decode()


def test_a_like_of_something_not_ours_is_ignored(client, alice):
    response = alice.post(client, alice.activity("Like", "https://elsewhere.example/notes/1"))

    assert response.status_code == 202 and not Reaction.objects.exists()


def test_the_post_page_links_to_its_activitypub_json(client, post, settings):
    settings.SITE_URL = "http://testserver"
    page = client.get(post.get_absolute_url()).content.decode()

    assert (f'<link rel="alternate" type="application/activity+json" '
            f'href="http://testserver/ap/posts/{post.pk}">') in page


def test_turned_off_the_post_page_has_no_activitypub_link(client, post, settings):
    settings.ACTIVITYPUB_ENABLED = False
    assert "application/activity+json" not in client.get(post.get_absolute_url()).content.decode()


def test_a_reply_is_dated_when_it_arrives(client, alice, post):
    before = timezone.now()
    reply(client, alice, article(post), published="2001-01-01T00:00:00Z")

    assert Comment.objects.get().created_at >= before


def test_the_queue_and_the_admin_say_where_a_reply_came_from(client, alice, post, moderator):  # noqa: F811
    _, note = reply(client, alice, article(post))
    client.force_login(moderator)

    queue = client.get("/comments/moderation/").content.decode()
    assert "the fediverse (ActivityPub)" in queue and note["id"] in queue
    assert "Why held" in queue and "first comment from this address" in queue

    moderator.is_superuser = True
    moderator.save()
    comment = Comment.objects.get()
    listing = client.get("/admin/comments/comment/?origin__exact=fediverse").content.decode()
    assert "Alice Liddell" in listing
    assert note["id"] in client.get(f"/admin/comments/comment/{comment.pk}/change/").content.decode()


@pytest.mark.parametrize("attributed", [
    ["https://elsewhere.example/users/eve"], {"id": "https://elsewhere.example/users/eve"}, None, [], 7,
])
def test_a_note_attributed_oddly_is_refused(client, alice, post, attributed):
    response, _ = reply(client, alice, article(post), attributedTo=attributed)

    assert response.status_code == 400 and not Comment.objects.exists()


@pytest.mark.parametrize("in_reply_to", [None, 5, ["x"], {"id": None}, "http://testserver/ap/posts/99999999999999999999"])
def test_an_odd_in_reply_to_is_ignored(client, alice, post, in_reply_to):
    response, _ = reply(client, alice, in_reply_to)

    assert response.status_code == 202 and not Comment.objects.exists()


@pytest.mark.parametrize("audience", [
    {"to": ["http://testserver/ap/actors/blog"]},
    {"to": ["http://127.0.0.1/users/alice/followers"], "cc": ["http://testserver/ap/actors/blog"]},
    {"to": []},
])
def test_a_private_or_direct_reply_never_becomes_a_public_comment(client, alice, post, audience):
    response, _ = reply(client, alice, article(post), **audience)

    assert response.status_code == 202 and not Comment.objects.exists()


def test_an_unlisted_reply_is_taken(client, alice, post):
    response, _ = reply(client, alice, article(post), to=["http://127.0.0.1/users/alice/followers"],
                        cc=["https://www.w3.org/ns/activitystreams#Public"])

    assert response.status_code == 202 and Comment.objects.count() == 1
