"""Request ids, the access log line, and the 503 page during a database outage."""

import json
import logging
import uuid

import pytest
from django.db.utils import InterfaceError, OperationalError
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from blog import views as blog_views
from ops.logging import JsonFormatter, RequestIdFilter
from ops.views import server_error, service_unavailable


@pytest.mark.django_db
def test_every_response_carries_a_fresh_request_id(client):
    first = client.get("/robots.txt")
    second = client.get("/robots.txt")

    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]
    # A version 4 UUID's hex, as uuid.uuid4().hex gives.
    assert uuid.UUID(hex=first["X-Request-ID"]).version == 4
    assert uuid.UUID(hex=first["X-Request-ID"]).hex == first["X-Request-ID"]


@pytest.mark.django_db
def test_a_clients_request_id_is_ignored_without_a_trusted_proxy(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0

    response = client.get("/robots.txt", HTTP_X_REQUEST_ID="chosen-by-client")

    assert response["X-Request-ID"] != "chosen-by-client"


@pytest.mark.django_db
def test_the_proxys_request_id_is_kept_behind_a_trusted_proxy(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    response = client.get("/robots.txt", HTTP_X_REQUEST_ID="f3a1c0de-42")

    assert response["X-Request-ID"] == "f3a1c0de-42"


@pytest.mark.django_db
def test_a_malformed_request_id_from_the_proxy_is_replaced(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    response = client.get("/robots.txt", HTTP_X_REQUEST_ID='x" injected\nline')

    assert response["X-Request-ID"] != 'x" injected\nline'
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_one_access_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="ops.request"):
        response = client.get("/robots.txt?x=1")

    [line] = [record for record in caplog.records if record.name == "ops.request"]
    assert (line.method, line.path, line.status) == ("GET", "/robots.txt", 200)
    assert line.duration_ms >= 0
    assert line.request_id == response["X-Request-ID"]


@pytest.mark.django_db
def test_djangos_own_log_line_for_a_404_carries_the_request_id(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/2001/01/")  # an empty archive year: 404

    [record] = [r for r in caplog.records if r.name == "django.request"]
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert response.status_code == 404
    assert entry["request_id"] == response["X-Request-ID"]
    assert "request" not in entry


def test_log_lines_are_one_json_object_with_the_request_id():
    record = logging.LogRecord("ops.request", logging.INFO, __file__, 1, "GET / %s", (200,), None)
    record.status = 200
    RequestIdFilter().filter(record)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "GET / 200"
    assert entry["status"] == 200
    assert entry["request_id"] == "-"


def test_an_error_logged_during_a_request_carries_its_request_id(caplog):
    with caplog.at_level(logging.ERROR):
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("django.request").exception("Internal Server Error")

    entry = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert "ValueError: boom" in entry["exception"]


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
@pytest.mark.django_db
def test_a_database_outage_gets_a_clean_503_with_retry_after(client, monkeypatch, caplog, error):
    def unreachable(self, request, *args, **kwargs):
        raise error("could not connect to server: Connection refused")

    monkeypatch.setattr(blog_views.PostIndexView, "get", unreachable)

    with caplog.at_level(logging.ERROR, logger="ops.database"):
        response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Back in a moment" in response.content
    assert "no-store" in response["Cache-Control"]
    [logged] = [record for record in caplog.records if record.name == "ops.database"]
    assert logged.request_id == response["X-Request-ID"]


def session_writing_view(request):
    request.session["seen"] = True
    return HttpResponse("ok")


urlpatterns = [path("writes-session/", session_writing_view)]
handler500 = "ops.views.server_error"


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_database_outage_outside_a_view_still_gets_the_503_page(monkeypatch):
    """The session is saved on the way out, after the view: the 500 handler decides."""

    def unreachable(self, must_create=False):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionStore, "save", unreachable)

    response = Client(raise_request_exception=False).get("/writes-session/")

    assert response.status_code == 503
    assert b"Back in a moment" in response.content


def test_the_500_and_503_pages_render_without_the_database(rf):
    # No django_db mark: any query would fail this test.
    assert server_error(rf.get("/")).status_code == 500
    assert service_unavailable(rf.get("/")).status_code == 503
