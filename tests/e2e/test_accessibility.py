"""Accessibility of the reader's pages: axe-core finds nothing serious, the keyboard reaches everything."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TABLE_POST = """An introduction with a [link](https://example.com/) and `code`.

## A heading

| Year | Released |
| --- | --- |
| 1946 | 18,616 |

> A quotation.

![A sketch of a camp](/static/favicon.svg)
"""

# The outline of the focused element, as a person would see it.
FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), text: el.textContent.trim().slice(0, 40),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
          color: style.outlineColor};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_blog_pages_have_no_serious_accessibility_violations(new_page, axe, seed_article, publish, scheme):
    post = publish("Tables and pictures", TABLE_POST)
    first_comment = seed_article.comments.get(parent=None)
    page = new_page(color_scheme=scheme)
    urls = [
        "/",
        seed_article.get_absolute_url(),  # with its thread and the comment form
        first_comment.get_absolute_url(),  # a highlighted permalink
        reverse("comments:reply", args=[first_comment.pk]),  # the reply page without JavaScript
        post.get_absolute_url(),
        "/2013/",
        "/2013/04/",
        "/tags/world-war-ii/",
        "/tags/",
        "/search/?q=prisoners",
        "/search/?q=nothing-matches-this",
    ]
    for url in urls:
        page.goto(url)
        assert axe(page) == [], url


def test_missing_page_is_accessible_too(page, axe, transactional_db):
    page.watch.expect_console("status of 404")
    response = page.goto("/no/such/page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert axe(page) == []


def test_skip_link_is_the_first_stop_and_moves_to_the_content(page, seed_article):
    page.goto(seed_article.get_absolute_url())
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab continues inside the content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_keyboard_focus_is_always_visible(new_page, seed_article, scheme):
    page = new_page(color_scheme=scheme)
    page.goto(seed_article.get_absolute_url())
    seen = []
    for _ in range(100):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        if focus["tag"] == "body":  # past the last control
            break
        seen.append(focus)
        assert focus["outline"] != "none" and focus["width"] >= 2, focus
    # The walk went through links, the comment form, the sidebar's search and archive toggle.
    tags = {focus["tag"] for focus in seen}
    assert {"a", "input", "textarea", "button", "summary"} <= tags, seen


def test_searching_with_the_keyboard_alone(page, seed_article):
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link
    search = page.get_by_role("searchbox", name="Search posts")
    for _ in range(20):
        page.keyboard.press("Tab")
        if search.evaluate("el => el === document.activeElement"):
            break
    expect(search).to_be_focused()
    page.keyboard.type("camps")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("found for “camps”")
    result = page.get_by_role("link", name="Japanese prisoners of war and how they were treated.").first
    result.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(seed_article.title)


def test_spam_trap_field_is_hidden_from_people_and_their_assistive_technology(page, seed_article):
    page.goto(seed_article.get_absolute_url())
    form = page.locator("#comment-form")
    expect(form.get_by_role("textbox", name="Name")).to_be_visible()
    # Present for programs that fill in every field, absent for screen readers and the keyboard.
    expect(form.locator("input[name='honeypot']")).to_be_attached()
    expect(form.get_by_role("textbox", name="Leave this field empty")).to_have_count(0)
    expect(form.locator("input[name='honeypot']")).to_have_attribute("tabindex", "-1")
