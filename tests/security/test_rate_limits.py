"""Rate limits per client, counted against the address blog/client_address.py decides."""

import pytest
from django.test import RequestFactory

from blog import ratelimit

PREVIEW = "/markdownx/markdownify/"


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


def preview(client, **extra):
    return client.post(PREVIEW, {"content": "*hello*"}, **extra)


@pytest.mark.django_db
def test_the_preview_answers_429_with_retry_after_past_its_limit(author_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "markdown-preview": "3/1m"}

    statuses = [preview(author_client).status_code for _ in range(3)]
    refused = preview(author_client)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert b"<em>hello</em>" not in refused.content


@pytest.mark.django_db
def test_a_forged_forwarded_for_never_buys_more_requests(author_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "markdown-preview": "3/1m"}

    statuses = [
        preview(author_client, HTTP_X_FORWARDED_FOR=f"198.51.100.{number}").status_code
        for number in range(6)
    ]

    assert statuses == [200, 200, 200, 429, 429, 429]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_addresses_a_client_prepends_are_ignored(author_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "markdown-preview": "3/1m"}

    # The proxy appends the address it saw (203.0.113.7); the client forged the rest.
    statuses = [
        preview(author_client, HTTP_X_FORWARDED_FOR=f"10.0.0.{number}, 203.0.113.7").status_code
        for number in range(4)
    ]
    other_client = preview(author_client, HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.8")

    assert statuses == [200, 200, 200, 429]
    assert other_client.status_code == 200


@pytest.mark.django_db
def test_clients_are_counted_apart(author_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "markdown-preview": "1/1m"}

    first = preview(author_client, REMOTE_ADDR="203.0.113.1")
    second = preview(author_client, REMOTE_ADDR="203.0.113.2")

    assert (first.status_code, second.status_code) == (200, 200)


def test_an_ipv6_client_is_counted_by_its_64_network():
    factory = RequestFactory()
    one = factory.get("/", REMOTE_ADDR="2001:db8:1:2::1")
    other = factory.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    next_network = factory.get("/", REMOTE_ADDR="2001:db8:1:3::1")

    assert ratelimit.client_key(one) == ratelimit.client_key(other) == "2001:db8:1:2::/64"
    assert ratelimit.client_key(next_network) != ratelimit.client_key(one)


@pytest.mark.django_db
def test_image_uploads_are_rate_limited(author_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "image-upload": "1/1m"}

    author_client.post("/markdownx/upload/", {})
    response = author_client.post("/markdownx/upload/", {})

    assert response.status_code == 429
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "rate, expected",
    [("10/10m", (10, 600)), ("120/1m", (120, 60)), ("5/s", (5, 1)), ("100/2h", (100, 7200))],
)
def test_rates_are_read_as_count_per_period(rate, expected):
    assert ratelimit.parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["10", "10/", "ten/1m", "10/1d", ""])
def test_a_malformed_rate_is_refused_with_a_clear_message(rate):
    with pytest.raises(ValueError, match="looks like '10/10m'"):
        ratelimit.parse_rate(rate)
