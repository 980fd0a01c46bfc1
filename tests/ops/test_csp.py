"""The Content-Security-Policy headers: django-csp's own middleware, a nonce only where a page asks."""

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_exempt, csp_update
from csp.utils import build_policy
from django.http import HttpResponse
from django.template import engines
from django.urls import path


def with_nonce(request):
    template = engines["django"].from_string('<script nonce="{{ request.csp_nonce }}"></script>')
    return HttpResponse(template.render({}, request))


def without_nonce(request):
    return HttpResponse("plain")


@csp_update({"img-src": ["https://images.example"]})
def with_own_policy(request):
    return HttpResponse("own")


@csp_exempt()
def exempt(request):
    return HttpResponse("exempt")


urlpatterns = [
    path("nonce/", with_nonce),
    path("plain/", without_nonce),
    path("own/", with_own_policy),
    path("exempt/", exempt),
    path("excluded/plain/", without_nonce),
]

pytestmark = pytest.mark.urls(__name__)


def test_the_header_is_django_csps_own_with_this_responses_nonce(client):
    first = client.get("/nonce/")
    second = client.get("/nonce/")

    nonces = [response.content.decode().split('nonce="')[1].split('"')[0] for response in (first, second)]
    assert nonces[0] != nonces[1]
    for response, nonce in zip((first, second), nonces):
        assert response["Content-Security-Policy"] == build_policy(nonce=nonce)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_a_response_without_a_nonce_gets_the_policy_without_one(client):
    response = client.get("/plain/")

    assert response["Content-Security-Policy"] == build_policy()
    assert "nonce-" not in response["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response


def test_changed_settings_change_the_headers(client, settings):
    client.get("/plain/")  # the strings of the previous settings are built
    settings.CONTENT_SECURITY_POLICY = {
        "EXCLUDE_URL_PREFIXES": ["/excluded/"],
        "DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]},
    }
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}

    response = client.get("/nonce/")
    nonce = response.content.decode().split('nonce="')[1].split('"')[0]
    excluded = client.get("/excluded/plain/")

    assert response["Content-Security-Policy"] == build_policy(nonce=nonce)
    assert "img-src" not in response["Content-Security-Policy"]
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    assert "Content-Security-Policy" not in excluded
    assert excluded["Content-Security-Policy-Report-Only"] == "default-src 'none'"


def test_a_views_own_policy_and_exemption_are_honoured(client):
    own = client.get("/own/")
    exempted = client.get("/exempt/")

    assert own["Content-Security-Policy"] == build_policy(update={"img-src": ["https://images.example"]})
    assert "https://images.example" in own["Content-Security-Policy"]
    assert "Content-Security-Policy" not in exempted
