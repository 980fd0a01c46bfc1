"""Superusers edit the site's name, tagline, description and menu links in the admin; every
process and every cached page shows the change on the next request. (The comment rules:
tests/comments/test_site_rules.py.)"""

import io
import xml.etree.ElementTree as ElementTree

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

import pagecache
from pagecache.models import PageVersion
from blog.site import MenuLink, SiteSettings, check_first_run_defaults, site_settings

pytestmark = pytest.mark.django_db

URL = "/admin/blog/sitesettings/"


def served_from_cache(response):
    return response.get("X-Page-Cache") == "hit"


@pytest.fixture
def superuser(make_user):
    return make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def superuser_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def form_data(links=(), **values):
    """What the admin's site settings form sends: the current values, changed by `values`."""
    current = SiteSettings.load()
    data = {
        "name": current.name,
        "tagline": current.tagline,
        "description": current.description,
        "comment_moderation": current.comment_moderation,
        "comments_max_depth": current.comments_max_depth,
        "comments_close_after_days": current.comments_close_after_days or "",
        "comments_per_page": current.comments_per_page or "",
        "menu_links-TOTAL_FORMS": str(len(links)),
        "menu_links-INITIAL_FORMS": "0",
        "menu_links-MIN_NUM_FORMS": "0",
        "menu_links-MAX_NUM_FORMS": "1000",
    }
    for number, (label, url, order) in enumerate(links):
        data[f"menu_links-{number}-label"] = label
        data[f"menu_links-{number}-url"] = url
        data[f"menu_links-{number}-menu_order"] = str(order)
    data.update(values)
    return data


@pytest.fixture
def save_settings(superuser_client, django_capture_on_commit_callbacks):
    """save_settings(links=..., **values): a superuser saves the admin's form; the response."""

    def save(links=(), **values):
        with django_capture_on_commit_callbacks(execute=True):
            return superuser_client.post(URL, form_data(links, **values))

    return save


# The name, tagline and description.


def test_a_new_site_name_is_on_every_cached_page_at_the_next_request(
    client, published_post, save_settings
):
    pages = ["/", published_post.get_absolute_url(), "/search/", "/feed/rss/", "/no/such/page/"]
    for url in pages:
        client.get(url)
    assert served_from_cache(client.get("/"))

    response = save_settings(name="The Camp Letters")

    assert response.status_code == 302
    home = client.get("/")
    assert not served_from_cache(home)
    assert "<title>The Camp Letters</title>" in home.content.decode()
    assert '<a class="site-title" href="/">The Camp Letters</a>' in home.content.decode()
    post_page = client.get(published_post.get_absolute_url()).content.decode()
    assert "<title>A published post · The Camp Letters</title>" in post_page
    assert "Notes from history" not in post_page
    assert "<title>The Camp Letters</title>" in client.get("/feed/rss/").content.decode()
    assert "Page not found · The Camp Letters" in client.get("/no/such/page/").content.decode()


def test_another_process_s_change_is_seen_on_the_next_request(client, published_post):
    """Processes share the database, not memory: the site's version tells them."""
    url = published_post.get_absolute_url()
    client.get(url)
    assert served_from_cache(client.get(url))

    # What another process's admin writes: the row, then (after its commit) a new version.
    SiteSettings.objects.update(name="Changed elsewhere")
    PageVersion.objects.update_or_create(key=pagecache.SITE, defaults={"version": 424242})

    page = client.get(url)
    assert not served_from_cache(page)
    assert "Changed elsewhere" in page.content.decode()


def test_the_tagline_is_under_the_name_and_the_description_describes_the_home_page_and_feeds(
    client, published_post, save_settings
):
    assert 'class="site-tagline"' not in client.get("/").content.decode()

    save_settings(tagline="Letters home, 1942–1946", description="A historian reads old letters.")

    home = client.get("/").content.decode()
    assert '<p class="site-tagline">Letters home, 1942–1946</p>' in home
    assert '<meta name="description" content="A historian reads old letters.">' in home
    assert '<meta property="og:description" content="A historian reads old letters.">' in home
    rss = ElementTree.fromstring(client.get("/feed/rss/").content)
    assert rss.findtext("channel/description") == "A historian reads old letters."
    atom = client.get("/feed/atom/").content.decode()
    assert "<subtitle>A historian reads old letters.</subtitle>" in atom


def test_the_feed_has_its_own_description_while_the_site_has_none(client, published_post):
    rss = ElementTree.fromstring(client.get("/feed/rss/").content)
    assert rss.findtext("channel/description") == "The latest posts."


def test_emails_and_exports_carry_the_new_name(save_settings, run_wxr_export):
    save_settings(name="The Camp Letters", description="Old letters.")

    export = run_wxr_export()

    assert "<title>The Camp Letters</title>" in export
    assert "<description>Old letters.</description>" in export


@pytest.fixture
def run_wxr_export():
    from transfer.wxr import wxr_chunks

    return lambda: "".join(wxr_chunks())


# The admin carries the site's name and icon.


def test_the_admin_is_titled_with_the_site_name(superuser_client, save_settings):
    save_settings(name="The Camp Letters")

    html = superuser_client.get("/admin/").content.decode()

    assert "Django administration" not in html and "Django site admin" not in html
    assert '<div id="site-name"><a href="/admin/">The Camp Letters</a></div>' in html
    assert "<title>Site administration | The Camp Letters admin</title>" in html


def test_the_admin_login_page_and_the_public_pages_have_the_site_icon(client):
    for url in ["/admin/login/", "/"]:
        html = client.get(url).content.decode()
        assert '<link rel="icon" href="/static/favicon.ico" sizes="32x32">' in html, url
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html, url


def test_the_site_icons_are_real_small_images():
    with Image.open(finders.find("favicon.ico")) as icon:
        assert icon.format == "ICO"
        assert (16, 16) in icon.info["sizes"] and (32, 32) in icon.info["sizes"]
    svg = ElementTree.parse(finders.find("favicon.svg")).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"


# The menu.


def test_menu_links_join_the_pages_in_the_header_menu_in_one_order(
    client, make_page, save_settings
):
    make_page(title="About", slug="about", menu_order=1)
    make_page(title="Colophon", slug="colophon", menu_order=5)

    response = save_settings(links=[("Archive", "https://archive.example.org/blog/", 3),
                                    ("Contact", "/about/#contact", 9)])

    assert response.status_code == 302
    html = client.get("/").content.decode()
    menu = html[html.index('<nav class="site-nav"'):html.index("</nav>")]
    order = [menu.index(label) for label in ["About", "Archive", "Colophon", "Contact"]]
    assert order == sorted(order)
    assert '<a href="https://archive.example.org/blog/">Archive</a>' in menu
    assert '<a href="/about/#contact">Contact</a>' in menu


def test_a_menu_link_to_the_current_page_is_marked_current(client, published_post, site_links):
    site_links(("Latest article", published_post.get_absolute_url(), 1))

    html = client.get(published_post.get_absolute_url()).content.decode()

    assert f'<a href="{published_post.get_absolute_url()}" aria-current="page">Latest article</a>' in html


@pytest.fixture
def site_links(django_capture_on_commit_callbacks):
    from blog import site

    def add(*links):
        with django_capture_on_commit_callbacks(execute=True):
            for label, url, order in links:
                MenuLink.objects.create(site=SiteSettings.load(), label=label, url=url, menu_order=order)
            site.changed()

    return add


@pytest.mark.parametrize("url", [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox",
    "//evil.example/",
    "/\\evil.example/",
    "ftp://files.example.org/",
    "about",
    "https://",
    "/with space/",
    "/with\ttab/",
    "https://example.org/\x00",
])
def test_a_menu_link_goes_to_a_path_or_an_http_address_only(save_settings, url):
    response = save_settings(links=[("Bad", url, 1)])

    assert response.status_code == 200
    assert "Enter a path on this site starting with /" in response.content.decode() or (
        "control character" in response.content.decode()
    )
    assert not MenuLink.objects.exists()


@pytest.mark.parametrize("url", ["/", "/about/", "/tags/?sort=count#top", "http://example.org",
                                 "https://example.org/a/b?c=d"])
def test_paths_and_http_addresses_are_good_menu_links(save_settings, url):
    assert save_settings(links=[("Fine", url, 1)]).status_code == 302
    assert MenuLink.objects.get().url == url


# Who may change them, and what is refused.


def test_only_superusers_see_and_change_the_site_settings(client, make_user, superuser_client):
    editor = make_user("eda", groups=["Editors"], is_staff=True)
    moderator = make_user("mo", groups=["Moderators"], is_staff=True)
    author = make_user("au", groups=["Authors"], is_staff=True)

    anonymous = client.get(URL)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    for user in (editor, moderator, author):
        staff = Client()
        staff.force_login(user)
        assert staff.get(URL).status_code == 403, user
        assert staff.post(URL, form_data(name="Taken over")).status_code == 403, user
        assert "Site settings" not in staff.get("/admin/").content.decode(), user
    assert SiteSettings.load().name == "Notes from history"

    assert superuser_client.get(URL).status_code == 200
    assert 'href="/admin/blog/sitesettings/"' in superuser_client.get("/admin/").content.decode()


def test_the_settings_page_has_no_list_no_add_and_no_delete(superuser_client):
    assert superuser_client.get("/admin/blog/sitesettings/add/").status_code in (403, 404)
    assert superuser_client.get("/admin/blog/sitesettings/1/delete/").status_code in (403, 404)
    html = superuser_client.get(URL).content.decode()
    assert "the blocklist" in html and "/admin/comments/blocklistentry/" in html
    assert "/admin/comments/moderationkeyword/" in html


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "This field is required."),
    ("name", "   ", "This field is required."),
    ("name", "x" * 101, "at most 100 characters"),
    ("name", "Bell\x07", "control character"),
    ("tagline", "t" * 201, "at most 200 characters"),
    ("description", "d" * 301, "at most 300 characters"),
    ("comment_moderation", "sometimes", "Select a valid choice."),
    ("comments_max_depth", "11", "Replies can nest from 0 (no replies) to 10 deep."),
    ("comments_max_depth", "-1", "greater than or equal to 0"),
    ("comments_max_depth", "", "This field is required."),
    ("comments_max_depth", "deep", "Enter a whole number."),
    ("comments_max_depth", "99999999999999999999", "Replies can nest from 0"),
    ("comments_close_after_days", "0", "Enter a number of days from 1 to 36500"),
    ("comments_close_after_days", "36501", "Enter a number of days from 1 to 36500"),
    ("comments_per_page", "0", "Enter a number from 1 to 500"),
    ("comments_per_page", "501", "Enter a number from 1 to 500"),
])
def test_bad_values_are_refused_with_a_clear_error_and_nothing_changes(
    save_settings, field, value, message
):
    before = SiteSettings.load()

    response = save_settings(**{field: value})

    assert response.status_code == 200
    assert message in response.content.decode()
    after = SiteSettings.load()
    assert getattr(after, field) == getattr(before, field)


def test_a_menu_link_needs_a_label(save_settings):
    response = save_settings(links=[("", "/about/", 1)])
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


# How they are read.


def test_a_settings_read_costs_no_query_once_the_page_cache_has_read_the_site_version(rf):
    request = rf.get("/")
    site_settings(request)  # fills the cache for this version of the site
    again = rf.get("/")
    pagecache.depends_on(again, [pagecache.SITE])  # as serve() does before rendering

    with CaptureQueriesContext(connection) as queries:
        site = site_settings(again)
        links = list(site.menu_links.all())

    assert len(queries) == 0
    assert site.name == "Notes from history" and links == []


def test_settings_are_read_once_per_request(client, published_post, monkeypatch):
    loads = []
    original = SiteSettings.load
    monkeypatch.setattr(SiteSettings, "load", classmethod(lambda cls: loads.append(1) or original()))

    client.get(f"{published_post.get_absolute_url()}?fresh=1")

    assert len(loads) == 1


def test_outside_a_request_the_settings_are_read_afresh_each_time():
    assert site_settings().name == "Notes from history"
    SiteSettings.objects.update(name="Renamed by a script")
    assert site_settings().name == "Renamed by a script"


# The environment's part: first-run defaults.


def test_the_environment_gives_the_values_the_settings_start_with(settings):
    SiteSettings.objects.all().delete()
    settings.SITE_NAME = "From the environment"
    settings.COMMENTS_MAX_DEPTH = 3
    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    settings.COMMENTS_PER_PAGE = 0

    first = SiteSettings.load()

    assert (first.name, first.comments_max_depth, first.comments_close_after_days,
            first.comments_per_page) == ("From the environment", 3, 14, None)
    settings.SITE_NAME = "Changed later"
    assert SiteSettings.load().name == "From the environment"


@pytest.mark.parametrize("name, value", [
    ("COMMENTS_MAX_DEPTH", 11),
    ("COMMENTS_MAX_DEPTH", -1),
    ("COMMENTS_CLOSE_AFTER_DAYS", 0),
    ("COMMENTS_PER_PAGE", 1000),
])
def test_a_first_run_default_the_admin_would_refuse_fails_the_system_check(settings, name, value):
    setattr(settings, name, value)
    errors = check_first_run_defaults(None)
    assert [error.id for error in errors] == ["blog.E001"]
    assert name in errors[0].msg


def test_the_usual_first_run_defaults_pass_the_system_check():
    assert check_first_run_defaults(None) == []


# The command for scripts.


def test_the_command_changes_settings_with_the_admin_s_checks(client, published_post,
                                                              django_capture_on_commit_callbacks):
    client.get("/")
    output = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("site_settings", "name=From a script", "comments_per_page=", stdout=output)

    assert "name = From a script" in output.getvalue()
    assert "comments_per_page = \n" in output.getvalue()
    assert SiteSettings.load().comments_per_page is None
    assert "<title>From a script</title>" in client.get("/").content.decode()

    with pytest.raises(CommandError, match="Enter a number from 1 to 500"):
        call_command("site_settings", "comments_per_page=9000", "name=Half done")
    with pytest.raises(CommandError, match="not setting=value"):
        call_command("site_settings", "colour=red")
    assert SiteSettings.load().name == "From a script"
