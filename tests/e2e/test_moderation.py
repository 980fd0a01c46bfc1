"""Moderators in a real browser: blocking a commenter from the queue, deciding with the
keyboard alone, and the admin's comment list on a 1280 px screen."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comments.models import BlocklistEntry, Comment, ModerationLog

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTICLE_TITLE = "Japanese prisoners of war and how they were treated."
QUEUE_URL = "/comments/moderation/"


def held(post, name, body, **fields):
    fields.setdefault("author_email", f"{name.lower()}@example.org")
    fields.setdefault("held_reason", "first comment from this address")
    return Comment.objects.create(post=post, author_name=name, body=body, **fields)


def test_a_moderator_blocks_a_commenter_from_the_queue_and_their_next_comment_is_spam(
    new_page, seed_article, make_staff, log_in, axe
):
    make_staff("mod", "Moderators")
    spammer = held(seed_article, "Vendor", "Cheap watches here.",
                   author_email="vendor@spam.example", ip_address="203.0.113.7",
                   created_at=timezone.now() - timedelta(hours=1))
    moderator = new_page()
    log_in(moderator, "mod")

    # One click from the admin's front page, then one from the site's header.
    moderator.get_by_role("link", name=re.compile("^Moderation queue")).click()
    expect(moderator.get_by_role("heading", name="Comment moderation")).to_be_visible()
    moderator.get_by_role("navigation", name="Site").get_by_role("link", name="Moderation").click()
    item = moderator.get_by_role("article", name=re.compile("^Vendor on"))
    expect(item).to_contain_text("vendor@spam.example")
    expect(item).to_contain_text("203.0.113.7")
    item.get_by_role("link", name=re.compile("^Block")).click()
    assert axe(moderator) == []
    moderator.get_by_role("radio", name="The email address vendor@spam.example").check()
    moderator.get_by_label("For").select_option(label="1 week")
    moderator.get_by_role("button", name="Block", exact=True).click()

    expect(moderator.get_by_role("status")).to_contain_text(
        "Blocked Email address or @domain: vendor@spam.example until"
    )
    entry = BlocklistEntry.objects.get()
    assert entry.kind == BlocklistEntry.Kind.EMAIL and entry.expires_at > timezone.now()
    spammer.refresh_from_db()
    assert spammer.status == Comment.Status.SPAM

    # The blocked commenter writes again: they are told what anyone held is told.
    reader = new_page()
    reader.goto(seed_article.get_absolute_url())
    form = reader.locator("#comment-form")
    form.get_by_role("textbox", name="Name").fill("Vendor")
    form.get_by_role("textbox", name="Email").fill("vendor@spam.example")
    form.get_by_role("textbox", name="Comment").fill("Still cheap watches.")
    form.get_by_role("button", name="Post comment").click()
    expect(reader.locator(":target")).to_contain_text("awaiting moderation")

    again = Comment.objects.get(body="Still cheap watches.")
    assert again.status == Comment.Status.SPAM
    assert ModerationLog.objects.get(comment=again).reason == (
        f"blocklisted email vendor@spam.example (entry {entry.pk})"
    )
    # "Why spam": the moderator's decision for the first, the block's for the new one.
    moderator.goto(f"{QUEUE_URL}?status=spam")
    newest, blocked = moderator.get_by_role("article", name=re.compile("^Vendor on")).all()
    expect(blocked).to_contain_text("Why spamMarked as spam by mod: blocklisted email vendor@")
    expect(newest).to_contain_text(f"Why spamblocklisted email vendor@spam.example (entry {entry.pk})")


def test_keyboard_alone_moderates_the_queue_and_each_decision_is_announced(
    new_page, seed_article, make_staff, axe
):
    make_staff("mod", "Moderators")
    first = held(seed_article, "Ines", "A first thought.")
    second = held(seed_article, "Jon", "A second thought.")
    third = held(seed_article, "Kai", "A third thought.")
    page = new_page()
    page.goto(f"/admin/login/?next={QUEUE_URL}")
    expect(page.get_by_label("Username")).to_be_focused()  # the admin's autofocus
    page.keyboard.type("mod")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Press ? for keyboard shortcuts.")).to_be_visible()
    announcer = page.locator("#queue-announcer")

    page.keyboard.press("?")
    shortcuts = page.get_by_role("region", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    expect(shortcuts).to_be_focused()
    assert axe(page) == []
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()

    select_all = page.get_by_role("checkbox", name="Select all")
    select_all.focus()
    page.keyboard.press("Space")
    expect(announcer).to_have_text("Ticked 3 comments.")
    for box in page.locator(".queue-comment input[type='checkbox']").all():
        expect(box).to_be_checked()
    page.keyboard.press("Space")
    expect(page.locator(".queue-comment input[type='checkbox']:checked")).to_have_count(0)

    page.keyboard.press("j")
    expect(page.get_by_role("article", name=re.compile("^Ines on"))).to_be_focused()
    page.keyboard.press("a")
    expect(announcer).to_have_text(re.compile(r"Approve: 1 comment\. Ines on"))
    expect(page.get_by_role("article", name=re.compile("^Ines on"))).to_have_count(0)
    expect(page.get_by_role("article", name=re.compile("^Jon on"))).to_be_focused()

    page.keyboard.press("n")
    expect(page.get_by_role("article", name=re.compile("^Kai on"))).to_be_focused()
    page.keyboard.press("s")
    expect(announcer).to_have_text(re.compile(r"Mark as spam: 1 comment\. Kai on"))
    expect(page.get_by_role("article", name=re.compile("^Jon on"))).to_be_focused()
    page.keyboard.press("r")
    expect(announcer).to_have_text(re.compile(r"Reject: 1 comment\. Jon on"))

    statuses = dict(Comment.objects.filter(pk__in=[first.pk, second.pk, third.pk])
                    .values_list("author_name", "status"))
    assert statuses == {"Ines": "approved", "Jon": "rejected", "Kai": "spam"}
    assert set(ModerationLog.objects.filter(moderator__username="mod")
               .values_list("comment__author_name", flat=True)) == {"Ines", "Jon", "Kai"}
    page.reload()
    expect(page.get_by_text("Nothing here.")).to_be_visible()


def test_the_admin_comment_list_fits_a_1280_px_screen(new_page, seed_article, make_staff, log_in):
    make_staff("mod", "Moderators")
    # What spam sends: names and words that are unbroken addresses, as long as allowed.
    unbroken = "https://cheap-watches.example/" + "buy-now-" * 9
    for number in range(5):
        held(
            seed_article,
            f"{unbroken}{number}"[:100],
            f"{unbroken}{unbroken} and then a sentence that goes on for a while. " * 3,
            author_url="https://example.com/" + "very-long-path-segment/" * 7,
            held_reason=f"moderation keyword “{unbroken}{unbroken}”"[:200],
        )
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, "mod", next_url="/admin/comments/comment/")
    expect(page.get_by_role("heading", name=re.compile("^Select comment to"))).to_be_visible()

    # The page, and the box the admin puts the table in (it scrolls on its own when the
    # table is wider than the screen).
    widths = page.evaluate(
        """() => [document.documentElement, document.querySelector("#changelist .results")]
            .map((box) => ({scroll: box.scrollWidth, client: box.clientWidth}))"""
    )

    assert widths[0]["client"] > 1200
    assert all(width["scroll"] <= width["client"] for width in widths), widths
