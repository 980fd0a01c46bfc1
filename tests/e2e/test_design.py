"""The theme as readers meet it: light and dark, phones to desktops, paper, the sidebar."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTICLE_TITLE = "Japanese prisoners of war and how they were treated."

HORIZONTAL_OVERFLOW = """() => {
  const root = document.scrollingElement;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1)
    .filter((el) => !el.closest("table, pre, .visually-hidden, .skip-link"))
    .map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
  return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide.slice(0, 5)};
}"""


def background_of(page, selector="body"):
    return page.locator(selector).evaluate("el => getComputedStyle(el).backgroundColor")


WIDE_BODY = """A paragraph with an unbroken address:
https://example.com/an/extremely/long/path/that/would/push/the/page/wider/than/a/phone/screen

| Year | Prisoners held | Released | Transferred | Died in captivity | Remaining | Notes |
| --- | --- | --- | --- | --- | --- | --- |
| 1946 | 560,000 | 18,616 | 0 | 30,000 | 511,384 | first repatriation ships leave Nakhodka |

```
a_long_line_of_code = "that never wraps, because code keeps its line breaks as written"
```
"""


@pytest.mark.parametrize("width", [320, 375, 768, 1280])
def test_pages_fit_the_screen_without_horizontal_scrolling(new_page, seed_article, publish, width):
    wide = publish("A wide table", WIDE_BODY)
    page = new_page(viewport={"width": width, "height": 800})
    first_comment = seed_article.comments.get(parent=None)
    urls = ["/", seed_article.get_absolute_url(), wide.get_absolute_url(), "/search/?q=prisoners",
            "/2013/04/", reverse("comments:reply", args=[first_comment.pk])]
    for url in urls:
        page.goto(url)
        overflow = page.evaluate(HORIZONTAL_OVERFLOW)
        assert overflow["scroll"] <= overflow["client"], (url, overflow)


def test_dark_mode_follows_the_system_setting(new_page, seed_article):
    light = new_page(color_scheme="light")
    dark = new_page(color_scheme="dark")
    for page in (light, dark):
        page.goto(seed_article.get_absolute_url())
    assert background_of(light) == "rgb(253, 252, 249)"
    assert background_of(dark) == "rgb(26, 25, 23)"
    light_text = light.locator(".post-body p").first.evaluate("el => getComputedStyle(el).color")
    dark_text = dark.locator(".post-body p").first.evaluate("el => getComputedStyle(el).color")
    assert light_text != dark_text


def test_print_shows_the_article_without_navigation(page, seed_article):
    page.goto(seed_article.get_absolute_url())
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name=ARTICLE_TITLE, level=1)).to_be_visible()
    expect(page.locator(".post-body")).to_be_visible()
    for furniture in [".site-header", ".sidebar", ".site-footer"]:
        expect(page.locator(furniture)).to_be_hidden()
    assert background_of(page) == "rgb(255, 255, 255)"


def test_sidebar_offers_search_the_blog_archive_and_tags(page, seed_article):
    page.goto("/")
    sidebar = page.get_by_role("complementary")
    expect(sidebar.get_by_role("heading", name="Blog archive")).to_be_visible()
    expect(sidebar.get_by_role("heading", name="Tags")).to_be_visible()

    sidebar.get_by_role("link", name="April").click()
    expect(page.get_by_role("heading", name="Posts from April 2013", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=ARTICLE_TITLE).first).to_be_visible()

    page.get_by_role("complementary").get_by_role("link", name="World War II").click()
    expect(page.get_by_role("heading", name="Posts tagged “World War II”")).to_be_visible()

    search = page.get_by_role("complementary").get_by_role("searchbox", name="Search posts")
    search.fill("Kwantung")
    search.press("Enter")
    expect(page.get_by_role("status")).to_have_text("1 post found for “Kwantung”.")
    expect(page.get_by_role("link", name=ARTICLE_TITLE).first).to_be_visible()


def test_nothing_is_loaded_from_outside_the_site(page, seed_article):
    """Fonts, styles, scripts and images all come from the site itself (see PageWatch)."""
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(seed_article.get_absolute_url())
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("/static/css/site.css") for url in requests)
    assert page.watch.outside_requests == []


def test_moderation_queue_works_on_a_phone_in_dark_mode(new_page, seed_article, make_staff, log_in, axe):
    from comments.models import Comment

    make_staff("mod", "Moderators")
    Comment.objects.create(
        post=seed_article, author_name="Sam", author_email="sam@example.com",
        author_url="https://example.com/a/rather/long/address/for/a/personal/site/that/wraps",
        body="See [one archive](https://example.com/a) and [another](https://example.com/b).",
        held_reason="2 links",
    )
    page = new_page(viewport={"width": 320, "height": 700}, color_scheme="dark", is_mobile=True)
    log_in(page, "mod", next_url="/comments/moderation/")
    expect(page.locator(".queue-reason").get_by_text("2 links")).to_be_visible()
    overflow = page.evaluate(HORIZONTAL_OVERFLOW)
    assert overflow["scroll"] <= overflow["client"], overflow
    assert axe(page) == []
