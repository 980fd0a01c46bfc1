"""WordPress and Blogger pages come in as pages: their tree, menu order and old addresses."""

import re

import pytest
from defusedxml import ElementTree
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pages.models import Page
from tests.transfer.conftest import WORDPRESS_FILE, wxr, wxr_comment, wxr_item
from tests.transfer.test_blogger_import import BLOG, CLASSIC_DRAFT, takeout, takeout_comment, takeout_post
from tests.transfer.test_export import NS, blog_content, empty_the_site, page_content
from transfer.models import LegacyURL, SourceRecord

pytestmark = pytest.mark.django_db


def page_item(post_id, title, *, parent=0, order=0, slug=None, status="publish", link=None, **options):
    """A WordPress page item; `link` is its old permalink (WordPress's pretty one by default)."""
    slug = slug or title.lower().replace(" ", "-")
    item = wxr_item(post_id, title, slug=slug, status=status, post_type="page",
                    extra=f"<wp:post_parent>{parent}</wp:post_parent><wp:menu_order>{order}</wp:menu_order>\n"
                    + options.pop("extra", ""), **options)
    return item.replace(f"<link>https://old.example.com/?p={post_id}</link>",
                        f"<link>{link or f'https://old.example.com/{slug}/'}</link>")


@pytest.fixture
def theme_unit_test(run_command):
    return run_command("import_wordpress", WORDPRESS_FILE)


def test_wordpress_pages_arrive_as_pages_with_their_tree(theme_unit_test):
    assert re.search(r"pages\s+21\s+0\s+0\s+0\s+0", theme_unit_test)
    level_3 = Page.objects.get(title="Level 3")
    assert level_3.path == "level-1/level-2/level-3"
    assert level_3.parent.parent.title == "Level 1"
    assert Page.objects.get(title="Page with comments").path == "about/page-with-comments"
    # Slugs in any script keep their address.
    assert Page.objects.get(title="Επίπεδο 3").path == "greek/επίπεδο-2/επίπεδο-3"
    assert all(page.is_published for page in Page.objects.all())


def test_top_level_pages_take_their_wordpress_menu_order_and_sub_pages_stay_out_of_the_menu(theme_unit_test):
    menu = list(Page.objects.in_menu().values_list("title", "menu_order"))
    assert set(menu[:3]) == {("a Blog page", 0), ("Front Page", 0), ("Ελληνικά-Greek", 0)}
    assert menu[-4:] == [("Level 1", 5), ("Lorem Ipsum", 7), ("Page A", 10), ("Page B", 11)]
    assert Page.objects.get(title="Level 2").menu_order is None


def test_comments_on_pages_are_counted_as_skipped(theme_unit_test):
    assert "5 comments on pages (pages here have no comments)" in theme_unit_test


def test_old_page_addresses_redirect_to_the_page(theme_unit_test, client):
    for old in ["/?page_id=172", "/?p=172", "/index.php?page_id=172"]:
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == "/level-1/level-2/level-3/"
    # The same address as before needs no redirect: the page answers it.
    assert client.get("/level-1/level-2/level-3/").status_code == 200


def test_a_parent_after_its_child_in_the_file_still_gets_the_child(run_command, write_file):
    output = run_command("import_wordpress", write_file(wxr(
        page_item(3, "Grandchild", parent=2, link="https://old.example.com/top/child/grandchild/"),
        page_item(2, "Child", parent=1, link="https://old.example.com/top/child/"),
        page_item(1, "Top", order=4),
    )))
    assert "Warnings" not in output
    assert Page.objects.get(title="Grandchild").path == "top/child/grandchild"
    assert Page.objects.get(title="Top").menu_order == 4


def test_a_page_whose_parent_is_missing_or_a_loop_goes_to_the_top_with_a_warning(run_command, write_file):
    output = run_command("import_wordpress", write_file(wxr(
        page_item(1, "Orphan", parent=99),
        page_item(2, "Ping", parent=3),
        page_item(3, "Pong", parent=2),
    )))
    assert Page.objects.get(title="Orphan").parent is None
    assert "“Orphan” is under a page that is not in the export" in output
    assert "each under the other" in output
    assert set(Page.objects.values_list("path", flat=True)) in (
        {"orphan", "ping", "ping/pong"}, {"orphan", "pong", "pong/ping"})


@pytest.mark.parametrize("slug, taken_by", [("tags", "/tags/"), ("search", "blog:search"), ("2013", "blog:archive-year"),
                                            ("admin", "/admin/")])
def test_a_page_slug_that_a_route_answers_gets_another_address_and_a_warning(run_command, write_file, client,
                                                                            slug, taken_by):
    output = run_command("import_wordpress", write_file(wxr(page_item(5, "Reserved", slug=slug))))
    page = Page.objects.get()
    assert page.slug == f"{slug}-2"
    assert f"cannot have the address /{slug}/" in output and taken_by in output
    assert client.get(page.get_absolute_url()).status_code == 200
    assert client.get("/?page_id=5")["Location"] == f"/{slug}-2/"


def test_a_page_slug_another_page_has_gets_another_address(run_command, write_file, make_page):
    make_page(title="Our own about", slug="about")
    output = run_command("import_wordpress", write_file(wxr(page_item(5, "About"))))
    assert Page.objects.get(title="About").path == "about-2"
    assert "another page here has the address /about/" in output


def test_an_own_page_with_the_same_address_and_title_is_matched(run_command, write_file, make_page):
    mine = make_page(title="About", slug="about")
    output = run_command("import_wordpress", write_file(wxr(page_item(5, "About"))))
    assert re.search(r"pages\s+0\s+0\s+0\s+1\s+0", output)
    assert Page.objects.get() == mine


def test_draft_private_and_scheduled_pages(run_command, write_file):
    output = run_command("import_wordpress", write_file(wxr(
        page_item(1, "Draft", status="draft"),
        page_item(2, "Private", status="private"),
        page_item(3, "Later", status="future", date="2999-01-01 10:00:00"),
    )))
    states = {page.title: (page.status, page.is_published) for page in Page.objects.all()}
    assert states == {"Draft": ("draft", False), "Private": ("draft", False), "Later": ("published", False)}
    assert "“Private” was private in WordPress" in output


def test_importing_pages_again_changes_nothing_and_brings_later_changes(run_command, write_file, client):
    first = wxr(page_item(1, "Top"), page_item(2, "Child", parent=1, link="https://old.example.com/top/child/"))
    run_command("import_wordpress", write_file(first))
    again = run_command("import_wordpress", write_file(first))
    assert re.search(r"pages\s+0\s+0\s+2\s+0\s+0", again)
    later = wxr(page_item(1, "Top", slug="start", body="<p>New words.</p>"),
                page_item(2, "Child", parent=1, link="https://old.example.com/top/child/"))
    output = run_command("import_wordpress", write_file(later))
    assert re.search(r"pages\s+0\s+1\s+1\s+0\s+0", output)
    top = Page.objects.get(title="Top")
    assert top.path == "start" and "New words." in top.body_html
    assert Page.objects.get(title="Child").path == "start/child"
    # The addresses the pages had here a moment ago still lead to them.
    assert client.get("/top/child/")["Location"] == "/start/child/"


def test_a_page_changed_here_and_in_the_export_keeps_the_local_version(run_command, write_file):
    run_command("import_wordpress", write_file(wxr(page_item(1, "Top"))))
    page = Page.objects.get()
    page.body = "Written here."
    page.save()
    output = run_command("import_wordpress", write_file(wxr(page_item(1, "Top", body="<p>Changed there.</p>"))))
    assert re.search(r"pages\s+0\s+0\s+0\s+0\s+1", output)
    assert "The page “Top” changed in the export and here" in output
    assert Page.objects.get().body == "Written here."


def test_a_wordpress_in_a_subdirectory_redirects_its_page_addresses(run_command, write_file, client):
    export = wxr(page_item(7, "About", link="https://old.example.com/blog/about/")).replace(
        "<wp:base_blog_url>https://old.example.com</wp:base_blog_url>",
        "<wp:base_blog_url>https://old.example.com/blog</wp:base_blog_url>")
    run_command("import_wordpress", write_file(export))
    assert client.get("/blog/about/")["Location"] == "/about/"
    assert client.get("/blog/?page_id=7")["Location"] == "/about/"
    assert set(LegacyURL.objects.values_list("path", flat=True)) == {"/blog/about/", "/blog/?p=7", "/blog/?page_id=7"}


def test_old_addresses_of_draft_pages_stay_not_found(run_command, write_file, client):
    run_command("import_wordpress", write_file(wxr(page_item(1, "Draft", status="draft"))))
    assert client.get("/?page_id=1").status_code == 200  # the home page: no redirect to the draft


def test_comments_on_a_page_are_counted_not_lost_silently(run_command, write_file):
    output = run_command("import_wordpress", write_file(wxr(
        page_item(1, "Guestbook", comments=wxr_comment(10, "Hi") + wxr_comment(11, "Hello")))))
    assert "2 comments on pages (pages here have no comments)" in output


# -- Blogger ------------------------------------------------------------------------------

def test_blogger_takeout_pages_keep_their_old_address(run_command, write_file, client):
    output = run_command("import_blogger", write_file(takeout(
        takeout_post(4, "About me", kind="PAGE").replace("/2020/05/4.html", "/p/about-me.html"),
        takeout_post(5, "Draft page", kind="PAGE", status="DRAFT"),
        takeout_post(6, "Gone", kind="PAGE", status="DELETED"),
        takeout_comment(11, 4),
    ), "feed.atom"))
    about = Page.objects.get(title="About me")
    assert about.path == "about-me" and about.is_published and about.menu_order == 0
    assert "Text of About me." in about.body_html
    assert Page.objects.get(title="Draft page").status == Page.Status.DRAFT
    assert "1 pages deleted in Blogger" in output
    assert "1 comments on pages (pages here have no comments)" in output
    assert client.get("/p/about-me.html")["Location"] == "/about-me/"
    again = run_command("import_blogger", write_file(takeout(
        takeout_post(4, "About me", kind="PAGE").replace("/2020/05/4.html", "/p/about-me.html")), "feed.atom"))
    assert re.search(r"pages\s+0\s+0\s+1\s+0\s+0", again)


def test_blogger_classic_pages_arrive(run_command, write_file):
    run_command("import_blogger", write_file(CLASSIC_DRAFT))
    page = Page.objects.get()
    assert page.title == "About" and page.is_published and page.slug == "about"
    assert SourceRecord.objects.get(kind="page").source_id == "2"
    assert BLOG in CLASSIC_DRAFT


# -- export and round trip ----------------------------------------------------------------

@pytest.fixture
def site_pages(make_page, make_user):
    writer = make_user("page-writer")
    about = make_page(title="About", slug="about", author=writer, menu_order=1, body="About *us*.")
    team = make_page(title="Team", slug="team", parent=about, author=writer)
    make_page(title="Colophon", slug="colophon", author=writer, status=Page.Status.DRAFT)
    LegacyURL.objects.create(path="/p/about.html", page=about)
    return about, team


def test_the_export_writes_pages_with_their_parent_and_menu_order(site_pages, published_post, run_command):
    about, team = site_pages
    channel = ElementTree.fromstring(run_command("export_wordpress").encode()).find("channel")
    items = {item.findtext("title"): item for item in channel.findall("item")}
    assert {title: items[title].findtext("wp:post_type", namespaces=NS) for title in ("About", "Team", "Colophon")} == {
        "About": "page", "Team": "page", "Colophon": "page"}
    ids = [item.findtext("wp:post_id", namespaces=NS) for item in channel.findall("item")]
    assert len(ids) == len(set(ids))  # one series of ids for posts and pages, as WordPress has
    assert items["Team"].findtext("wp:post_parent", namespaces=NS) == items["About"].findtext("wp:post_id", namespaces=NS)
    assert items["About"].findtext("wp:menu_order", namespaces=NS) == "1"
    assert items["Colophon"].findtext("wp:status", namespaces=NS) == "draft"
    assert items["About"].findtext("link").endswith("/about/")
    assert "/p/about.html" in {login.text for login in items["About"].iter(f"{{{NS['wp']}}}meta_value")}


def test_a_round_trip_through_an_empty_site_keeps_the_pages(site_pages, run_command, write_file, client):
    before, posts_before = page_content(), blog_content()
    export = write_file(run_command("export_wordpress"))
    empty_the_site()
    output = run_command("import_wordpress", export)
    assert "Warnings" not in output
    after = page_content()
    assert {title: value for title, value in after.items() if value != before[title]} == {}
    assert blog_content() == posts_before
    assert client.get("/p/about.html")["Location"] == "/about/"
    # And importing the same export again finds every page.
    again = run_command("import_wordpress", export)
    assert re.search(r"pages\s+0\s+0\s+3\s+0\s+0", again)


def test_exporting_pages_takes_the_same_queries_however_many_there_are(make_page, make_user, run_command,
                                                                       django_assert_num_queries):
    writer = make_user("page-writer")
    make_page(title="Only one", author=writer)
    with CaptureQueriesContext(connection) as one_page:
        run_command("export_wordpress")
    parent = make_page(title="Parent", author=writer)
    for number in range(20):
        make_page(title=f"More {number}", author=writer, parent=parent if number % 2 else None)
    with django_assert_num_queries(len(one_page.captured_queries)):
        run_command("export_wordpress")
