"""The comment form carries no per-reader token: the browser's own headers refuse forgeries.

Readers without a session are checked by Sec-Fetch-Site, then Origin, then (HTTPS only)
Referer, as blog.security.same_origin_or_csrf_token describes; a request with a session
keeps Django's CSRF token check as Django ships it.
"""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from comments.forms import TIMESTAMP_SALT
from comments.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    """A reader's browser without a session, checked as a real browser would be."""
    return Client(enforce_csrf_checks=True)


def comment_data(post):
    return {
        "name": "Reader",
        "email": "reader@example.org",
        "url": "",
        "body": "Forged or not?",
        "timestamp": signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(str(post.pk)),
        "honeypot": "",
    }


@pytest.fixture
def send(published_post):
    def post(client, headers=None, **extra):
        return client.post(
            reverse("comments:post", args=[published_post.pk]),
            comment_data(published_post),
            REMOTE_ADDR="198.51.100.7",
            headers=headers or {},
            **extra,
        )

    return post


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://blog.testserver"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://testserver"},  # the right host over the wrong scheme
    ],
    ids=["fetch-cross-site", "fetch-same-site", "fetch-only", "origin", "opaque-origin", "scheme"],
)
def test_a_cross_site_anonymous_comment_is_refused_with_a_clear_page(browser, send, headers):
    response = send(browser, headers)

    assert response.status_code == 403
    assert "sent from another site" in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://testserver"},
        {},  # neither header on plain http: not a browser, which could post from anywhere
    ],
    ids=["fetch-same-origin", "fetch-none", "origin", "no-headers"],
)
def test_a_same_site_anonymous_comment_is_accepted_without_a_token(browser, send, headers):
    response = send(browser, headers)

    assert response.status_code == 302, response.content.decode()[:500]
    assert Comment.objects.get().body == "Forged or not?"


def test_an_origin_in_csrf_trusted_origins_may_post(browser, send, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]

    trusted = send(browser, {"Sec-Fetch-Site": "same-site", "Origin": "https://www.example.com"})
    other = send(Client(enforce_csrf_checks=True), {"Origin": "https://www.example.org"})

    assert trusted.status_code == 302
    assert other.status_code == 403


@pytest.mark.parametrize(
    "referer, accepted",
    [
        ("https://testserver/2024/01/01/a-post/", True),
        ("https://evil.example/page/", False),
        ("http://testserver/2024/01/01/a-post/", False),
        (None, False),
        ("not a url", False),
    ],
)
def test_over_https_without_origin_the_referer_must_be_this_site(browser, send, referer, accepted):
    headers = {"Referer": referer} if referer else {}

    response = send(browser, headers, secure=True)

    assert (response.status_code == 302) is accepted, response.status_code
    assert Comment.objects.exists() is accepted


def test_a_signed_in_comment_without_the_token_is_refused_even_from_this_site(
    browser, send, make_user
):
    browser.force_login(make_user("member"))

    response = send(browser, {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"})

    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_a_signed_in_comment_with_the_forms_token_is_accepted(browser, published_post, make_user):
    browser.force_login(make_user("member", email="member@example.org"))
    page = browser.get(published_post.get_absolute_url()).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    response = browser.post(
        reverse("comments:post", args=[published_post.pk]),
        {**comment_data(published_post), "csrfmiddlewaretoken": token},
        REMOTE_ADDR="198.51.100.8",
    )

    assert response.status_code == 302
    assert Comment.objects.exists()


def test_a_reader_with_a_session_keeps_the_token_check(browser, send, published_post, client):
    """A commenter whose pending comment is in their session gets a token, and needs it."""
    first = send(browser, {"Sec-Fetch-Site": "same-origin"})
    assert first.status_code == 302
    assert "sessionid" in browser.cookies  # their pending comment is remembered

    page = browser.get(published_post.get_absolute_url()).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    refused = send(browser, {"Sec-Fetch-Site": "same-origin"})
    assert refused.status_code == 403
    assert Comment.objects.count() == 1


def test_an_anonymous_reader_gets_no_token_and_no_cookie(client, published_post):
    response = client.get(published_post.get_absolute_url())

    assert 'id="comment-form"' in response.content.decode()
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies
