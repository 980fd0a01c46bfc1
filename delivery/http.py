"""Fetching a file from another server without letting its address reach inside ours.

An address in an imported post is chosen by whoever wrote the export: fetched naively, it
could make this server read its own admin on 127.0.0.1, a cloud's metadata service on
169.254.169.254 or a database on the private network (server-side request forgery). So:

- only http and https, without user names or passwords in the address;
- the host is resolved here, every address it resolves to must be public (no loopback,
  private, link-local, shared, multicast, reserved or unspecified address), and the
  connection goes to the address that was checked, so a second DNS answer cannot swap it;
- redirects are followed by hand, each new address checked the same way, at most
  `FETCH_MAX_REDIRECTS` of them;
- one deadline (`FETCH_TIMEOUT_SECONDS`) for the whole fetch, redirects and a slow
  trickle of bytes included; a size cap checked on the header and while reading;
- the content type must be one the caller accepts, and the first bytes must say so too.

`post()` sends a body the same way (no redirects: a POST is not repeated elsewhere) and
returns the answer's status, headers and (size-capped) body.

`Refused` means fetching this address again cannot succeed (a retry would be refused the
same way), `Gone` (a kind of Refused) that the server says the page is not there; `Unavailable` means it may work later (the host is down, slow, or says 5xx).
`FETCH_ALLOW_LOOPBACK` lets tests reach their own server on 127.0.0.1; nothing else does.
"""

import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.encoding import iri_to_uri

USER_AGENT = "blog-media-fetcher/1.0"
# What an answer to a POST may say back (an inbox's or endpoint's short reply).
POST_ANSWER_MAX_BYTES = 65536
REDIRECTS = {301, 302, 303, 307, 308}
# Answers that may change with time: the server is overloaded, down or rate-limiting.
TRANSIENT = {408, 425, 429, 500, 502, 503, 504}
CHUNK = 65536
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FetchFailed(Exception):
    """Why a fetch or a post failed, in words fit for a log line and a database column.

    The message quotes what the other server sent (a Location, a content type, a status
    line), whose control characters are written out (\\x00): PostgreSQL cannot store a
    NUL, and the record of a failure must never fail itself.
    """

    def __init__(self, message):
        super().__init__(printable(message))


class Refused(FetchFailed):
    """This address or its answer is not one we fetch; trying again will not change that."""

    def __init__(self, message, *, status=None):
        super().__init__(message)
        # The HTTP status, when the refusal is the server's answer (410: the address is gone).
        self.status = status


class Gone(Refused):
    """The server says the page is not there (HTTP 404 or 410): deleted, or never was."""


class Unavailable(FetchFailed):
    """The server could not be reached or did not answer in time; it may later."""


def dns_name(host):
    """`host` as DNS spells it: lower case, without a final dot, an international name in
    its xn-- form, so that every spelling of one site compares equal; "" when no DNS name
    can be made of it (an empty label, or a label too long as punycode)."""
    try:
        return host.rstrip(".").lower().encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def printable(text):
    """`text` with each control character written out as \\xNN."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str
    content: bytes
    # The answer's headers (http.client.HTTPMessage: .get(name), .get_all(name)).
    headers: object = None


@dataclass(frozen=True)
class Posted:
    url: str
    status: int
    headers: object  # http.client.HTTPMessage
    content: bytes


def fetch(url, *, max_bytes, content_types, signatures=None, timeout=None, headers=None):
    """The body of `url`, or Refused / Unavailable.

    `content_types`: accepted media types ("image/png", ...); `signatures`: if given, the
    body must start with one of these byte strings (a file's "magic" bytes); `headers`:
    more request headers (a signature: a callable given the final URL returns them, since
    a redirect changes what is signed).
    """
    timeout = settings.FETCH_TIMEOUT_SECONDS if timeout is None else timeout
    deadline = time.monotonic() + timeout
    for _ in range(settings.FETCH_MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        connection = _connect(parts, deadline)
        try:
            target = _request_target(parts)
            extra = headers(url) if callable(headers) else (headers or {})
            try:
                connection.request("GET", target, headers={
                    "User-Agent": USER_AGENT, "Accept": ", ".join(content_types), "Accept-Encoding": "identity",
                    **extra,
                })
                response = connection.getresponse()
            except (OSError, http.client.HTTPException) as error:
                raise Unavailable(f"{parts.hostname} did not answer: {error}") from None
            if response.status in REDIRECTS:
                location = response.getheader("Location", "")
                if not location:
                    raise Refused(f"{url} redirects nowhere (HTTP {response.status} without a Location).")
                try:
                    url = urljoin(url, location)
                except ValueError:  # a bracketed host that is no IP address, say
                    raise Refused(f"{url} redirects to {location[:200]}, not a valid address.") from None
                continue
            if response.status in TRANSIENT:
                raise Unavailable(f"{url} answered HTTP {response.status}.")
            if response.status in (404, 410):
                raise Gone(f"{url} answered HTTP {response.status}.", status=response.status)
            if response.status != 200:
                raise Refused(f"{url} answered HTTP {response.status}.", status=response.status)
            content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if content_type not in content_types:
                raise Refused(f"{url} is {content_type or 'of no stated type'}, not {' or '.join(content_types)}.")
            declared = response.getheader("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise Refused(f"{url} is {int(declared):,} bytes; the limit is {max_bytes:,}.")
            content = _read(connection, response, url, max_bytes, deadline)
        finally:
            connection.close()
        if signatures and not content.startswith(tuple(signatures)):
            raise Refused(f"{url} says it is {content_type}, but its bytes are not.")
        return Fetched(url=url, content_type=content_type, content=content, headers=response.headers)
    raise Refused(f"More than {settings.FETCH_MAX_REDIRECTS} redirects.")


def post(url, *, body, content_type, headers=None, timeout=None):
    """POST `body` to `url`; the answer if its status is 2xx, else Refused / Unavailable.

    Only public http(s) addresses, as for fetch(); `headers` are sent as given (a signed
    request names its Host, Date and Digest there).
    """
    timeout = settings.FETCH_TIMEOUT_SECONDS if timeout is None else timeout
    deadline = time.monotonic() + timeout
    parts = urlsplit(url)
    connection = _connect(parts, deadline)
    try:
        target = _request_target(parts)
        try:
            connection.request("POST", target, body=body, headers={
                "User-Agent": USER_AGENT, "Content-Type": content_type, "Accept-Encoding": "identity",
                **(headers or {}),
            })
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            raise Unavailable(f"{parts.hostname} did not answer: {error}") from None
        if response.status in TRANSIENT:
            raise Unavailable(f"{url} answered HTTP {response.status}.")
        try:
            content = _read(connection, response, url, POST_ANSWER_MAX_BYTES, deadline)
        except Refused:
            content = b""  # a long answer to a POST is its server's business, not a failure
        if not 200 <= response.status < 300:
            raise Refused(f"{url} answered HTTP {response.status}.", status=response.status)
        return Posted(url=url, status=response.status, headers=response.headers, content=content)
    finally:
        connection.close()


def _request_target(parts):
    # An address may hold letters beyond ASCII (an IRI) or a space a redirect sent, which
    # the request line cannot: they go percent-encoded, as a browser sends them.
    return iri_to_uri((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))


def _read(connection, response, url, max_bytes, deadline):
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Unavailable(f"{url} took longer than {settings.FETCH_TIMEOUT_SECONDS} s to send.")
        connection.pinned_socket.settimeout(remaining)
        try:
            chunk = response.read1(CHUNK)
        except TimeoutError:
            raise Unavailable(f"{url} took longer than {settings.FETCH_TIMEOUT_SECONDS} s to send.") from None
        except (OSError, http.client.HTTPException) as error:
            raise Unavailable(f"{url} stopped sending: {error}") from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise Refused(f"{url} is larger than the limit of {max_bytes:,} bytes.")
        chunks.append(chunk)


def refusal(address):
    """Why this server may not be fetched from (an ipaddress address), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if settings.FETCH_ALLOW_LOOPBACK else "a loopback address"
    # Most specific first: Python counts link-local, reserved and the rest as private too.
    for kind in ("link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return f"a {kind.replace('_', '-')} address"
    if not address.is_global:
        return "not a public address"
    return None


def _connect(parts, deadline):
    """A connection to the checked address of the URL's host (not yet opened)."""
    if parts.scheme not in ("http", "https"):
        raise Refused(f"Only http and https addresses are fetched, not {parts.scheme or 'this one'}.")
    if parts.username is not None or parts.password is not None:
        raise Refused("Addresses with a user name or password are not fetched.")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused(f"{parts.netloc} has no valid port.") from None
    if not host:
        raise Refused("The address names no host.")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError:  # no DNS name can be made of it (see dns_name)
        raise Refused(f"{host} is not a valid host name.") from None
    except socket.gaierror as error:
        raise Unavailable(f"{host} could not be resolved: {error}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in found))
    for address in addresses:
        reason = refusal(address)
        if reason:
            raise Refused(f"{host} is {address}, {reason}: not fetched.")
    remaining = max(deadline - time.monotonic(), 0.001)
    cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    return cls(host, port, address=str(addresses[0]), timeout=remaining)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Speaks to `host` (its Host header) at the address checked for it."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        # http.client lets go of `sock` once a response that ends the connection begins;
        # the deadline still needs it.
        self.pinned_socket = self.sock


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """As above, with TLS checked against the host's name (not the address)."""

    default_port = 443

    def connect(self):
        super().connect()
        self.sock = self.pinned_socket = ssl.create_default_context().wrap_socket(
            self.sock, server_hostname=self.host)
