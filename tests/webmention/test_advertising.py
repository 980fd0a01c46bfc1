"""Post pages say where Webmentions go: a Link header and <link rel="webmention">, the same
for every reader, so shared caches may keep them."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ENDPOINT = "http://127.0.0.1:8000/webmention/"


def test_a_post_page_advertises_the_endpoint_in_its_head_and_a_link_header(client, post, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    response = client.get(post.get_absolute_url())

    assert response["Link"] == f'<{ENDPOINT}>; rel="webmention"'
    assert f'<link rel="webmention" href="{ENDPOINT}">' in response.content.decode()


def test_two_anonymous_readers_get_the_same_bytes_and_headers(post):
    first, second = Client().get(post.get_absolute_url()), Client().get(post.get_absolute_url())

    assert first.content == second.content
    assert first["Link"] == second["Link"]
    assert "public" in first["Cache-Control"]


def test_other_pages_have_no_link_header(client, post):
    assert not client.get("/").has_header("Link")
    assert not client.get("/no/such/page/").has_header("Link")


def test_nothing_is_advertised_when_webmentions_are_turned_off(client, post, settings):
    settings.WEBMENTION_ENABLED = False

    response = client.get(post.get_absolute_url())

    assert not response.has_header("Link")
    assert 'rel="webmention"' not in response.content.decode()

