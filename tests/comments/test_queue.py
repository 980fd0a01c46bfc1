"""Moderators: the queue page, the admin's actions, who may do what, and the log."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from comments.models import (
    BlocklistEntry,
    Comment,
    IllegalTransition,
    ModerationKeyword,
    ModerationLog,
)

pytestmark = pytest.mark.django_db

QUEUE = "/comments/moderation/"
DECIDE = "/comments/moderation/decide/"


@pytest.fixture
def held(make_comment):
    return make_comment(status=Comment.Status.PENDING, name="Held Reader",
                        body="Please approve me.", held_reason="first comment from this address")


def test_the_moderators_group_has_exactly_the_comment_and_delivery_permissions():
    group = Group.objects.get(name="Moderators")
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))

    assert codenames == {
        ("comments", "moderate_comment"),
        ("comments", "view_comment"),
        ("comments", "view_moderationlog"),
        *{("comments", f"{action}_{model}")
          for action in ("add", "change", "delete", "view")
          for model in ("moderationkeyword", "blocklistentry")},
        # Failed and waiting emails, and the button that retries them (delivery/admin.py).
        ("delivery", "view_delivery"),
        ("delivery", "retry_delivery"),
    }


def test_the_queue_lists_pending_comments_oldest_first_with_why_they_were_held(
    client, moderator, make_comment
):
    newer = make_comment(status=Comment.Status.PENDING, body="Newer.", age=timedelta(hours=1),
                         held_reason="2 links")
    older = make_comment(status=Comment.Status.PENDING, body="Older.", age=timedelta(hours=2),
                         held_reason="first comment from this address")
    make_comment(body="Already approved.")
    client.force_login(moderator)

    response = client.get(QUEUE)
    html = response.content.decode()

    assert response.status_code == 200
    assert html.index("Older.") < html.index("Newer.")
    assert "Already approved." not in html
    assert "2 links" in html and "first comment from this address" in html
    assert older.post.title in html
    assert "Pending <span class=\"count\">(2)</span>" in html
    assert "Approved <span class=\"count\">(1)</span>" in html
    assert f'value="approve:{older.pk}"' in html and f'value="spam:{newer.pk}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_queue_shows_other_statuses_on_request(client, moderator, make_comment):
    spam = make_comment(status=Comment.Status.SPAM, body="Casino!", held_reason="blocklisted word")
    client.force_login(moderator)

    html = client.get(QUEUE, {"status": "spam"}).content.decode()

    assert "Casino!" in html and "blocklisted word" in html
    assert f'value="approve:{spam.pk}"' in html
    assert f'value="spam:{spam.pk}"' not in html
    assert client.get(QUEUE, {"status": "nonsense"}).status_code == 404


def test_a_moderator_approves_a_comment_from_the_queue(client, moderator, held, published_post):
    client.force_login(moderator)

    response = client.post(DECIDE, {"decide": f"approve:{held.pk}"})

    held.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert held.status == Comment.Status.APPROVED
    assert held.moderated_by == moderator and held.moderated_at is not None
    assert "Please approve me." in client.get(published_post.get_absolute_url()).content.decode()
    assert "Approve: 1 comment." in client.get(QUEUE).content.decode()


@pytest.mark.parametrize("action, status", [("reject", Comment.Status.REJECTED),
                                            ("spam", Comment.Status.SPAM)])
def test_a_moderator_rejects_or_marks_spam(client, moderator, held, action, status):
    client.force_login(moderator)

    client.post(DECIDE, {"decide": f"{action}:{held.pk}"})

    held.refresh_from_db()
    assert held.status == status


def test_bulk_selection_decides_all_ticked_comments(client, moderator, make_comment):
    ticked = [make_comment(status=Comment.Status.PENDING) for _ in range(3)]
    left = make_comment(status=Comment.Status.PENDING)
    client.force_login(moderator)

    client.post(DECIDE, {"action": "approve", "comment": [c.pk for c in ticked]})

    assert {c.status for c in Comment.objects.filter(pk__in=[c.pk for c in ticked])} == {"approved"}
    left.refresh_from_db()
    assert left.status == Comment.Status.PENDING
    assert ModerationLog.objects.filter(moderator=moderator).count() == 3


def test_a_decision_already_made_is_reported_not_repeated(client, moderator, make_comment):
    approved = make_comment()
    client.force_login(moderator)

    response = client.post(DECIDE, {"decide": f"approve:{approved.pk}"}, follow=True)

    assert "already decided" in response.content.decode()
    assert ModerationLog.objects.count() == 0


@pytest.mark.parametrize("data", [{}, {"action": "approve"}, {"action": "destroy", "comment": "1"},
                                  {"decide": "approve:x"}, {"decide": "explode:1"},
                                  {"action": "approve", "comment": "9" * 30}])
def test_a_meaningless_decision_changes_nothing_and_explains(client, moderator, held, data):
    client.force_login(moderator)

    response = client.post(DECIDE, data, follow=True)

    held.refresh_from_db()
    assert response.status_code == 200
    assert held.status == Comment.Status.PENDING
    assert "Choose what to do" in response.content.decode()


def test_a_get_on_the_decision_url_changes_nothing(client, moderator, held):
    client.force_login(moderator)

    response = client.get(DECIDE, {"decide": f"approve:{held.pk}"})

    held.refresh_from_db()
    assert response.status_code == 405
    assert held.status == Comment.Status.PENDING


def test_a_decision_needs_the_csrf_token(moderator, held):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)

    response = client.post(DECIDE, {"decide": f"approve:{held.pk}"})

    held.refresh_from_db()
    assert response.status_code == 403
    assert held.status == Comment.Status.PENDING


def test_an_author_cannot_moderate(client, author, held):
    client.force_login(author)

    assert client.get(QUEUE).status_code == 403
    assert client.post(DECIDE, {"decide": f"approve:{held.pk}"}).status_code == 403
    held.refresh_from_db()
    assert held.status == Comment.Status.PENDING


def test_an_author_in_the_moderators_group_can_moderate(client, author, held):
    author.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(author)

    client.post(DECIDE, {"decide": f"approve:{held.pk}"})

    held.refresh_from_db()
    assert held.status == Comment.Status.APPROVED


def test_anonymous_readers_are_sent_to_log_in(client, held):
    assert client.get(QUEUE).status_code == 302
    assert client.post(DECIDE, {"decide": f"approve:{held.pk}"}).status_code == 302
    held.refresh_from_db()
    assert held.status == Comment.Status.PENDING


def test_a_superuser_can_moderate(admin_client, held):
    admin_client.post(DECIDE, {"decide": f"reject:{held.pk}"})

    held.refresh_from_db()
    assert held.status == Comment.Status.REJECTED


def test_a_moderator_cannot_change_or_add_a_post(client, moderator, published_post):
    client.force_login(moderator)
    title = published_post.title

    change = reverse("admin:blog_post_change", args=[published_post.pk])
    assert client.get(change).status_code in (302, 403)
    client.post(change, {"title": "Defaced", "slug": published_post.slug, "body": "x"})
    assert client.get(reverse("admin:blog_post_add")).status_code == 403

    published_post.refresh_from_db()
    assert published_post.title == title


def test_the_admin_comment_list_approves_with_the_same_action(client, moderator, held):
    client.force_login(moderator)
    changelist = reverse("admin:comments_comment_changelist")

    page = client.get(changelist, {"status__exact": "pending"})
    response = client.post(changelist, {"action": "approve_comments",
                                        "_selected_action": [held.pk]})

    held.refresh_from_db()
    assert page.status_code == 200
    assert held.status == Comment.Status.APPROVED and held.moderated_by == moderator
    assert response.status_code == 302
    assert ModerationLog.objects.get(comment=held).moderator == moderator


def test_the_admin_offers_moderation_actions_only_to_moderators(admin_client, client, make_user,
                                                                held):
    viewer = make_user("viewer", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_comment"))
    client.force_login(viewer)
    changelist = reverse("admin:comments_comment_changelist")

    assert "approve_comments" in admin_client.get(changelist).content.decode()
    assert "approve_comments" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "approve_comments", "_selected_action": [held.pk]})
    held.refresh_from_db()
    assert held.status == Comment.Status.PENDING


def test_the_admin_never_edits_the_status_directly(admin_client, held):
    url = reverse("admin:comments_comment_change", args=[held.pk])

    html = admin_client.get(url).content.decode()

    assert 'name="status"' not in html


def test_moderators_edit_keywords_and_the_blocklist_in_the_admin(client, moderator):
    client.force_login(moderator)

    client.post(reverse("admin:comments_moderationkeyword_add"), {"word": "  Pills "})
    client.post(reverse("admin:comments_blocklistentry_add"),
                {"kind": "ip", "value": "203.0.113.0/24", "note": "a botnet"})
    bad = client.post(reverse("admin:comments_blocklistentry_add"),
                      {"kind": "email", "value": "not an address"})

    assert list(ModerationKeyword.objects.values_list("word", flat=True)) == ["pills"]
    assert BlocklistEntry.objects.get().value == "203.0.113.0/24"
    assert bad.status_code == 200 and "Enter an email address" in bad.content.decode()


def test_moderators_read_the_log_but_cannot_change_it(client, moderator, held):
    held.approve(by=moderator)
    client.force_login(moderator)
    entry = ModerationLog.objects.get()

    assert client.get(reverse("admin:comments_moderationlog_changelist")).status_code == 200
    client.post(reverse("admin:comments_moderationlog_delete", args=[entry.pk]), {"post": "yes"})
    assert ModerationLog.objects.filter(pk=entry.pk).exists()


def test_every_decision_is_logged_with_who_when_from_and_to(moderator, held):
    held.approve(by=moderator)
    held.reject(by=moderator)
    held.mark_spam(by=moderator)

    log = list(ModerationLog.objects.order_by("id").values_list(
        "comment", "moderator", "from_status", "to_status"))
    assert log == [
        (held.pk, moderator.pk, "pending", "approved"),
        (held.pk, moderator.pk, "approved", "rejected"),
        (held.pk, moderator.pk, "rejected", "spam"),
    ]
    assert all(entry.decided_at for entry in ModerationLog.objects.all())


@pytest.mark.parametrize("move", ["approve", "reject", "mark_spam"])
def test_an_illegal_move_is_refused_and_not_logged(moderator, make_comment, move):
    status = {"approve": "approved", "reject": "rejected", "mark_spam": "spam"}[move]
    comment = make_comment(status=status)

    with pytest.raises(IllegalTransition):
        getattr(comment, move)(by=moderator)
    assert ModerationLog.objects.count() == 0


def test_the_admin_refuses_a_parent_on_another_post(admin_client, make_comment, make_post):
    comment = make_comment()
    elsewhere = make_comment(post=make_post())
    url = reverse("admin:comments_comment_change", args=[comment.pk])

    response = admin_client.post(url, {
        "post": comment.post_id, "parent": elsewhere.pk, "author_name": comment.author_name,
        "author_email": comment.author_email, "author_url": "", "user": "",
        "body": comment.body,
        "log-TOTAL_FORMS": "0", "log-INITIAL_FORMS": "0",
    })

    comment.refresh_from_db()
    assert response.status_code == 200
    assert "same post as its parent" in response.content.decode()
    assert comment.parent_id is None
