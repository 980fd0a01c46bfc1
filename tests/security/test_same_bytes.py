"""Every public page is the same bytes for every anonymous reader, so a shared cache may keep it.

The walk covers every URL pattern of the site: a pattern added later without a sample
address here fails the test until someone says whether it is public.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from comments.models import Comment

pytestmark = pytest.mark.django_db

# Patterns that are not public pages: who may use them and why they are left out.
NOT_PUBLIC = {
    "markdownx_markdownify": "the editor's preview, staff only, POST",
    "markdownx_upload": "the editor's upload, staff only, POST",
    "comments:post": "the comment form's POST",
    "comments:queue": "moderators only",
    "comments:moderate": "moderators only, POST",
    "comments:queue-reply": "moderators only",
    "comments:queue-edit": "moderators only",
    "comments:queue-block": "moderators only",
    "comments:unsubscribe": "one commenter's link from an email, never listed",
    "comments:confirm-address": "one commenter's link from an email, never listed",
    "comments:edit": "one commenter's own comment, from the browser that sent it; never cached",
    "comments:delete": "one commenter's own comment, from the browser that sent it; never cached",
    "blog:post-preview": "drafts, staff only",
    "webmention:endpoint": "other sites' servers POST Webmentions here; never cached",
    "blog:shared-preview": "a draft behind a secret link, never cached",
    None: "media files, served by the web server in production",
    "federation:actor": "ActivityPub JSON for servers; a browser is redirected to the home page",
    "federation:article": "ActivityPub JSON for servers; a browser is redirected to the post",
    "federation:note": "ActivityPub JSON for servers; a browser is redirected to the comment",
    "federation:inbox": "ActivityPub inbox, signed POSTs only",
    "federation:shared-inbox": "ActivityPub inbox, signed POSTs only",
}


def named_patterns(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # the admin: staff only
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from named_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}" if pattern.name else None


def approved_comment(post, body, parent=None):
    return Comment.objects.create(
        post=post, parent=parent, author_name="Reader", author_email="reader@example.org",
        body=body, status=Comment.Status.APPROVED,
    )


@pytest.fixture
def site(make_post, make_page):
    post = make_post(title="Walked post", tags=["walked"])
    top = approved_comment(post, "A top comment.")
    approved_comment(post, "A reply.", parent=top)
    make_page(title="About", slug="about")
    local = timezone.localtime(post.published_at)
    return {
        "blog:post-index": ["/", "/?page=1"],
        "blog:archive-year": [f"/{local.year}/"],
        "blog:archive-month": [f"/{local.year}/{local.month:02d}/"],
        # A comment's permalink is its page of the thread (the #fragment is not sent).
        "blog:post-detail": [post.get_absolute_url(), f"{post.get_absolute_url()}?page=1",
                             Comment.objects.first().get_absolute_url().split("#")[0]],
        "blog:tag-list": ["/tags/"],
        "blog:tag-detail": ["/tags/walked/"],
        "blog:tag-feed-rss": ["/tags/walked/feed/rss/"],
        "blog:tag-feed-atom": ["/tags/walked/feed/atom/"],
        "blog:author-detail": [f"/authors/{post.author.username}/"],
        "blog:author-feed-rss": [f"/authors/{post.author.username}/feed/rss/"],
        "blog:author-feed-atom": [f"/authors/{post.author.username}/feed/atom/"],
        "blog:search": ["/search/", "/search/?q=walked"],
        "blog:feed-rss": ["/feed/rss/"],
        "blog:feed-atom": ["/feed/atom/"],
        "blog:robots-txt": ["/robots.txt"],
        "sitemap": ["/sitemap.xml"],
        "comments:reply": [f"/comments/reply/{top.pk}/"],
        "comments:feed-rss": ["/comments/feed/rss/"],
        "comments:feed-atom": ["/comments/feed/atom/"],
        "comments:post-feed-rss": [f"/comments/feed/post/{post.pk}/rss/"],
        "comments:post-feed-atom": [f"/comments/feed/post/{post.pk}/atom/"],
        "pages:page-detail": ["/about/"],
        "federation:webfinger": [f"/.well-known/webfinger?resource=acct:blog@{urlsplit(settings.SITE_URL).netloc}"],
        "federation:nodeinfo-links": ["/.well-known/nodeinfo"],
        "federation:nodeinfo": ["/nodeinfo/2.1"],
        "federation:outbox": ["/ap/actors/blog/outbox"],
        "federation:followers": ["/ap/actors/blog/followers"],
        "not found": ["/no/such/address/", "/tags/no-such-tag/"],
    }


def test_every_url_pattern_is_walked_or_said_not_to_be_public(site):
    names = set(named_patterns())

    assert names - set(NOT_PUBLIC) == set(site) - {"not found"}


def test_every_public_page_is_the_same_bytes_for_every_anonymous_reader(site):
    for name, urls in site.items():
        for url in urls:
            first, second = Client().get(url), Client().get(url)
            expected = 404 if name == "not found" else 200
            assert first.status_code == second.status_code == expected, url
            assert first.content == second.content, url
            for response in (first, second):
                assert "Set-Cookie" not in response, url
                assert not response.cookies, url
                assert b"csrfmiddlewaretoken" not in response.content, url
                assert b"nonce" not in response.content, url
                assert "nonce-" not in response.get("Content-Security-Policy", ""), url
                if expected == 200:
                    assert response["Content-Security-Policy"] == first["Content-Security-Policy"]
            # A revisit from the same browser gets the same bytes too.
            assert Client().get(url).content == first.content, url


def test_the_comment_form_is_on_the_shared_post_page(site):
    page = Client().get(site["blog:post-detail"][0]).content.decode()

    assert re.search(r'<form id="comment-form"[^>]*method="post"', page)
    assert 'name="timestamp"' in page and 'name="honeypot"' in page
