"""Small factories shared by the whole suite. Times are explicit: now ± timedelta."""

from datetime import timedelta
from itertools import count

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from blog.models import Post, Tag

_sequence = count(1)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Nothing cached (pages, sidebar, rate-limit counters) leaks from one test to the next.

    The database is rolled back after each test but the cache is not: a page cached by one
    test would otherwise be served, with the same content versions, to the next.
    """
    from django.core.cache import cache

    from pagecache import refresh

    cache.clear()
    refresh.discard_pending()  # changes of a test that never committed
    yield
    cache.clear()


# Transactional tests (the browser tests, whose live server's thread must see the test's
# rows, and the worker tests, whose worker is another process) leave Django to empty every
# table after them, rows made by data migrations (the Authors, Editors and Moderators
# groups) included. pytest-django's serialized_rollback cannot bring them back for browser
# tests: while Playwright's sync API runs, Django finds a running event loop and hands out a
# different connection object from the one that holds the serialized copy. So the rows are
# copied once, by natural keys (permissions are recreated after each flush with new ids),
# before any test runs, and put back at the start of each test that finds them gone.
_BUILT_IN = {"contenttypes.contenttype", "auth.permission", "sessions.session"}


@pytest.fixture(scope="session", autouse=True)
def _migration_rows(request):
    if not any(item.get_closest_marker("django_db") for item in request.session.items):
        return [], ""
    from django.apps import apps
    from django.core import serializers

    request.getfixturevalue("django_db_setup")
    with request.getfixturevalue("django_db_blocker").unblock():
        models = [
            model for model in apps.get_models()
            if model._meta.label_lower not in _BUILT_IN and model._default_manager.exists()
        ]
        rows = [row for model in models for row in model._default_manager.all()]
        return models, serializers.serialize("json", rows, use_natural_foreign_keys=True)


@pytest.fixture(autouse=True)
def _restore_migration_rows(request, _migration_rows):
    models, data = _migration_rows
    if not models or not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    restore_missing_rows(models, data)


def restore_missing_rows(models, data):
    """Put back the copied rows of each of `models` whose table is empty.

    Table by table: a request that reaches the live server after the last test's flush (a
    page's autosave as its browser closes) may already have made a row of its own, such
    as the site settings, which django-solo creates on first read; the groups must come
    back all the same.
    """
    from django.core import serializers

    empty = {model for model in models if not model._default_manager.exists()}
    if not empty:
        return
    for row in serializers.deserialize("json", data):
        if type(row.object) in empty:
            row.save()


def _is_transactional(request):
    marker = request.node.get_closest_marker("django_db")
    return (
        (marker is not None and marker.kwargs.get("transaction", False))
        or {"transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture
def make_user(django_user_model):
    def make(username=None, *, groups=(), is_staff=False, password="correct horse battery", **fields):
        user = django_user_model.objects.create_user(
            username=username or f"user{next(_sequence)}",
            password=password,
            is_staff=is_staff,
            **fields,
        )
        for name in groups:
            user.groups.add(Group.objects.get(name=name))
        return user

    return make


@pytest.fixture
def author(make_user):
    return make_user("author", groups=["Authors"], is_staff=True, first_name="Ada", last_name="Author")


@pytest.fixture
def other_author(make_user):
    return make_user("other-author", groups=["Authors"], is_staff=True)


@pytest.fixture
def editor(make_user):
    return make_user("editor", groups=["Editors"], is_staff=True, first_name="Eda", last_name="Editor")


@pytest.fixture
def make_page(make_user):
    from pages.models import Page

    def make(*, title=None, slug=None, body="Page words.", status=Page.Status.PUBLISHED,
             published_at=None, author=None, **fields):
        number = next(_sequence)
        if author is None:
            author = make_user()
        if published_at is None and status == Page.Status.PUBLISHED:
            published_at = timezone.now() - timedelta(days=1)
        return Page.objects.create(
            title=title or f"Page number {number}",
            slug=slug or f"page-number-{number}",
            body=body,
            status=status,
            published_at=published_at,
            author=author,
            **fields,
        )

    return make


@pytest.fixture
def make_post(make_user):
    default_author = []

    def make(*, title=None, body="Some words.", status=Post.Status.PUBLISHED, published_at=None,
             age=timedelta(days=1), author=None, tags=(), **fields):
        if author is None:
            if not default_author:
                default_author.append(make_user("writer"))
            author = default_author[0]
        number = next(_sequence)
        if published_at is None and status == Post.Status.PUBLISHED:
            published_at = timezone.now() - age
        post = Post.objects.create(
            title=title or f"Post number {number}",
            slug=fields.pop("slug", f"post-number-{number}"),
            body=body,
            status=status,
            published_at=published_at,
            author=author,
            **fields,
        )
        if tags:
            post.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
        return post

    return make


@pytest.fixture
def published_post(make_post):
    return make_post(title="A published post", body="Published words.\n\nSecond paragraph.")


@pytest.fixture
def send_queued(db):
    """send_queued(): attempt every delivery that is due now, here, as the worker would.

    Nothing is sent until a test calls it, so tests stay deterministic; tests/delivery/
    runs the real worker process against a real SMTP server. Returns what was attempted.
    """
    from delivery import outbox
    from delivery.models import Delivery

    def send():
        due = Delivery.objects.filter(status=Delivery.Status.WAITING, next_attempt_at__lte=timezone.now())
        return [outbox.attempt(delivery.pk, delivery.ticket) for delivery in due.order_by("pk")]

    return send


@pytest.fixture
def clock(monkeypatch):
    """clock.move(timedelta): every timezone.now() from then on is that much later.

    The browser tests' live server runs in this process, so its views see the move too.
    (Signed values keep reading the real time.time(): the form's timestamp, cookies.)
    """

    class Clock:
        offset = timedelta(0)

        def move(self, by):
            self.offset += by

    moved = Clock()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + moved.offset)
    return moved


@pytest.fixture
def site_rules(db, django_capture_on_commit_callbacks):
    """site_rules(**values): change the site settings as the admin does, in effect at once.

    Validated like the admin's form, saved, and announced after commit (blog/site.py), so
    every later request, and every cached page, sees the change.
    """
    from blog import site

    def change(**values):
        with django_capture_on_commit_callbacks(execute=True):
            current = site.SiteSettings.load()
            for name, value in values.items():
                setattr(current, name, value)
            current.full_clean()
            current.save()
            site.changed()
        return current

    return change
