"""A post of ours, a local server playing the other site, and Webmentions between them."""

import pytest
from django.conf import settings

from tests.httpserver import LocalServer, Route

HTML = "text/html; charset=utf-8"


@pytest.fixture
def elsewhere(settings):
    """Another site, on 127.0.0.1 (which the fetcher may reach only in tests)."""
    settings.FETCH_ALLOW_LOOPBACK = True
    server = LocalServer().start()
    yield server
    server.stop()


@pytest.fixture
def post(make_post):
    return make_post(title="On engines", body="The analytical engine.")


def permalink(post):
    return settings.SITE_URL + post.get_absolute_url()


def page(body, *, status=200, headers=None, content_type=HTML):
    return Route(status=status, body=body.encode(), content_type=content_type, headers=headers)


def reply_page(target, *, text="What a fine engine.", author="Ada Lovelace",
               author_url="https://ada.example/", kind="u-in-reply-to", published="2020-01-01T10:00:00+00:00"):
    """A page with an h-entry that answers (or, with another `kind`, mentions) `target`."""
    return f"""<!doctype html><html><head><title>Ada's notes</title></head><body>
<article class="h-entry">
  <a class="p-author h-card" href="{author_url}">{author}</a>
  <a class="{kind}" href="{target}">the post</a>
  <time class="dt-published" datetime="{published}">then</time>
  <div class="e-content">{text}</div>
</article></body></html>"""


@pytest.fixture
def webmention(client):
    """webmention(source, target): POST a Webmention to our endpoint, as another site does."""

    def send(source, target, **extra):
        return client.post("/webmention/", {"source": source, "target": target, **extra})

    return send
