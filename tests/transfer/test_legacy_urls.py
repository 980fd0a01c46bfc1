"""Old Blogger and WordPress addresses answer with a 301 to the post's permalink."""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog.models import Post
from comments.models import Comment
from transfer.models import LegacyURL

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_post(make_post):
    post = make_post(title="An old post", slug="an-old-post")
    LegacyURL.objects.create(path="/2015/01/27/an-old-post/", post=post)
    LegacyURL.objects.create(path="/?p=123", post=post)
    LegacyURL.objects.create(path="/2013/04/an-old-post.html", post=post)
    return post


@pytest.mark.parametrize("old", [
    "/2015/01/27/an-old-post/",
    "/2015/01/27/an-old-post",
    "/2015/01/27/an-old-post/comment-page-2/",
    "/2015/01/27/an-old-post/2/",
    "/2015/01/27/an-old-post/amp/",
    "/2013/04/an-old-post.html",
    "/2013/04/an-old-post.html?m=1",
    "/?p=123",
    "/?p=123&replytocom=5",
    "/index.php?p=123",
])
def test_an_old_address_moves_permanently_to_the_permalink(client, old_post, old):
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == old_post.get_absolute_url()


def test_head_requests_are_redirected_too(client, old_post):
    assert client.head("/?p=123").status_code == 301


def test_an_unknown_post_number_shows_the_home_page(client, old_post):
    assert client.get("/?p=999").status_code == 200
    assert client.get("/?p=abc").status_code == 200


def test_an_unknown_old_path_is_still_not_found(client, old_post):
    assert client.get("/2015/01/27/never-was/").status_code == 404


def test_a_post_request_to_an_old_address_is_not_redirected(client, old_post):
    assert client.post("/2013/04/an-old-post.html").status_code in (403, 404, 405)


def test_an_old_address_of_an_unpublished_post_stays_hidden(client, make_post):
    draft = make_post(title="Draft", status=Post.Status.DRAFT)
    scheduled = make_post(title="Later", published_at=timezone.now() + timedelta(days=3))
    LegacyURL.objects.create(path="/2014/01/draft.html", post=draft)
    LegacyURL.objects.create(path="/?p=7", post=scheduled)
    assert client.get("/2014/01/draft.html").status_code == 404
    assert client.get("/?p=7").status_code == 200


def test_a_blogger_comment_link_leads_to_the_comment(client, old_post):
    comment = Comment.objects.create(
        post=old_post, author_name="Reader", body="Hello",
        created_at=datetime(2013, 4, 11, 9, 0, tzinfo=dt_timezone.utc),
    )
    comment.approve(by=None)
    response = client.get("/2013/04/an-old-post.html", {"showComment": "1365670800000"})
    assert response["Location"] == f"{old_post.get_absolute_url()}#comment-{comment.pk}"
    # A time that matches no visible comment still leads to the post.
    response = client.get("/2013/04/an-old-post.html", {"showComment": "1365670800001"})
    assert response["Location"] == old_post.get_absolute_url()


def test_pages_that_exist_never_look_up_old_addresses(client, old_post):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(old_post.get_absolute_url()).status_code == 200
        assert client.get("/").status_code == 200
    assert not [query for query in queries if "transfer_legacyurl" in query["sql"]]


def test_an_old_post_number_is_redirected_even_when_the_home_page_is_cached(client, old_post):
    client.get("/")
    client.get("/?p=123")
    assert client.get("/?p=123").status_code == 301


def test_old_addresses_can_be_added_by_hand_in_the_admin(admin_client, make_post):
    post = make_post(title="Moved by hand")
    response = admin_client.post(
        "/admin/transfer/legacyurl/add/", {"path": "/old/moved.html", "post": post.pk}
    )
    assert response.status_code == 302
    assert admin_client.get("/old/moved.html")["Location"] == post.get_absolute_url()


def test_an_old_address_added_by_hand_must_be_a_path(admin_client, make_post):
    post = make_post(title="Moved by hand")
    response = admin_client.post("/admin/transfer/legacyurl/add/", {"path": "old/moved.html", "post": post.pk})
    assert response.status_code == 200
    assert "starts with “/”" in response.content.decode()
    assert not LegacyURL.objects.exists()


@pytest.mark.parametrize("query", ["p=²", "p=١٢٣", "showComment=²", "page_id=" + "9" * 40])
def test_digits_that_are_not_ascii_are_no_post_number(client, old_post, query):
    assert client.get(f"/blog/?{query}").status_code == 404
    assert client.get(f"/?{query}").status_code == 200
