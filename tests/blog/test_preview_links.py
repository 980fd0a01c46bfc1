"""A draft's editors share it through a secret, expiring, revocable preview link."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Post, PreviewLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(make_post, author):
    return make_post(title="Not out yet", body="Secret **words**.", status=Post.Status.DRAFT, author=author)


def make_link(client, post, days=""):
    response = client.post(f"/admin/blog/post/{post.pk}/preview-links/", {"days": days})
    return response


def test_author_creates_a_link_that_works_seven_days_by_default(client, draft, author):
    client.force_login(author)

    response = make_link(client, draft, days="7")

    assert response.status_code == 302
    [link] = PreviewLink.objects.all()
    assert link.created_by == author
    assert abs(link.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    page = client.get(f"/admin/blog/post/{draft.pk}/preview-links/").content.decode()
    assert f"/preview/shared/{link.token}/" in page
    assert 'value="7"' in page


def test_the_default_length_is_a_setting(client, draft, author, settings):
    settings.PREVIEW_LINK_DAYS = 3
    client.force_login(author)

    assert 'value="3"' in client.get(f"/admin/blog/post/{draft.pk}/preview-links/").content.decode()


def test_anyone_with_the_link_reads_the_draft_under_a_banner(client, draft):
    link = PreviewLink.create_for(draft, by=None)

    response = client.get(link.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "Preview — not published." in page
    assert "Secret <strong>words</strong>." in page
    assert '<meta name="robots" content="noindex">' in page


def test_the_preview_is_never_indexed_nor_kept_by_a_cache(client, draft):
    link = PreviewLink.create_for(draft, by=None)

    response = client.get(link.get_absolute_url())

    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_revoked_link_stops_working_at_once(client, draft, author):
    link = PreviewLink.create_for(draft, by=author)
    assert client.get(link.get_absolute_url()).status_code == 200
    client.force_login(author)

    client.post(f"/admin/blog/post/{draft.pk}/preview-links/{link.pk}/revoke/")
    client.logout()

    assert client.get(link.get_absolute_url()).status_code == 404


def test_an_expired_link_is_a_404(client, draft):
    link = PreviewLink.create_for(draft, by=None, days=1)
    PreviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(link.get_absolute_url()).status_code == 404


def test_a_guessed_token_is_a_404(client, draft):
    PreviewLink.create_for(draft, by=None)

    assert client.get("/preview/shared/" + "a" * 43 + "/").status_code == 404
    assert client.get("/preview/shared/short/").status_code == 404


def test_tokens_are_long_and_unique(draft):
    tokens = {PreviewLink.create_for(draft, by=None).token for _ in range(20)}

    assert len(tokens) == 20
    assert all(len(token) == 43 for token in tokens)


def test_once_the_post_is_published_the_link_leads_to_it(client, draft):
    link = PreviewLink.create_for(draft, by=None)
    draft.status = Post.Status.PUBLISHED
    draft.published_at = timezone.now() - timedelta(minutes=1)
    draft.save()

    response = client.get(link.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == draft.get_absolute_url()


def test_a_scheduled_post_can_be_previewed(client, make_post):
    scheduled = make_post(published_at=timezone.now() + timedelta(days=2), body="Soon.")
    link = PreviewLink.create_for(scheduled, by=None)

    page = client.get(link.get_absolute_url()).content.decode()

    assert "scheduled for" in page and "<p>Soon.</p>" in page


def test_a_published_post_gets_no_preview_link(client, make_post, author):
    post = make_post(author=author)
    client.force_login(author)

    response = make_link(client, post, days="7")

    assert response.status_code == 400
    assert "share its permalink instead" in response.content.decode()
    assert not PreviewLink.objects.exists()


@pytest.mark.parametrize("days", ["", "0", "91", "-3", "seven", "1e3"])
def test_a_bad_length_is_refused_clearly(client, draft, author, days):
    client.force_login(author)

    response = make_link(client, draft, days=days)

    assert response.status_code == 400
    assert "from 1 to 90" in response.content.decode()
    assert not PreviewLink.objects.exists()


def test_other_authors_cannot_make_or_revoke_links(client, draft, other_author):
    link = PreviewLink.create_for(draft, by=None)
    client.force_login(other_author)

    assert make_link(client, draft, days="7").status_code == 404
    assert client.post(f"/admin/blog/post/{draft.pk}/preview-links/{link.pk}/revoke/").status_code == 404
    assert PreviewLink.objects.get().is_active


def test_revoking_another_posts_link_is_a_404(client, draft, make_post, author):
    other = make_post(author=author, status=Post.Status.DRAFT)
    link = PreviewLink.create_for(other, by=None)
    client.force_login(author)

    response = client.post(f"/admin/blog/post/{draft.pk}/preview-links/{link.pk}/revoke/")

    assert response.status_code == 404
    assert PreviewLink.objects.get().is_active


def test_revoking_needs_a_post_request(client, draft, author):
    link = PreviewLink.create_for(draft, by=None)
    client.force_login(author)

    assert client.get(f"/admin/blog/post/{draft.pk}/preview-links/{link.pk}/revoke/").status_code == 405
