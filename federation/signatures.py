"""HTTP signatures, both formats the fediverse speaks, checked and made in one place.

- draft-cavage ("Signature: keyId=...,headers=...,signature=..."): what Mastodon signs
  with today. No maintained Python library implements it (httpsig was last released in
  2018 and needs pycryptodome), so it is built here on `cryptography`: a signing string
  of named headers, RSASSA-PKCS1-v1_5 with SHA-256 ("rsa-sha256", and "hs2019" with an
  RSA key, which is what Mastodon means by it).
- RFC 9421 (Signature-Input / Signature, Content-Digest): what Mastodon accepts since
  4.4; done by the `http-message-signatures` library (pyauth).

What a POST must prove, whichever the format: the method and target, the host (within
the target URI in RFC 9421), a time within ACTIVITYPUB_SIGNATURE_MAX_SKEW of ours, and a
digest of the body that matches it — all covered by the signature.
"""

import base64
import binascii
import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    algorithms,
)


class Unsigned(Exception):
    """The request carries no signature."""


class BadSignature(Exception):
    """The request's signature is malformed, stale, covers too little, or does not verify."""


@dataclass
class Request:
    """What a signature covers of a request: the method, its absolute URL, headers, body."""

    method: str
    url: str
    headers: dict  # names in lower case
    body: bytes = b""

    def header(self, name):
        return self.headers.get(name.lower())


def key_id_of(request):
    """The keyId a request names (either format), or raise Unsigned / BadSignature."""
    if request.header("signature-input"):
        match = re.search(r';\s*keyid="([^"]*)"', request.header("signature-input"))
        if not match:
            raise BadSignature("Signature-Input names no keyid.")
        return match.group(1)
    if request.header("signature"):
        key_id = parse_cavage(request.header("signature")).get("keyid")
        if not key_id:
            raise BadSignature("The Signature header names no keyId.")
        return key_id
    raise Unsigned("The request is not signed.")


def verify(request, public_key_pem, *, now=None):
    """Check `request`'s signature against the PEM public key of its keyId.

    Raises Unsigned or BadSignature; returns the format it was in ("cavage" or "rfc9421").
    """
    now = now or datetime.now(dt_timezone.utc)
    key = load_public_key(public_key_pem)
    if request.header("signature-input"):
        _verify_rfc9421(request, key, now)
        return "rfc9421"
    if request.header("signature"):
        _verify_cavage(request, key, now)
        return "cavage"
    raise Unsigned("The request is not signed.")


def max_skew():
    return timedelta(seconds=settings.ACTIVITYPUB_SIGNATURE_MAX_SKEW)


# ---------------------------------------------------------------------------------------
# draft-cavage

CAVAGE_REQUIRED_FOR_POST = ("(request-target)", "host", "date", "digest")
CAVAGE_REQUIRED_FOR_GET = ("(request-target)", "host", "date")
_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([0-9.]+))\s*(?:,|$)')


def parse_cavage(header):
    """The parameters of a draft-cavage Signature header, names in lower case."""
    params, position = {}, 0
    header = header.strip()
    while position < len(header):
        match = _CAVAGE_PARAM.match(header, position)
        if not match:
            raise BadSignature("The Signature header is malformed.")
        name, quoted, number = match.groups()
        if name.lower() in params:
            # Two signatures joined into one header (or a forged second keyId): which one the
            # sender meant cannot be told, so neither is believed.
            raise BadSignature(f"The Signature header gives {name} twice.")
        params[name.lower()] = quoted if quoted is not None else number
        position = match.end()
    return params


def _request_target(request):
    parts = urlsplit(request.url)
    return f"{request.method.lower()} {parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def _cavage_signing_string(request, names, params):
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {_request_target(request)}")
        elif name in ("(created)", "(expires)"):
            value = params.get(name.strip("()"))
            if value is None:
                raise BadSignature(f"The signature covers {name} but does not give it.")
            lines.append(f"{name}: {value}")
        else:
            value = request.header(name)
            if value is None:
                raise BadSignature(f"The signature covers the {name} header, which is missing.")
            lines.append(f"{name}: {value.strip()}")
    return "\n".join(lines)


def _verify_cavage(request, key, now):
    params = parse_cavage(request.header("signature"))
    if params.get("algorithm", "hs2019").lower() not in ("rsa-sha256", "hs2019"):
        raise BadSignature(f"Signature algorithm {params['algorithm']!r} is not supported.")
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadSignature("Only RSA keys are accepted for draft-cavage signatures.")
    names = params.get("headers", "date").lower().split()
    required = CAVAGE_REQUIRED_FOR_POST if request.method == "POST" else CAVAGE_REQUIRED_FOR_GET
    missing = [name for name in required if name not in names]
    if missing:
        raise BadSignature(f"The signature must cover {', '.join(missing)}.")
    check_date(request.header("date"), now)
    if request.method == "POST":
        check_digest(request.header("digest"), request.body)
    try:
        signature = base64.b64decode(params.get("signature", ""), validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("The signature is not valid base64.") from None
    signed = _cavage_signing_string(request, names, params).encode()
    try:
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except CryptoInvalidSignature:
        raise BadSignature("The signature does not match the request.") from None


def check_date(value, now):
    if not value:
        raise BadSignature("The request has no Date header.")
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):  # a year or offset past C's ints
        raise BadSignature("The Date header is not a date.") from None
    if date.tzinfo is None:
        date = date.replace(tzinfo=dt_timezone.utc)
    if abs(now - date) > max_skew():
        raise BadSignature("The Date header is too far from the current time.")


_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def digest_header(body):
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def check_digest(value, body):
    """A draft-cavage Digest header ("SHA-256=<base64>", several allowed) must match `body`."""
    if not value:
        raise BadSignature("The request has no Digest header.")
    checked = False
    for item in value.split(","):
        algorithm, _, encoded = item.strip().partition("=")
        make = _DIGESTS.get(algorithm.strip().lower())
        if make is None:
            continue
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise BadSignature("The Digest header is not valid base64.") from None
        if given != make(body).digest():
            raise BadSignature("The Digest header does not match the body.")
        checked = True
    if not checked:
        raise BadSignature("The Digest header has no SHA-256 or SHA-512 digest.")


def sign_cavage(*, method, url, body, key_id, private_key_pem, now=None):
    """The headers that sign a request as Mastodon does: Host, Date, (Digest), Signature."""
    now = now or datetime.now(dt_timezone.utc)
    parts = urlsplit(url)
    headers = {"host": parts.netloc, "date": format_datetime(now, usegmt=True)}
    names = ["(request-target)", "host", "date"]
    if method.upper() == "POST":
        headers["digest"] = digest_header(body)
        names.append("digest")
    request = Request(method=method.upper(), url=url, headers=headers, body=body)
    signed = _cavage_signing_string(request, names, {}).encode()
    signature = load_private_key(private_key_pem).sign(signed, padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return {name.title(): value for name, value in headers.items()}


# ---------------------------------------------------------------------------------------
# RFC 9421

RFC9421_REQUIRED = ("@method", "@target-uri")


class _OneKey:
    """The library's key resolver for the one key at hand (we resolve keyIds ourselves)."""

    def __init__(self, *, public=None, private=None):
        self.public, self.private = public, private

    def resolve_public_key(self, key_id):
        return self.public

    def resolve_private_key(self, key_id):
        return self.private


class _Message:
    """A request as the library reads it: method, URL, headers."""

    def __init__(self, method, url, headers):
        self.method, self.url, self.headers = method, url, headers


def _verifier(key):
    class Verifier(HTTPMessageVerifier):
        max_clock_skew = max_skew()

    return Verifier(signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=_OneKey(public=key))


def _verify_rfc9421(request, key, now):
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadSignature("Only RSA keys are accepted.")
    message = _Message(request.method, request.url, dict(request.headers))
    required = RFC9421_REQUIRED + (("content-digest",) if request.method == "POST" else ())
    try:
        _verifier(key).verify(
            message,
            max_age=max_skew(),
            require_components=required,
            body=request.body if request.method == "POST" else None,
        )
    except (HTTPMessageSignaturesException, ValueError, TypeError) as error:
        # The library words every refusal but the one that matters most: a wrong signature.
        reason = str(error) or "the signature does not match the request"
        raise BadSignature(f"RFC 9421 signature refused: {reason}") from None
    if request.header("date"):
        check_date(request.header("date"), now)


def sign_rfc9421(*, method, url, body, key_id, private_key_pem, now=None):
    """The headers that sign a request by RFC 9421 (Mastodon 4.4 and later take them)."""
    now = now or datetime.now(dt_timezone.utc)
    headers = {"Date": format_datetime(now, usegmt=True)}
    message = _Message(method.upper(), url, headers)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=_OneKey(private=load_private_key(private_key_pem)),
    )
    signer.sign(
        message,
        key_id=key_id,
        created=now,
        label="sig1",
        include_alg=False,
        covered_component_ids=("@method", "@target-uri", "date"),
        body=body if method.upper() == "POST" else None,
    )
    return headers


# ---------------------------------------------------------------------------------------
# Keys


@functools.lru_cache(maxsize=256)
def load_public_key(pem):
    try:
        return serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, AttributeError):
        raise BadSignature("The signer's public key cannot be read.") from None


@functools.lru_cache(maxsize=8)
def load_private_key(pem):
    return serialization.load_pem_private_key(pem.encode(), password=None)
