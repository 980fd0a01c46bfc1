"""A remote fediverse account for tests: a real RSA key, its actor document served by a
local HTTP server, and requests to our inbox signed as Mastodon signs them (draft-cavage,
built here with `cryptography` alone, independently of federation/signatures.py) or by
RFC 9421 (through our own signer)."""

import base64
import hashlib
import json
from datetime import datetime
from datetime import timezone as dt_timezone
from email.utils import format_datetime
from itertools import count

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation import signatures
from tests.httpserver import LocalServer, Route

_numbers = count(1)
_KEYS = {}


def rsa_key(name):
    """A 2048-bit key per name, made once per test run (making one takes a moment)."""
    if name not in _KEYS:
        _KEYS[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEYS[name]


def public_pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def private_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class RemoteAccount:
    """@name on the local server: its actor document at /users/<name>, its inbox there too."""

    def __init__(self, server, name, *, key=None, display_name=None):
        self.server, self.name = server, name
        self.key = key or rsa_key(name)
        self.uri = server.url(f"/users/{name}")
        self.key_id = self.uri + "#main-key"
        self.inbox = server.url(f"/users/{name}/inbox")
        self.display_name = display_name if display_name is not None else name.title()
        self.serve()

    def document(self):
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.display_name,
            "url": self.server.url(f"/@{self.name}"),
            "inbox": self.inbox,
            "endpoints": {"sharedInbox": self.server.url("/inbox")},
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": public_pem(self.key)},
        }

    def serve(self):
        self.server.routes[f"/users/{self.name}"] = Route(
            200, json.dumps(self.document()).encode(), "application/activity+json"
        )

    def rotate_key(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.serve()

    def activity(self, kind, obj, **fields):
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": self.server.url(f"/activities/{next(_numbers)}"),
            "type": kind,
            "actor": self.uri,
            "object": obj,
            **fields,
        }

    def note(self, in_reply_to, content="<p>A reply from the fediverse.</p>", **fields):
        return {
            "id": self.server.url(f"/users/{self.name}/statuses/{next(_numbers)}"),
            "type": "Note",
            "attributedTo": self.uri,
            "inReplyTo": in_reply_to,
            "content": content,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            **fields,
        }

    def cavage_headers(self, body, *, path="/ap/inbox", host="testserver", date=None,
                       digest=None, covered="(request-target) host date digest", key=None):
        """Signed as Mastodon signs, built from the draft's text with `cryptography` alone."""
        date = date or format_datetime(datetime.now(dt_timezone.utc), usegmt=True)
        digest = digest or "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        values = {"(request-target)": f"post {path}", "host": host, "date": date, "digest": digest}
        signed = "\n".join(f"{name}: {values[name]}" for name in covered.split())
        signature = (key or self.key).sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        return {
            "HTTP_HOST": host,
            "HTTP_DATE": date,
            "HTTP_DIGEST": digest,
            "HTTP_SIGNATURE": (
                f'keyId="{self.key_id}",algorithm="rsa-sha256",headers="{covered}",'
                f'signature="{base64.b64encode(signature).decode()}"'
            ),
        }

    def rfc9421_headers(self, body, *, path="/ap/inbox", host="testserver"):
        headers = signatures.sign_rfc9421(
            method="POST", url=f"http://{host}{path}", body=body, key_id=self.key_id,
            private_key_pem=private_pem(self.key),
        )
        meta = {"HTTP_HOST": host}
        for name, value in headers.items():
            meta["HTTP_" + name.upper().replace("-", "_")] = value
        return meta

    def post(self, client, activity, *, path="/ap/inbox", signing="cavage", **overrides):
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        if signing == "cavage":
            headers = self.cavage_headers(body, path=path, **overrides)
        elif signing == "rfc9421":
            headers = self.rfc9421_headers(body, path=path)
        else:
            headers = {}
        return client.generic("POST", path, body, content_type="application/activity+json", **headers)


@pytest.fixture
def fediverse(settings):
    """fediverse.account("alice"): a remote account on a real local server."""
    settings.FETCH_ALLOW_LOOPBACK = True
    settings.SITE_URL = "http://testserver"
    server = LocalServer().start()

    class Fediverse:
        def __init__(self):
            self.server = server

        def account(self, name="alice", **kwargs):
            return RemoteAccount(server, name, **kwargs)

    yield Fediverse()
    server.stop()
