"""What the configured log handler writes for refused requests and for errors."""

import io
import json
import logging

import pytest


@pytest.fixture
def log_output():
    """What the console handler of settings.LOGGING writes, one JSON object per line."""
    # pytest adds capturing handlers of its own (subclasses of StreamHandler).
    [handler] = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    output = io.StringIO()
    previous = handler.setStream(output)
    yield lambda: [json.loads(line) for line in output.getvalue().splitlines()]
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_forbidden_request_is_logged_in_one_line_without_a_traceback(client, make_user, log_output):
    client.force_login(make_user("reader"))

    response = client.post("/markdownx/markdownify/", {"content": "*hi*"})

    assert response.status_code == 403
    [forbidden] = [entry for entry in log_output() if entry["message"].startswith("Forbidden")]
    assert forbidden["status_code"] == 403
    assert "exception" not in forbidden


def test_an_error_keeps_its_traceback(log_output):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("blog").exception("It broke")

    [entry] = log_output()
    assert entry["level"] == "ERROR"
    assert "ValueError: boom" in entry["exception"]
