"""Every admin save of a page keeps a revision; those who may edit pages compare and restore them."""

import pytest
from django.utils import timezone

from blog import revisions
from pages.models import Page

pytestmark = pytest.mark.django_db


def edit_form(page, **overrides):
    published_at = timezone.localtime(page.published_at) if page.published_at else None
    return {
        "title": page.title,
        "slug": page.slug,
        "parent": page.parent_id or "",
        "body": page.body,
        "status": page.status,
        "published_at_0": published_at.strftime("%Y-%m-%d") if published_at else "",
        "published_at_1": published_at.strftime("%H:%M:%S") if published_at else "",
        "menu_order": "" if page.menu_order is None else page.menu_order,
        "redirects-TOTAL_FORMS": "0",
        "redirects-INITIAL_FORMS": "0",
        **overrides,
    }


def save_in_admin(client, page, **changes):
    response = client.post(f"/admin/pages/page/{page.pk}/change/", edit_form(page, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors
    page.refresh_from_db()
    return page


@pytest.fixture
def about(make_page):
    return make_page(title="About", slug="about", body="One.\nTwo.\nThree.", menu_order=2)


def test_saving_a_page_in_the_admin_keeps_a_revision_of_who_changed_what(client, about, editor, make_page):
    team = make_page(title="Our team", slug="team")
    client.force_login(editor)

    save_in_admin(client, about, title="About us", slug="about-us", parent=team.pk, menu_order="5")

    [version] = revisions.history(about)
    assert version.revision.user == editor
    assert "Title" in version.revision.get_comment()
    kept = revisions.snapshot(version)
    assert kept == {
        "title": "About us",
        "slug": "about-us",
        "parent": "Our team",
        "body": "One.\nTwo.\nThree.",
        "menu_order": 5,
        "status": "published",
        "published_at": about.published_at,
    }


def test_a_new_page_written_in_the_admin_starts_with_a_revision(client, editor):
    client.force_login(editor)

    client.post("/admin/pages/page/add/", {
        "title": "Colophon", "slug": "colophon", "body": "Set in type.", "status": "draft",
        "published_at_0": "", "published_at_1": "", "menu_order": "",
        "redirects-TOTAL_FORMS": "0", "redirects-INITIAL_FORMS": "0",
    })

    [version] = revisions.history(Page.objects.get(slug="colophon"))
    assert version.revision.get_comment() == "Added."
    assert version.revision.user == editor


def test_reordering_the_menu_from_the_page_list_keeps_a_revision(client, about, editor):
    client.force_login(editor)

    response = client.post("/admin/pages/page/", {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1",
        "form-0-id": about.pk, "form-0-menu_order": "9", "_save": "Save",
    })

    assert response.status_code == 302
    [version] = revisions.history(about)
    assert revisions.snapshot(version)["menu_order"] == 9
    assert version.revision.user == editor


def test_revisions_page_shows_readable_differences_between_any_two(client, about, editor):
    client.force_login(editor)
    save_in_admin(client, about)
    save_in_admin(client, about, body="One.\nTwo, changed.\nThree.", title="About us")
    save_in_admin(client, about, status="draft")
    first, second, third = reversed(revisions.history(about))

    latest_two = client.get(f"/admin/pages/page/{about.pk}/revisions/").content.decode()
    chosen = client.get(
        f"/admin/pages/page/{about.pk}/revisions/", {"from": third.pk, "to": first.pk}
    ).content.decode()

    assert "<del>published</del> → <ins>draft</ins>" in latest_two
    assert "Two, changed." not in latest_two
    assert "<del>− Two.</del>" in chosen
    assert "<ins>+ Two, changed.</ins>" in chosen
    assert "<del>About</del> → <ins>About us</ins>" in chosen
    assert "Eda Editor" in chosen


def test_comparing_revisions_of_another_page_is_refused(client, about, editor, make_page):
    other = make_page(slug="other")
    client.force_login(editor)
    save_in_admin(client, about)
    save_in_admin(client, other)
    [mine], [theirs] = revisions.history(about), revisions.history(other)

    response = client.get(f"/admin/pages/page/{about.pk}/revisions/", {"from": mine.pk, "to": theirs.pk})

    assert response.status_code == 400
    assert "Choose two revisions of this page to compare." in response.content.decode()


def test_restoring_brings_back_the_writing_as_a_new_revision(client, about, editor):
    client.force_login(editor)
    save_in_admin(client, about)
    save_in_admin(client, about, title="Changed", body="All new.", menu_order="7")
    original = revisions.history(about).last()

    response = client.post(f"/admin/pages/page/{about.pk}/revisions/{original.pk}/restore/")

    assert response.status_code == 302
    about.refresh_from_db()
    assert (about.title, about.body) == ("About", "One.\nTwo.\nThree.")
    # The page keeps its address, state and place in the menu.
    assert (about.slug, about.status, about.menu_order) == ("about", "published", 7)
    newest = revisions.history(about).first()
    assert revisions.history(about).count() == 3
    assert newest.revision.user == editor
    assert newest.revision.get_comment().startswith("Restored the revision of")
    assert "One." in client.get("/about/").content.decode()


def test_restore_needs_a_post_request(client, about, editor):
    client.force_login(editor)
    save_in_admin(client, about)
    [version] = revisions.history(about)

    assert client.get(f"/admin/pages/page/{about.pk}/revisions/{version.pk}/restore/").status_code == 405


def test_restoring_a_revision_of_another_page_is_a_404(client, about, editor, make_page):
    other = make_page(slug="other")
    client.force_login(editor)
    save_in_admin(client, other)
    [theirs] = revisions.history(other)

    response = client.post(f"/admin/pages/page/{about.pk}/revisions/{theirs.pk}/restore/")

    assert response.status_code == 404


def test_revisions_list_is_a_constant_number_of_queries(client, about, editor, django_assert_max_num_queries):
    client.force_login(editor)
    for number in range(6):
        save_in_admin(client, about, body=f"Version {number}.")

    with django_assert_max_num_queries(12):
        response = client.get(f"/admin/pages/page/{about.pk}/revisions/")

    assert response.status_code == 200
