"""Long threads are paginated by top-level comment; every permalink leads to its page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from comments.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(published_post, site_rules):
    """120 top-level comments, oldest first, each with one reply: three pages of 50."""
    site_rules(comments_per_page=50)
    start = timezone.now() - timedelta(days=1)
    tops, replies = [], []
    for number in range(120):
        top = Comment.objects.create(
            post=published_post, author_name=f"Top {number}", author_email=f"t{number}@example.com",
            body=f"Top-level comment {number}.", status=Comment.Status.APPROVED,
            created_at=start + timedelta(minutes=2 * number),
        )
        tops.append(top)
    for number, top in enumerate(tops):
        replies.append(Comment.objects.create(
            post=published_post, parent=top, author_name=f"Reply {number}",
            author_email=f"r{number}@example.com", body=f"Reply to {number}.",
            status=Comment.Status.APPROVED, created_at=start + timedelta(minutes=2 * number + 500),
        ))
    return tops, replies


def test_a_long_thread_shows_fifty_top_level_comments_a_page_with_their_replies(client, published_post, thread):
    tops, replies = thread
    url = published_post.get_absolute_url()
    first = client.get(url).content.decode()
    assert f'id="comment-{tops[0].pk}"' in first and f'id="comment-{tops[49].pk}"' in first
    assert f'id="comment-{replies[49].pk}"' in first
    assert f'id="comment-{tops[50].pk}"' not in first
    assert "240 comments" in first
    assert 'aria-label="Pages of comments"' in first

    third = client.get(f"{url}?page=3").content.decode()
    assert f'id="comment-{tops[119].pk}"' in third and f'id="comment-{replies[119].pk}"' in third
    assert f'id="comment-{tops[99].pk}"' not in third


@pytest.mark.parametrize("page", ["4", "0", "abc", "-1", "1.5", "99999999999999999999"])
def test_a_page_that_does_not_exist_is_a_404(client, published_post, thread, page):
    assert client.get(f"{published_post.get_absolute_url()}?page={page}").status_code == 404


def test_a_short_thread_has_no_page_links(client, published_post):
    Comment.objects.create(post=published_post, author_name="A", author_email="a@example.com",
                           body="Hi.", status=Comment.Status.APPROVED)
    html = client.get(published_post.get_absolute_url()).content.decode()
    assert "Pages of comments" not in html


def test_a_comments_permalink_leads_to_the_page_that_holds_it(client, published_post, thread):
    tops, replies = thread
    url = published_post.get_absolute_url()
    assert tops[0].get_absolute_url() == f"{url}#comment-{tops[0].pk}"
    assert replies[75].get_absolute_url() == f"{url}?page=2#comment-{replies[75].pk}"
    page, anchor = replies[75].get_absolute_url().split("#")
    html = client.get(page).content.decode()
    assert f'id="{anchor}"' in html
    # The permalink on the page itself names the page too.
    assert f'href="{url}?page=2#comment-{replies[75].pk}"' in html


def test_a_new_comment_leads_its_writer_to_the_last_page(published_post, thread):
    reader = Client()
    page = reader.get(published_post.get_absolute_url()).content.decode()
    import re

    form = re.search(r'<form[^>]*class="comment-form".*?</form>', page, re.S).group()
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    data.update(name="Newcomer", email="new@example.com", body="Late to the party.")
    response = reader.post(re.search(r'action="([^"]+)"', form).group(1), data)
    assert response.status_code == 302
    comment = Comment.objects.get(author_name="Newcomer")
    assert response["Location"] == f"{published_post.get_absolute_url()}?page=3#comment-{comment.pk}"
    # Awaiting moderation: its writer sees it there; nobody else does.
    assert f'id="comment-{comment.pk}"' in reader.get(response["Location"]).content.decode()
    assert f'id="comment-{comment.pk}"' not in Client().get(response["Location"]).content.decode()


def test_comment_feeds_link_each_comment_to_its_page(client, published_post, thread):
    tops, replies = thread
    xml = client.get("/comments/feed/atom/").content.decode()
    assert f"?page=3#comment-{replies[119].pk}" in xml
