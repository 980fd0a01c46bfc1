"""The post list's bulk actions, as an editor uses them and readers see the result."""

import re

import pytest
from playwright.sync_api import expect

from blog.models import Post

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def draft(title, author):
    return Post.objects.create(title=title, slug=title.lower().replace(" ", "-"), body=f"{title}, in full.", author=author)


def choose(page, *titles):
    for title in titles:
        page.get_by_role("checkbox", name=f"Select this object for an action - {title}").check()


def test_editor_publishes_two_drafts_at_once_and_readers_see_them(new_page, make_staff, log_in, publish):
    wren = make_staff("wren", "Authors", first_name="Wren", last_name="Writer")
    publish("Already out", "Old news.")
    draft("Spring notes", wren)
    draft("Summer notes", wren)
    draft("Autumn notes", wren)
    reader = new_page()
    reader.goto("/")
    expect(reader.get_by_role("link", name="Already out", exact=True)).to_be_visible()
    expect(reader.get_by_role("link", name="Spring notes", exact=True)).to_have_count(0)

    make_staff("eda", "Editors")
    editor = new_page()
    log_in(editor, "eda")
    editor.goto("/admin/blog/post/")
    editor.get_by_role("link", name="Draft", exact=True).click()
    rows = editor.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first.locator(".field-state")).to_have_text("Draft")
    choose(editor, "Spring notes", "Summer notes")
    editor.get_by_label("Action:").select_option(label="Publish now")
    editor.get_by_role("button", name="Go").click()

    expect(editor.locator(".messagelist")).to_contain_text(re.compile("Published 2 posts: .*Spring notes"))
    expect(rows).to_have_count(1)  # the list still shows drafts only: Autumn is left
    expect(rows.first).to_contain_text("Autumn notes")

    reader.reload()
    expect(reader.get_by_role("link", name="Spring notes", exact=True)).to_be_visible()
    expect(reader.get_by_role("link", name="Summer notes", exact=True)).to_be_visible()
    expect(reader.get_by_role("link", name="Autumn notes", exact=True)).to_have_count(0)
    reader.get_by_role("link", name="Summer notes", exact=True).click()
    expect(reader.get_by_role("heading", name="Summer notes", level=1)).to_be_visible()
    expect(reader.locator(".post-body")).to_contain_text("Summer notes, in full.")


def test_author_tags_posts_in_bulk_without_javascript(new_page, make_staff, log_in):
    wren = make_staff("wren", "Authors")
    draft("Spring notes", wren)
    draft("Summer notes", wren)
    page = new_page(java_script_enabled=False)
    log_in(page, "wren")
    page.goto("/admin/blog/post/")

    choose(page, "Spring notes", "Summer notes")
    page.get_by_label("Action:").select_option(label="Add a tag…")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Add a tag to the chosen posts")).to_be_visible()
    page.get_by_label("Tag:").fill("Seasons")
    page.get_by_role("button", name="Add the tag").click()

    expect(page.locator(".messagelist")).to_contain_text("Tagged 2 posts “Seasons”")
    assert sorted(Post.objects.filter(tags__name="Seasons").values_list("title", flat=True)) == [
        "Spring notes", "Summer notes"
    ]
