"""The admin's post list: each post's state, the state and author filters, bulk actions."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog import revisions
from blog.models import Post, Tag

pytestmark = pytest.mark.django_db

LIST = "/admin/blog/post/"


def act(client, action, posts, **fields):
    return client.post(
        LIST, {"action": action, "index": "0", "_selected_action": [post.pk for post in posts], **fields}
    )


def messages_of(response):
    return [message.message for message in get_messages(response.wsgi_request)]


def listed(response):
    return list(response.context["cl"].result_list)


def latest_revision(post):
    return revisions.history(post).first().revision


@pytest.fixture
def three_states(make_post, editor):
    return {
        "draft": make_post(title="A draft", status=Post.Status.DRAFT, author=editor),
        "scheduled": make_post(
            title="A scheduled post", published_at=timezone.now() + timedelta(days=2), author=editor
        ),
        "published": make_post(title="A published post", author=editor),
    }


# What the list shows.


def test_list_shows_each_post_as_draft_scheduled_or_published_with_the_due_time(client, editor, three_states):
    client.force_login(editor)

    page = client.get(LIST).content.decode()

    due = timezone.localtime(three_states["scheduled"].published_at)
    row = {post: re.search(rf"{title}</a>.*?</tr>", page, re.S).group() for post, title in [
        ("draft", "A draft"), ("scheduled", "A scheduled post"), ("published", "A published post")
    ]}
    assert '<td class="field-state">Draft</td>' in row["draft"]
    assert f'<td class="field-state">Scheduled for {due:%Y-%m-%d %H:%M}</td>' in row["scheduled"]
    assert '<td class="field-state">Published</td>' in row["published"]


@pytest.mark.parametrize("state", ["draft", "scheduled", "published"])
def test_state_filter_lists_only_the_posts_in_that_state(client, editor, three_states, state):
    client.force_login(editor)

    response = client.get(LIST, {"state": state})

    assert listed(response) == [three_states[state]]


def test_state_filter_offers_the_three_states(client, editor, three_states):
    client.force_login(editor)

    page = client.get(LIST).content.decode()

    for state, label in [("draft", "Draft"), ("scheduled", "Scheduled"), ("published", "Published")]:
        assert f'href="?state={state}"' in page and f">{label}</a>" in page


def test_an_unknown_state_in_the_filter_is_an_invalid_filter_not_a_500(client, editor, three_states):
    client.force_login(editor)

    response = client.get(LIST, {"state": "deleted"})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_a_scheduled_post_falls_into_published_once_due(client, editor, make_post, monkeypatch):
    post = make_post(published_at=timezone.now() + timedelta(hours=1), author=editor)
    client.force_login(editor)
    assert listed(client.get(LIST, {"state": "scheduled"})) == [post]

    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert listed(client.get(LIST, {"state": "published"})) == [post]
    assert listed(client.get(LIST, {"state": "scheduled"})) == []


def author_choices(response):
    spec = next(spec for spec in response.context["cl"].filter_specs if getattr(spec, "field_path", "") == "author")
    return [name for _, name in spec.lookup_choices]


def test_author_filter_lists_only_people_who_write(client, editor, author, make_user, make_post):
    make_user("moderator", groups=["Moderators"], is_staff=True)
    make_user("reader")
    make_user("retired-author", groups=["Authors"], is_staff=True, is_active=False)
    former = make_user("former-author")  # no group any more, but has written
    make_post(author=former)
    direct = make_user("guest-writer", is_staff=True)
    direct.user_permissions.add(Permission.objects.get(codename="add_post"))
    client.force_login(editor)

    choices = author_choices(client.get(LIST))

    assert choices == ["author", "editor", "former-author", "guest-writer"]


def test_author_filter_is_not_offered_to_an_author_who_sees_only_their_own_posts(
    client, author, other_author, make_post
):
    make_post(author=author)
    make_post(author=other_author)
    client.force_login(author)

    response = client.get(LIST)

    # A filter with one choice is not shown (Django leaves it out of the list's filters).
    assert "author" not in [getattr(spec, "field_path", "") for spec in response.context["cl"].filter_specs]
    assert 'href="?author__id__exact=' not in response.content.decode()


def test_the_list_costs_the_same_queries_however_many_posts_it_shows(client, editor, make_post):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    client.force_login(editor)
    make_post(author=editor, tags=["one"])
    make_post(author=editor, status=Post.Status.DRAFT)
    client.get(LIST)  # the site settings (the admin's title) are read once, then cached
    few = count_queries()
    for number in range(8):
        make_post(author=editor, tags=[f"tag {number}"], published_at=timezone.now() + timedelta(days=number - 4))

    assert count_queries() == few


# Publish now.


def test_editor_publishes_chosen_drafts_now_each_with_a_revision(client, editor, author, make_post):
    drafts = [make_post(status=Post.Status.DRAFT, author=author) for _ in range(2)]
    untouched = make_post(status=Post.Status.DRAFT, author=author)
    client.force_login(editor)
    before = timezone.now()

    response = act(client, "publish_now", drafts)

    assert response.status_code == 302
    for post in drafts:
        post.refresh_from_db()
        assert post.is_published and before <= post.published_at <= timezone.now()
        revision = latest_revision(post)
        assert (revision.user, revision.comment) == (editor, "Published now.")
        assert revisions.history(post).get().field_dict["status"] == "published"
    untouched.refresh_from_db()
    assert untouched.state == Post.State.DRAFT
    # In the list's order: newest first.
    assert messages_of(response) == [f"Published 2 posts: “{drafts[1]}”, “{drafts[0]}”."]


def test_publish_now_brings_a_scheduled_post_out_at_once(client, editor, make_post):
    post = make_post(published_at=timezone.now() + timedelta(days=3), author=editor)
    client.force_login(editor)

    act(client, "publish_now", [post])

    post.refresh_from_db()
    assert post.is_published and post.published_at <= timezone.now()


def test_publish_now_keeps_the_permalink_of_a_post_unpublished_earlier(client, editor, make_post):
    post = make_post(age=timedelta(days=30), author=editor)
    permalink = post.get_absolute_url()
    client.force_login(editor)

    act(client, "unpublish", [post])
    act(client, "publish_now", [post])

    post.refresh_from_db()
    assert post.is_published and post.get_absolute_url() == permalink


def test_publish_now_leaves_a_post_it_cannot_publish_and_names_it(client, editor, make_post):
    make_post(slug="same-slug", age=timedelta(0), author=editor)
    clash = make_post(slug="same-slug", status=Post.Status.DRAFT, author=editor, title="Clashing draft")
    fine = make_post(status=Post.Status.DRAFT, author=editor, title="Fine draft")
    out = make_post(author=editor, title="Already out")
    client.force_login(editor)

    response = act(client, "publish_now", [clash, fine, out])

    clash.refresh_from_db()
    assert clash.state == Post.State.DRAFT
    assert revisions.history(clash).count() == 0
    assert Post.objects.get(pk=fine.pk).is_published
    # Refusals come in the list's order, which puts drafts without a date first or last
    # depending on the database.
    assert sorted(messages_of(response)) == [
        "Published 1 post: “Fine draft”.",
        "“Already out” was not published: It is already published.",
        "“Clashing draft” was not published: Slug must be unique for Published at date.",
    ]


# Unpublish.


def test_unpublish_sends_posts_back_to_draft_and_readers_lose_them(client, editor, make_post):
    post = make_post(author=editor)
    scheduled = make_post(published_at=timezone.now() + timedelta(days=1), author=editor)
    url = post.get_absolute_url()
    client.force_login(editor)

    response = act(client, "unpublish", [post, scheduled])

    assert {Post.objects.get(pk=pk).state for pk in (post.pk, scheduled.pk)} == {Post.State.DRAFT}
    assert latest_revision(post).comment == "Unpublished (back to draft)."
    assert "2 posts are drafts again" in messages_of(response)[0]
    client.logout()
    assert client.get(url).status_code == 404


def test_bulk_actions_refresh_the_cached_pages(client, editor, make_post, django_capture_on_commit_callbacks):
    out = make_post(title="Going away", author=editor)
    draft = make_post(title="Coming out", status=Post.Status.DRAFT, author=editor)
    reader = client.__class__()
    assert "Going away" in reader.get("/").content.decode()
    assert reader.get("/")["X-Page-Cache"] == "hit"
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        act(client, "publish_now", [draft])
        act(client, "unpublish", [out])

    home = reader.get("/")
    assert "X-Page-Cache" not in home
    assert "Coming out" in home.content.decode() and "Going away" not in home.content.decode()


# Permissions.


def test_an_author_acting_on_others_posts_changes_only_their_own_and_is_told(client, author, other_author, make_post):
    own = make_post(status=Post.Status.DRAFT, author=author)
    others = [make_post(status=Post.Status.DRAFT, author=other_author) for _ in range(2)]
    client.force_login(author)

    response = act(client, "publish_now", [own, *others])

    assert Post.objects.get(pk=own.pk).is_published
    assert [Post.objects.get(pk=post.pk).state for post in others] == [Post.State.DRAFT] * 2
    assert "2 chosen posts were skipped: you may change only your own posts." in messages_of(response)


def test_an_author_who_chose_only_others_posts_is_not_asked_for_a_tag(client, author, other_author, make_post):
    theirs = make_post(author=other_author)
    client.force_login(author)

    response = act(client, "add_tag", [theirs])

    assert response.status_code == 302
    assert messages_of(response) == ["1 chosen post was skipped: you may change only your own posts."]
    assert not theirs.tags.exists()


def test_bulk_actions_need_the_permission_to_change_posts(client, make_user, make_post):
    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_post"))
    post = make_post(status=Post.Status.DRAFT)
    client.force_login(viewer)

    assert 'value="publish_now"' not in client.get(LIST).content.decode()
    act(client, "publish_now", [post])

    assert Post.objects.get(pk=post.pk).state == Post.State.DRAFT


@pytest.mark.parametrize("chosen", ["abc", str(2**70), "-1", "", "٣"])
def test_a_selection_that_names_no_row_is_a_bad_request_not_a_500(client, editor, published_post, chosen):
    client.force_login(editor)

    response = client.post(LIST, {"action": "unpublish", "index": "0", "_selected_action": [chosen]})

    assert response.status_code == 400
    assert "reload the list" in response.content.decode()
    assert Post.objects.get(pk=published_post.pk).is_published


# Add a tag.


def test_add_a_tag_first_asks_which_tag(client, editor, make_post):
    posts = [make_post(author=editor, title=f"Post {n}") for n in (1, 2)]
    Tag.objects.create(name="History")
    client.force_login(editor)

    response = act(client, "add_tag", posts)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<li>Post 1</li>" in page and "<li>Post 2</li>" in page
    assert '<label class="required" for="id_tag">Tag:</label>' in page
    assert '<option value="History">' in page
    for post in posts:
        assert f'<input type="hidden" name="_selected_action" value="{post.pk}">' in page
    assert not Tag.objects.filter(posts__isnull=False).exists()


def test_add_a_tag_attaches_an_existing_tag_keeping_a_revision_each(client, editor, make_post):
    history = Tag.objects.create(name="History")
    tagged = make_post(author=editor, tags=["History"])
    plain = make_post(author=editor, tags=["Other"])
    client.force_login(editor)

    response = act(client, "add_tag", [tagged, plain], tag="history", apply="Add the tag")

    assert response.status_code == 302
    assert set(plain.tags.values_list("name", flat=True)) == {"History", "Other"}
    assert latest_revision(plain).comment == "Tagged “History”."
    assert sorted(revisions.snapshot(revisions.history(plain).first())["tags"]) == ["History", "Other"]
    assert revisions.history(tagged).count() == 0
    assert list(tagged.tags.all()) == [history]
    assert messages_of(response) == [
        f"Tagged 1 post “History”: “{plain}”.",
        "1 post already had the tag “History”.",
    ]


def test_add_a_tag_creates_a_new_tag_for_someone_allowed_to(client, author, make_post):
    post = make_post(author=author)
    client.force_login(author)

    act(client, "add_tag", [post], tag="  Brand   new ", apply="Add the tag")

    assert list(post.tags.values_list("name", "slug")) == [("Brand new", "brand-new")]


def test_add_a_tag_does_not_create_one_for_someone_who_may_not(client, make_user, make_post):
    writer = make_user("no-tags", is_staff=True)
    writer.user_permissions.add(*Permission.objects.filter(codename__in=["change_post", "view_post"]))
    post = make_post(author=writer)
    client.force_login(writer)

    response = act(client, "add_tag", [post], tag="Invented", apply="Add the tag")

    assert response.status_code == 400
    assert "There is no tag “Invented”, and you may not create tags." in response.content.decode()
    assert not Tag.objects.exists()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("Bad\x1bname", "control character"),
        ("x" * 101, "Ensure this value has at most 100 characters"),
    ],
)
def test_add_a_tag_with_a_bad_name_asks_again(client, editor, make_post, name, error):
    post = make_post(author=editor)
    client.force_login(editor)

    response = act(client, "add_tag", [post], tag=name, apply="Add the tag")

    assert response.status_code == 400
    assert error in response.content.decode()
    assert f'<input type="hidden" name="_selected_action" value="{post.pk}">' in response.content.decode()
    assert not post.tags.exists()


def test_adding_a_tag_refreshes_the_cached_pages(client, editor, published_post, django_capture_on_commit_callbacks):
    reader = client.__class__()
    reader.get(published_post.get_absolute_url())
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        act(client, "add_tag", [published_post], tag="Fresh", apply="Add the tag")

    page = reader.get(published_post.get_absolute_url())
    assert "X-Page-Cache" not in page
    assert 'rel="tag">Fresh</a>' in page.content.decode()
