"""A commenter's email address (and IP, browser) never reaches a page, a feed or another's email."""

import pytest

from comments.models import Comment

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "very.private@example.org"


@pytest.fixture
def private_comments(make_comment, published_post):
    parent = make_comment(name="Private Person", email=SECRET_EMAIL, ip_address="203.0.113.99",
                          user_agent="SecretBrowser/9", notify_on_reply=True)
    pending = make_comment(name="Held Person", email=SECRET_EMAIL, status=Comment.Status.PENDING,
                           held_reason="first comment from this address")
    return parent, pending


def test_no_page_or_feed_shows_a_commenters_email(client, private_comments, published_post):
    parent, pending = private_comments
    pages = {
        url: client.get(url)
        for url in (
            "/",
            published_post.get_absolute_url(),
            f"/comments/reply/{parent.pk}/",
            "/comments/feed/rss/",
            "/comments/feed/atom/",
            f"/comments/feed/post/{published_post.pk}/rss/",
            f"/comments/feed/post/{published_post.pk}/atom/",
            "/feed/atom/",
        )
    }

    for url, response in pages.items():
        text = response.content.decode()
        assert response.status_code == 200, url
        assert "Private Person" in text or "Held Person" in text or url in ("/", "/feed/atom/")
        for secret in (SECRET_EMAIL, "very.private", "203.0.113.99", "SecretBrowser"):
            assert secret not in text, (url, secret)


def test_only_the_moderation_queue_shows_email_and_ip_and_only_to_moderators(
    client, private_comments, moderator, author
):
    client.force_login(author)
    refused = client.get("/comments/moderation/")
    client.force_login(moderator)

    queue = client.get("/comments/moderation/").content.decode()

    assert refused.status_code == 403 and SECRET_EMAIL not in refused.content.decode()
    assert SECRET_EMAIL in queue


def test_the_commenters_own_pending_view_does_not_echo_the_email(client, post_comment,
                                                                 published_post):
    response = post_comment(published_post, email=SECRET_EMAIL)

    html = client.get(response["Location"]).content.decode()

    assert "awaiting moderation" in html
    assert SECRET_EMAIL not in html


def test_error_pages_keep_the_email_only_in_the_commenters_own_form_field(post_comment,
                                                                          published_post):
    response = post_comment(published_post, email=SECRET_EMAIL, body="")
    html = response.content.decode()

    assert html.count(SECRET_EMAIL) == 1
    assert f'value="{SECRET_EMAIL}"' in html
