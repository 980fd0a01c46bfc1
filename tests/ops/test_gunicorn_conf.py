"""config/gunicorn.conf.py: gunicorn trusts a proxy's headers exactly when Django does."""

import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"


def gunicorn_config(monkeypatch, **environment):
    """gunicorn's Config as `gunicorn --config config/gunicorn.conf.py` builds it."""
    for name in ("TRUSTED_PROXY_COUNT", "GUNICORN_FORWARDED_ALLOW_IPS", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = Config()
    for name, value in runpy.run_path(str(CONF)).items():
        if name in config.settings:
            config.set(name, value)
    return config


@pytest.mark.parametrize("environment", [{}, {"TRUSTED_PROXY_COUNT": "0"}], ids=["unset", "zero"])
def test_without_a_trusted_proxy_not_even_loopback_may_claim_https(monkeypatch, environment):
    config = gunicorn_config(monkeypatch, **environment)

    assert config.forwarded_allow_ips == []


def test_behind_one_proxy_the_local_proxy_is_believed(monkeypatch):
    config = gunicorn_config(monkeypatch, TRUSTED_PROXY_COUNT="1")

    assert config.forwarded_allow_ips == ["127.0.0.1", "::1"]


def test_workers_are_replaced_rarely_and_preloading_is_asked_for(monkeypatch):
    for name in ("GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER", "GUNICORN_PRELOAD"):
        monkeypatch.delenv(name, raising=False)

    default = gunicorn_config(monkeypatch)
    preloaded = gunicorn_config(monkeypatch, GUNICORN_PRELOAD="1")

    assert default.max_requests == 100_000 and default.max_requests_jitter == 10_000
    assert default.preload_app is False
    assert preloaded.preload_app is True


def test_the_site_opens_no_database_connection_while_it_is_imported():
    """What GUNICORN_PRELOAD needs: a connection made in the master would be shared by forks."""
    import subprocess
    import sys

    code = (
        "import django.db, config.wsgi\n"
        "print(any(c.connection is not None for c in django.db.connections.all(initialized_only=True)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=CONF.parents[1], env={**__import__("os").environ,
                                                      "DJANGO_SETTINGS_MODULE": "config.settings_test"})

    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr[-500:]


def test_a_proxy_on_another_machine_is_named_explicitly(monkeypatch):
    config = gunicorn_config(monkeypatch, TRUSTED_PROXY_COUNT="1", GUNICORN_FORWARDED_ALLOW_IPS="10.0.0.5")

    assert config.forwarded_allow_ips == ["10.0.0.5"]
