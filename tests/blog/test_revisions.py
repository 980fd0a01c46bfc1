"""Every save of a post keeps a revision; its editors compare and restore them in the admin."""

import pytest
from reversion.models import Version

from blog import revisions
from blog.models import Post, Tag

pytestmark = pytest.mark.django_db


def edit_form(post, **overrides):
    return {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "summary": post.summary,
        "status": post.status,
        "published_at_0": post.published_at.strftime("%Y-%m-%d") if post.published_at else "",
        "published_at_1": post.published_at.strftime("%H:%M:%S") if post.published_at else "",
        "comments_enabled": "on",
        **overrides,
    }


@pytest.fixture
def authors_post(make_post, author):
    return make_post(title="First title", body="One.\nTwo.\nThree.", author=author)


def save_in_admin(client, post, **changes):
    response = client.post(f"/admin/blog/post/{post.pk}/change/", edit_form(post, **changes))
    assert response.status_code == 302, response.content.decode()[:2000]
    post.refresh_from_db()
    return post


def test_saving_in_the_admin_keeps_a_revision_of_who_changed_what(client, authors_post, author):
    client.force_login(author)
    tag = Tag.objects.create(name="History")

    save_in_admin(client, authors_post, title="Second title", tags=[tag.pk])

    [version] = revisions.history(authors_post)
    assert version.revision.user == author
    assert "Title" in version.revision.get_comment() and "Tags" in version.revision.get_comment()
    kept = revisions.snapshot(version)
    assert kept["title"] == "Second title"
    assert kept["body"] == "One.\nTwo.\nThree."
    assert kept["tags"] == ["History"]
    assert kept["status"] == "published"
    assert kept["published_at"] == authors_post.published_at


def test_a_new_post_written_in_the_admin_starts_with_a_revision(client, author):
    client.force_login(author)

    client.post("/admin/blog/post/add/", {
        "title": "Fresh", "slug": "fresh", "body": "Words.", "summary": "", "status": "draft",
        "published_at_0": "", "published_at_1": "",
    })

    post = Post.objects.get(slug="fresh")
    [version] = revisions.history(post)
    assert version.revision.get_comment() == "Added."


def test_revisions_page_compares_two_saves_line_by_line(client, authors_post, author):
    client.force_login(author)
    save_in_admin(client, authors_post)
    save_in_admin(client, authors_post, body="One.\nTwo, changed.\nThree.", title="New title")

    response = client.get(f"/admin/blog/post/{authors_post.pk}/revisions/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<del>− Two.</del>" in page
    assert "<ins>+ Two, changed.</ins>" in page
    assert "<del>First title</del> → <ins>New title</ins>" in page
    assert "Ada Author" in page


def test_any_two_revisions_can_be_compared(client, authors_post, author):
    client.force_login(author)
    for title in ["A", "B", "C"]:
        save_in_admin(client, authors_post, title=title)
    third, second, first = revisions.history(authors_post)

    response = client.get(
        f"/admin/blog/post/{authors_post.pk}/revisions/", {"from": third.pk, "to": first.pk}
    )

    assert "<del>A</del> → <ins>C</ins>" in response.content.decode()


def test_comparing_revisions_that_are_not_this_posts_is_refused(client, authors_post, make_post, author):
    client.force_login(author)
    save_in_admin(client, authors_post)
    other = make_post(author=author)
    save_in_admin(client, other)
    [foreign] = revisions.history(other)

    for query in [{"from": foreign.pk, "to": foreign.pk}, {"from": "x", "to": "1"}]:
        response = client.get(f"/admin/blog/post/{authors_post.pk}/revisions/", query)
        assert response.status_code == 400
        assert "Choose two revisions of this post" in response.content.decode()


def test_restoring_a_revision_brings_back_its_writing_as_a_new_revision(client, authors_post, author):
    client.force_login(author)
    history_tag, other_tag = Tag.objects.create(name="History"), Tag.objects.create(name="Other")
    save_in_admin(client, authors_post, tags=[history_tag.pk])
    save_in_admin(client, authors_post, title="Rewritten", body="Nothing left.", tags=[other_tag.pk])
    current, original = revisions.history(authors_post)

    response = client.post(f"/admin/blog/post/{authors_post.pk}/revisions/{original.pk}/restore/")

    assert response.status_code == 302
    authors_post.refresh_from_db()
    assert authors_post.title == "First title"
    assert authors_post.body == "One.\nTwo.\nThree."
    assert authors_post.body_html.startswith("<p>One.")
    assert list(authors_post.tags.values_list("name", flat=True)) == ["History"]
    newest = revisions.history(authors_post).first()
    assert newest.pk not in {current.pk, original.pk}
    assert newest.revision.get_comment().startswith("Restored the revision of")
    assert revisions.snapshot(newest)["title"] == "First title"


def test_restoring_keeps_the_posts_status_and_permalink(client, make_post, author):
    client.force_login(author)
    post = make_post(author=author, status=Post.Status.DRAFT, title="Draft")
    save_in_admin(client, post)
    [draft_version] = revisions.history(post)
    published = save_in_admin(client, post, status="published", published_at_0="2024-01-02",
                              published_at_1="10:00:00")
    url = published.get_absolute_url()

    client.post(f"/admin/blog/post/{post.pk}/revisions/{draft_version.pk}/restore/")

    post.refresh_from_db()
    assert post.is_published and post.get_absolute_url() == url


def test_restoring_needs_a_post_request(client, authors_post, author):
    client.force_login(author)
    save_in_admin(client, authors_post)
    [version] = revisions.history(authors_post)

    response = client.get(f"/admin/blog/post/{authors_post.pk}/revisions/{version.pk}/restore/")

    assert response.status_code == 405


def test_restoring_another_posts_revision_is_a_404(client, authors_post, make_post, author):
    client.force_login(author)
    other = make_post(author=author)
    save_in_admin(client, other)
    [foreign] = revisions.history(other)

    response = client.post(f"/admin/blog/post/{authors_post.pk}/revisions/{foreign.pk}/restore/")

    assert response.status_code == 404


def test_only_those_who_may_edit_the_post_see_its_revisions(client, authors_post, author, other_author):
    client.force_login(author)
    save_in_admin(client, authors_post)
    [version] = revisions.history(authors_post)
    client.force_login(other_author)

    assert client.get(f"/admin/blog/post/{authors_post.pk}/revisions/").status_code == 404
    restore = client.post(f"/admin/blog/post/{authors_post.pk}/revisions/{version.pk}/restore/")
    assert restore.status_code == 404
    assert Version.objects.count() == 1


def test_readers_are_sent_to_log_in(client, authors_post):
    response = client.get(f"/admin/blog/post/{authors_post.pk}/revisions/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_superusers_see_every_posts_revisions(admin_client, authors_post):
    assert admin_client.get(f"/admin/blog/post/{authors_post.pk}/revisions/").status_code == 200


def test_the_change_form_links_to_the_revisions(client, authors_post, author):
    client.force_login(author)

    page = client.get(f"/admin/blog/post/{authors_post.pk}/change/").content.decode()

    assert f'href="/admin/blog/post/{authors_post.pk}/revisions/"' in page


def test_line_diff_shows_changes_with_context_and_gaps():
    old = "\n".join(f"line {n}" for n in range(10))
    new = old.replace("line 1", "line one").replace("line 8", "line eight")

    rows = revisions.line_diff(old, new, context=1)

    assert [(row["kind"], row["text"]) for row in rows] == [
        ("same", "line 0"), ("removed", "line 1"), ("added", "line one"), ("same", "line 2"),
        ("gap", "…"),
        ("same", "line 7"), ("removed", "line 8"), ("added", "line eight"), ("same", "line 9"),
    ]
