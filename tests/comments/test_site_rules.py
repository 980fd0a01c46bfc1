"""The comment rules of the site settings take effect on the next comment and the next page,
cached or not: moderation on or off, reply depth, closing after N days, comments per page,
and the blocklist and hold keywords."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from blog.site import SiteSettings
from comments.models import BlocklistEntry, Comment, ModerationKeyword
from tests.comments.conftest import confirm_in_browser

pytestmark = pytest.mark.django_db

OFF = SiteSettings.Moderation.OFF
HOLD_ALL = SiteSettings.Moderation.HOLD_ALL
HOLD_FIRST = SiteSettings.Moderation.HOLD_FIRST


def cached(response):
    return response.get("X-Page-Cache") == "hit"


@pytest.fixture
def reader():
    """A reader without a session, whose pages the page cache serves."""
    return Client()


# Moderation on or off.


def test_with_moderation_off_a_first_comment_is_published_at_once(
    post_comment, published_post, site_rules, reader
):
    url = published_post.get_absolute_url()
    reader.get(url)
    assert cached(reader.get(url))

    site_rules(comment_moderation=OFF)
    post_comment(published_post, body="Straight onto the page.")

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.APPROVED
    assert comment.log.get().reason == "moderation is off"
    assert "Straight onto the page." in reader.get(url).content.decode()


def test_with_moderation_back_on_a_first_comment_is_held_again(
    post_comment, published_post, site_rules
):
    site_rules(comment_moderation=OFF)
    site_rules(comment_moderation=HOLD_FIRST)

    post_comment(published_post, body="Wait for me.")

    assert Comment.objects.get().status == Comment.Status.PENDING


def test_holding_every_comment_holds_even_a_known_commenter(
    client, post_comment, published_post, make_comment, site_rules
):
    make_comment(email="known@example.org")
    make_comment(email="also-known@example.org")
    confirm_in_browser(client, "known@example.org")
    confirm_in_browser(client, "also-known@example.org")
    post_comment(published_post, email="known@example.org", body="Usually published.")
    assert Comment.objects.get(body="Usually published.").status == Comment.Status.APPROVED

    site_rules(comment_moderation=HOLD_ALL)
    post_comment(published_post, email="also-known@example.org", body="Held this time.")

    held = Comment.objects.get(body="Held this time.")
    assert held.status == Comment.Status.PENDING
    assert held.held_reason == "every comment is held"


def test_with_moderation_off_the_blocklist_and_hold_keywords_still_apply(
    post_comment, published_post, site_rules
):
    site_rules(comment_moderation=OFF)
    BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.WORD, value="casino")
    ModerationKeyword.objects.create(word="refund")

    post_comment(published_post, body="Win at the casino")
    post_comment(published_post, body="I want a refund")
    post_comment(published_post, body="See https://a.example and https://b.example")

    assert Comment.objects.get(body__contains="casino").status == Comment.Status.SPAM
    assert Comment.objects.get(body__contains="refund").status == Comment.Status.PENDING
    assert Comment.objects.get(body__contains="a.example").status == Comment.Status.PENDING


def test_a_blocklist_entry_added_in_the_admin_catches_the_next_comment(
    post_comment, published_post, admin_client, site_rules
):
    site_rules(comment_moderation=OFF)
    response = admin_client.post(
        "/admin/comments/blocklistentry/add/",
        {"kind": BlocklistEntry.Kind.EMAIL, "value": "@spam.example", "note": ""},
    )
    assert response.status_code == 302

    post_comment(published_post, email="someone@spam.example")

    assert Comment.objects.get().status == Comment.Status.SPAM


def test_a_hold_keyword_added_in_the_admin_holds_the_next_comment(
    post_comment, published_post, admin_client, site_rules
):
    site_rules(comment_moderation=OFF)
    admin_client.post("/admin/comments/moderationkeyword/add/", {"word": "Discount"})

    post_comment(published_post, body="A discount for you")

    assert Comment.objects.get().status == Comment.Status.PENDING


# Reply depth.


def test_a_shallower_reply_depth_removes_reply_links_from_cached_pages_and_refuses_replies(
    post_comment, published_post, make_comment, site_rules, reader
):
    top = make_comment(age=timedelta(hours=2))
    reply = make_comment(parent=top, age=timedelta(hours=1))
    url = published_post.get_absolute_url()
    assert f'href="/comments/reply/{reply.pk}/"' in reader.get(url).content.decode()
    assert cached(reader.get(url))

    site_rules(comments_max_depth=1)

    html = reader.get(url).content.decode()
    assert f'href="/comments/reply/{top.pk}/"' in html
    assert f'href="/comments/reply/{reply.pk}/"' not in html
    response = post_comment(published_post, parent=reply.pk)
    assert response.status_code == 400
    assert "nested as deep as it can go" in response.content.decode()
    assert reader.get(reverse("comments:reply", args=[reply.pk])).status_code == 400


def test_a_reply_depth_of_zero_allows_no_replies(post_comment, published_post, make_comment,
                                                 site_rules):
    top = make_comment()
    site_rules(comments_max_depth=0)

    assert post_comment(published_post, parent=top.pk).status_code == 400
    assert post_comment(published_post).status_code == 302


def test_a_deeper_reply_depth_allows_replies_at_once(post_comment, published_post, make_comment,
                                                     site_rules):
    site_rules(comments_max_depth=1)
    reply = make_comment(parent=make_comment())
    assert post_comment(published_post, parent=reply.pk).status_code == 400

    site_rules(comments_max_depth=2)

    assert post_comment(published_post, parent=reply.pk).status_code == 302


# Closing after N days.


def test_closing_comments_after_n_days_closes_old_posts_at_once(
    post_comment, make_post, site_rules, reader
):
    old = make_post(age=timedelta(days=11))
    url = old.get_absolute_url()
    assert 'id="comment-form"' in reader.get(url).content.decode()
    assert cached(reader.get(url))

    site_rules(comments_close_after_days=10)

    html = reader.get(url).content.decode()
    assert 'id="comment-form"' not in html
    assert "Comments are closed on this post." in html
    assert post_comment(old).status_code == 403


def test_a_longer_limit_reopens_comments(post_comment, make_post, site_rules):
    site_rules(comments_close_after_days=10)
    old = make_post(age=timedelta(days=11))
    assert post_comment(old).status_code == 403

    site_rules(comments_close_after_days=30)
    assert post_comment(old).status_code == 302

    site_rules(comments_close_after_days=None)
    assert post_comment(make_post(age=timedelta(days=5000))).status_code == 302


# Comments per page.


def test_a_new_page_size_repaginates_cached_threads_and_permalinks(
    published_post, make_comment, site_rules, reader
):
    tops = [make_comment(age=timedelta(hours=10 - number)) for number in range(5)]
    url = published_post.get_absolute_url()
    assert "Pages of comments" not in reader.get(url).content.decode()
    assert cached(reader.get(url))

    site_rules(comments_per_page=2)

    html = reader.get(url).content.decode()
    assert "Pages of comments" in html
    assert f'id="comment-{tops[1].pk}"' in html and f'id="comment-{tops[2].pk}"' not in html
    assert f'id="comment-{tops[4].pk}"' in reader.get(f"{url}?page=3").content.decode()
    assert reader.get(f"{url}?page=4").status_code == 404
    assert tops[4].get_absolute_url() == f"{url}?page=3#comment-{tops[4].pk}"


def test_an_empty_page_size_puts_the_whole_thread_on_one_page(
    published_post, make_comment, site_rules, reader
):
    site_rules(comments_per_page=1)
    tops = [make_comment(age=timedelta(hours=5 - number)) for number in range(3)]

    site_rules(comments_per_page=None)

    html = reader.get(published_post.get_absolute_url()).content.decode()
    assert all(f'id="comment-{top.pk}"' in html for top in tops)
    assert "Pages of comments" not in html
    assert tops[2].get_absolute_url() == f"{published_post.get_absolute_url()}#comment-{tops[2].pk}"
