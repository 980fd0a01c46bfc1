"""The 500 and 503 pages in Chromium under the site's own Content-Security-Policy.

The new_page fixture fails a test on any CSP violation the browser reports; these pages
once carried inline styles that `style-src 'self'` blocked.
"""

import pytest
from django.db.utils import OperationalError
from django.urls import include, path
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def broken(request):
    raise ValueError("a bug")


def database_gone(request):
    raise OperationalError("could not connect to server: Connection refused")


urlpatterns = [
    path("broken/", broken),
    path("database-gone/", database_gone),
    path("", include("config.urls")),
]
handler500 = "ops.views.server_error"


@pytest.fixture
def failing_site(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [("/broken/", 500, "Something went wrong"), ("/database-gone/", 503, "Back in a moment")],
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_error_pages_are_styled_without_csp_violations(new_page, failing_site, url, status, heading, scheme):
    page = new_page(color_scheme=scheme)
    page.watch.expect_console(rf"status of {status}")

    response = page.goto(url)

    assert response.status == status
    assert "style-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    background = "rgb(253, 252, 249)" if scheme == "light" else "rgb(27, 26, 24)"
    expect(page.locator("body")).to_have_css("background-color", background)
    expect(page.locator("body")).to_have_css("max-width", "576px")
