"""Author pages: who writes, their published posts and feeds; each author edits their own profile."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from blog.models import AuthorProfile, Post

pytestmark = pytest.mark.django_db


def png(size=(40, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def test_author_page_shows_the_profile_and_only_published_posts(client, make_post, author):
    AuthorProfile.objects.create(user=author, display_name="Ada L.", bio="Writes about engines.", avatar="/media/a.png")
    make_post(title="Out now", author=author)
    make_post(title="Still a draft", author=author, status=Post.Status.DRAFT)
    make_post(title="Coming soon", author=author, published_at=timezone.now() + timedelta(days=1))
    make_post(title="Someone else's")

    page = client.get("/authors/author/").content.decode()

    assert "<h1>Ada L.</h1>" in page
    assert "<p>Writes about engines.</p>" in page
    assert 'src="/media/a.png"' in page
    assert "Out now" in page
    assert "Still a draft" not in page and "Coming soon" not in page and "Someone else" not in page
    assert 'href="/authors/author/feed/atom/"' in page


def test_without_a_profile_the_page_uses_the_full_name(client, make_post, author):
    make_post(author=author)

    assert "<h1>Ada Author</h1>" in client.get("/authors/author/").content.decode()


def test_author_pages_are_paginated(client, make_post, author, settings):
    for number in range(12):
        make_post(title=f"Numbered {number:02d}", author=author, age=timedelta(days=number + 1))

    first = client.get("/authors/author/").content.decode()
    second = client.get("/authors/author/?page=2").content.decode()

    assert "Numbered 00" in first and "Numbered 11" not in first
    assert "Numbered 11" in second
    assert client.get("/authors/author/?page=3").status_code == 404


def test_unknown_authors_and_those_without_published_posts_are_a_404(client, make_post, author):
    make_post(author=author, status=Post.Status.DRAFT)

    assert client.get("/authors/nobody/").status_code == 404
    assert client.get("/authors/author/").status_code == 404


def test_bylines_link_to_the_author_page(client, make_post, author):
    post = make_post(author=author)

    page = client.get(post.get_absolute_url()).content.decode()

    assert '<a href="/authors/author/" rel="author">Ada Author</a>' in page


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_author_feeds_carry_only_their_published_posts(client, make_post, author, kind):
    make_post(title="Theirs", author=author)
    make_post(title="Draft of theirs", author=author, status=Post.Status.DRAFT)
    make_post(title="Not theirs")

    response = client.get(f"/authors/author/feed/{kind}/")

    feed = response.content.decode()
    assert response.status_code == 200
    assert "posts by Ada Author" in feed
    assert "Theirs" in feed and "Draft of theirs" not in feed and "Not theirs" not in feed
    assert client.get(f"/authors/nobody/feed/{kind}/").status_code == 404


def test_author_writes_their_own_profile_with_an_avatar(client, make_post, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)

    response = client.post("/admin/blog/authorprofile/add/", {
        "display_name": "Ada", "bio": "Hello.", "avatar_upload": png(),
    })

    assert response.status_code == 302
    profile = AuthorProfile.objects.get()
    assert profile.user == author
    assert profile.avatar.startswith("/media/uploads/") and profile.avatar.endswith(".png")
    assert (tmp_path / profile.avatar.removeprefix("/media/")).exists()


def test_a_file_that_is_not_an_image_is_refused_as_an_avatar(client, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)
    fake = SimpleUploadedFile("me.png", b"<script>alert(1)</script>", content_type="image/png")

    response = client.post("/admin/blog/authorprofile/add/", {"display_name": "Ada", "avatar_upload": fake})

    assert response.status_code == 200
    assert "This file is not a PNG, JPEG, GIF or WebP image." in response.content.decode()
    assert not AuthorProfile.objects.exists()


def test_authors_cannot_see_or_edit_anyone_elses_profile(client, author, other_author):
    theirs = AuthorProfile.objects.create(user=other_author, display_name="Other")
    client.force_login(author)

    assert "Other" not in client.get("/admin/blog/authorprofile/").content.decode()
    response = client.post(f"/admin/blog/authorprofile/{theirs.pk}/change/", {"display_name": "Hacked"})
    assert response.status_code in {302, 403, 404}
    theirs.refresh_from_db()
    assert theirs.display_name == "Other"


def test_an_author_keeps_one_profile(client, author):
    AuthorProfile.objects.create(user=author)
    client.force_login(author)

    assert client.get("/admin/blog/authorprofile/add/").status_code == 403


def test_changing_a_profile_refreshes_cached_author_pages(client, make_post, author,
                                                          django_capture_on_commit_callbacks):
    profile = AuthorProfile.objects.create(user=author, display_name="Before")
    make_post(author=author)
    assert "Before" in client.get("/authors/author/").content.decode()
    editor = type(client)()
    editor.force_login(author)

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(f"/admin/blog/authorprofile/{profile.pk}/change/", {"display_name": "After", "bio": ""})

    assert response.status_code == 302
    assert "After" in client.get("/authors/author/").content.decode()
