"""A superuser renames the site in the admin; readers see the new name on every page at once."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_superuser_renames_the_site_and_sees_it_everywhere(
    new_page, live_server, publish, django_user_model, log_in
):
    post = publish("Letters from the camp", "The first letter arrived in **June**.")
    django_user_model.objects.create_superuser("root", password=PASSWORD)

    # A reader's visits fill the page cache with the old name.
    reader = new_page()
    for url in ["/", post.get_absolute_url()]:
        reader.goto(url)
        expect(reader.locator(".site-title")).to_have_text("Notes from history")

    admin = new_page()
    log_in(admin, "root")
    admin.get_by_role("link", name="Site settings").click()
    expect(admin.get_by_role("heading", name="Change site settings")).to_be_visible()
    expect(admin).to_have_title(re.compile(r"\| Notes from history admin$"))
    admin.get_by_label("Site name").fill("The Camp Letters")
    admin.get_by_label("Tagline").fill("Letters home, 1942–1946")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")

    # The admin carries the new name.
    expect(admin.locator("#site-name")).to_have_text("The Camp Letters")
    expect(admin).to_have_title(re.compile(r"\| The Camp Letters admin$"))

    # The same reader, the next request: the home page and the post page, once cached.
    reader.goto("/")
    expect(reader).to_have_title("The Camp Letters")
    expect(reader.locator(".site-title")).to_have_text("The Camp Letters")
    expect(reader.locator(".site-tagline")).to_have_text("Letters home, 1942–1946")
    reader.get_by_role("link", name="Letters from the camp").first.click()
    expect(reader).to_have_url(f"{live_server.url}{post.get_absolute_url()}")
    expect(reader).to_have_title("Letters from the camp · The Camp Letters")
    expect(reader.locator(".site-footer")).to_contain_text("The Camp Letters")


def test_a_bad_reply_depth_is_refused_in_the_form(new_page, django_user_model, log_in):
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    admin = new_page()
    log_in(admin, "root", next_url="/admin/blog/sitesettings/")

    admin.get_by_label("Reply depth").fill("12")
    admin.get_by_role("button", name="Save", exact=True).click()

    expect(admin.locator(".errorlist")).to_contain_text("Replies can nest from 0 (no replies) to 10 deep.")
    admin.goto("/admin/blog/sitesettings/")
    expect(admin.get_by_label("Reply depth")).to_have_value("5")
