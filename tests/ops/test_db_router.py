"""Which database a request reads from when standbys are configured (ops/db_router.py)."""

import pytest

from ops import db_router
from ops.db_router import ReplicaRouter, choose_replica, replica_for_request


@pytest.fixture
def two_standbys(monkeypatch):
    monkeypatch.setattr(db_router, "replica_aliases", lambda: ["replica1", "replica2"])


def test_an_anonymous_readers_get_reads_from_a_standby(rf, two_standbys):
    assert choose_replica(rf.get("/")) in {"replica1", "replica2"}
    assert choose_replica(rf.head("/")) in {"replica1", "replica2"}


def test_a_post_reads_from_the_primary(rf, two_standbys):
    assert choose_replica(rf.post("/comments/post/1/")) is None


def test_a_reader_with_a_session_reads_from_the_primary(rf, two_standbys, settings):
    """Who just commented (or logged in) sees what they did, whatever the replication delay."""
    request = rf.get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"

    assert choose_replica(request) is None


def test_without_standbys_everything_reads_from_the_primary(rf):
    assert choose_replica(rf.get("/")) is None


def test_the_router_reads_where_the_request_chose_and_always_writes_to_the_primary():
    router = ReplicaRouter()
    token = replica_for_request.set("replica2")
    try:
        assert router.db_for_read(None) == "replica2"
        assert router.db_for_write(None) == "default"
    finally:
        replica_for_request.reset(token)

    assert router.db_for_read(None) == "default"
    assert router.allow_migrate("replica1", "blog") is False
    assert router.allow_migrate("default", "blog") is True


@pytest.mark.django_db
def test_the_middleware_forgets_the_choice_after_the_request(client, monkeypatch):
    seen = []
    monkeypatch.setattr(
        "ops.middleware.choose_replica", lambda request: seen.append(request.path) or "default"
    )

    assert client.get("/robots.txt").status_code == 200
    assert seen == ["/robots.txt"]
    assert replica_for_request.get() is None
