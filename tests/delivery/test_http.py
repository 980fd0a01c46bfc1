"""Fetching from other servers: only public http(s) addresses, after every redirect too,
within a size cap and a deadline, and only the types asked for."""

import time

import pytest

from delivery import http
from tests.httpserver import Route, LocalServer, png_bytes

PNG = png_bytes()
IMAGES = dict(content_types=("image/png", "image/jpeg"), signatures=(b"\x89PNG", b"\xff\xd8\xff"))


@pytest.fixture
def server():
    running = LocalServer().start()
    running.routes["/a.png"] = Route(body=PNG)
    yield running
    running.stop()


@pytest.fixture
def loopback_allowed(settings):
    settings.FETCH_ALLOW_LOOPBACK = True
    settings.FETCH_TIMEOUT_SECONDS = 2


def fetch(url, max_bytes=100_000, **options):
    return http.fetch(url, max_bytes=max_bytes, **{**IMAGES, **options})


def test_a_public_image_is_fetched_when_tests_allow_loopback(server, loopback_allowed):
    fetched = fetch(server.url("/a.png"))
    assert fetched.content == PNG and fetched.content_type == "image/png"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]",
])
def test_by_default_loopback_addresses_are_refused_before_connecting(server, address):
    with pytest.raises(http.Refused, match="loopback"):
        fetch(f"http://{address}:{server.port}/a.png")
    assert server.hits == []


@pytest.mark.parametrize("address, kind", [
    ("10.0.0.1", "private"), ("192.168.1.20", "private"), ("172.16.5.4", "private"),
    ("169.254.169.254", "link-local"), ("[fe80::1]", "link-local"), ("[fd00::1]", "private"),
    ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"), ("240.0.0.1", "reserved"),
    ("100.64.0.1", "not a public address"),
])
def test_private_link_local_multicast_and_reserved_addresses_are_refused(address, kind, loopback_allowed):
    with pytest.raises(http.Refused, match=kind):
        fetch(f"http://{address}/latest/meta-data/")


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://example.org/a.png", "gopher://example.org/", "//example.org/a.png",
    "http://user:secret@example.org/a.png", "http:///a.png", "http://example.org:99999/a.png",
])
def test_only_plain_http_and_https_addresses_are_fetched(url):
    with pytest.raises(http.Refused):
        fetch(url)


@pytest.mark.parametrize("target", [
    "http://10.0.0.1/a.png", "http://169.254.169.254/latest/meta-data/", "http://[fd12::1]/a.png",
    "file:///etc/passwd",
])
def test_a_redirect_to_a_refused_address_is_refused(server, loopback_allowed, target):
    server.routes["/moved.png"] = Route(302, headers={"Location": target})
    with pytest.raises(http.Refused):
        fetch(server.url("/moved.png"))
    assert server.hits == ["/moved.png"]


@pytest.mark.parametrize("location", ["http://[oops/a.png", "http://[::1/a.png", "//[zz]/a.png"])
def test_a_redirect_to_an_address_no_parser_accepts_is_refused(server, loopback_allowed, location):
    server.routes["/moved.png"] = Route(302, headers={"Location": location})
    with pytest.raises(http.Refused, match="not a valid address"):
        fetch(server.url("/moved.png"))
    assert server.hits == ["/moved.png"]


def test_with_loopback_allowed_redirects_to_private_addresses_are_still_refused(server, loopback_allowed):
    server.routes["/moved.png"] = Route(301, headers={"Location": "http://192.168.0.1/a.png"})
    with pytest.raises(http.Refused, match="192.168.0.1, a private address"):
        fetch(server.url("/moved.png"))
    assert server.hits == ["/moved.png"]


def test_redirects_are_followed_a_few_times_then_refused(server, loopback_allowed):
    server.routes["/hop.png"] = Route(302, headers={"Location": "/a.png"})
    assert fetch(server.url("/hop.png")).url == server.url("/a.png")
    server.routes["/loop.png"] = Route(302, headers={"Location": "/loop.png"})
    with pytest.raises(http.Refused, match="redirects"):
        fetch(server.url("/loop.png"))
    assert server.hits.count("/loop.png") == 6


def test_a_file_over_the_size_cap_is_refused_by_its_header_or_while_reading(server, loopback_allowed):
    server.routes["/big.png"] = Route(body=PNG + b"\0" * 5000)
    with pytest.raises(http.Refused, match="limit"):
        fetch(server.url("/big.png"), max_bytes=1000)
    server.routes["/unsaid.png"] = Route(body=PNG + b"\0" * 500_000, send_length=False)
    with pytest.raises(http.Refused, match="larger than the limit"):
        fetch(server.url("/unsaid.png"), max_bytes=1000)


def test_a_type_not_asked_for_is_refused(server, loopback_allowed):
    server.routes["/page.png"] = Route(body=b"<html>hello</html>", content_type="text/html")
    with pytest.raises(http.Refused, match="text/html"):
        fetch(server.url("/page.png"))


def test_bytes_that_are_not_what_the_type_says_are_refused(server, loopback_allowed):
    server.routes["/fake.png"] = Route(body=b"<svg onload=alert(1)>", content_type="image/png")
    with pytest.raises(http.Refused, match="its bytes are not"):
        fetch(server.url("/fake.png"))


def test_a_slow_server_runs_into_the_deadline(server, loopback_allowed, settings):
    settings.FETCH_TIMEOUT_SECONDS = 0.5
    server.routes["/slow.png"] = Route(body=PNG, delay=3)
    started = time.monotonic()
    with pytest.raises(http.Unavailable):
        fetch(server.url("/slow.png"))
    server.routes["/trickle.png"] = Route(body=PNG, trickle=0.1)
    with pytest.raises(http.Unavailable, match="longer than"):
        fetch(server.url("/trickle.png"))
    assert time.monotonic() - started < 2.5


def test_a_server_that_is_down_or_overloaded_may_be_tried_later(server, loopback_allowed):
    server.routes["/busy.png"] = Route(503, b"later", "text/plain")
    with pytest.raises(http.Unavailable, match="503"):
        fetch(server.url("/busy.png"))
    stopped = LocalServer()
    port = stopped.port
    stopped.httpd.server_close()
    with pytest.raises(http.Unavailable):
        fetch(f"http://127.0.0.1:{port}/a.png")


def test_a_missing_file_is_not_tried_again(server, loopback_allowed):
    with pytest.raises(http.Refused, match="404"):
        fetch(server.url("/gone.png"))


def test_an_answer_s_headers_come_with_its_body_and_request_headers_are_sent(server, loopback_allowed):
    server.routes["/page"] = Route(body=b"<p>hi</p>", content_type="text/html", headers={"Link": '</e>; rel="webmention"'})
    fetched = http.fetch(server.url("/page"), max_bytes=1000, content_types=("text/html",),
                         headers=lambda url: {"X-Asked-For": url})
    assert fetched.headers.get("Link") == '</e>; rel="webmention"'


def test_a_post_reaches_a_public_server_with_its_headers_and_body(server, loopback_allowed):
    server.routes["/inbox"] = Route(201, b"created", "text/plain", headers={"Location": "/status/1"})
    answer = http.post(server.url("/inbox"), body=b'{"type": "Follow"}', content_type="application/activity+json",
                       headers={"Signature": "keyId=x"})
    assert (answer.status, answer.headers.get("Location"), answer.content) == (201, "/status/1", b"created")
    path, headers, body = server.posted[-1]
    assert (path, headers["Signature"], headers["Content-Type"], body) == (
        "/inbox", "keyId=x", "application/activity+json", b'{"type": "Follow"}')


def test_a_post_to_a_loopback_or_private_address_is_refused_before_connecting(server):
    with pytest.raises(http.Refused, match="loopback"):
        http.post(server.url("/inbox"), body=b"", content_type="text/plain")
    assert server.posted == []


def test_a_post_refused_by_the_server_fails_and_one_it_cannot_take_now_may_be_retried(server, loopback_allowed):
    server.routes["/gone"] = Route(410, b"gone", "text/plain")
    server.routes["/busy"] = Route(503, b"busy", "text/plain")
    with pytest.raises(http.Refused, match="410"):
        http.post(server.url("/gone"), body=b"x", content_type="text/plain")
    with pytest.raises(http.Unavailable, match="503"):
        http.post(server.url("/busy"), body=b"x", content_type="text/plain")


def test_an_address_with_letters_beyond_ascii_or_spaces_is_fetched_percent_encoded(server, loopback_allowed):
    server.routes["/caf%C3%A9.png"] = Route(body=PNG)
    server.routes["/moved%20here.png"] = Route(302, headers={"Location": "/café.png"})

    assert fetch(server.url("/café.png")).content == PNG
    assert fetch(server.url("/moved here.png")).url == server.url("/café.png")
    answer = http.post(server.url("/inbox/café?q=é"), body=b"x", content_type="text/plain")
    assert (answer.status, server.posted[-1][0]) == (202, "/inbox/caf%C3%A9?q=%C3%A9")


def test_what_a_server_sent_is_written_out_in_a_refusal_never_as_control_characters(server, loopback_allowed):
    # They end in logs and database columns, and PostgreSQL cannot store a NUL.
    server.routes["/moved.png"] = Route(302, headers={"Location": "/a\x00b\x1bc.png"})
    server.routes["/odd.png"] = Route(body=PNG, content_type="image/\x00png")
    server.routes["/busy.png"] = Route(302, headers={"Location": "/busy\x00.png"})
    server.routes["/busy%00.png"] = Route(503, b"later", "text/plain")

    for path, error in [("/moved.png", http.Gone), ("/odd.png", http.Refused), ("/busy.png", http.Unavailable)]:
        with pytest.raises(error) as refusal:
            fetch(server.url(path))
        assert not any(ord(c) < 32 or ord(c) == 127 for c in str(refusal.value)), str(refusal.value)
        assert "\\x00" in str(refusal.value)


def test_a_host_name_no_dns_could_hold_is_refused_not_tried_again():
    with pytest.raises(http.Refused, match="not a valid host name"):
        fetch("http://" + "ü" * 60 + ".example/a.png")
