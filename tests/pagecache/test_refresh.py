"""pagecache/refresh.py: each change in REFRESHES bumps its keys once, after it commits."""

import pytest
from django.db import transaction

import pagecache
from blog.models import AuthorProfile, Tag
from blog.site import MenuLink, SiteSettings
from comments.models import Comment
from pagecache import refresh, store
from pages.models import PageRedirect

pytestmark = pytest.mark.django_db


@pytest.fixture
def bumps(monkeypatch):
    """The key sets bumped, in order."""
    refresh.discard_pending()  # what the fixtures made before the test began
    seen = []
    original = store.bump
    monkeypatch.setattr(store, "bump", lambda keys: (seen.append(set(keys)), original(keys)))
    return seen


def test_every_refresh_names_a_model_that_exists():
    from django.apps import apps

    for rule in refresh.REFRESHES:
        assert apps.get_model(rule.model) is not None


@pytest.mark.parametrize(
    "change",
    [
        "post saved", "post deleted", "post tagged", "tag renamed", "profile changed",
        "author renamed", "page saved", "page redirect added", "site renamed", "menu link added",
    ],
)
def test_a_change_to_what_every_page_shows_bumps_the_site_after_commit(
    change, bumps, make_post, make_page, make_user, django_capture_on_commit_callbacks
):
    post, page, user = make_post(), make_page(), make_user("someone")
    tag = Tag.objects.create(name="old")
    site = SiteSettings.load()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        {
            "post saved": lambda: post.save(),
            "post deleted": lambda: post.delete(),
            "post tagged": lambda: post.tags.add(tag),
            "tag renamed": lambda: Tag.objects.filter(pk=tag.pk).first().save(),
            "profile changed": lambda: AuthorProfile.objects.create(user=user, bio="Hello."),
            "author renamed": lambda: setattr(user, "first_name", "Someone") or user.save(),
            "page saved": lambda: page.save(),
            "page redirect added": lambda: PageRedirect.objects.create(old_path="old", page=page),
            "site renamed": lambda: setattr(site, "name", "Renamed") or site.save(),
            "menu link added": lambda: MenuLink.objects.create(site=site, label="Shop", url="/shop/", menu_order=1),
        }[change]()
    assert bumps == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert bumps == [{pagecache.SITE}]


def test_a_login_does_not_empty_the_cache(bumps, make_user, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import update_last_login

    user = make_user("reader")
    bumps.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update_last_login(None, user)
    assert bumps == []


def test_many_changes_in_one_transaction_bump_once(bumps, make_post, django_capture_on_commit_callbacks):
    posts = [make_post() for _ in range(3)]
    bumps.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for post in posts:
                post.save()
                Comment.objects.create(post=post, author_name="R", author_email="r@example.org",
                                       body="Hi.", status=Comment.Status.APPROVED)
    assert bumps == [{pagecache.SITE, pagecache.COMMENTS} | {pagecache.thread(post.pk) for post in posts}]


def test_an_approved_comment_bumps_its_thread_and_the_comment_lists(
    published_post, bumps, django_capture_on_commit_callbacks
):
    comment = Comment.objects.create(post=published_post, author_name="R", author_email="r@example.org",
                                     body="Hi.", status=Comment.Status.PENDING)
    assert bumps == []
    with django_capture_on_commit_callbacks(execute=True):
        comment.approve(by=None)
    assert bumps == [{pagecache.COMMENTS, pagecache.thread(published_post.pk)}]

    bumps.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Comment.objects.get(pk=comment.pk).reject(by=None)  # leaving the thread changes it too
    assert bumps == [{pagecache.COMMENTS, pagecache.thread(published_post.pk)}]


def test_a_held_comment_without_replies_changes_no_page(published_post, bumps, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment = Comment.objects.create(post=published_post, author_name="R", author_email="r@example.org",
                                         body="Hi.", status=Comment.Status.PENDING)
        comment.mark_spam(by=None)
        Comment.objects.get(pk=comment.pk).delete()
    assert bumps == []


def test_a_rolled_back_change_bumps_nothing_now(published_post, bumps, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            published_post.save()
            raise RuntimeError("rolled back")
    assert bumps == []
