"""A commenter changes or deletes their comment from the same browser, for 15 minutes and
until someone replies: in a real browser, with and without JavaScript."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from comments import moderation
from comments.models import Comment
from tests.e2e.test_reader import write_comment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def post_a_comment(page, post, *, name, body):
    page.goto(post.get_absolute_url())
    write_comment(page.locator("#comment-form"), name=name,
                  email=f"{name.lower()}@example.com", body=body)
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    return Comment.objects.get(author_name=name)


def approve(comment):
    assert moderation.moderate(comment, "approve", by=None)


def mine(page, comment):
    return page.locator(f"#comment-{comment.pk}")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_commenter_edits_their_comment_within_fifteen_minutes(
    new_page, seed_article, axe, javascript
):
    reader = new_page(java_script_enabled=javascript)
    comment = post_a_comment(reader, seed_article, name="Hana", body="The shps came in 1946.")

    mine(reader, comment).get_by_role("link", name="Edit your comment").click()
    expect(reader.get_by_role("heading", name="Change your comment", level=1)).to_be_visible()
    if javascript:
        assert axe(reader) == []
    body = reader.get_by_role("textbox", name="Comment")
    expect(body).to_have_value("The shps came in 1946.")
    body.fill("The ships came in 1946, https://example.org/nakhodka.")
    reader.get_by_role("button", name="Save changes").click()

    expect(reader).to_have_url(re.compile(rf"#comment-{comment.pk}$"))
    expect(mine(reader, comment)).to_contain_text("The ships came in 1946")
    expect(mine(reader, comment).locator(".comment-edited")).to_contain_text("edited")
    link = mine(reader, comment).get_by_role("link", name="https://example.org/nakhodka")
    expect(link).to_have_attribute("rel", re.compile(r"\bugc\b"))

    # Others see the edited text once approved, and never the links to change it.
    approve(Comment.objects.get(pk=comment.pk))
    passer_by = new_page(java_script_enabled=javascript)
    passer_by.goto(seed_article.get_absolute_url())
    expect(mine(passer_by, comment)).to_contain_text("The ships came in 1946")
    expect(mine(passer_by, comment).locator(".comment-edited")).to_be_visible()
    expect(passer_by.get_by_role("link", name="Edit your comment")).to_have_count(0)
    passer_by.goto(f"/comments/{comment.pk}/edit/")
    passer_by.watch.expect_console("status of 403")
    expect(passer_by.get_by_role("alert")).to_contain_text("only be changed from the browser")


def test_editing_is_refused_once_someone_has_replied(new_page, seed_article):
    reader = new_page()
    comment = post_a_comment(reader, seed_article, name="Hana", body="Were they paid?")
    approve(comment)
    expect(mine(reader, comment).get_by_role("link", name="Edit your comment")).to_be_visible()

    other = new_page()
    other.goto(seed_article.get_absolute_url())
    mine(other, comment).get_by_role("link", name="Reply to Hana").click()
    write_comment(other.locator("#comment-form"), name="Ken", email="ken@example.com",
                  body="In part, yes.")
    expect(other).to_have_url(re.compile(r"#comment-\d+$"))
    approve(Comment.objects.get(author_name="Ken"))

    reader.reload()
    expect(mine(reader, comment)).to_contain_text("In part, yes.")
    expect(reader.get_by_role("link", name="Edit your comment")).to_have_count(0)
    reader.watch.expect_console("status of 403")
    reader.goto(f"/comments/{comment.pk}/edit/")
    expect(reader.get_by_role("alert")).to_contain_text("Someone has replied to this comment")


def test_editing_is_refused_after_fifteen_minutes(new_page, seed_article, clock):
    reader = new_page(java_script_enabled=False)
    comment = post_a_comment(reader, seed_article, name="Hana", body="Quick thought.")
    edit = mine(reader, comment).get_by_role("link", name="Edit your comment")
    expect(edit).to_be_visible()
    edit_url = edit.get_attribute("href")

    clock.move(timedelta(minutes=15, seconds=1))
    reader.reload()
    expect(mine(reader, comment)).to_contain_text("Quick thought.")
    expect(reader.get_by_role("link", name="Edit your comment")).to_have_count(0)
    reader.watch.expect_console("status of 410")
    reader.goto(edit_url)
    expect(reader.get_by_role("alert")).to_contain_text("that time has passed")
    assert Comment.objects.get(pk=comment.pk).body == "Quick thought."


def test_a_commenter_deletes_their_comment_without_javascript(new_page, seed_article):
    reader = new_page(java_script_enabled=False)
    comment = post_a_comment(reader, seed_article, name="Hana", body="Posted in haste.")

    mine(reader, comment).get_by_role("link", name="Delete your comment").click()
    expect(reader.get_by_role("heading", name="Delete your comment", level=1)).to_be_visible()
    reader.get_by_role("button", name="Delete comment").click()
    expect(reader.get_by_role("status")).to_contain_text("Your comment has been deleted.")

    reader.get_by_role("link", name="Back to the comments").click()
    expect(reader.get_by_role("heading", name="3 comments")).to_be_visible()
    expect(reader.get_by_text("Posted in haste.")).to_have_count(0)
    expect(mine(reader, comment)).to_have_count(0)
