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
