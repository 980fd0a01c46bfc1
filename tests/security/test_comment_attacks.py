"""Attacks through the comment form, the moderation queue and the unsubscribe links."""

import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from comments import notifications
from comments.forms import TIMESTAMP_SALT
from comments.models import BlocklistEntry, Comment, ModerationKeyword
from tests.security.html_checks import problems_in
from tests.security.roles import ROLES, outcome

NO_COMMENT_STORED = 0


@pytest.fixture
def post(make_post):
    return make_post(title="A post with comments", body="Words.")


def form_data(post, **fields):
    data = {
        "name": "Reader",
        "email": "reader@example.org",
        "url": "",
        "body": "A fair point.",
        "timestamp": signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(str(post.pk)),
        "honeypot": "",
    }
    data.update(fields)
    return data


def send(client, post, **fields):
    extra = {"REMOTE_ADDR": fields.pop("REMOTE_ADDR", "203.0.113.10")}
    return client.post(reverse("comments:post", args=[post.pk]), form_data(post, **fields), **extra)


def approved(post, moderator, **fields):
    """A comment sent through the form, then approved by a moderator."""
    response = send(Client(), post, **fields)
    assert response.status_code == 302, response.content[:500]
    comment = Comment.objects.latest("id")
    if comment.status != Comment.Status.APPROVED:
        comment.approve(by=moderator)
    return comment


def thread_html(client, post):
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def comment_html(html, comment):
    match = re.search(rf'<li id="comment-{comment.pk}".*?</article>', html, re.DOTALL)
    assert match, f"comment {comment.pk} is not on the page"
    return match.group(0)


# XSS ---------------------------------------------------------------------------------

BODIES = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<svg onload="alert(1)"></svg>',
    "<iframe src=//evil.example></iframe>",
    "<style>*{display:none}</style>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click][x]\n\n[x]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![img](https://evil.example/pixel.gif)",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
]


@pytest.mark.django_db
@pytest.mark.parametrize("body", BODIES)
def test_a_comment_body_never_carries_script_or_images(client, post, moderator, body):
    comment = approved(post, moderator, body=body)

    html = comment_html(thread_html(client, post), comment)

    assert problems_in(html) == []
    assert "<img" not in html and "<iframe" not in html
    assert Comment.objects.get(pk=comment.pk).body == body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ['"><script>alert(1)</script>', '" onmouseover="alert(1)', "' autofocus onfocus='alert(1)",
     "<img src=x onerror=alert(1)>"],
)
def test_a_name_cannot_break_out_of_its_text_or_attributes(client, post, moderator, name):
    comment = approved(post, moderator, name=name)

    html = comment_html(thread_html(client, post), comment)

    assert problems_in(html) == []
    assert name not in html
    assert Comment.objects.get(pk=comment.pk).author_name == name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "vbscript:msgbox(1)",
     "data:text/html,<script>alert(1)</script>", "java\tscript:alert(1)", "ftp://files.example/"],
)
def test_a_website_that_is_not_http_is_refused_and_nothing_stored(client, post, url):
    response = send(client, post, url=url)

    assert response.status_code == 400
    assert Comment.objects.count() == NO_COMMENT_STORED


@pytest.mark.django_db
def test_a_website_cannot_break_out_of_its_href(client, post, moderator):
    comment = approved(post, moderator, url='https://ok.example/"onmouseover="alert(1)')

    html = comment_html(thread_html(client, post), comment)

    assert problems_in(html) == []
    assert 'rel="nofollow ugc noopener"' in html


@pytest.mark.django_db
def test_a_stored_javascript_website_is_never_rendered_as_a_link(client, post):
    # Imports and the admin write the field without the form's check.
    comment = Comment.objects.create(
        post=post, author_name="Imported", author_email="i@example.org",
        author_url="javascript:alert(1)", body="Old comment.", status=Comment.Status.APPROVED,
    )

    html = comment_html(thread_html(client, post), comment)

    assert problems_in(html) == []
    assert "Imported" in html


@pytest.mark.django_db
def test_commenter_emails_appear_in_no_page_or_feed(client, post, moderator):
    approved(post, moderator, email="secret.address@example.org")

    urls = [post.get_absolute_url(), "/", reverse("comments:feed-rss"), reverse("comments:feed-atom"),
            reverse("comments:post-feed-rss", args=[post.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert b"secret.address" not in response.content, url


# CSRF and GET ---------------------------------------------------------------------------


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.mark.django_db
def test_a_comment_sent_from_another_site_is_refused(csrf_client, post):
    """No token in the anonymous form: the browser's headers say where the POST comes from
    (more cases in test_cross_site_comments.py)."""
    csrf_client.defaults.update(HTTP_SEC_FETCH_SITE="cross-site", HTTP_ORIGIN="https://evil.example")

    response = send(csrf_client, post)

    assert response.status_code == 403
    assert Comment.objects.count() == NO_COMMENT_STORED


@pytest.mark.django_db
def test_a_signed_in_comment_without_the_csrf_token_is_refused(csrf_client, post, commenter):
    csrf_client.force_login(commenter)

    response = send(csrf_client, post)

    assert response.status_code == 403
    assert Comment.objects.count() == NO_COMMENT_STORED


@pytest.mark.django_db
def test_a_moderation_decision_without_the_csrf_token_is_refused(csrf_client, post, moderator):
    send(Client(), post)
    comment = Comment.objects.get()
    csrf_client.force_login(moderator)

    response = csrf_client.post(reverse("comments:moderate"), {"decide": f"approve:{comment.pk}"})

    assert response.status_code == 403
    assert Comment.objects.get().status == Comment.Status.PENDING


@pytest.mark.django_db
def test_an_admin_action_without_the_csrf_token_is_refused(csrf_client, post, moderator):
    send(Client(), post)
    comment = Comment.objects.get()
    csrf_client.force_login(moderator)

    response = csrf_client.post(
        "/admin/comments/comment/", {"action": "approve_comments", "_selected_action": [comment.pk]}
    )

    assert response.status_code == 403
    assert Comment.objects.get().status == Comment.Status.PENDING


@pytest.mark.django_db
def test_a_keyword_without_the_csrf_token_is_refused(csrf_client, moderator):
    csrf_client.force_login(moderator)

    response = csrf_client.post("/admin/comments/moderationkeyword/add/", {"word": "casino"})

    assert response.status_code == 403
    assert not ModerationKeyword.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["decide=approve:{pk}", "action=approve&comment={pk}"])
def test_a_get_on_the_decision_url_changes_nothing(client, post, moderator, query):
    send(Client(), post)
    comment = Comment.objects.get()
    client.force_login(moderator)

    response = client.get(reverse("comments:moderate") + "?" + query.format(pk=comment.pk))

    assert response.status_code == 405
    assert Comment.objects.get().status == Comment.Status.PENDING


@pytest.mark.django_db
def test_a_get_on_the_comment_url_stores_nothing(client, post):
    response = client.get(reverse("comments:post", args=[post.pk]), form_data(post))

    assert response.status_code == 405
    assert Comment.objects.count() == NO_COMMENT_STORED


# Authorization ------------------------------------------------------------------------



@pytest.mark.django_db
@pytest.mark.parametrize("role, expected", list(zip(ROLES, ["login", 403, 403, 200, 200])))
def test_who_may_see_the_moderation_queue(as_role, post, role, expected):
    send(Client(), post, body="Pending words.")

    response = as_role(role).get(reverse("comments:queue"))

    assert outcome(response) == expected
    assert (b"Pending words." in response.content) is (expected == 200)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected, status",
    list(zip(ROLES, ["login", 403, 403, 302, 302], ["pending", "pending", "pending", "approved", "approved"])),
)
def test_who_may_approve_a_comment(as_role, post, role, expected, status):
    send(Client(), post)
    comment = Comment.objects.get()

    response = as_role(role).post(reverse("comments:moderate"), {"decide": f"approve:{comment.pk}"})

    assert outcome(response) == expected
    assert Comment.objects.get().status == status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected, status",
    list(zip(ROLES, ["login", "login", 302, 302, 302], ["pending", "pending", "pending", "approved", "approved"])),
)
def test_who_may_approve_through_the_admin_action(as_role, post, role, expected, status):
    send(Client(), post)
    comment = Comment.objects.get()

    response = as_role(role).post(
        "/admin/comments/comment/", {"action": "approve_comments", "_selected_action": [comment.pk]}
    )

    # An author gets the admin's 403 page for a model they may not see, or a redirect.
    assert outcome(response) in ({expected} | ({403} if role == "author" else set()))
    assert Comment.objects.get().status == status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/admin/comments/moderationkeyword/add/", "/admin/comments/blocklistentry/add/"],
)
@pytest.mark.parametrize(
    "role, expected", list(zip(ROLES, ["login", "login", 403, 200, 200]))
)
def test_who_may_edit_the_keyword_lists(as_role, role, expected, url):
    assert outcome(as_role(role).get(url)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected, created",
    list(zip(ROLES, ["login", "login", 403, 302, 302], [False, False, False, True, True])),
)
def test_who_may_add_to_the_blocklist(as_role, role, expected, created):
    response = as_role(role).post(
        "/admin/comments/blocklistentry/add/", {"kind": "email", "value": "spam@example.org", "note": ""}
    )

    assert outcome(response) == expected
    assert BlocklistEntry.objects.filter(value="spam@example.org").exists() is created


@pytest.mark.django_db
def test_a_moderator_cannot_rewrite_a_comment_in_the_admin(client, post, moderator):
    send(Client(), post, body="Original words.")
    comment = Comment.objects.get()
    client.force_login(moderator)

    response = client.post(
        f"/admin/comments/comment/{comment.pk}/change/",
        {"post": post.pk, "author_name": "Forged", "author_email": "f@example.org", "body": "Forged words."},
    )

    assert response.status_code == 403
    assert Comment.objects.get().body == "Original words."


@pytest.mark.django_db
@pytest.mark.parametrize("role, expected", list(zip(ROLES, ["login", "login", 403, 403, 200])))
def test_only_a_superuser_may_delete_a_comment(as_role, post, role, expected):
    send(Client(), post)
    comment = Comment.objects.get()

    response = as_role(role).get(f"/admin/comments/comment/{comment.pk}/delete/")

    assert outcome(response) == expected
    assert Comment.objects.filter(pk=comment.pk).exists()


# IDOR and signatures ------------------------------------------------------------------


@pytest.fixture
def subscribed(post, moderator):
    comment = approved(post, moderator, email="subscriber@example.org", notify="on")
    assert comment.notify_on_reply is True
    return comment


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: signing.dumps(1, salt=notifications.UNSUBSCRIBE_SALT, key="another-site's-key"),
        lambda token: "1",
        lambda token: "not-a-token",
        lambda token: signing.dumps(999_999, salt="wrong"),
    ],
)
def test_a_tampered_unsubscribe_link_gets_400_and_changes_nothing(client, subscribed, tamper):
    token = tamper(notifications.unsubscribe_token(subscribed))

    response = client.post(reverse("comments:unsubscribe", args=[token]))

    assert response.status_code == 400
    assert Comment.objects.get(pk=subscribed.pk).notify_on_reply is True


@pytest.mark.django_db
def test_an_unsubscribe_link_cannot_be_moved_to_another_comment(client, post, moderator, subscribed):
    other = approved(post, moderator, email="other@example.org", notify="on", REMOTE_ADDR="203.0.113.99")
    token = notifications.unsubscribe_token(subscribed)
    value, _, signature = token.partition(":")
    forged = signing.dumps(other.pk, salt=notifications.UNSUBSCRIBE_SALT, compress=False).split(":")[0]

    response = client.post(reverse("comments:unsubscribe", args=[f"{forged}:{signature}"]))

    assert response.status_code == 400
    assert Comment.objects.get(pk=other.pk).notify_on_reply is True


@pytest.mark.django_db
def test_a_valid_unsubscribe_link_stops_only_its_own_commenter(client, post, moderator, subscribed):
    other = approved(post, moderator, email="other@example.org", notify="on", REMOTE_ADDR="203.0.113.99")

    looked = client.get(notifications.unsubscribe_url(subscribed).removeprefix("http://127.0.0.1:8000"))
    done = client.post(reverse("comments:unsubscribe", args=[notifications.unsubscribe_token(subscribed)]))

    assert looked.status_code == 200
    assert done.status_code == 200
    assert Comment.objects.get(pk=subscribed.pk).notify_on_reply is False
    assert Comment.objects.get(pk=other.pk).notify_on_reply is True


@pytest.mark.django_db
def test_opening_an_unsubscribe_link_changes_nothing(client, subscribed):
    # Mail scanners and link previews open links; only the button's POST unsubscribes.
    response = client.get(reverse("comments:unsubscribe", args=[notifications.unsubscribe_token(subscribed)]))

    assert response.status_code == 200
    assert Comment.objects.get(pk=subscribed.pk).notify_on_reply is True


@pytest.mark.django_db
def test_the_reply_page_of_a_pending_comment_is_404(client, post):
    send(client, post, body="Not yet approved.")
    pending = Comment.objects.get()

    response = client.get(reverse("comments:reply", args=[pending.pk]))

    assert response.status_code == 404
    assert b"Not yet approved." not in response.content


@pytest.mark.django_db
def test_a_comment_on_a_draft_is_404_and_not_stored(client, make_post):
    draft = make_post(status="draft")

    response = send(client, draft)

    assert response.status_code == 404
    assert Comment.objects.count() == NO_COMMENT_STORED


@pytest.mark.django_db
def test_a_reply_to_a_comment_on_another_post_is_400_and_not_stored(client, post, make_post, moderator):
    elsewhere = approved(make_post(), moderator)

    response = send(client, post, parent=str(elsewhere.pk), REMOTE_ADDR="203.0.113.50", email="x@example.org")

    assert response.status_code == 400
    assert Comment.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("ids", ["approve:999999999", "approve:-1", "approve:1e9", "approve:" + "9" * 40, "nonsense"])
def test_decisions_on_ids_that_do_not_exist_change_nothing(client, post, moderator, ids):
    send(Client(), post)
    client.force_login(moderator)

    response = client.post(reverse("comments:moderate"), {"decide": ids})

    assert response.status_code == 302
    assert Comment.objects.get().status == Comment.Status.PENDING


# Links in emails ------------------------------------------------------------------------


@pytest.mark.django_db
def test_links_in_emails_come_from_site_url_not_the_host_header(
    client, post, make_user, mailoutbox, settings, send_queued
):
    settings.SITE_URL = "https://blog.example.com"
    make_user("mod-with-mail", groups=["Moderators"], is_staff=True, email="mod@example.org")

    response = client.post(
        reverse("comments:post", args=[post.pk]), form_data(post), HTTP_HOST="localhost"
    )
    send_queued()

    assert response.status_code == 302
    [message] = mailoutbox
    links = re.findall(r"https?://\S+", message.body)
    assert links and all(link.startswith("https://blog.example.com/") for link in links)


# Rate limits ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_comment_posting_is_rate_limited_per_client(client, post, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment-post": "2/10m"}

    first = send(client, post, email="a@example.org")
    second = send(client, post, email="b@example.org", body="")  # invalid, but it counts
    third = send(client, post, email="c@example.org", body="Third.")

    assert (first.status_code, second.status_code, third.status_code) == (302, 400, 429)
    assert 1 <= int(third["Retry-After"]) <= 600
    assert b"many comments in a short time" in third.content
    assert b"Third." in third.content  # the reader's text comes back in the form
    assert list(Comment.objects.values_list("author_email", flat=True)) == ["a@example.org"]


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_escape_the_comment_limit(client, post, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment-post": "1/10m"}

    send(client, post, email="a@example.org")
    response = client.post(
        reverse("comments:post", args=[post.pk]),
        form_data(post, email="b@example.org", body="Other words."),
        REMOTE_ADDR="203.0.113.10",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )

    assert response.status_code == 429
    assert Comment.objects.count() == 1


@pytest.mark.django_db
def test_moderators_are_not_rate_limited(client, post, moderator, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment-post": "1/10m"}
    client.force_login(moderator)

    statuses = [send(client, post, body=f"Note {n}.").status_code for n in range(3)]

    assert statuses == [302, 302, 302]


# Bad input ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["name", "body", "email", "url"])
def test_nul_bytes_are_refused_with_400_and_nothing_stored(client, post, field):
    value = {"name": "Re\x00ader", "body": "Hello\x00world", "email": "a\x00@example.org",
             "url": "https://x.example/\x00"}[field]

    response = send(client, post, **{field: value})

    assert response.status_code == 400
    assert Comment.objects.count() == NO_COMMENT_STORED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, length", [("name", 101), ("body", 5_001), ("email", 255), ("url", 201)]
)
def test_over_long_fields_are_refused_with_400_and_nothing_stored(client, post, field, length):
    value = {
        "name": "n" * length,
        "body": "b" * length,
        "email": "e" * (length - len("@example.org")) + "@example.org",
        "url": "https://example.org/" + "u" * (length - len("https://example.org/")),
    }[field]

    response = send(client, post, **{field: value})

    assert response.status_code == 400
    assert Comment.objects.count() == NO_COMMENT_STORED


@pytest.mark.django_db
def test_invalid_utf8_in_a_comment_is_refused_or_replaced_never_a_500(client, post):
    body = (
        b"name=Reader&email=reader%40example.org&body=caf%C3%A9+%FF%FE+bytes"
        b"&timestamp=" + form_data(post)["timestamp"].encode() + b"&honeypot="
    )

    response = client.post(
        reverse("comments:post", args=[post.pk]), body,
        content_type="application/x-www-form-urlencoded", REMOTE_ADDR="203.0.113.10",
    )

    assert response.status_code == 302
    assert Comment.objects.get().body == "café \ufffd\ufffd bytes"


@pytest.mark.django_db
def test_a_thousand_and_one_fields_get_400_and_nothing_stored(client, post):
    data = form_data(post)
    data.update({f"extra{n}": "x" for n in range(1_001)})

    response = client.post(reverse("comments:post", args=[post.pk]), data)

    assert response.status_code == 400
    assert Comment.objects.count() == NO_COMMENT_STORED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "refusal"),
    [("[" * 4_900, "more than 3,750 “[” characters"), (">" * 4_900, "nested more than 16 levels deep"),
     ("1. " * 1_600, "nested more than 16 levels deep"), ("*" * 4_900, None), ("- " * 2_400, None),
     ("`" * 4_900, None), ("[a](" * 1_200, None), ("<" * 4_900, None), ("_a" * 2_400, None),
     ("\\" * 4_900, None)],
)
def test_pathological_markdown_in_a_comment_is_shown_safely_or_refused_with_its_reason(
    client, post, moderator, body, refusal
):
    # The time either takes is bounded by blog/markdown.py's work budget, which refuses
    # before the work (tests/security/test_markdown_limits.py).
    if refusal is None:
        comment = approved(post, moderator, body=body)
        assert problems_in(comment_html(thread_html(client, post), comment)) == []
    else:
        response = send(client, post, body=body)
        assert response.status_code == 400
        assert refusal in response.content.decode()
        assert Comment.objects.count() == NO_COMMENT_STORED


@pytest.mark.django_db
def test_a_user_agent_with_control_characters_is_stored_clean(client, post):
    response = client.post(
        reverse("comments:post", args=[post.pk]), form_data(post),
        HTTP_USER_AGENT="Evil\x00Agent\x1b[31m", REMOTE_ADDR="203.0.113.10",
    )

    assert response.status_code == 302
    assert Comment.objects.get().user_agent == "EvilAgent[31m"


@pytest.mark.django_db
def test_the_reply_page_never_links_a_stored_javascript_website(client, post):
    parent = Comment.objects.create(
        post=post, author_name="Imported", author_email="i@example.org",
        author_url="JavaScript:alert(1)", body="Old comment.", status=Comment.Status.APPROVED,
    )

    response = client.get(reverse("comments:reply", args=[parent.pk]))

    assert response.status_code == 200
    assert "javascript:" not in response.content.decode().lower()
