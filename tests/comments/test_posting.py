"""Writing a comment or a reply through the form, with and without JavaScript."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from tests.comments.conftest import signed_timestamp

pytestmark = pytest.mark.django_db


def test_a_comment_is_stored_and_the_reader_is_sent_to_its_permalink(post_comment, published_post):
    response = post_comment(published_post, name="Ann", body="First!", ip="203.0.113.5")

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{published_post.get_absolute_url()}#comment-{comment.pk}"
    assert (comment.author_name, comment.body, comment.post) == ("Ann", "First!", published_post)
    assert comment.ip_address == "203.0.113.5"
    assert comment.body_html == "<p>First!</p>\n"


def test_the_stored_address_and_browser_come_from_the_request(client, comment_data, published_post):
    client.post(
        reverse("comments:post", args=[published_post.pk]),
        comment_data(published_post),
        REMOTE_ADDR="203.0.113.77",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
        HTTP_USER_AGENT="Mozilla/5.0 (Test)\x00",
    )

    comment = Comment.objects.get()
    assert comment.ip_address == "203.0.113.77"  # no trusted proxy: the header is ignored
    assert comment.user_agent == "Mozilla/5.0 (Test)"


def test_a_first_comment_is_held_and_shown_only_to_its_author(client, post_comment,
                                                              published_post):
    response = post_comment(published_post, body="Is this on?")
    comment = Comment.objects.get()

    own_view = client.get(response["Location"]).content.decode()
    stranger_view = Client().get(published_post.get_absolute_url()).content.decode()

    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "first comment from this address"
    assert "Is this on?" in own_view and "awaiting moderation" in own_view
    assert f'id="comment-{comment.pk}"' in own_view
    assert "Is this on?" not in stranger_view


def test_a_comment_approved_later_appears_for_everyone(post_comment, published_post, moderator):
    post_comment(published_post, body="Worth the wait.")
    comment = Comment.objects.get()
    comment.approve(by=moderator)

    html = Client().get(published_post.get_absolute_url()).content.decode()
    assert "Worth the wait." in html
    assert "awaiting moderation" not in html


def test_a_reply_nests_under_its_parent(post_comment, published_post, make_comment):
    parent = make_comment()

    response = post_comment(published_post, parent=parent.pk, body="I agree.")

    reply = Comment.objects.get(parent=parent)
    assert response.status_code == 302
    assert reply.depth == 1 and reply.body == "I agree."


def test_the_reply_page_without_javascript_shows_the_parent_and_a_form_for_it(client,
                                                                            make_comment):
    parent = make_comment(name="Grace", body="The original point.")

    response = client.get(reverse("comments:reply", args=[parent.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Reply to Grace" in html and "The original point." in html
    assert f'name="parent" value="{parent.pk}"' in html
    assert f'action="{reverse("comments:post", args=[parent.post_id])}"' in html


@pytest.mark.parametrize("status", [Comment.Status.PENDING, Comment.Status.SPAM])
def test_the_reply_page_of_a_comment_not_shown_is_not_found(client, make_comment, status):
    parent = make_comment(status=status)

    assert client.get(reverse("comments:reply", args=[parent.pk])).status_code == 404


def test_the_post_page_loads_the_reply_script_from_a_file(client, published_post):
    html = client.get(published_post.get_absolute_url()).content.decode()

    assert '<script src="/static/js/comments.js" defer></script>' in html
    assert "<script>" not in html


def test_a_reply_to_a_comment_on_another_post_is_refused(post_comment, published_post,
                                                         make_post, make_comment):
    elsewhere = make_comment(post=make_post())

    response = post_comment(published_post, parent=elsewhere.pk)

    assert response.status_code == 400
    assert "You can only reply to a comment on this post." in response.content.decode()
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("status", [Comment.Status.PENDING, Comment.Status.REJECTED,
                                    Comment.Status.SPAM])
def test_a_reply_to_a_comment_not_approved_is_refused(post_comment, published_post, make_comment,
                                                      status):
    parent = make_comment(status=status)

    response = post_comment(published_post, parent=parent.pk)

    assert response.status_code == 400
    assert "That comment is not published" in response.content.decode()
    assert Comment.objects.count() == 1


def test_a_reply_deeper_than_the_maximum_is_refused(post_comment, published_post, make_comment,
                                                    site_rules):
    site_rules(comments_max_depth=2)
    top = make_comment()
    deepest = make_comment(parent=make_comment(parent=top))
    assert deepest.depth == 2

    response = post_comment(published_post, parent=deepest.pk)

    assert response.status_code == 400
    assert "nested as deep as it can go" in response.content.decode()
    assert Comment.objects.count() == 3


def test_a_reply_to_a_comment_that_does_not_exist_is_refused(post_comment, published_post):
    for parent in ("999999", "99999999999999999999", "-3", "x"):
        assert post_comment(published_post, parent=parent).status_code == 400
    assert Comment.objects.count() == 0


def test_comments_on_a_post_with_comments_disabled_are_closed(client, post_comment, make_post):
    post = make_post(comments_enabled=False)

    html = client.get(post.get_absolute_url()).content.decode()
    response = post_comment(post)

    assert "Comments are closed on this post." in html
    assert 'id="comment-form"' not in html
    assert response.status_code == 403
    assert Comment.objects.count() == 0


def test_comments_close_the_configured_number_of_days_after_publication(client, post_comment,
                                                                        make_post, site_rules):
    site_rules(comments_close_after_days=30)
    old = make_post(age=timedelta(days=31))
    recent = make_post(age=timedelta(days=29))

    assert post_comment(old).status_code == 403
    assert "Comments are closed" in client.get(old.get_absolute_url()).content.decode()
    assert post_comment(recent).status_code == 302
    assert Comment.objects.filter(post=recent).count() == 1


def test_comments_never_close_by_age_when_no_limit_is_set(post_comment, make_post, site_rules):
    site_rules(comments_close_after_days=None)
    ancient = make_post(age=timedelta(days=5000))

    assert post_comment(ancient).status_code == 302


def test_the_reply_page_of_a_closed_post_says_so_without_a_form(client, make_post, make_comment):
    parent = make_comment(post=make_post(comments_enabled=False))

    html = client.get(reverse("comments:reply", args=[parent.pk])).content.decode()

    assert "Comments are closed on this post." in html
    assert 'id="comment-form"' not in html


def test_a_draft_takes_no_comments(post_comment, make_post):
    draft = make_post(status="draft")

    assert post_comment(draft).status_code == 404


def test_a_get_on_the_posting_url_stores_nothing(client, published_post):
    response = client.get(reverse("comments:post", args=[published_post.pk]))

    assert response.status_code == 405
    assert Comment.objects.count() == 0


def test_a_filled_honeypot_is_refused(post_comment, published_post):
    response = post_comment(published_post, honeypot="http://spam.example")

    assert response.status_code == 400
    assert Comment.objects.count() == 0


@pytest.mark.parametrize("timestamp", ["", "garbage", "1:2:3", "12345:abcdef"])
def test_a_forged_timestamp_is_refused(post_comment, published_post, timestamp):
    response = post_comment(published_post, timestamp=timestamp)

    assert response.status_code == 400
    assert Comment.objects.count() == 0


def test_a_timestamp_made_for_another_post_is_refused(post_comment, published_post, make_post):
    other = make_post()

    response = post_comment(published_post, timestamp=signed_timestamp(other))

    assert response.status_code == 400
    assert "not made by this page" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_form_older_than_two_hours_asks_for_a_reload_and_keeps_the_text(post_comment,
                                                                        published_post):
    response = post_comment(
        published_post,
        body="My long and careful comment.",
        timestamp=signed_timestamp(published_post, age=timedelta(hours=2, minutes=1)),
    )
    html = response.content.decode()

    assert response.status_code == 400
    assert "reload the page" in html
    assert "My long and careful comment." in html
    assert Comment.objects.count() == 0


def test_a_form_opened_an_hour_ago_is_accepted(post_comment, published_post):
    response = post_comment(
        published_post, timestamp=signed_timestamp(published_post, age=timedelta(hours=1))
    )

    assert response.status_code == 302


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "This field is required."),
        ("name", "\u200b\u202e\u2066", "Enter a name made of visible letters."),
        ("name", "x" * 101, "at most 100 characters"),
        ("email", "not-an-email", "Enter a valid email address."),
        ("email", "a" * 250 + "@example.org", "at most 254 characters"),
        ("url", "javascript:alert(1)", "starting with http:// or https://"),
        ("url", "ftp://example.org/", "starting with http:// or https://"),
        ("url", "https://example.org/" + "a" * 200, "at most 200 characters"),
        ("body", "", "This field is required."),
        ("body", "x" * 5001, "at most 5000 characters"),
        ("body", "nul\x00byte", "Null characters are not allowed."),
    ],
)
def test_bad_fields_get_a_clear_error_tied_to_the_field(post_comment, published_post, field,
                                                        value, message):
    response = post_comment(published_post, **{field: value})
    html = response.content.decode()

    assert response.status_code == 400
    assert message in html
    assert f'id="comment-form-{field}_error"' in html
    assert f'aria-describedby="comment-form-{field}' in html
    assert 'aria-invalid="true"' in html
    assert Comment.objects.count() == 0


def test_the_longest_allowed_fields_are_accepted(post_comment, published_post):
    response = post_comment(
        published_post,
        name="n" * 100,
        email="e" * 64 + "@" + "d" * 63 + "." + "d" * 63 + "." + "d" * 57 + ".org",
        url="https://example.org/" + "p" * 180,
        body="b" * 5000,
    )

    assert response.status_code == 302
    assert len(Comment.objects.get().body) == 5000


def test_invisible_and_bidi_characters_are_stripped_from_names(post_comment, published_post):
    post_comment(published_post, name="\u202eAda\u200b Love\u2066lace\u200d  \u00ad")

    assert Comment.objects.get().author_name == "Ada Lovelace"


def test_a_website_without_scheme_gets_https(post_comment, published_post):
    post_comment(published_post, url="example.org/me")

    assert Comment.objects.get().author_url == "https://example.org/me"


def test_the_commenters_website_is_linked_as_user_content(client, published_post, make_comment):
    make_comment(name="Ann", author_url="http://ann.example.org/")

    html = client.get(published_post.get_absolute_url()).content.decode()

    assert '<a href="http://ann.example.org/" rel="nofollow ugc noopener">Ann</a>' in html


def test_markup_in_a_comment_is_limited_to_the_comment_allowlist(post_comment, published_post):
    post_comment(
        published_post,
        body="# Heading\n\n![img](https://x.example/i.png)\n\n<script>alert(1)</script>\n\n"
             "*fine* and [a link](https://example.org)",
    )

    html = Comment.objects.get().body_html
    assert "<h1>" not in html and "<img" not in html and "<script>" not in html
    assert "<em>fine</em>" in html
    assert 'rel="nofollow ugc noopener"' in html


def test_a_logged_in_users_name_and_email_are_filled_in(client, published_post, make_user):
    user = make_user("grace", first_name="Grace", last_name="Hopper", email="grace@example.org")
    client.force_login(user)

    html = client.get(published_post.get_absolute_url()).content.decode()

    assert 'value="Grace Hopper"' in html


def test_the_form_labels_every_field(client, published_post):
    html = client.get(published_post.get_absolute_url()).content.decode()

    for field in ("name", "email", "url", "body", "notify", "honeypot"):
        assert f'for="comment-form-{field}"' in html
        assert f'id="comment-form-{field}"' in html
    assert 'aria-describedby="comment-form-email_helptext"' in html
