"""Commenters' data: addresses age out, and a commenter's data can be exported and erased."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from comments import privacy
from comments.models import Comment, ModerationLog

NOW = timezone.now()


@pytest.fixture
def add_comment(published_post):
    def add(*, email="ann@example.org", name="Ann", parent=None, age=timedelta(hours=1),
            status=Comment.Status.APPROVED, body="Words.", **fields):
        return Comment.objects.create(
            post=parent.post if parent else published_post,
            parent=parent,
            author_name=name,
            author_email=email,
            author_url=fields.pop("author_url", "https://ann.example.org/"),
            body=body,
            status=status,
            created_at=NOW - age,
            ip_address=fields.pop("ip_address", "203.0.113.4"),
            user_agent=fields.pop("user_agent", "Firefox/130"),
            **fields,
        )

    return add


@pytest.mark.django_db
def test_addresses_older_than_the_retention_period_are_erased(add_comment, settings):
    settings.COMMENTS_IP_RETENTION_DAYS = 30
    old = add_comment(age=timedelta(days=31))
    recent = add_comment(email="bob@example.org", age=timedelta(days=29))

    out = StringIO()
    call_command("purge_comment_ips", stdout=out)

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.ip_address, old.user_agent) == (None, "")
    assert (recent.ip_address, recent.user_agent) == ("203.0.113.4", "Firefox/130")
    assert old.body == "Words." and old.author_email == "ann@example.org"
    assert "of 1 comment older than 30 days" in out.getvalue()


@pytest.mark.django_db
def test_purge_takes_a_shorter_period_and_refuses_a_negative_one(add_comment):
    comment = add_comment(age=timedelta(days=3))

    call_command("purge_comment_ips", "--days", "2", stdout=StringIO())
    with pytest.raises(CommandError, match="0 or more"):
        call_command("purge_comment_ips", "--days", "-1", stdout=StringIO())

    comment.refresh_from_db()
    assert comment.ip_address is None


@pytest.mark.django_db
def test_export_holds_every_comment_of_the_address_and_nobody_elses(add_comment):
    first = add_comment(email="Ann@Example.org", body="First.")
    add_comment(email="bob@example.org", body="Bob's.")
    reply = add_comment(parent=first, body="Second.", notify_on_reply=True)

    out = StringIO()
    call_command("export_commenter", "ann@example.org", stdout=out)

    data = json.loads(out.getvalue())
    assert data["email"] == "ann@example.org"
    assert [item["body"] for item in data["comments"]] == ["First.", "Second."]
    assert data["comments"][1]["in_reply_to"] == first.pk
    assert data["comments"][1]["email_me_on_replies"] is True
    assert data["comments"][0]["ip_address"] == "203.0.113.4"
    assert data["comments"][0]["url"].endswith(f"#comment-{first.pk}")
    assert reply.pk == data["comments"][1]["id"]


@pytest.mark.django_db
def test_export_refuses_something_that_is_not_an_email_address():
    with pytest.raises(CommandError, match="not an email address"):
        call_command("export_commenter", "not-an-address", stdout=StringIO())


@pytest.mark.django_db
def test_erasing_deletes_comments_without_replies(add_comment):
    add_comment(body="Alone.")
    other = add_comment(email="bob@example.org")

    call_command("erase_commenter", "ann@example.org", "--yes", stdout=StringIO())

    assert list(Comment.objects.all()) == [other]


@pytest.mark.django_db
def test_erasing_keeps_the_thread_with_a_removed_comment_where_others_replied(add_comment, make_user):
    moderator = make_user("mod", groups=["Moderators"], is_staff=True)
    ann = add_comment(body="Ann's point, with her name in it.")
    bob = add_comment(email="bob@example.org", name="Bob", parent=ann, body="Bob answers.")
    ann_again = add_comment(parent=bob, body="Ann replies to Bob.")
    ann.reject(by=moderator, reason="held: blocklisted email ann@example.org")
    ann.approve(by=moderator)

    out = StringIO()
    call_command("erase_commenter", "ANN@example.org", "--yes", stdout=out)

    assert not Comment.objects.filter(pk=ann_again.pk).exists()
    ann.refresh_from_db()
    assert ann.status == Comment.Status.REJECTED
    assert (ann.author_name, ann.author_email, ann.author_url, ann.body, ann.body_html) == ("", "", "", "", "")
    assert (ann.ip_address, ann.user_agent, ann.fingerprint) == (None, "", "")
    assert Comment.objects.get(pk=bob.pk).parent_id == ann.pk
    assert not ModerationLog.objects.filter(reason__contains="ann@").exists()
    assert "1 comment deleted, 1 kept as 'comment removed'" in out.getvalue()


@pytest.mark.django_db
def test_an_erased_comment_with_replies_shows_as_removed_in_the_thread(client, add_comment, published_post):
    ann = add_comment(name="Ann Distinctive", body="Ann's distinctive words.")
    add_comment(email="bob@example.org", name="Bob", parent=ann, body="Bob's reply stays.")

    privacy.erase_commenter("ann@example.org")

    html = client.get(published_post.get_absolute_url()).content.decode()
    assert "Bob&#x27;s reply stays." in html or "Bob's reply stays." in html
    assert "Ann Distinctive" not in html and "distinctive words" not in html
    assert "removed" in html.lower()


@pytest.mark.django_db
def test_erasing_a_chain_of_own_replies_removes_all_of_it(add_comment):
    first = add_comment()
    second = add_comment(parent=first)
    add_comment(parent=second)

    deleted, kept = privacy.erase_commenter("ann@example.org")

    assert (deleted, kept) == (3, 0)
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_erasing_an_unknown_address_changes_nothing(add_comment):
    comment = add_comment()

    out = StringIO()
    call_command("erase_commenter", "nobody@example.org", "--yes", stdout=out)

    assert "No comments are stored" in out.getvalue()
    assert Comment.objects.get().body == comment.body


@pytest.mark.django_db
def test_erase_without_yes_asks_and_a_no_keeps_everything(add_comment, monkeypatch):
    add_comment()
    monkeypatch.setattr("builtins.input", lambda prompt: "n")

    with pytest.raises(CommandError, match="Nothing erased"):
        call_command("erase_commenter", "ann@example.org", stdout=StringIO())

    assert Comment.objects.count() == 1


CHANGELIST = "/admin/comments/comment/"


@pytest.mark.django_db
def test_the_admin_exports_the_selected_commenters_as_json(admin_client, add_comment):
    ann = add_comment(body="Ann's words.")
    add_comment(email="bob@example.org", body="Bob's words.")

    response = admin_client.post(
        CHANGELIST, {"action": "export_commenters", "_selected_action": [ann.pk]}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="commenters-')
    [exported] = json.loads(response.content)
    assert exported["email"] == "ann@example.org"
    assert [item["body"] for item in exported["comments"]] == ["Ann's words."]


@pytest.mark.django_db
def test_the_admin_erases_only_after_confirmation(admin_client, add_comment):
    ann = add_comment()
    bob = add_comment(email="bob@example.org")
    selection = {"action": "erase_commenters", "_selected_action": [ann.pk]}

    asked = admin_client.post(CHANGELIST, selection)
    assert asked.status_code == 200
    assert b"ann@example.org: 1 comment" in asked.content
    assert Comment.objects.count() == 2

    done = admin_client.post(CHANGELIST, {**selection, "confirm": "yes"})

    assert done.status_code == 302
    assert list(Comment.objects.all()) == [bob]


@pytest.mark.django_db
def test_moderators_cannot_export_or_erase_commenters(client, make_user, add_comment):
    client.force_login(make_user("mod", groups=["Moderators"], is_staff=True))
    comment = add_comment()

    for action in ("export_commenters", "erase_commenters"):
        response = client.post(
            CHANGELIST, {"action": action, "_selected_action": [comment.pk], "confirm": "yes"}
        )
        assert response.status_code == 302  # back to the list: no such action for them
        assert "Content-Disposition" not in response

    assert Comment.objects.get().author_email == "ann@example.org"
