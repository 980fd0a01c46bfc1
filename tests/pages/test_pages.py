"""Standalone pages: at the site root, in the menu and the sitemap, never among posts."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pages.models import Page

pytestmark = pytest.mark.django_db


def test_published_page_is_at_the_site_root(client, make_page):
    make_page(title="About me", slug="about", body="I write **history**.")

    response = client.get("/about/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1 class=\"post-title\">About me</h1>" in content
    assert "<p>I write <strong>history</strong>.</p>" in content
    assert '<link rel="canonical" href="http://testserver/about/">' in content


def test_sub_page_is_under_its_parent(client, make_page):
    about = make_page(title="About", slug="about")
    make_page(title="The team", slug="team", parent=about)

    response = client.get("/about/team/")

    assert response.status_code == 200
    assert "The team" in response.content.decode()
    assert '<a href="/about/">About</a>' in response.content.decode()
    assert client.get("/team/").status_code == 404


def test_page_body_is_sanitized_like_posts(client, make_page):
    make_page(slug="about", body="Hi <script>alert(1)</script>\n\n[x](javascript:alert(1)) <a href=\"javascript:alert(1)\">y</a>")

    content = client.get("/about/").content.decode()

    assert "<script>" not in content
    assert "href=\"javascript:" not in content


def test_draft_page_is_hidden_from_readers(client, make_page):
    make_page(slug="soon", status=Page.Status.DRAFT)

    assert client.get("/soon/").status_code == 404


def test_scheduled_page_is_hidden_until_due(client, make_page):
    make_page(slug="soon", published_at=timezone.now() + timedelta(hours=1))

    assert client.get("/soon/").status_code == 404


def test_editor_previews_a_draft_page_at_its_address_uncached(client, editor, make_page):
    make_page(title="Work in progress", slug="soon", status=Page.Status.DRAFT)
    client.force_login(editor)

    response = client.get("/soon/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Preview — not published." in content
    assert "This page is a draft and readers cannot see it" in content
    assert '<meta name="robots" content="noindex">' in content
    assert "no-store" in response["Cache-Control"]


def test_author_cannot_preview_a_draft_page(client, author, make_page):
    make_page(slug="soon", status=Page.Status.DRAFT)
    client.force_login(author)

    assert client.get("/soon/").status_code == 404


@pytest.mark.parametrize(
    "slug",
    ["admin", "tags", "feed", "search", "comments", "preview", "markdownx", "static", "2024"],
)
def test_slug_taken_by_another_route_is_refused(make_page, slug):
    page = Page(title="Clash", slug=slug, body="x", author=make_page().author)

    with pytest.raises(ValidationError) as raised:
        page.full_clean()

    assert "This address cannot be a page's" in raised.value.message_dict["slug"][0]
    assert "Choose another slug" in raised.value.message_dict["slug"][0]


def test_free_slug_is_accepted(make_page):
    page = Page(title="About", slug="about", body="x", author=make_page().author)

    page.full_clean()


def test_two_pages_cannot_share_an_address(make_page):
    make_page(slug="about")
    page = Page(title="About again", slug="about", body="x", author=make_page().author)

    with pytest.raises(ValidationError) as raised:
        page.full_clean()

    assert raised.value.message_dict["slug"] == ["Another page already has the address /about/."]


def test_same_slug_under_different_parents_is_fine(make_page):
    first, second = make_page(slug="one"), make_page(slug="two")
    make_page(slug="contact", parent=first)
    page = Page(title="Contact", slug="contact", parent=second, body="x", author=first.author)

    page.full_clean()


def test_page_cannot_be_under_its_own_sub_page(make_page):
    about = make_page(slug="about")
    team = make_page(slug="team", parent=about)
    about.parent = team

    with pytest.raises(ValidationError) as raised:
        about.full_clean()

    assert "cannot be under itself" in raised.value.message_dict["parent"][0]


def test_changing_a_published_page_slug_redirects_the_old_address(client, make_page):
    about = make_page(slug="about")
    make_page(slug="team", parent=about)

    about.slug = "who-we-are"
    about.save()

    assert client.get("/about/").headers["Location"] == "/who-we-are/"
    assert client.get("/about/").status_code == 301
    assert client.get("/about/team/").status_code == 301
    assert client.get("/about/team/").headers["Location"] == "/who-we-are/team/"
    assert client.get("/who-we-are/team/").status_code == 200


def test_old_address_follows_the_page_through_several_renames(client, make_page):
    page = make_page(slug="first")
    page.slug = "second"
    page.save()
    page.slug = "third"
    page.save()

    assert client.get("/first/").headers["Location"] == "/third/"
    assert client.get("/second/").headers["Location"] == "/third/"


def test_renaming_a_draft_leaves_no_redirect(client, make_page):
    page = make_page(slug="draft-name", status=Page.Status.DRAFT)
    page.slug = "final-name"
    page.save()

    assert client.get("/draft-name/").status_code == 404


def test_a_page_may_take_back_an_old_address(client, make_page):
    page = make_page(slug="about")
    page.slug = "elsewhere"
    page.save()
    page.slug = "about"
    page.save()

    assert client.get("/about/").status_code == 200
    assert client.get("/elsewhere/").headers["Location"] == "/about/"


def test_menu_lists_published_pages_in_their_order(client, make_page, published_post):
    make_page(title="Contact", slug="contact", menu_order=2)
    make_page(title="About", slug="about", menu_order=1)
    make_page(title="Colophon", slug="colophon")
    make_page(title="Draft", slug="draft", status=Page.Status.DRAFT, menu_order=0)

    content = client.get("/").content.decode()

    nav = content[content.index('<nav class="site-nav"'):content.index("</nav>")]
    assert nav.index('<a href="/about/">About</a>') < nav.index('<a href="/contact/">Contact</a>')
    assert "Colophon" not in nav
    assert "Draft" not in nav


def test_menu_marks_the_current_page(client, make_page):
    make_page(title="About", slug="about", menu_order=1)

    content = client.get("/about/").content.decode()

    assert '<a href="/about/" aria-current="page">About</a>' in content


def test_page_added_in_the_admin_appears_in_cached_menus(
    client, admin_user, make_page, published_post, django_capture_on_commit_callbacks
):
    client.get("/")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/pages/page/add/", {
            "title": "About", "slug": "about", "body": "Hello.", "status": "published",
            "published_at_0": "2024-01-02", "published_at_1": "10:00:00", "menu_order": "1", "author": admin_user.pk,
            "redirects-TOTAL_FORMS": "0", "redirects-INITIAL_FORMS": "0",
        })
    assert response.status_code == 302, response.context["adminform"].form.errors
    client.logout()

    assert '<a href="/about/">About</a>' in client.get("/").content.decode()


def test_sitemap_lists_published_pages(client, make_page):
    make_page(slug="about")
    make_page(slug="secret", status=Page.Status.DRAFT)

    content = client.get("/sitemap.xml").content.decode()

    assert "/about/</loc>" in content
    assert "/secret/" not in content


def test_pages_are_not_in_feeds_archives_or_the_post_list(client, make_page, published_post):
    make_page(title="About this site", slug="about")
    year = timezone.localtime(published_post.published_at).year

    for url in ["/", "/feed/atom/", "/feed/rss/", f"/{year}/", "/search/?q=About"]:
        assert "About this site" not in client.get(url).content.decode(), url


def test_unknown_address_is_a_404(client):
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/no/such/page/").status_code == 404
