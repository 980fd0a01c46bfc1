"""Readers comment and reply, moderators approve: the journeys in a real browser, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from blog.site import site_settings
from comments import moderation
from comments.models import Comment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTICLE_TITLE = "Japanese prisoners of war and how they were treated."
QUEUE_URL = "/comments/moderation/"


def open_article_from_home(page):
    page.goto("/")
    page.get_by_role("link", name=ARTICLE_TITLE).first.click()
    expect(page.get_by_role("heading", name=ARTICLE_TITLE, level=1)).to_be_visible()


def thread_shape(page):
    """The thread as nested lists: [(first words, [replies...]), ...]."""
    return page.evaluate(
        """() => {
          const shape = (list) => [...list.children].filter((li) => li.tagName === "LI").map((li) => {
            const body = li.querySelector(":scope > article .comment-content, :scope > p");
            const replies = li.querySelector(":scope > ol, :scope > ul");
            return [body ? body.textContent.trim().split(/\\s+/).slice(0, 3).join(" ") : "",
                    replies ? shape(replies) : []];
          });
          return shape(document.querySelector("#comments ol, #comments ul"));
        }"""
    )


SEED_THREAD = [
    ["Interesting facts. Do", [["personally i think", []], ["I agree that", []]]],
]


def approve(comment):
    """A moderator's decision, through the same code path as the queue's button."""
    assert moderation.moderate(comment, "approve", by=None)


def write_comment(form, *, name, email, body):
    form.get_by_role("textbox", name="Name").fill(name)
    form.get_by_role("textbox", name="Email").fill(email)
    form.get_by_role("textbox", name="Comment").fill(body)
    form.get_by_role("button", name="Post comment").click()


def approve_from_queue(page, author_name):
    page.goto(QUEUE_URL)
    item = page.get_by_role("article", name=re.compile(f"^{author_name} on"))
    expect(item).to_contain_text("first comment from this address")
    item.get_by_role("button", name=re.compile("^Approve")).click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Approved?: 1 comment"))
    expect(page.get_by_role("article", name=re.compile(f"^{author_name} on"))).to_have_count(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_reader_comment_waits_for_a_moderator_then_appears(
    new_page, seed_article, make_staff, log_in, axe, javascript
):
    make_staff("mod", "Moderators")
    reader = new_page(java_script_enabled=javascript)
    open_article_from_home(reader)
    expect(reader.get_by_role("heading", name="3 comments")).to_be_visible()
    assert thread_shape(reader) == SEED_THREAD

    write_comment(
        reader.locator("#comment-form"),
        name="Hana",
        email="hana@example.com",
        body="My grandmother spoke of the *Nakhodka* ships.",
    )
    expect(reader).to_have_url(re.compile(r"#comment-\d+$"))
    mine = reader.locator(":target")
    expect(mine).to_contain_text("awaiting moderation")
    expect(mine).to_contain_text("My grandmother spoke of the Nakhodka ships.")
    if javascript:  # axe and computed styles need JavaScript in the page
        # The permalink's comment is visibly highlighted.
        highlighted = mine.locator(".comment-article").evaluate(
            "el => getComputedStyle(el).backgroundColor"
        )
        assert highlighted not in {"rgba(0, 0, 0, 0)", "transparent"}
        assert axe(reader) == []

    passer_by = new_page(java_script_enabled=javascript)
    passer_by.goto(seed_article.get_absolute_url())
    expect(passer_by.get_by_text("My grandmother spoke")).to_have_count(0)

    moderator = new_page(java_script_enabled=javascript)
    log_in(moderator, "mod", next_url=QUEUE_URL)
    expect(moderator.get_by_role("heading", name="Comment moderation")).to_be_visible()
    if javascript:
        assert axe(moderator) == []
    approve_from_queue(moderator, "Hana")

    reader.reload()
    expect(reader.get_by_role("heading", name="4 comments")).to_be_visible()
    expect(reader.get_by_text("My grandmother spoke of the")).to_be_visible()
    expect(reader.get_by_text("awaiting moderation")).to_have_count(0)
    passer_by.reload()
    expect(passer_by.get_by_text("My grandmother spoke of the")).to_be_visible()
    assert thread_shape(passer_by) == SEED_THREAD + [["My grandmother spoke", []]]


def test_reply_form_opens_under_the_comment_and_the_reply_nests_there(page, seed_article):
    page.goto(seed_article.get_absolute_url())
    first = page.locator("#comments li.comment").first
    first.get_by_role("link", name="Reply to Anonymous").first.click()

    form = first.locator("#comment-form")
    expect(form).to_be_visible()
    expect(form.get_by_role("heading", name="Reply to Anonymous")).to_be_visible()
    expect(form.get_by_role("textbox", name="Name")).to_be_focused()
    assert page.url.endswith(seed_article.get_absolute_url())  # no page load: JavaScript did it

    write_comment(form, name="Ken", email="ken@example.com", body="They came home in 1956.")
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    reply = Comment.objects.get(author_name="Ken")
    parent = Comment.objects.get(body__startswith="Interesting facts")
    assert reply.parent == parent
    expect(page.locator(f"#comment-{parent.pk} > ol > li#comment-{reply.pk}")).to_contain_text(
        "awaiting moderation"
    )

    approve(reply)
    page.reload()
    assert thread_shape(page) == [
        ["Interesting facts. Do", [["personally i think", []], ["I agree that", []],
                                   ["They came home", []]]],
    ]


def test_reply_without_javascript_uses_a_page_of_its_own(new_page, seed_article):
    page = new_page(java_script_enabled=False)
    page.goto(seed_article.get_absolute_url())
    page.locator("#comments li.comment").first.get_by_role("link", name="Reply to Anonymous").first.click()

    expect(page.get_by_role("heading", name="Reply to Anonymous", level=1)).to_be_visible()
    expect(page.locator(".comment-parent")).to_contain_text("Interesting facts")
    write_comment(page.locator("#comment-form"), name="Ken", email="ken@example.com",
                  body="They came home in 1956.")

    expect(page).to_have_url(re.compile(re.escape(seed_article.get_absolute_url()) + r"#comment-\d+$"))
    reply = Comment.objects.get(author_name="Ken")
    expect(page.locator(f"#comment-{reply.parent_id} > ol > li#comment-{reply.pk}")).to_be_visible()


def test_comment_form_errors_are_announced_and_tied_to_their_fields(new_page, seed_article, axe):
    page = new_page()
    page.watch.expect_console("status of 400")  # the form comes back with 400 Bad Request
    page.goto(seed_article.get_absolute_url())
    # Spaces pass the browser's "required" check; the server sees an empty name.
    write_comment(page.locator("#comment-form"), name="   ", email="hana@example.com",
                  body="A comment with no name.")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Your comment was not sent")
    expect(summary).to_contain_text("Name")
    name = page.get_by_role("textbox", name="Name")
    expect(name).to_have_attribute("aria-invalid", "true")
    described_by = name.get_attribute("aria-describedby") or ""
    descriptions = " ".join(
        page.locator(f"[id='{ident}']").inner_text() for ident in described_by.split()
    )
    assert "required" in descriptions.lower(), described_by
    # What the reader wrote is still there.
    expect(page.get_by_role("textbox", name="Comment")).to_have_value("A comment with no name.")
    # The summary's link takes the reader to the field.
    summary.get_by_role("link", name="Name").click()
    expect(name).to_be_focused()
    assert axe(page) == []


def test_script_in_a_comment_never_runs(new_page, seed_article):
    """An approved comment full of script, shown to another reader under the CSP."""
    attacker = new_page()
    attacker.goto(seed_article.get_absolute_url())
    write_comment(
        attacker.locator("#comment-form"),
        name='Eve<img src=x onerror="window.__pwned=1">',
        email="eve@example.com",
        body=(
            "<script>window.__pwned = 1</script>\n\n"
            '<img src=x onerror="window.__pwned = 1">\n\n'
            "[click me](javascript:window.__pwned=1) "
            '<a href="#" onclick="window.__pwned=1">or me</a>'
        ),
    )
    expect(attacker).to_have_url(re.compile(r"#comment-\d+$"))
    approve(Comment.objects.get(author_email="eve@example.com"))

    reader = new_page()
    response = reader.goto(seed_article.get_absolute_url())
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"].startswith("'self'")
    assert "unsafe-inline" not in policy["script-src"]
    comment = reader.locator("li.comment", has_text="click me")
    expect(comment).to_be_visible()
    for link in comment.get_by_role("link").all():
        assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
    comment.get_by_text("or me").click()
    assert reader.evaluate("() => window.__pwned") is None
    assert comment.locator("script, img, [onerror], [onclick]").count() == 0
    # The name is shown as text, not markup.
    expect(comment.locator(".comment-author")).to_contain_text('Eve<img src=x onerror=')


def tab_to(page, target, *, limit=80):
    """Press Tab until `target` has the focus, as a keyboard user would; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} cannot be reached with the Tab key")


def test_keyboard_alone_is_enough_to_comment_reply_and_moderate(new_page, seed_article, make_staff):
    make_staff("mod", "Moderators")
    reader = new_page()
    reader.goto("/")
    tab_to(reader, reader.get_by_role("link", name=ARTICLE_TITLE).first)
    reader.keyboard.press("Enter")
    expect(reader.get_by_role("heading", name=ARTICLE_TITLE, level=1)).to_be_visible()

    # Opening a reply form moves the focus into it; cancelling brings it back to the link.
    reply_link = reader.locator("#comments li.comment").first.get_by_role(
        "link", name="Reply to Anonymous").first
    tab_to(reader, reply_link)
    reader.keyboard.press("Enter")
    form = reader.locator("#comment-form")
    expect(form.get_by_role("heading", name="Reply to Anonymous")).to_be_visible()
    expect(form.get_by_role("textbox", name="Name")).to_be_focused()
    tab_to(reader, form.get_by_role("button", name="Cancel reply"))
    reader.keyboard.press("Enter")
    expect(reply_link).to_be_focused()

    reader.keyboard.press("Enter")
    expect(form.get_by_role("textbox", name="Name")).to_be_focused()
    reader.keyboard.type("Kiri")
    reader.keyboard.press("Tab")
    expect(form.get_by_role("textbox", name="Email")).to_be_focused()
    reader.keyboard.type("kiri@example.com")
    tab_to(reader, form.get_by_role("textbox", name="Comment"))
    reader.keyboard.type("Some came home only in 1956.")
    tab_to(reader, form.get_by_role("checkbox", name="Email me when someone replies"))
    reader.keyboard.press("Space")
    expect(form.get_by_role("checkbox")).to_be_checked()
    tab_to(reader, form.get_by_role("button", name="Post comment"))
    reader.keyboard.press("Enter")
    expect(reader).to_have_url(re.compile(r"#comment-\d+$"))
    expect(reader.locator(":target")).to_contain_text("awaiting moderation")

    moderator = new_page()
    moderator.goto(f"/admin/login/?next={QUEUE_URL}")
    expect(moderator.get_by_label("Username")).to_be_focused()  # the admin's autofocus
    moderator.keyboard.type("mod")
    moderator.keyboard.press("Tab")
    moderator.keyboard.type("correct horse battery")
    moderator.keyboard.press("Enter")
    expect(moderator.get_by_role("heading", name="Comment moderation")).to_be_visible()
    tab_to(moderator, moderator.get_by_role("button", name=re.compile(r"^Approve\s*: Kiri on")))
    moderator.keyboard.press("Enter")
    expect(moderator.get_by_role("status")).to_contain_text(re.compile(r"Approved?: 1 comment"))

    reader.reload()
    reply = Comment.objects.get(author_name="Kiri")
    nested = reader.locator(f"#comment-{reply.parent_id} > ol > li#comment-{reply.pk}")
    expect(nested).to_contain_text("Some came home only in 1956.")
    expect(nested).not_to_contain_text("awaiting moderation")


# Sizes of the thread as a reader sees it: how wide the page scrolls, how wide the text is.
THREAD_WIDTHS = """() => {
  const root = document.scrollingElement;
  const main = document.querySelector("main").getBoundingClientRect().width;
  const texts = [...document.querySelectorAll("#comments .comment-content")];
  return {scroll: root.scrollWidth, client: root.clientWidth, main: main,
          narrowest: Math.min(...texts.map((el) => el.getBoundingClientRect().width)),
          comments: texts.length};
}"""


def test_deep_replies_stay_readable_on_a_phone(new_page, seed_article):
    max_depth = site_settings().comments_max_depth
    parent = None
    for depth in range(max_depth + 1):
        parent = Comment.objects.create(
            post=seed_article, parent=parent, author_name=f"Reader at depth {depth}",
            author_email=f"depth{depth}@example.com", status=Comment.Status.APPROVED,
            body=f"Depth {depth}: Rückführungsverhandlungsprotokollzusammenfassung and "
                 "https://example.com/a/very/long/address/that/must/wrap/somewhere/on/a/phone",
        )
    assert parent.depth == max_depth

    page = new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(parent.get_absolute_url())
    expect(page.locator(":target")).to_contain_text(f"Depth {max_depth}:")
    widths = page.evaluate(THREAD_WIDTHS)
    assert widths["comments"] == 3 + max_depth + 1
    assert widths["scroll"] <= widths["client"], widths
    # Indentation stops growing: the deepest reply keeps most of the column.
    assert widths["narrowest"] >= 0.75 * widths["main"], widths


def test_the_browser_watch_reports_csp_violations_and_script_errors(page, seed_article):
    """The guard every test relies on: an inline script the CSP blocks is caught."""
    page.goto(seed_article.get_absolute_url())
    page.evaluate("""() => new Promise((resolve) => {
      document.addEventListener("securitypolicyviolation", () => resolve(), {once: true});
      const script = document.createElement("script");
      script.textContent = "window.__ran = true";
      document.body.append(script);
    })""")
    assert page.evaluate("() => window.__ran") is None
    assert len(page.watch.csp_violations) == 1, page.watch.csp_violations
    assert "script-src" in page.watch.csp_violations[0]
    assert page.watch.problems()
    page.watch.csp_violations.clear()
    page.watch.console_errors.clear()
