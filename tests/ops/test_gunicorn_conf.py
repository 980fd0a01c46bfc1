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


def test_a_proxy_on_another_machine_is_named_explicitly(monkeypatch):
    config = gunicorn_config(monkeypatch, TRUSTED_PROXY_COUNT="1", GUNICORN_FORWARDED_ALLOW_IPS="10.0.0.5")

    assert config.forwarded_allow_ips == ["10.0.0.5"]
