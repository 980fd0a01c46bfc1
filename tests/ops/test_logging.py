"""What the process writes to its log: one line per record, and no noise."""

import io
import json
import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def console_output():
    """What the console handler that settings.LOGGING configured writes, as text."""
    [console] = [handler for handler in logging.getLogger().handlers if handler.name == "console"]
    buffer = io.StringIO()
    previous = console.setStream(buffer)
    try:
        yield buffer
    finally:
        console.setStream(previous)


def run_manage(*arguments, **environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "LOG_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **environment)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.django_db
def test_an_unknown_host_is_one_json_line_without_a_traceback(client, capsys):
    with console_output() as output:
        response = client.get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    [warning] = [line for line in lines if line["logger"] == "django.security.DisallowedHost"]
    assert "attacker.example" in warning["message"]
    assert warning["request_id"] != "-"
    assert "exception" not in warning
    assert "Traceback" not in output.getvalue() + capsys.readouterr().err


def test_other_errors_keep_their_traceback():
    with console_output() as output:
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("django.request").exception("Internal Server Error")

    [line] = output.getvalue().splitlines()
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_runservers_own_request_lines_are_dropped_and_its_other_messages_kept():
    server = logging.getLogger("django.server")
    with console_output() as output:
        server.info('"GET / HTTP/1.1" 200 512', extra={"status_code": 200, "server_time": "now"})
        server.info("- Broken pipe from %s", ("127.0.0.1", 5000))

    [line] = output.getvalue().splitlines()
    assert "Broken pipe" in json.loads(line)["message"]


def test_a_missing_secret_key_prints_the_message_alone_and_fails():
    result = run_manage("check")

    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: DJANGO_SECRET_KEY is not set.")
    assert "Traceback" not in result.stderr + result.stdout


def test_a_command_does_not_log_axes_startup_banner():
    result = run_manage("check", DJANGO_DEBUG="1")

    assert result.returncode == 0
    assert "AXES" not in result.stderr + result.stdout
