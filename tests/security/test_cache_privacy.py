"""Cached pages never carry one visitor's private state to another."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from blog.models import Post
from comments.forms import TIMESTAMP_SALT
from comments.models import Comment


@pytest.mark.django_db
def test_a_readers_pending_comment_is_never_served_to_another_reader(published_post):
    writer, other = Client(), Client()
    other.get(published_post.get_absolute_url())  # the page is now cached
    writer.post(
        reverse("comments:post", args=[published_post.pk]),
        {"name": "Private Writer", "email": "w@example.org", "body": "Only mine so far.",
         "timestamp": signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(str(published_post.pk))},
    )
    assert Comment.objects.get().status == Comment.Status.PENDING

    own_view = writer.get(published_post.get_absolute_url()).content.decode()
    later = other.get(published_post.get_absolute_url()).content.decode()
    stranger = Client().get(published_post.get_absolute_url()).content.decode()

    assert "Only mine so far." in own_view
    assert "Only mine so far." not in later and "Private Writer" not in later
    assert "Only mine so far." not in stranger


@pytest.mark.django_db
def test_the_shared_page_holds_nothing_of_one_reader_and_its_form_works_for_each(published_post):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    url = published_post.get_absolute_url()

    first_page, second_page = first.get(url), second.get(url)

    assert first_page.content == second_page.content
    assert not first_page.cookies and not second_page.cookies
    assert "csrfmiddlewaretoken" not in second_page.content.decode()
    for number, reader in enumerate((first, second)):
        response = reader.post(
            reverse("comments:post", args=[published_post.pk]),
            {"name": f"Reader {number}", "email": f"r{number}@example.org", "body": "Works.",
             "timestamp": signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(str(published_post.pk))},
            headers={"Sec-Fetch-Site": "same-origin"},
            REMOTE_ADDR=f"203.0.113.{number + 1}",
        )
        assert response.status_code == 302
    assert Comment.objects.count() == 2


@pytest.mark.django_db
def test_a_scheduled_post_seen_by_its_author_is_not_served_to_readers(client, make_post, author):
    from datetime import timedelta

    from django.utils import timezone

    scheduled = make_post(author=author, title="Not yet", published_at=timezone.now() + timedelta(days=1))
    client.force_login(author)
    assert client.get(scheduled.get_absolute_url()).status_code == 200

    response = Client().get(scheduled.get_absolute_url())

    assert response.status_code == 404
    assert b"Not yet" not in response.content
    assert Post.objects.get(pk=scheduled.pk).title == "Not yet"
