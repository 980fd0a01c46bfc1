"""An editor writes a page in the admin, publishes it, and readers find it in the menu."""

import pytest
from playwright.sync_api import expect

from pages.models import Page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_editor_writes_a_page_and_readers_find_it_in_the_menu(page, new_page, live_server, make_staff, log_in):
    make_staff("eda", "Editors")
    log_in(page, "eda", next_url="/admin/pages/page/add/")
    expect(page.get_by_role("heading", name="Add page")).to_be_visible()

    page.get_by_label("Title").press_sequentially("About this blog")
    expect(page.get_by_label("Slug")).to_have_value("about-this-blog")
    page.locator("textarea#id_body").fill("Written by **one** historian.")
    preview = page.locator("#id_body ~ .markdownx-preview")
    expect(preview.locator("strong", has_text="one")).to_be_visible()
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_label("Menu order").fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert Page.objects.get(slug="about-this-blog").is_published

    # A reader without a session: the home page's menu leads to the page.
    reader = new_page()
    reader.goto("/")
    menu = reader.get_by_role("navigation", name="Site")
    menu.get_by_role("link", name="About this blog").click()
    expect(reader).to_have_url(f"{live_server.url}/about-this-blog/")
    expect(reader.get_by_role("heading", name="About this blog", level=1)).to_be_visible()
    current = reader.get_by_role("navigation", name="Site").get_by_role("link", name="About this blog")
    expect(current).to_have_attribute("aria-current", "page")


def test_a_slug_another_route_uses_is_refused_with_the_reason(page, make_staff, log_in):
    make_staff("eda", "Editors")
    log_in(page, "eda", next_url="/admin/pages/page/add/")

    page.get_by_label("Title").press_sequentially("Tags")
    expect(page.get_by_label("Slug")).to_have_value("tags")
    page.locator("textarea#id_body").fill("Words.")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".errorlist")).to_contain_text("This address cannot be a page's")
    assert not Page.objects.exists()
