"""A draft or scheduled page's editors share it through a secret, expiring, revocable link."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError
from django.utils import timezone

from blog.models import PreviewLink
from pages.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def draft(make_page):
    return make_page(title="Coming soon", slug="soon", body="Secret **plans**.", status=Page.Status.DRAFT)


def make_link(client, page, days="7"):
    return client.post(f"/admin/pages/page/{page.pk}/preview-links/", {"days": days})


def test_an_editor_creates_a_link_that_works_seven_days_by_default(client, draft, editor):
    client.force_login(editor)

    response = make_link(client, draft)

    assert response.status_code == 302
    [link] = PreviewLink.objects.all()
    assert (link.page, link.post, link.created_by) == (draft, None, editor)
    assert abs(link.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    listing = client.get(f"/admin/pages/page/{draft.pk}/preview-links/").content.decode()
    assert f"/preview/shared/{link.token}/" in listing
    assert "A preview link shows this page" in listing


def test_the_change_form_links_to_revisions_and_preview_links(client, draft, editor):
    client.force_login(editor)

    form = client.get(f"/admin/pages/page/{draft.pk}/change/").content.decode()

    assert f'href="/admin/pages/page/{draft.pk}/revisions/"' in form
    assert f'href="/admin/pages/page/{draft.pk}/preview-links/"' in form


def test_anyone_with_the_link_reads_the_draft_page_under_a_banner(client, draft):
    link = PreviewLink.create_for(draft, by=None)

    response = client.get(link.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "pages/page_detail.html"
    assert "Preview — not published." in content
    assert "This page is a draft and readers cannot see it; this preview link works until" in content
    assert "Secret <strong>plans</strong>." in content
    assert '<meta name="robots" content="noindex">' in content
    assert '<link rel="canonical"' not in content


def test_the_page_preview_is_never_indexed_nor_kept_by_any_cache(client, draft):
    link = PreviewLink.create_for(draft, by=None)

    first = client.get(link.get_absolute_url())
    second = client.get(link.get_absolute_url())

    for response in (first, second):
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert response["Referrer-Policy"] == "no-referrer"
        assert response.get("X-Page-Cache") != "hit"
    # The page cache kept nothing: revoking takes effect on the very next request.
    link.revoke()
    assert client.get(link.get_absolute_url()).status_code == 404


def test_a_revoked_page_link_stops_working_at_once(client, draft, editor):
    link = PreviewLink.create_for(draft, by=editor)
    assert client.get(link.get_absolute_url()).status_code == 200
    client.force_login(editor)

    response = client.post(f"/admin/pages/page/{draft.pk}/preview-links/{link.pk}/revoke/")
    client.logout()

    assert response.status_code == 302
    assert client.get(link.get_absolute_url()).status_code == 404


def test_an_expired_page_link_is_a_404(client, draft):
    link = PreviewLink.create_for(draft, by=None, days=1)
    PreviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(link.get_absolute_url()).status_code == 404


def test_a_scheduled_page_can_be_previewed(client, make_page):
    scheduled = make_page(slug="later", body="Soon.", published_at=timezone.now() + timedelta(days=2))
    link = PreviewLink.create_for(scheduled, by=None)

    content = client.get(link.get_absolute_url()).content.decode()

    assert "This page is scheduled for" in content and "<p>Soon.</p>" in content


def test_once_the_page_is_published_the_link_leads_to_it(client, draft):
    link = PreviewLink.create_for(draft, by=None)
    draft.status = Page.Status.PUBLISHED
    draft.published_at = timezone.now() - timedelta(minutes=1)
    draft.save()

    response = client.get(link.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == "/soon/"
    assert "no-store" in response["Cache-Control"]


def test_a_published_page_gets_no_preview_link(client, make_page, editor):
    page = make_page(slug="about")
    client.force_login(editor)

    response = make_link(client, page)

    assert response.status_code == 400
    assert "This page is published: share its permalink instead." in response.content.decode()
    assert not PreviewLink.objects.exists()


@pytest.mark.parametrize("days", ["", "0", "91", "seven"])
def test_a_bad_length_is_refused_clearly(client, draft, editor, days):
    client.force_login(editor)

    response = make_link(client, draft, days=days)

    assert response.status_code == 400
    assert "from 1 to 90" in response.content.decode()
    assert not PreviewLink.objects.exists()


def test_revoking_another_pages_link_is_a_404(client, draft, make_page, editor):
    other = make_page(slug="other", status=Page.Status.DRAFT)
    link = PreviewLink.create_for(other, by=None)
    client.force_login(editor)

    response = client.post(f"/admin/pages/page/{draft.pk}/preview-links/{link.pk}/revoke/")

    assert response.status_code == 404
    assert PreviewLink.objects.get().is_active


def test_a_link_shows_exactly_one_post_or_page(draft, make_post):
    post = make_post()

    with pytest.raises(IntegrityError):
        PreviewLink.objects.create(post=post, page=draft, token="x" * 43, expires_at=timezone.now())


def test_a_link_shows_something(db):
    with pytest.raises(IntegrityError):
        PreviewLink.objects.create(token="y" * 43, expires_at=timezone.now())
