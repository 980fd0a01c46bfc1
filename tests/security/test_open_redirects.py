"""No `next` parameter (or anything else a visitor sends) can send a browser off the site."""

import pytest

EVIL_TARGETS = [
    "//evil.example",
    "//evil.example/admin/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/evil.example",
    "HTTPS://EVIL.EXAMPLE",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "///evil.example",
    "https://testserver.evil.example/",
    "https://evil.example\\@testserver/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


def assert_stays_on_site(location):
    assert "evil" not in location.lower(), location
    assert not location.lower().startswith(("javascript:", "data:")), location


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_admin_login_ignores_a_foreign_next(client, superuser, target):
    response = client.post(
        "/admin/login/",
        {"username": "root", "password": "correct horse battery", "next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(superuser.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_admin_login_page_never_links_to_a_foreign_next(client, target):
    response = client.get("/admin/login/", {"next": target})

    assert response.status_code == 200
    assert_no_foreign_link(response.content.decode(), target)


def assert_no_foreign_link(html, target):
    # The value may be echoed in a hidden field (escaped), but never as a link or a redirect.
    assert f'href="{target}"' not in html
    assert f"url={target}" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_admin_logout_ignores_a_foreign_next(admin_client, target):
    response = admin_client.post(f"/admin/logout/?next={target}")

    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert_stays_on_site(response["Location"])
    assert "_auth_user_id" not in admin_client.session


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL_TARGETS[:6])
def test_an_already_logged_in_admin_is_sent_to_the_index_not_to_next(admin_client, target):
    response = admin_client.get("/admin/login/", {"next": target})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_login_required_pages_send_visitors_to_the_local_login(client):
    response = client.post("/markdownx/markdownify/", {"content": "x"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/markdownx/markdownify/"
