"""Users of every role, for the adversarial suite; the shared factories are in tests/conftest.py."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_counters():
    """Rate-limit counters live in the cache; every case starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def commenter(make_user):
    """A reader with an account and no staff rights."""
    return make_user("commenter")


@pytest.fixture
def moderator(make_user):
    return make_user("moderator", groups=["Moderators"], is_staff=True)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "correct horse battery")


@pytest.fixture
def client_as(client):
    """client_as(user) logs the test client in as `user` (None: stay anonymous)."""

    def login(user):
        if user is not None:
            client.force_login(user)
        return client

    return login


@pytest.fixture
def as_role(request, client):
    """as_role("moderator") logs the test client in as that role's fixture user."""

    def login(role):
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        return client

    return login
