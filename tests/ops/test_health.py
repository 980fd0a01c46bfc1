"""/healthz and /readyz: what a load balancer asks before it sends traffic."""

import json

import pytest
from django.db import connection
from django.db.utils import OperationalError

from ops import views


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query would fail this test.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_database_migrations_and_cache(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok", "database": "ok", "migrations": "ok", "cache": "ok",
        "tasks": {"due": 0, "oldest_due_seconds": None, "failed_deliveries": 0,
                  "worker_seen_seconds_ago": None},
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_503_while_the_database_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "unreachable"


@pytest.mark.django_db
def test_readyz_is_503_while_migrations_are_pending(client, monkeypatch):
    monkeypatch.setattr(views, "_migrations_applied", False)
    monkeypatch.setattr(
        views.MigrationExecutor, "migration_plan", lambda self, targets: [("a migration", False)]
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert json.loads(response.content)["migrations"] == "pending"


@pytest.mark.django_db
def test_readyz_stays_up_but_degraded_without_the_cache(client, monkeypatch):
    monkeypatch.setattr(views.cache, "get", lambda key: None)  # Redis ignoring its errors

    response = client.get("/readyz")

    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "degraded"
    assert json.loads(response.content)["cache"] == "unreachable"


@pytest.mark.django_db
def test_readyz_checks_migrations_once_per_process(client, monkeypatch):
    monkeypatch.setattr(views, "_migrations_applied", False)
    plans = []
    original = views.MigrationExecutor.migration_plan

    def counting(self, targets):
        plans.append(targets)
        return original(self, targets)

    monkeypatch.setattr(views.MigrationExecutor, "migration_plan", counting)

    client.get("/readyz")
    client.get("/readyz")

    assert len(plans) == 1


def test_probes_skip_the_https_redirect_and_the_host_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["blog.example.com"]

    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8001")

    assert response.status_code == 200


def test_other_pages_still_get_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/robots.txt")

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@pytest.mark.django_db
def test_readyz_reports_the_queue_depth_and_the_oldest_waiting_task(client):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from delivery import email
    from delivery.models import Worker

    for number in range(3):
        email.enqueue(to=f"reader{number}@example.org", subject="Hi", body="Hi.", key="k")
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    DBTaskResult.objects.filter(pk=DBTaskResult.objects.order_by("enqueued_at")[0].pk).update(
        enqueued_at=five_minutes_ago, run_after=five_minutes_ago)
    Worker.objects.create(worker_id="w", hostname="h", pid=1,
                          seen_at=timezone.now() - timedelta(seconds=20))

    tasks = json.loads(client.get("/readyz").content)["tasks"]

    assert tasks["due"] == 3
    assert 299 <= tasks["oldest_due_seconds"] <= 310
    assert 19 <= tasks["worker_seen_seconds_ago"] <= 30
