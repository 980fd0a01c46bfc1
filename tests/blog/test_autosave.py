"""The editor keeps an author's work while they type, without changing what readers see."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from blog.models import Autosave, Post

pytestmark = pytest.mark.django_db

AUTOSAVE = "/admin/blog/post/autosave/"


@pytest.fixture
def authors_post(make_post, author):
    return make_post(title="Out there", body="Published words.", author=author)


def autosave(client, post=None, **values):
    data = {"post": post.pk if post else "", "title": "", "summary": "", "body": "", **values}
    return client.post(AUTOSAVE, data)


def test_autosaving_a_published_post_leaves_what_readers_see(client, authors_post, author):
    client.force_login(author)

    response = autosave(client, authors_post, title="Out there", body="Published words, and half a sen")

    assert response.status_code == 200
    authors_post.refresh_from_db()
    assert authors_post.body == "Published words."
    assert Autosave.objects.get().body == "Published words, and half a sen"
    client.logout()
    assert "half a sen" not in client.get(authors_post.get_absolute_url()).content.decode()


def test_reopening_the_editor_offers_the_newer_autosave(client, authors_post, author):
    client.force_login(author)
    autosave(client, authors_post, title="Out there", body="Every word typed.")

    page = client.get(f"/admin/blog/post/{authors_post.pk}/change/").content.decode()

    assert "You have unsaved work on this post" in page
    assert '<script id="autosave-pending" type="application/json">' in page
    assert "Every word typed." in page
    assert "js/autosave.js" in page


def test_an_autosave_older_than_the_posts_last_save_is_not_offered(client, authors_post, author):
    client.force_login(author)
    autosave(client, authors_post, title="Out there", body="Old work.")
    Autosave.objects.update(saved_at=timezone.now() - timedelta(hours=1))

    page = client.get(f"/admin/blog/post/{authors_post.pk}/change/").content.decode()

    assert "You have unsaved work" not in page


def test_an_autosave_equal_to_the_post_is_not_offered(client, authors_post, author):
    client.force_login(author)
    autosave(client, authors_post, title="Out there", body="Published words.")

    page = client.get(f"/admin/blog/post/{authors_post.pk}/change/").content.decode()

    assert "You have unsaved work" not in page


def test_saving_the_post_ends_its_autosave(client, authors_post, author):
    client.force_login(author)
    autosave(client, authors_post, title="Out there", body="Finished.")

    response = client.post(f"/admin/blog/post/{authors_post.pk}/change/", {
        "title": "Out there", "slug": authors_post.slug, "body": "Finished.", "summary": "",
        "status": "published", "published_at_0": authors_post.published_at.strftime("%Y-%m-%d"),
        "published_at_1": authors_post.published_at.strftime("%H:%M:%S"),
    })

    assert response.status_code == 302
    assert not Autosave.objects.exists()


def test_a_new_posts_work_is_offered_on_the_add_page_until_saved(client, author):
    client.force_login(author)
    autosave(client, title="Unsaved", body="A first draft.")

    assert "A first draft." in client.get("/admin/blog/post/add/").content.decode()
    client.post("/admin/blog/post/add/", {
        "title": "Unsaved", "slug": "unsaved", "body": "A first draft.", "summary": "",
        "status": "draft", "published_at_0": "", "published_at_1": "",
    })

    assert Post.objects.filter(slug="unsaved").exists()
    assert not Autosave.objects.exists()


def test_each_author_gets_only_their_own_autosave(client, authors_post, author, admin_user):
    client.force_login(author)
    autosave(client, authors_post, title="Out there", body="Mine.")
    client.force_login(admin_user)

    page = client.get(f"/admin/blog/post/{authors_post.pk}/change/").content.decode()

    assert "You have unsaved work" not in page


def test_discarding_an_autosave(client, authors_post, author):
    client.force_login(author)
    autosave(client, authors_post, body="Never mind.")

    response = client.post("/admin/blog/post/autosave/discard/", {"post": authors_post.pk})

    assert response.status_code == 200
    assert not Autosave.objects.exists()


def test_autosave_keeps_djangos_csrf_check(author, authors_post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)

    response = autosave(client, authors_post, body="Forged.")

    assert response.status_code == 403
    assert not Autosave.objects.exists()


def test_other_authors_cannot_autosave_onto_a_post(client, authors_post, other_author):
    client.force_login(other_author)

    assert autosave(client, authors_post, body="Not mine.").status_code == 404
    assert client.post("/admin/blog/post/autosave/discard/", {"post": authors_post.pk}).status_code == 404
    assert not Autosave.objects.exists()


@pytest.mark.parametrize("post_id", ["x", "99999", "1; drop", "-1"])
def test_unknown_posts_are_a_404(client, author, post_id):
    client.force_login(author)

    response = client.post(AUTOSAVE, {"post": post_id, "body": "Words."})

    assert response.status_code == 404
    assert not Autosave.objects.exists()


@pytest.mark.parametrize("values, message", [
    ({"body": "x" * 500_001}, "longer than 500,000 characters"),
    ({"title": "t" * 201}, "title is longer than 200"),
    ({"body": "a\x00b"}, "control character (U+0000)"),
    ({"title": "bell\x07"}, "control character (U+0007)"),
])
def test_bad_work_is_refused_clearly_and_nothing_kept(client, authors_post, author, values, message):
    client.force_login(author)

    response = autosave(client, authors_post, **values)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Autosave.objects.exists()


def test_autosave_takes_only_post_requests(client, author):
    client.force_login(author)

    assert client.get(AUTOSAVE).status_code == 405


def test_readers_cannot_autosave(client, authors_post):
    response = autosave(client, authors_post, body="Anonymous.")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Autosave.objects.exists()
