"""Production settings and the headers every response carries."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.template import engines
from django.urls import path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3Q9w-production-like-secret-for-the-check-7Jf2pZx8Lr5Vt1Ny4Mb6Hd0Gs",
    "DJANGO_ALLOWED_HOSTS": "blog.example.com",
    "TRUSTED_PROXY_COUNT": "1",
}


def run_with_env(args, **overrides):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("TRUSTED_PROXY_COUNT", None)
    env.update(PRODUCTION_ENV)
    env.update(overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def production_setting(name, **overrides):
    result = run_with_env(
        ["-c", f"import django; django.setup(); from django.conf import settings; "
               f"print(repr(getattr(settings, {name!r}, None)))"],
        **overrides,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_deploy_check_is_clean_with_production_values():
    result = run_with_env(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_when_https_is_switched_off():
    result = run_with_env(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], DJANGO_HTTPS="0"
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS


def test_production_refuses_to_start_without_a_secret_key():
    result = run_with_env(["manage.py", "check"], DJANGO_SECRET_KEY="")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_proxy_https_header_is_believed_only_behind_a_trusted_proxy():
    assert production_setting("SECURE_PROXY_SSL_HEADER", TRUSTED_PROXY_COUNT="0") == "None"
    assert production_setting("SECURE_PROXY_SSL_HEADER") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_old_secret_keys_are_accepted_during_rotation():
    value = production_setting("SECRET_KEY_FALLBACKS", DJANGO_SECRET_KEY_FALLBACKS="old-one,older-one")

    assert value == "['old-one', 'older-one']"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/search/?q=war", "/admin/login/"])
def test_every_html_page_carries_the_security_headers(client, url):
    response = client.get(url)

    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "'unsafe-eval'" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def inline_script_view(request):
    template = engines["django"].from_string(
        '<script nonce="{{ request.csp_nonce }}">document.title = "ok";</script>'
    )
    return HttpResponse(template.render({}, request))


urlpatterns = [path("inline/", inline_script_view)]


@pytest.mark.urls(__name__)
def test_an_inline_script_runs_only_with_the_nonce_of_its_response(client):
    first = client.get("/inline/")
    second = client.get("/inline/")

    nonce = first.content.decode().split('nonce="')[1].split('"')[0]
    assert len(nonce) >= 16
    assert f"'nonce-{nonce}'" in first.headers["Content-Security-Policy"]
    assert f"'nonce-{nonce}'" not in second.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_foreign_host_header_gets_400_and_is_not_echoed(client):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert b"evil.example" not in response.content


@pytest.mark.django_db
def test_a_foreign_forwarded_host_is_ignored(client, published_post):
    response = client.get(published_post.get_absolute_url(), HTTP_X_FORWARDED_HOST="evil.example")

    assert response.status_code == 200
    assert b"evil.example" not in response.content


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_http_only(admin_client):
    response = admin_client.get("/admin/blog/post/add/")

    assert response.status_code == 200
    assert response.cookies["csrftoken"]["httponly"] is True
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_the_post_editor_page_renders_under_the_policy_without_inline_script(admin_client):
    response = admin_client.get("/admin/blog/post/add/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "markdownx/js/markdownx" in html
    assert 'class="markdownx-preview"' in html
    # Every script element loads a file from this site; none carries code inline.
    for tag in html.split("<script")[1:]:
        opening, _, rest = tag.partition(">")
        assert "src=" in opening, opening
        assert rest.lstrip().startswith("</script>"), opening
    assert "Content-Security-Policy" in response.headers
