"""Tags: who may rename, re-slug, merge or delete them; old addresses; the /tags/ page."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.messages import get_messages
from django.utils import timezone

from blog import revisions
from blog.models import Post, Tag, TagRedirect

pytestmark = pytest.mark.django_db

TAGS = "/admin/blog/tag/"


def messages_of(response):
    return [message.message for message in get_messages(response.wsgi_request)]


def change_url(tag):
    return f"{TAGS}{tag.pk}/change/"


def rename(client, tag, name, slug=None):
    return client.post(change_url(tag), {"name": name, "slug": slug or tag.slug})


def act(client, action, tags, **fields):
    return client.post(TAGS, {"action": action, "index": "0", "_selected_action": [t.pk for t in tags], **fields})


@pytest.fixture
def shared_tag(make_post, author, other_author):
    """A tag on a post of `author` and on one of `other_author`."""
    make_post(author=author, tags=["Shared"])
    make_post(author=other_author, tags=["Shared"])
    return Tag.objects.get(name="Shared")


@pytest.fixture
def own_tag(make_post, author):
    make_post(author=author, tags=["Mine"])
    make_post(author=author, status=Post.Status.DRAFT, tags=["Mine"])
    return Tag.objects.get(name="Mine")


# The rule.


def test_an_author_may_change_tags_no_other_authors_post_uses(author, own_tag, shared_tag):
    unused = Tag.objects.create(name="Unused")

    assert set(Tag.objects.editable_by(author)) == {own_tag, unused}
    assert own_tag.can_be_edited_by(author) and not shared_tag.can_be_edited_by(author)


def test_a_draft_of_another_author_makes_a_tag_shared(author, other_author, own_tag, make_post):
    make_post(author=other_author, status=Post.Status.DRAFT, tags=["Mine"])

    assert not own_tag.can_be_edited_by(author)


def test_editors_and_superusers_may_change_every_tag(editor, make_user, shared_tag, own_tag):
    boss = make_user("boss", is_superuser=True, is_staff=True)

    for user in (editor, boss):
        assert set(Tag.objects.editable_by(user)) == {shared_tag, own_tag}


def test_nobody_else_may_change_tags(make_user, own_tag):
    inactive = make_user("gone", groups=["Authors"], is_staff=True, is_active=False)
    moderator = make_user("moderator", groups=["Moderators"], is_staff=True)

    for user in (AnonymousUser(), inactive, moderator):
        assert not Tag.objects.editable_by(user).exists()


# The rule in the admin.


def test_an_author_renames_and_reslugs_a_tag_only_their_posts_use(client, author, own_tag):
    client.force_login(author)

    response = rename(client, own_tag, "My own", "my-own")

    assert response.status_code == 302
    own_tag.refresh_from_db()
    assert (own_tag.name, own_tag.slug) == ("My own", "my-own")


def test_an_author_opens_a_shared_tag_read_only_with_the_reason(client, author, shared_tag):
    client.force_login(author)

    response = client.get(change_url(shared_tag))

    page = response.content.decode()
    assert response.status_code == 200
    assert "“Shared” is used by other authors&#x27; posts: only editors may rename, re-slug, merge or delete it." in page
    assert 'name="name"' not in page and 'name="slug"' not in page
    assert 'name="_save"' not in page and "/delete/" not in page


def test_an_author_may_not_rename_a_shared_tag_and_is_told_why(client, author, shared_tag):
    client.force_login(author)

    response = rename(client, shared_tag, "Hijacked", "hijacked")

    assert response.status_code == 302 and response["Location"] == change_url(shared_tag)
    shared_tag.refresh_from_db()
    assert (shared_tag.name, shared_tag.slug) == ("Shared", "shared")
    assert messages_of(response) == [
        "“Shared” is used by other authors' posts: only editors may rename, re-slug, merge or delete it. "
        "You may still add it to your posts."
    ]


def test_an_author_allowed_to_delete_tags_still_may_not_delete_a_shared_one(client, author, shared_tag, own_tag):
    author.user_permissions.add(Permission.objects.get(codename="delete_tag"))
    client.force_login(author)

    refused = client.post(f"{TAGS}{shared_tag.pk}/delete/", {"post": "yes"})
    allowed = client.post(f"{TAGS}{own_tag.pk}/delete/", {"post": "yes"})

    assert refused.status_code == 302 and refused["Location"] == change_url(shared_tag)
    assert "only editors may rename, re-slug, merge or delete it" in messages_of(refused)[0]
    assert allowed.status_code == 302
    assert list(Tag.objects.all()) == [shared_tag]


def test_bulk_delete_skips_shared_tags_and_says_which(client, author, shared_tag, own_tag):
    author.user_permissions.add(Permission.objects.get(codename="delete_tag"))
    client.force_login(author)

    confirm = act(client, "delete_selected", [shared_tag, own_tag])
    assert confirm.status_code == 200
    assert "1 tag was skipped: “Shared” is used by other authors' posts" in messages_of(confirm)[0]
    assert list(confirm.context["queryset"]) == [own_tag]

    act(client, "delete_selected", [own_tag], post="yes")
    assert list(Tag.objects.all()) == [shared_tag]


def test_authors_are_not_offered_to_delete_or_merge_tags(client, author, own_tag):
    client.force_login(author)

    page = client.get(TAGS).content.decode()

    assert 'value="merge_tags"' not in page and 'value="delete_selected"' not in page


def test_an_author_creates_a_tag_in_the_admin(client, author):
    client.force_login(author)

    response = client.post(f"{TAGS}add/", {"name": "Brand new", "slug": ""})

    assert response.status_code == 302
    assert Tag.objects.get(name="Brand new").slug == "brand-new"


@pytest.mark.parametrize("who", ["editor", "superuser"])
def test_editors_and_superusers_rename_a_shared_tag(client, editor, admin_user, shared_tag, who):
    client.force_login(editor if who == "editor" else admin_user)

    response = rename(client, shared_tag, "Common", "common")

    assert response.status_code == 302
    shared_tag.refresh_from_db()
    assert (shared_tag.name, shared_tag.slug) == ("Common", "common")


def test_the_tag_list_counts_each_tags_posts(client, editor, shared_tag, own_tag):
    client.force_login(editor)

    rows = {tag.name: tag.post_count for tag in client.get(TAGS).context["cl"].result_list}

    assert rows == {"Shared": 2, "Mine": 2}


# Old addresses.


def test_a_changed_slug_leaves_a_301_from_the_tag_page_and_its_feeds(client, editor, shared_tag):
    client.force_login(editor)
    rename(client, shared_tag, "Shared", "common")
    client.logout()

    assert client.get("/tags/shared/").status_code == 301
    assert client.get("/tags/shared/")["Location"] == "/tags/common/"
    assert client.get("/tags/shared/?page=2")["Location"] == "/tags/common/?page=2"
    assert client.get("/tags/shared/feed/rss/")["Location"] == "/tags/common/feed/rss/"
    assert client.get("/tags/shared/feed/atom/")["Location"] == "/tags/common/feed/atom/"
    assert client.get("/tags/common/").status_code == 200


def test_the_old_slug_shows_on_the_tag_in_the_admin(client, editor, shared_tag):
    client.force_login(editor)
    rename(client, shared_tag, "Shared", "common")

    page = client.get(change_url(shared_tag)).content.decode()

    assert "/tags/shared/" in page


def test_every_earlier_slug_leads_to_the_current_one(shared_tag):
    for slug in ("second", "third"):
        shared_tag.slug = slug
        shared_tag.save()

    assert dict(TagRedirect.objects.values_list("old_slug", "tag__slug")) == {"shared": "third", "second": "third"}


def test_a_slug_taken_back_no_longer_redirects(client, shared_tag):
    shared_tag.slug = "common"
    shared_tag.save()
    shared_tag.slug = "shared"
    shared_tag.save()

    assert list(TagRedirect.objects.values_list("old_slug", flat=True)) == ["common"]
    assert client.get("/tags/shared/").status_code == 200


def test_a_new_tag_takes_over_an_old_slug(client, shared_tag, make_post):
    shared_tag.slug = "common"
    shared_tag.save()

    make_post(tags=["Shared again"], slug="new-post")
    newcomer = Tag.objects.get(name="Shared again")
    newcomer.slug = "shared"
    newcomer.save()

    assert not TagRedirect.objects.filter(old_slug="shared").exists()
    assert client.get("/tags/shared/").context["tag"] == newcomer


def test_an_unknown_tag_slug_is_still_a_404(client):
    assert client.get("/tags/never-was/").status_code == 404
    assert client.get("/tags/never-was/feed/rss/").status_code == 404


# Merging.


def test_an_editor_merges_tags_moving_their_posts_with_a_revision_each(client, editor, author, make_post):
    both = make_post(author=author, tags=["Python", "python3"])
    only_old = make_post(author=author, tags=["py"], status=Post.Status.DRAFT)
    target = Tag.objects.get(name="Python")
    sources = list(Tag.objects.filter(name__in=["python3", "py"]))
    client.force_login(editor)

    asked = act(client, "merge_tags", [target, *sources])
    assert asked.status_code == 200 and "Merge into" in asked.content.decode()
    response = act(client, "merge_tags", [target, *sources], target=str(target.pk), apply="Merge")

    assert response.status_code == 302
    assert list(Tag.objects.all()) == [target]
    assert set(target.posts.all()) == {both, only_old}
    revision = revisions.history(only_old).first().revision
    assert (revision.user, revision.comment) == (editor, "Tag “py” merged into “Python”.")
    assert revisions.snapshot(revisions.history(only_old).first())["tags"] == ["Python"]
    assert messages_of(response) == [
        "Merged “py”, “python3” into “Python”: 2 posts changed, and the old addresses lead to its page."
    ]
    assert client.get("/tags/py/")["Location"] == "/tags/python/"
    assert client.get("/tags/python3/feed/atom/")["Location"] == "/tags/python/feed/atom/"


def test_a_merged_tags_own_old_slugs_follow_it(make_post, editor):
    make_post(tags=["Old", "Keep"])
    old, keep = Tag.objects.get(name="Old"), Tag.objects.get(name="Keep")
    old.slug = "older"
    old.save()

    old.merge_into(keep, by=editor)

    assert dict(TagRedirect.objects.values_list("old_slug", "tag__slug")) == {"old": "keep", "older": "keep"}


def test_merging_needs_another_tag_to_merge(client, editor, shared_tag):
    client.force_login(editor)

    response = act(client, "merge_tags", [shared_tag], target=str(shared_tag.pk), apply="Merge")

    assert response.status_code == 400
    assert "Choose at least one other tag to merge into it." in response.content.decode()
    assert Tag.objects.filter(pk=shared_tag.pk).exists()


@pytest.mark.parametrize("target", ["", "abc", str(2**70), "999999"])
def test_merging_into_no_tag_is_asked_again(client, editor, shared_tag, own_tag, target):
    client.force_login(editor)

    response = act(client, "merge_tags", [shared_tag, own_tag], target=target, apply="Merge")

    assert response.status_code == 400
    assert Tag.objects.count() == 2


def test_a_merge_refreshes_the_cached_pages(client, editor, make_post, django_capture_on_commit_callbacks):
    post = make_post(tags=["Old"])
    Tag.objects.create(name="New")
    reader = client.__class__()
    reader.get(post.get_absolute_url())
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        act(client, "merge_tags", list(Tag.objects.all()), target=str(Tag.objects.get(name="New").pk), apply="Merge")

    page = reader.get(post.get_absolute_url()).content.decode()
    assert 'rel="tag">New</a>' in page and 'rel="tag">Old</a>' not in page


# /tags/


def test_tags_page_lists_every_tag_with_published_posts_and_its_count(client, make_post):
    make_post(tags=["History", "Art"])
    make_post(tags=["History"])
    make_post(tags=["Drafts only"], status=Post.Status.DRAFT)
    make_post(tags=["Future"], published_at=timezone.now() + timezone.timedelta(days=1))
    Tag.objects.create(name="Unused")

    response = client.get("/tags/")

    assert response.status_code == 200
    assert [(tag.name, tag.post_count) for tag in response.context["tags"]] == [("Art", 1), ("History", 2)]
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    assert '<a href="/tags/history/" rel="tag">History</a> <span class="count">(2' in main
    assert "Drafts only" not in main and "Unused" not in main


def test_tags_page_costs_the_same_queries_however_many_tags(client, make_post, django_assert_num_queries):
    make_post(tags=["One"])
    # With an empty cache: among them the site settings, their row and their menu links.
    with django_assert_num_queries(7):
        assert client.get("/tags/").status_code == 200

    for number in range(20):
        make_post(tags=[f"Tag {number}", f"Other {number}"])
    client.cookies.clear()
    from django.core.cache import cache

    cache.clear()
    with django_assert_num_queries(7):
        assert len(client.get("/tags/").context["tags"]) == 41


def test_tags_page_is_linked_from_tag_pages_and_in_the_sitemap(client, make_post):
    make_post(tags=["History"])

    assert 'href="/tags/">All tags</a>' in client.get("/tags/history/").content.decode()
    assert "<loc>http://testserver/tags/</loc>" in client.get("/sitemap.xml").content.decode()


def test_tags_page_with_no_tags_says_so(client):
    assert "No published post has a tag yet." in client.get("/tags/").content.decode()
