"""Only those who may edit pages see a page's revisions, preview links and autosaves."""

import pytest

from blog import revisions
from blog.models import Autosave, PreviewLink
from pages.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(make_page):
    page = make_page(slug="soon", status=Page.Status.DRAFT)
    with revisions.saving(None, "First."):
        page.save()
    return page


def studio_requests(page):
    version = revisions.history(page).get()
    link = PreviewLink.create_for(page, by=None)
    base = f"/admin/pages/page/{page.pk}"
    return [
        ("get", f"{base}/revisions/", {}),
        ("post", f"{base}/revisions/{version.pk}/restore/", {}),
        ("get", f"{base}/preview-links/", {}),
        ("post", f"{base}/preview-links/", {"days": "7"}),
        ("post", f"{base}/preview-links/{link.pk}/revoke/", {}),
        ("post", "/admin/pages/page/autosave/", {"post": page.pk, "title": "x", "body": "x"}),
        ("post", "/admin/pages/page/autosave/discard/", {"post": page.pk}),
    ]


def test_an_author_who_may_not_edit_pages_sees_none_of_it(client, draft, author):
    client.force_login(author)

    for method, url, data in studio_requests(draft):
        response = getattr(client, method)(url, data)
        assert response.status_code in (403, 404), (url, response.status_code)

    assert PreviewLink.objects.get().is_active
    assert revisions.history(draft).count() == 1
    assert not Autosave.objects.exists()


def test_an_author_may_not_autosave_a_new_page(client, author):
    client.force_login(author)

    response = client.post("/admin/pages/page/autosave/", {"post": "", "title": "x", "body": "x"})

    assert response.status_code == 403
    assert not Autosave.objects.exists()


def test_readers_are_sent_to_the_login_page(client, draft):
    for method, url, data in studio_requests(draft):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_editors_see_all_of_it(client, draft, editor):
    client.force_login(editor)

    assert client.get(f"/admin/pages/page/{draft.pk}/revisions/").status_code == 200
    assert client.get(f"/admin/pages/page/{draft.pk}/preview-links/").status_code == 200
