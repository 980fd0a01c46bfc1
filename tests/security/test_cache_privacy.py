"""Cached pages never carry one visitor's private state to another."""

import re

import pytest
from django.core import signing
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse

from blog.models import Post
from comments.forms import TIMESTAMP_SALT
from comments.models import Comment


def form_token(html):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the page has no comment form"
    return match.group(1)


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
def test_each_reader_gets_a_csrf_token_of_their_own_that_works(published_post):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    url = published_post.get_absolute_url()

    first_token = form_token(first.get(url).content.decode())
    second_page = second.get(url).content.decode()
    second_token = form_token(second_page)
    first_secret = first.cookies["csrftoken"].value

    assert _unmask_cipher_token(first_token) == first_secret
    assert _unmask_cipher_token(second_token) == second.cookies["csrftoken"].value
    assert first_secret not in second_page
    response = second.post(
        reverse("comments:post", args=[published_post.pk]),
        {"name": "Second", "email": "s@example.org", "body": "Works.", "csrfmiddlewaretoken": second_token,
         "timestamp": signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(str(published_post.pk))},
    )
    assert response.status_code == 302
    assert Comment.objects.filter(author_email="s@example.org").exists()


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
