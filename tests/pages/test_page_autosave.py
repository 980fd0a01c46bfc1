"""The page editor keeps an editor's work while they type, without changing what readers see."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from blog.models import Autosave
from pages.models import Page

pytestmark = pytest.mark.django_db

AUTOSAVE = "/admin/pages/page/autosave/"


@pytest.fixture
def about(make_page):
    return make_page(title="About", slug="about", body="Published words.")


def autosave(client, page=None, **values):
    return client.post(AUTOSAVE, {"post": page.pk if page else "", "title": "", "body": "", **values})


def page_form(page, **overrides):
    published_at = timezone.localtime(page.published_at)
    return {
        "title": page.title, "slug": page.slug, "body": page.body, "status": page.status,
        "published_at_0": published_at.strftime("%Y-%m-%d"), "published_at_1": published_at.strftime("%H:%M:%S"),
        "menu_order": "", "redirects-TOTAL_FORMS": "0", "redirects-INITIAL_FORMS": "0",
        **overrides,
    }


def test_autosaving_a_published_page_leaves_what_readers_see(client, about, editor):
    client.force_login(editor)

    response = autosave(client, about, title="About", body="Published words, and half a sen")

    assert response.status_code == 200
    about.refresh_from_db()
    assert about.body == "Published words."
    kept = Autosave.objects.get()
    assert (kept.kind, kept.page, kept.post) == ("page", about, None)
    assert kept.body == "Published words, and half a sen"
    client.logout()
    assert "half a sen" not in client.get("/about/").content.decode()


def test_reopening_the_page_editor_offers_the_newer_autosave(client, about, editor):
    client.force_login(editor)
    autosave(client, about, title="About", body="Every word typed.")

    form = client.get(f"/admin/pages/page/{about.pk}/change/").content.decode()

    assert "You have unsaved work on this page" in form
    assert '<script id="autosave-pending" type="application/json">' in form
    assert "Every word typed." in form
    assert "js/autosave.js" in form
    assert 'data-autosave-url="/admin/pages/page/autosave/"' in form


def test_an_autosave_older_than_the_pages_last_save_is_not_offered(client, about, editor):
    client.force_login(editor)
    autosave(client, about, title="About", body="Old work.")
    Autosave.objects.update(saved_at=timezone.now() - timedelta(hours=1))

    assert "You have unsaved work" not in client.get(f"/admin/pages/page/{about.pk}/change/").content.decode()


def test_an_autosave_equal_to_the_page_is_not_offered(client, about, editor):
    client.force_login(editor)
    autosave(client, about, title="About", body="Published words.")

    assert "You have unsaved work" not in client.get(f"/admin/pages/page/{about.pk}/change/").content.decode()


def test_saving_the_page_ends_its_autosave(client, about, editor):
    client.force_login(editor)
    autosave(client, about, title="About", body="Finished.")

    response = client.post(f"/admin/pages/page/{about.pk}/change/", page_form(about, body="Finished."))

    assert response.status_code == 302
    assert not Autosave.objects.exists()


def test_a_new_pages_work_is_offered_on_the_add_page_not_the_new_posts(client, editor):
    client.force_login(editor)
    autosave(client, title="Colophon", body="A first draft of a page.")

    assert "A first draft of a page." in client.get("/admin/pages/page/add/").content.decode()
    assert "A first draft of a page." not in client.get("/admin/blog/post/add/").content.decode()
    client.post("/admin/pages/page/add/", {
        "title": "Colophon", "slug": "colophon", "body": "A first draft of a page.", "status": "draft",
        "published_at_0": "", "published_at_1": "", "menu_order": "",
        "redirects-TOTAL_FORMS": "0", "redirects-INITIAL_FORMS": "0",
    })

    assert Page.objects.filter(slug="colophon").exists()
    assert not Autosave.objects.exists()


def test_a_new_page_and_a_new_post_keep_separate_autosaves(client, editor):
    client.force_login(editor)

    autosave(client, title="A page", body="Page words.")
    client.post("/admin/blog/post/autosave/", {"post": "", "title": "A post", "summary": "", "body": "Post words."})

    assert sorted(Autosave.objects.values_list("kind", "title")) == [("page", "A page"), ("post", "A post")]


def test_a_page_has_no_summary_to_keep(client, about, editor):
    client.force_login(editor)

    autosave(client, about, title="About", body="Words.", summary="Sneaked in.")

    assert Autosave.objects.get().summary == ""


def test_discarding_a_page_autosave(client, about, editor):
    client.force_login(editor)
    autosave(client, about, body="Never mind.")

    response = client.post("/admin/pages/page/autosave/discard/", {"post": about.pk})

    assert response.status_code == 200
    assert not Autosave.objects.exists()


@pytest.mark.parametrize("page_id", ["x", "99999", "1; drop", "-1"])
def test_unknown_pages_are_a_404(client, editor, page_id):
    client.force_login(editor)

    response = client.post(AUTOSAVE, {"post": page_id, "body": "Words."})

    assert response.status_code == 404
    assert not Autosave.objects.exists()


@pytest.mark.parametrize("values, message", [
    ({"body": "x" * 500_001}, "longer than 500,000 characters"),
    ({"title": "t" * 201}, "title is longer than 200"),
    ({"body": "a\x00b"}, "control character (U+0000)"),
])
def test_bad_work_is_refused_clearly_and_nothing_kept(client, about, editor, values, message):
    client.force_login(editor)

    response = autosave(client, about, **values)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Autosave.objects.exists()


def test_an_autosave_belongs_to_the_kind_it_names(about, editor):
    with pytest.raises(IntegrityError):
        Autosave.objects.create(kind="post", page=about, author=editor, saved_at=timezone.now())
