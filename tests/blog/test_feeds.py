from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from blog.models import Post

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def posts(make_post):
    return {
        "published": make_post(title="Published one", body="Body **one**.", tags=["History"]),
        "other-tag": make_post(title="Other tag", tags=["Other"]),
        "draft": make_post(title="Draft one", status=Post.Status.DRAFT),
        "scheduled": make_post(title="Scheduled one", published_at=timezone.now() + timedelta(days=1), tags=["History"]),
    }


def test_rss_feed_parses_and_holds_only_published_posts(client, posts):
    response = client.get("/feed/rss/")

    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(response.content).find("channel")
    titles = [item.findtext("title") for item in channel.findall("item")]
    assert set(titles) == {"Other tag", "Published one"}
    item = next(i for i in channel.findall("item") if i.findtext("title") == "Published one")
    assert item.findtext("link").endswith(posts["published"].get_absolute_url())
    assert "<strong>one</strong>" in item.findtext("description")


def test_atom_feed_parses_and_holds_only_published_posts(client, posts):
    response = client.get("/feed/atom/")

    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    titles = {entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")}
    assert titles == {"Published one", "Other tag"}


def test_tag_feeds_hold_only_that_tags_published_posts(client, posts):
    rss = ElementTree.fromstring(client.get("/tags/history/feed/rss/").content)
    atom = ElementTree.fromstring(client.get("/tags/history/feed/atom/").content)

    assert [item.findtext("title") for item in rss.find("channel").findall("item")] == ["Published one"]
    assert [entry.findtext(f"{ATOM}title") for entry in atom.findall(f"{ATOM}entry")] == ["Published one"]


def test_feed_of_an_unknown_tag_is_404(client):
    assert client.get("/tags/nothing/feed/rss/").status_code == 404
