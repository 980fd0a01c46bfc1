"""What the admin shows of Webmentions, and to whom."""

import pytest

from tests.webmention.conftest import permalink
from webmention.models import Mention

pytestmark = pytest.mark.django_db


@pytest.fixture
def mention(post):
    return Mention.objects.create(post=post, source="https://ada.example/notes/1", target=permalink(post),
                                  detail="held for a moderator: first comment from this address")


@pytest.fixture
def moderator_client(client, make_user):
    client.force_login(make_user("moderator", groups=["Moderators"], is_staff=True))
    return client


def test_a_moderator_reads_the_mentions_list_and_each_mention(moderator_client, mention):
    listing = moderator_client.get("/admin/webmention/mention/")

    assert listing.status_code == 200
    assert "https://ada.example/notes/1" in listing.content.decode()
    assert moderator_client.get(f"/admin/webmention/mention/{mention.pk}/change/").status_code == 200
    assert "/admin/webmention/mention/" in moderator_client.get("/admin/").content.decode()


def test_a_moderator_cannot_change_or_delete_a_mention(moderator_client, mention):
    changed = moderator_client.post(f"/admin/webmention/mention/{mention.pk}/change/", {"detail": "forged"})
    deleted = moderator_client.post(f"/admin/webmention/mention/{mention.pk}/delete/", {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    mention.refresh_from_db()
    assert mention.detail == "held for a moderator: first comment from this address"


def test_an_author_does_not_see_the_mentions_list(client, author, mention):
    client.force_login(author)

    assert client.get("/admin/webmention/mention/").status_code == 403
