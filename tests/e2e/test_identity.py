"""A returning commenter proves their address once, from their browser, and is trusted
there afterwards; a stranger typing the same address is held. In a real browser, so the
cookie's path, flags and the CSRF check of a reader with a session are the browser's own."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comments.models import Comment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HANA = "hana@example.com"


def write_comment(page, *, name, email, body, url=""):
    form = page.locator("#comment-form")
    form.get_by_role("textbox", name="Name").fill(name)
    form.get_by_role("textbox", name="Email").fill(email)
    if url:
        form.get_by_role("textbox", name="Website (optional)").fill(url)
    form.get_by_role("textbox", name="Comment").fill(body)
    form.get_by_role("button", name="Post comment").click()
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    return page.locator(":target")


def past_the_flood_interval(email):
    """The flood rule refuses a second comment from one address within seconds; the
    journey's comments are minutes apart, as a person's would be."""
    Comment.objects.filter(author_email=email).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_returning_commenter_confirms_their_address_and_a_stranger_is_held(
    new_page, seed_article, mailoutbox, send_queued, axe, javascript
):
    Comment.objects.create(post=seed_article, author_name="Hana", author_email=HANA,
                           body="My earlier, approved words.", status=Comment.Status.APPROVED,
                           created_at=timezone.now() - timedelta(days=30))
    article = seed_article.get_absolute_url()

    hana = new_page(java_script_enabled=javascript)
    hana.goto(article)
    mine = write_comment(hana, name="Hana", email=HANA, body="Back with more on the ships.")
    expect(mine).to_contain_text("awaiting moderation")

    send_queued()
    [mail] = [m for m in mailoutbox if m.to == [HANA]]
    path = re.search(r"/comments/confirm/[^/\s]+/", mail.body).group(0)
    hana.goto(path)
    expect(hana.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    expect(hana.get_by_text("Back with more on the ships.")).to_be_visible()
    if javascript:
        assert axe(hana) == []
    # Her session (her pending comment) makes this a POST with Django's CSRF token.
    hana.get_by_role("button", name="Confirm my address").click()
    expect(hana.get_by_role("status")).to_contain_text("Your comment is published.")
    cookie = {c["name"]: c for c in hana.context.cookies()}["confirmed_commenter"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/comments/"
    hana.get_by_role("link", name=re.compile("^Back to")).click()
    expect(hana.get_by_text("Back with more on the ships.")).to_be_visible()

    past_the_flood_interval(HANA)
    mine = write_comment(hana, name="Hana", email=HANA, body="And one more thing.")
    expect(mine).to_contain_text("And one more thing.")
    expect(mine).not_to_contain_text("awaiting moderation")

    past_the_flood_interval(HANA)
    stranger = new_page(java_script_enabled=javascript)
    stranger.goto(article)
    theirs = write_comment(stranger, name="Site Administrator", email=HANA,
                           url="https://phish.example",
                           body="Your account expires: log in on my website.")
    expect(theirs).to_contain_text("awaiting moderation")
    held = Comment.objects.get(author_name="Site Administrator")
    assert (held.status, held.held_reason) == (Comment.Status.PENDING, "address not confirmed")

    passer_by = new_page(java_script_enabled=javascript)
    passer_by.goto(article)
    expect(passer_by.get_by_text("And one more thing.")).to_be_visible()
    expect(passer_by.get_by_text("Your account expires")).to_have_count(0)
