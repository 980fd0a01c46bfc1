"""`manage.py check_production`: what `make serve` refuses to start with."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SAFE = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_SECRET_KEY": "k3Q9w-production-like-secret-for-the-check-7Jf2pZx8Lr5Vt1Ny4Mb6Hd0Gs",
    "DJANGO_ALLOWED_HOSTS": "blog.example.com",
    "DATABASE_URL": "postgres://blog@127.0.0.1:5432/blog",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def check_production(**overrides):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "ALLOW_", "TRUSTED_PROXY"))}
    env.update(SAFE)
    env.update(overrides)
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check_production"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_a_safe_configuration_may_serve():
    result = check_production()

    assert result.returncode == 0, result.stderr
    assert "safe to serve" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_DEBUG": "1"}, "ops.E001: Debug mode is on."),
        ({"DJANGO_DEBUG": "1", "DJANGO_SECRET_KEY": None}, "ops.E002: DJANGO_SECRET_KEY is not set"),
        ({"DATABASE_URL": None}, "ops.E003: The database is SQLite."),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "ops.E004: DJANGO_ALLOWED_HOSTS is empty"),
        ({"DJANGO_HTTPS": "0"}, "ops.E005: DJANGO_HTTPS is off"),
    ],
)
def test_an_unsafe_configuration_is_refused_with_a_clear_message(overrides, message):
    result = check_production(**overrides)

    assert result.returncode != 0
    assert message in result.stderr
    assert "Refusing to serve" in result.stderr


def test_no_secret_key_without_debug_stops_before_anything_runs():
    result = check_production(DJANGO_SECRET_KEY=None)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_sqlite_may_serve_when_chosen_explicitly():
    result = check_production(DATABASE_URL=None, ALLOW_SQLITE_IN_PRODUCTION="1")

    assert result.returncode == 0, result.stderr


def test_a_missing_redis_is_a_warning_not_a_refusal():
    result = check_production(REDIS_URL=None)

    assert result.returncode == 0, result.stderr
    assert "ops.W001" in result.stderr


def test_plain_http_may_serve_when_chosen_explicitly():
    result = check_production(DJANGO_HTTPS="0", ALLOW_PLAIN_HTTP_IN_PRODUCTION="1")

    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_production_is_warned_when_no_worker_has_run_recently():
    from datetime import timedelta

    from django.utils import timezone

    from delivery.models import Worker
    from ops.checks import worker_problems

    [never] = worker_problems()
    worker = Worker.objects.create(worker_id="w", hostname="h", pid=1,
                                   seen_at=timezone.now() - timedelta(minutes=45))
    [long_ago] = worker_problems()
    worker.seen_at = timezone.now()
    worker.save()

    assert never.id == long_ago.id == "ops.W101" and not never.is_serious()
    assert "last seen: never" in never.msg and "45 minutes ago" in long_ago.msg
    assert worker_problems() == []


def test_an_unreachable_database_is_a_warning_about_the_worker_not_a_refusal():
    result = check_production()

    assert result.returncode == 0, result.stderr
    assert "ops.W101: Could not tell whether a task worker runs" in result.stderr
