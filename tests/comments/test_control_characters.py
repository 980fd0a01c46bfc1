"""Control characters: the comment form refuses them; every feed stays valid XML anyway."""

from xml.etree import ElementTree

import pytest
from django.db import connection

from blog.models import Post, Tag
from comments.models import Comment

pytestmark = pytest.mark.django_db

HOSTILE = "Bell\x07 back\x08space esc\x1b c1\x85 nonchar\ufffe\uffff end"


@pytest.mark.parametrize("field", ["name", "body", "url", "email"])
def test_a_comment_with_a_control_character_is_refused_with_a_clear_error(post_comment,
                                                                         published_post, field):
    value = {
        "name": "Ann\x08",
        "body": "Hello\x08 there",
        "url": "https://example.org/\x08",
        "email": "ann\x08@example.org",
    }[field]

    response = post_comment(published_post, **{field: value})

    assert response.status_code == 400
    assert "invisible control character (U+0008)" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_reply_with_a_control_character_is_refused(post_comment, published_post, make_comment):
    parent = make_comment()

    response = post_comment(published_post, parent=parent.pk, body="Re\x1b[31m: red")

    assert response.status_code == 400
    assert "U+001B" in response.content.decode()
    assert Comment.objects.get() == parent


def test_a_comment_typed_in_a_browser_with_tabs_and_crlf_lines_is_accepted(post_comment,
                                                                         published_post):
    response = post_comment(published_post, body="First line\r\n\r\n\tindented\r\nlast")

    assert response.status_code == 302
    assert Comment.objects.get().body.startswith("First line")


FEEDS = [
    "/feed/rss/",
    "/feed/atom/",
    "/tags/{tag}/feed/rss/",
    "/tags/{tag}/feed/atom/",
    "/comments/feed/rss/",
    "/comments/feed/atom/",
    "/comments/feed/post/{post}/rss/",
    "/comments/feed/post/{post}/atom/",
]


def test_every_feed_stays_valid_xml_whatever_is_stored(client, make_post, make_comment,
                                                      django_user_model):
    # Rows as an import or the code before the rule could store them, written by the ORM
    # (PostgreSQL refuses NUL in text; SQLite stores it).
    hostile = HOSTILE + (" nul\x00" if connection.vendor == "sqlite" else "")
    post = make_post(title=f"Title {hostile}", body=f"Body {hostile}", summary=f"Sum {hostile}")
    tag = Tag.objects.create(name=f"Tag {hostile}", slug="hostile")
    post.tags.add(tag)
    post.author.first_name = f"Au{hostile}"
    post.author.save()
    make_comment(post=post, name=f"Name {hostile}", body=f"Comment {hostile}")
    make_comment(post=post, name="Plain", body="Plain words.")

    for url in FEEDS:
        url = url.format(tag=tag.slug, post=post.pk)
        response = client.get(url)

        assert response.status_code == 200, url
        root = ElementTree.fromstring(response.content)  # raises if not well-formed XML
        text = "".join(root.itertext())
        assert "nonchar" in text and "end" in text, url
        assert not any(c in text for c in "\x00\x07\x08\x1b\ufffe\uffff"), url
    assert Post.objects.get(pk=post.pk).title == f"Title {hostile}"  # stored rows unchanged


def test_editing_a_comment_in_the_admin_refuses_a_control_character(admin_client, make_comment):
    comment = make_comment(name="Ann", body="Fine words.")
    form = {
        "post": comment.post_id, "parent": "", "author_name": "Ann",
        "author_email": comment.author_email, "author_url": "", "user": "",
        "body": "Edited\x0b words.", "notify_on_reply": "",
        "log-TOTAL_FORMS": "0", "log-INITIAL_FORMS": "0",
    }

    response = admin_client.post(f"/admin/comments/comment/{comment.pk}/change/", form)

    assert response.status_code == 200
    assert "invisible control character (U+000B)" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Fine words."
