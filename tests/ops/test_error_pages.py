"""The 500 and 503 pages: styled by a stylesheet the site's CSP allows, reachable without a database."""

import re

import pytest
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import OperationalError
from django.templatetags.static import static
from django.test import Client

from ops.views import server_error, service_unavailable


@pytest.fixture
def database_down(monkeypatch):
    def refuse(self):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)


@pytest.mark.parametrize("render", [server_error, service_unavailable], ids=["500", "503"])
def test_the_error_pages_have_no_inline_style_and_link_their_stylesheet(rf, render):
    html = render(rf.get("/")).content.decode()

    assert "<style" not in html and "style=" not in html
    assert re.search(rf'<link rel="stylesheet" href="{re.escape(static("css/error.css"))}">', html)


def test_the_error_pages_stylesheet_is_served_during_a_database_outage(database_down):
    response = Client().get(static("css/error.css"))

    assert response.status_code == 200
    assert b"prefers-color-scheme: dark" in b"".join(response.streaming_content)
