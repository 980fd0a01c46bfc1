"""A small fediverse server of the tests' own, on 127.0.0.1, that behaves like Mastodon.

`FakeInstance` serves one account (`/users/<name>`) with its own RSA key, WebFinger, a
profile page, its Notes, a personal inbox and a shared inbox. It follows the blog, replies,
edits and deletes replies, likes, boosts and undoes, every POST signed as Mastodon 4 signs
(draft-cavage rsa-sha256; RFC 9421 on request), and can sign badly on purpose.

What the blog POSTs to it is recorded in `received`, and each request's signature is
checked here, independently of the blog's code: the signing string or signature base is
rebuilt from the request as it arrived, the blog's key is fetched from the key id the
request names, and the digest is compared with the body. A request that fails answers
401, as Mastodon does, and is recorded with its `problem`.
"""

import base64
import hashlib
import http.client
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils import timezone

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_JSON = "application/activity+json"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
# Mastodon accepts a Date this far in the past or future (EXPIRATION_WINDOW_LIMIT and
# CLOCK_SKEW_MARGIN); the peer holds the blog to the same.
SIGNATURE_MAX_AGE = timedelta(hours=12)
CLOCK_SKEW = timedelta(hours=1)
# Bodies larger than this are refused unread, as a real server would.
MAX_BODY = 1_000_000

_numbers = itertools.count(1)
# What an RFC 9421 signature covers: "rfc9421" as Mastodon signs; "rfc9421-detailed" as
# another server might, with more components, in another order, and more parameters
# (expires, alg).
RFC9421_COMPONENTS = {
    "rfc9421": ("@method", "@target-uri", "content-digest"),
    "rfc9421-detailed": ("date", "@method", "@target-uri", "@authority", "content-type", "content-digest"),
}


class SignatureProblem(Exception):
    """Why a request's signature does not hold."""


@dataclass
class Received:
    """One request the blog sent to the peer's inboxes."""

    path: str
    headers: dict  # lower-cased names
    body: bytes
    activity: dict | None
    scheme: str  # "draft-cavage", "rfc9421" or "" (unsigned)
    key_id: str = ""
    problem: str = ""

    @property
    def type(self):
        return (self.activity or {}).get("type", "")


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes
    activity: dict = field(default_factory=dict)


def b64(data):
    return base64.b64encode(data).decode("ascii")


def flipped(signature_b64):
    """The same signature with one bit changed: well formed, and false."""
    raw = bytearray(base64.b64decode(signature_b64))
    raw[len(raw) // 2] ^= 1
    return b64(bytes(raw))


def http_date(moment=None):
    return format_datetime(moment or datetime.now(UTC), usegmt=True)


_keys = {}


def new_key(name=None):
    """A fresh RSA key; with a `name`, the same key each time it is asked for in this run
    (generating one takes a while, and the suite makes many peers)."""
    if name is None or name not in _keys:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if name is None:
            return key
        _keys[name] = key
    return _keys[name]


def public_pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def rsa_sign(key, data):
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def split_top_level(text, separator=","):
    """Split on `separator` outside quotes and parentheses (structured header lists)."""
    parts, depth, quoted, start, escaped = [], 0, False, 0, False
    for index, char in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def parse_cavage(value):
    """`keyId="…",algorithm="…",headers="…",signature="…"` as a dict."""
    params = {}
    for part in split_top_level(value):
        name, sep, raw = part.partition("=")
        if not sep:
            raise SignatureProblem(f"Signature parameter without a value: {part!r}")
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = raw[1:-1]
        params[name.strip()] = raw
    return params


def parse_signature_input(value):
    """RFC 9421 `Signature-Input`: {label: (components, params, serialized inner list)}."""
    signatures = {}
    for member in split_top_level(value):
        label, sep, rest = member.partition("=")
        match = re.fullmatch(r"\((.*?)\)(.*)", rest.strip(), re.S)
        if not sep or not match:
            raise SignatureProblem(f"Signature-Input member is not an inner list: {member!r}")
        components = re.findall(r'"([^"]*)"((?:;[a-z0-9*_.-]+(?:=(?:"[^"]*"|[^;\s"]+))?)*)', match.group(1))
        params = {}
        for name, raw in re.findall(r';([a-z0-9*_.-]+)(?:=("[^"]*"|[^;\s]+))?', match.group(2)):
            params[name] = raw[1:-1] if raw.startswith('"') else raw
        signatures[label.strip()] = (components, params, rest.strip())
    return signatures


def parse_signature_dictionary(value):
    """RFC 9421 `Signature`: {label: signature bytes}."""
    result = {}
    for member in split_top_level(value):
        label, sep, rest = member.partition("=")
        rest = rest.strip()
        if not sep or not (rest.startswith(":") and rest.endswith(":")):
            raise SignatureProblem(f"Signature member is not a byte sequence: {member!r}")
        try:
            result[label.strip()] = base64.b64decode(rest[1:-1], validate=True)
        except ValueError:
            raise SignatureProblem(f"Signature {label!r} is not base64.") from None
    return result


class FakeInstance:
    """A Mastodon-like server with one account, `username`, at http://127.0.0.1:<port>."""

    def __init__(self, username="alice", name="Alice Peer", *, key=None, neighbour_of=None):
        """`neighbour_of`: another account on that instance's server (same host, same
        shared inbox, which records in the first instance's `received`), not a server of
        its own."""
        self.username, self.name = username, name
        self.key = key or new_key(username)
        self.received = []
        self.fetched = []  # (path, headers) of each GET the peer answered
        self.notes = {}  # id -> Note, served to whoever fetches them
        self.deleted = set()
        # down: every request is answered 503, as a proxy in front of a stopped server does.
        self.down = False
        # Which signature schemes the inboxes accept (Mastodon before 4.4: draft-cavage only).
        self.accepts = {"draft-cavage", "rfc9421"}
        # secure_mode: the actor and its Notes answer only signed GETs, as Mastodon's
        # AUTHORIZED_FETCH does; `signed_fetches` lists the key ids that signed them.
        self.secure_mode = False
        self.signed_fetches = []
        # A hostile or broken server: `actor_changes` is merged into the actor document (a
        # None value removes the key); `actor_body` (bytes, content type) replaces it.
        self.actor_changes = {}
        self.actor_body = None
        self.gone = False  # after delete_account(): the actor answers 410, as Mastodon's do
        self.following = None  # the Follow sent by follow(), until unfollow()
        self.blog_actor = None
        self._blog_keys = {}
        self._lock = threading.Lock()
        if neighbour_of is None:
            self.residents = {username: self}
            self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
            self.httpd.daemon_threads = True
            self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                           daemon=True)
        else:
            neighbour_of.residents[username] = self
            self.httpd, self.thread = neighbour_of.httpd, None
        self.port = self.httpd.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.base = f"http://{self.host}"
        self.actor_id = f"{self.base}/users/{username}"
        self.key_id = f"{self.actor_id}#main-key"
        self.inbox = f"{self.actor_id}/inbox"
        self.shared_inbox = f"{self.base}/inbox"
        self.followers = f"{self.actor_id}/followers"
        self.profile_url = f"{self.base}/@{username}"
        self.avatar_url = f"{self.base}/avatars/{username}.png"

    # -- the server ------------------------------------------------------------------

    def start(self):
        if self.thread is not None:
            self.thread.start()
        return self

    def stop(self):
        if self.thread is not None:
            self.httpd.shutdown()
            self.httpd.server_close()

    @property
    def handle(self):
        return f"{self.username}@{self.host}"

    def actor_document(self):
        return {
            "@context": CONTEXT,
            "id": self.actor_id,
            "type": "Person",
            "preferredUsername": self.username,
            "name": self.name,
            "summary": "<p>A reader on a fake instance.</p>",
            "url": self.profile_url,
            "inbox": self.inbox,
            "outbox": f"{self.actor_id}/outbox",
            "followers": self.followers,
            "following": f"{self.actor_id}/following",
            "endpoints": {"sharedInbox": self.shared_inbox},
            "icon": {"type": "Image", "mediaType": "image/png", "url": self.avatar_url},
            "publicKey": {"id": self.key_id, "owner": self.actor_id, "publicKeyPem": public_pem(self.key)},
        }

    def _handler(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self, status, body=b"", content_type="text/plain"):
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass  # the client stopped reading (a body past its limit)

            def do_GET(self):
                if peer.down:
                    return self.answer(503, b"down")
                parts = urlsplit(self.path)
                with peer._lock:
                    peer.fetched.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if parts.path == "/.well-known/webfinger":
                    resource = parse_qs(parts.query).get("resource", [""])[0]
                    account = next((a for a in peer.residents.values()
                                    if resource in (f"acct:{a.handle}", a.actor_id)), None)
                    if account is None:
                        return self.answer(404, b"no such account")
                    return self.answer(200, {
                        "subject": f"acct:{account.handle}",
                        "aliases": [account.actor_id, account.profile_url],
                        "links": [
                            {"rel": "self", "type": ACTIVITY_JSON, "href": account.actor_id},
                            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
                             "href": account.profile_url},
                        ],
                    }, "application/jrd+json")
                match = re.match(r"/(?:users/|@)([^/]+)", parts.path)
                account = peer.residents.get(match.group(1)) if match else None
                if account is None:
                    return self.answer(404, b"not here")
                if account.secure_mode and parts.path.startswith("/users/"):
                    # Mastodon's secure mode (AUTHORIZED_FETCH): who asks must sign.
                    problem = account._check_fetch(self.path, self.headers)
                    if problem:
                        return self.answer(401, problem.encode())
                if parts.path == f"/users/{account.username}":
                    if account.gone:
                        return self.answer(410, b"gone")
                    if account.actor_body is not None:
                        return self.answer(200, *account.actor_body)
                    document = {**account.actor_document(), **account.actor_changes}
                    return self.answer(200, {k: v for k, v in document.items() if v is not None}, ACTIVITY_JSON)
                if parts.path == f"/@{account.username}":
                    return self.answer(200, f"<h1>{account.name}</h1>".encode(), "text/html")
                object_id = peer.base + parts.path
                if object_id in account.deleted:
                    return self.answer(410, b"gone")
                if object_id in account.notes:
                    return self.answer(200, {"@context": CONTEXT, **account.notes[object_id]}, ACTIVITY_JSON)
                return self.answer(404, b"not here")

            def do_POST(self):
                length = self.headers.get("Content-Length", "")
                if not length.isdigit() or int(length) > MAX_BODY:
                    return self.answer(413 if length.isdigit() else 411, b"no")
                body = self.rfile.read(int(length))
                if peer.down:
                    return self.answer(503, b"down")
                inboxes = {urlsplit(a.inbox).path: a for a in peer.residents.values()}
                inboxes[urlsplit(peer.shared_inbox).path] = peer
                if self.path not in inboxes:
                    return self.answer(404, b"not an inbox")
                received = inboxes[self.path]._receive(self.command, self.path, self.headers, body)
                if received.problem:
                    return self.answer(401, received.problem.encode())
                return self.answer(202)

            def log_message(self, *args):
                pass

        return Handler

    def _check_fetch(self, path, raw_headers):
        """Why a GET may not see the actor in secure mode, or "" if it is signed well."""
        headers = {name.lower(): value for name, value in raw_headers.items()}
        if "signature" not in headers:
            return "Request not signed (secure mode)."
        try:
            key_id = self._verify_cavage("GET", path, headers, b"")
        except SignatureProblem as problem:
            return str(problem)
        with self._lock:
            self.signed_fetches.append(key_id)
        return ""

    def _receive(self, method, path, raw_headers, body):
        headers = {}
        for name, value in raw_headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        try:
            activity = json.loads(body)
        except ValueError:
            activity = None
        received = Received(path=path, headers=headers, body=body, activity=activity, scheme="")
        try:
            if "signature-input" in headers:
                received.scheme = "rfc9421"
                received.key_id = self._verify_rfc9421(method, path, headers, body)
            elif "signature" in headers:
                received.scheme = "draft-cavage"
                received.key_id = self._verify_cavage(method, path, headers, body)
            else:
                raise SignatureProblem("The request is not signed.")
            if received.scheme not in self.accepts:
                raise SignatureProblem(f"This server does not accept {received.scheme} signatures.")
            if not isinstance(activity, dict):
                raise SignatureProblem("The body is not a JSON object.")
            owner = self._blog_keys[received.key_id][1]
            if activity.get("actor") != owner:
                raise SignatureProblem(f"Signed by {owner}, but the activity's actor is {activity.get('actor')}.")
        except SignatureProblem as problem:
            received.problem = str(problem)
        with self._lock:
            self.received.append(received)
        return received

    # -- checking what the blog signs ------------------------------------------------

    def _blog_key(self, key_id):
        """The public key `key_id` names, fetched from its actor document (and kept)."""
        if key_id not in self._blog_keys:
            document = self.get_json(key_id.split("#")[0])
            keys = document.get("publicKey")
            keys = keys if isinstance(keys, list) else [keys]
            for entry in keys:
                if isinstance(entry, dict) and entry.get("id") == key_id:
                    owner = entry.get("owner")
                    if owner != document.get("id"):
                        raise SignatureProblem(f"Key {key_id} is owned by {owner}, not {document.get('id')}.")
                    key = serialization.load_pem_public_key(entry["publicKeyPem"].encode())
                    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
                        raise SignatureProblem(f"Key {key_id} is not an RSA key of 2048 bits or more.")
                    self._blog_keys[key_id] = (key, owner)
                    break
            else:
                raise SignatureProblem(f"No key {key_id} in {key_id.split('#')[0]}.")
        return self._blog_keys[key_id][0]

    def get_json(self, url):
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise SignatureProblem(f"Cannot fetch {url} from the test peer.")
        connection = http.client.HTTPConnection(parts.netloc, timeout=10)
        try:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.request("GET", target, headers={"Accept": ACTIVITY_JSON})
            response = connection.getresponse()
            content = response.read()
        except OSError as error:
            raise SignatureProblem(f"Could not fetch {url}: {error}") from None
        finally:
            connection.close()
        if response.status != 200:
            raise SignatureProblem(f"{url} answered {response.status}.")
        try:
            return json.loads(content)
        except ValueError:
            raise SignatureProblem(f"{url} is not JSON.") from None

    def _check_date(self, moment):
        now = datetime.now(UTC)
        if moment < now - SIGNATURE_MAX_AGE or moment > now + CLOCK_SKEW:
            raise SignatureProblem(f"Signed at {moment.isoformat()}, outside the accepted window.")

    def _verify_cavage(self, method, path, headers, body):
        params = parse_cavage(headers["signature"])
        for name in ("keyId", "signature"):
            if not params.get(name):
                raise SignatureProblem(f"The Signature header has no {name}.")
        if params.get("algorithm", "hs2019") not in ("rsa-sha256", "hs2019"):
            raise SignatureProblem(f"Unexpected algorithm {params['algorithm']!r}.")
        signed = params.get("headers", "date").lower().split()
        needed = ("(request-target)", "host", "date") + (("digest",) if method == "POST" else ())
        for required in needed:
            if required not in signed:
                raise SignatureProblem(f"{required} is not signed (signed: {' '.join(signed)}).")
        lines = []
        for name in signed:
            if name == "(request-target)":
                lines.append(f"(request-target): {method.lower()} {path}")
            elif name in headers:
                lines.append(f"{name}: {headers[name].strip()}")
            else:
                raise SignatureProblem(f"Signed header {name!r} is missing.")
        if headers["host"] != self.host:
            raise SignatureProblem(f"Signed for host {headers['host']!r}, not {self.host!r}.")
        try:
            self._check_date(parsedate_to_datetime(headers["date"]))
        except (TypeError, ValueError):
            raise SignatureProblem(f"Unreadable Date {headers['date']!r}.") from None
        if method != "POST":
            self._check(params["keyId"], base64.b64decode(params["signature"]), "\n".join(lines))
            return params["keyId"]
        algorithm, _, digest = headers["digest"].partition("=")
        if algorithm.strip().upper() != "SHA-256" or digest != b64(hashlib.sha256(body).digest()):
            raise SignatureProblem("The Digest does not match the body.")
        self._check(params["keyId"], base64.b64decode(params["signature"]), "\n".join(lines))
        return params["keyId"]

    def _verify_rfc9421(self, method, path, headers, body):
        inputs = parse_signature_input(headers["signature-input"])
        values = parse_signature_dictionary(headers.get("signature", ""))
        label = next((label for label in inputs if label in values), None)
        if label is None:
            raise SignatureProblem("No Signature matches the Signature-Input.")
        components, params, serialized = inputs[label]
        names = [name for name, _ in components]
        for required in ("@method", "@target-uri", "content-digest"):
            if required not in names and not (required == "@target-uri" and "@path" in names):
                raise SignatureProblem(f"{required} is not signed (signed: {' '.join(names)}).")
        if params.get("alg", "rsa-v1_5-sha256") != "rsa-v1_5-sha256":
            raise SignatureProblem(f"Unexpected alg {params['alg']!r}.")
        if not params.get("keyid") or not params.get("created", "").isdigit():
            raise SignatureProblem("The signature has no keyid or no created time.")
        self._check_date(datetime.fromtimestamp(int(params["created"]), UTC))
        if params.get("expires", "").isdigit() and int(params["expires"]) < time.time():
            raise SignatureProblem("The signature has expired.")
        items = split_top_level(headers.get("content-digest", ""))
        digests = {name.strip().lower(): value.strip() for name, _, value in (i.partition("=") for i in items)}
        if digests.get("sha-256") != f":{b64(hashlib.sha256(body).digest())}:":
            raise SignatureProblem("The Content-Digest does not match the body.")
        parts = urlsplit(path)
        derived = {
            "@method": method.upper(),
            "@target-uri": f"{self.base}{path}",
            "@authority": headers.get("host", "").lower(),
            "@scheme": "http",
            "@path": parts.path,
            "@query": f"?{parts.query}",
            "@request-target": path,
        }
        lines = []
        for name, component_params in components:
            if component_params:
                raise SignatureProblem(f"Component parameters are not expected here: {name}{component_params}.")
            if name in derived:
                value = derived[name]
            elif name in headers:
                value = headers[name].strip()
            else:
                raise SignatureProblem(f"Signed component {name!r} is missing.")
            lines.append(f'"{name}": {value}')
        lines.append(f'"@signature-params": {serialized}')
        self._check(params["keyid"], values[label], "\n".join(lines))
        return params["keyid"]

    def _check(self, key_id, signature, signed_text):
        key = self._blog_key(key_id)
        try:
            key.verify(signature, signed_text.encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise SignatureProblem(f"The signature by {key_id} does not verify.") from None

    # -- what the tests read --------------------------------------------------------

    def activities(self, kind=None):
        """The activities received with a valid signature, oldest first (of `kind` if given)."""
        with self._lock:
            return [r.activity for r in self.received
                    if not r.problem and (kind is None or r.type == kind)]

    def problems(self):
        with self._lock:
            return [(r.path, r.type, r.problem) for r in self.received if r.problem]

    def clear(self):
        with self._lock:
            self.received.clear()

    # -- acting like Mastodon ------------------------------------------------------------

    def new_id(self, kind="statuses"):
        return f"{self.actor_id}/{kind}/{next(_numbers)}"

    def signed_headers(self, url, body, *, scheme="draft-cavage", key=None, key_id=None,
                       date=None, digest=None):
        """The headers Mastodon 4 sends with a POST of `body` to `url`.

        draft-cavage signs `(request-target) host date digest content-type`, as Mastodon
        does; rfc9421 signs `@method @target-uri content-digest` with `created` and `keyid`
        (rfc9421-detailed: see RFC9421_COMPONENTS).
        `date` and `digest` override the true values (to sign something stale or false).
        """
        key, key_id = key or self.key, key_id or self.key_id
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        date = date or datetime.now(UTC)
        true_digest = hashlib.sha256(body).digest()
        headers = {"Host": parts.netloc, "Date": http_date(date), "Content-Type": ACTIVITY_JSON}
        if scheme == "draft-cavage":
            headers["Digest"] = f"SHA-256={b64(digest or true_digest)}"
            signed = ["(request-target)", "host", "date", "digest", "content-type"]
            values = {"(request-target)": f"post {target}", "host": headers["Host"], "date": headers["Date"],
                      "digest": headers["Digest"], "content-type": headers["Content-Type"]}
            text = "\n".join(f"{name}: {values[name]}" for name in signed)
            headers["Signature"] = (
                f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(signed)}",'
                f'signature="{b64(rsa_sign(key, text.encode()))}"'
            )
        elif scheme in RFC9421_COMPONENTS:
            headers["Content-Digest"] = f"sha-256=:{b64(digest or true_digest)}:"
            values = {"@method": "POST", "@target-uri": url, "@authority": parts.netloc.lower(),
                      "@path": parts.path or "/", "content-digest": headers["Content-Digest"],
                      "content-type": headers["Content-Type"], "date": headers["Date"]}
            components = RFC9421_COMPONENTS[scheme]
            inner = " ".join(f'"{name}"' for name in components)
            params = f"({inner});created={int(date.timestamp())}"
            if scheme == "rfc9421-detailed":
                params += f';expires={int(date.timestamp()) + 300};keyid="{key_id}";alg="rsa-v1_5-sha256"'
            else:
                params += f';keyid="{key_id}"'
            text = "\n".join([f'"{name}": {values[name]}' for name in components] + [f'"@signature-params": {params}'])
            headers["Signature-Input"] = f"sig1={params}"
            headers["Signature"] = f"sig1=:{b64(rsa_sign(key, text.encode()))}:"
        elif scheme is not None:
            raise ValueError(f"Unknown signature scheme {scheme!r}.")
        return headers

    def post(self, url, activity, *, flaw=None, scheme="draft-cavage", key=None, key_id=None, body=None):
        """POST `activity` to `url`, signed; `flaw` spoils it on purpose:

        "bad-signature" (the signature's bytes changed), "stale-date" (signed two days
        ago), "wrong-digest" (the digest of another body), "unsigned" (no signature).
        `body` sends those bytes instead of the activity (still correctly signed).
        """
        body = json.dumps(activity).encode() if body is None else body
        date = datetime.now(UTC) - timedelta(days=2) if flaw == "stale-date" else None
        digest = hashlib.sha256(b"another body").digest() if flaw == "wrong-digest" else None
        headers = self.signed_headers(url, body, scheme=None if flaw == "unsigned" else scheme,
                                      key=key, key_id=key_id, date=date, digest=digest)
        if flaw == "bad-signature":
            headers["Signature"] = re.sub(r'(signature="|sig1=:)([^":]+)',
                                          lambda m: m.group(1) + flipped(m.group(2)), headers["Signature"])
        elif flaw not in (None, "stale-date", "wrong-digest", "unsigned"):
            raise ValueError(f"Unknown flaw {flaw!r}.")
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=30)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read(), activity)
        finally:
            connection.close()

    def signed_get(self, url):
        """GET `url` signed draft-cavage, `(request-target) host date`, as Mastodon fetches."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"Host": parts.netloc, "Date": http_date(), "Accept": ACTIVITY_JSON}
        text = f"(request-target): get {target}\nhost: {headers['Host']}\ndate: {headers['Date']}"
        headers["Signature"] = (
            f'keyId="{self.key_id}",algorithm="rsa-sha256",headers="(request-target) host date",'
            f'signature="{b64(rsa_sign(self.key, text.encode()))}"'
        )
        connection = http.client.HTTPConnection(parts.netloc, timeout=10)
        try:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def discover(self, handle):
        """WebFinger `user@host`, then fetch the actor it names, as Mastodon's search does."""
        username, _, host = handle.lstrip("@").partition("@")
        connection = http.client.HTTPConnection(host, timeout=10)
        try:
            connection.request("GET", f"/.well-known/webfinger?resource=acct:{username}@{host}",
                               headers={"Accept": "application/jrd+json"})
            response = connection.getresponse()
            jrd = json.loads(response.read())
        finally:
            connection.close()
        assert response.status == 200, f"WebFinger for {handle} answered {response.status}"
        links = [link for link in jrd.get("links", [])
                 if link.get("rel") == "self" and link.get("type") == ACTIVITY_JSON]
        assert links, f"WebFinger for {handle} names no ActivityPub actor: {jrd}"
        return self.get_json(links[0]["href"])

    def follow(self, handle):
        """Follow `user@host`: WebFinger, the actor, then a signed Follow to its inbox."""
        self.blog_actor = self.discover(handle)
        self.following = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.base}/{next(_numbers)}",
            "type": "Follow",
            "actor": self.actor_id,
            "object": self.blog_actor["id"],
        }
        return self.post(self.blog_actor["inbox"], self.following)

    def unfollow(self):
        answer = self.undo(self.following, inbox=self.blog_actor["inbox"])
        self.following = None
        return answer

    @property
    def blog_shared_inbox(self):
        endpoints = self.blog_actor.get("endpoints") or {}
        return endpoints.get("sharedInbox") or self.blog_actor["inbox"]

    def wrap(self, kind, note, **extra):
        """`note` in a Create or an Update from this account, addressed as the note is."""
        return {
            "@context": CONTEXT,
            "id": f"{note['id']}/activity" if kind == "Create" else f"{note['id']}#{kind.lower()}s/{next(_numbers)}",
            "type": kind,
            "actor": self.actor_id,
            "published": note.get("updated") or note["published"],
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
            **extra,
        }

    def reply(self, in_reply_to, text, *, scheme="draft-cavage", inbox=None, visibility="public"):
        """Reply to `in_reply_to` (an Article or Note id) with a Note; returns it.

        `visibility` addresses it as Mastodon does: "public" (to the public, cc followers
        and mentions), "unlisted" (to followers, cc the public), "private" (followers and
        mentions only) or "direct" (the mentioned actors only).
        """
        now = datetime.now(UTC).replace(microsecond=0)
        note_id = self.new_id()
        mentioned = [self.blog_actor["id"]] if self.blog_actor else []
        to, cc = {
            "public": ([AS_PUBLIC], [self.followers] + mentioned),
            "unlisted": ([self.followers], [AS_PUBLIC] + mentioned),
            "private": ([self.followers], mentioned),
            "direct": (mentioned, []),
        }[visibility]
        note = {
            "id": note_id,
            "type": "Note",
            "summary": None,
            "inReplyTo": in_reply_to,
            "published": now.isoformat().replace("+00:00", "Z"),
            "url": f"{self.profile_url}/{note_id.rsplit('/', 1)[1]}",
            "attributedTo": self.actor_id,
            "to": to,
            "cc": cc,
            "sensitive": False,
            "content": "".join(f"<p>{paragraph}</p>" for paragraph in text.split("\n\n")),
            "tag": [{"type": "Mention", "href": self.blog_actor["id"],
                     "name": f"@{self.blog_actor.get('preferredUsername')}"}] if self.blog_actor else [],
        }
        self.notes[note_id] = note
        answer = self.post(inbox or self.blog_shared_inbox, self.wrap("Create", note), scheme=scheme)
        answer.activity = note
        return answer

    def edit_reply(self, note, text):
        edited = {
            **note,
            "content": "".join(f"<p>{paragraph}</p>" for paragraph in text.split("\n\n")),
            "updated": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        }
        self.notes[note["id"]] = edited
        answer = self.post(self.blog_shared_inbox, self.wrap("Update", edited))
        answer.activity = edited
        return answer

    def delete_reply(self, note):
        self.notes.pop(note["id"], None)
        self.deleted.add(note["id"])
        return self.post(self.blog_shared_inbox, {
            "@context": CONTEXT,
            "id": f"{note['id']}#delete",
            "type": "Delete",
            "actor": self.actor_id,
            "to": [AS_PUBLIC],
            "object": {"id": note["id"], "type": "Tombstone", "atomUri": note["id"]},
        })

    def delete_account(self):
        """The account is deleted: its server tells those it knows (signed with the key it
        keeps for that), then its actor answers 410 Gone."""
        self.gone = True
        return self.post(self.blog_shared_inbox, {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.actor_id}#delete",
            "type": "Delete",
            "actor": self.actor_id,
            "to": [AS_PUBLIC],
            "object": self.actor_id,
        })

    def like(self, object_id):
        """A favourite, sent to the author's own inbox as Mastodon does."""
        return self.post(self.blog_actor["inbox"], {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.actor_id}#likes/{next(_numbers)}",
            "type": "Like",
            "actor": self.actor_id,
            "object": object_id,
        })

    def announce(self, object_id):
        """A boost: public, to the followers and the author, via the shared inbox."""
        announce_id = self.new_id()
        return self.post(self.blog_shared_inbox, {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{announce_id}/activity",
            "type": "Announce",
            "actor": self.actor_id,
            "published": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "to": [AS_PUBLIC],
            "cc": [self.blog_actor["id"], self.followers],
            "object": object_id,
        })

    def undo(self, activity, *, inbox=None):
        """Undo an earlier Follow, Like or Announce (the activity embedded, as Mastodon does)."""
        inner = {key: value for key, value in activity.items() if key != "@context"}
        return self.post(inbox or (self.blog_actor["inbox"] if activity["type"] != "Announce"
                                   else self.blog_shared_inbox), {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{activity['id']}/undo",
            "type": "Undo",
            "actor": self.actor_id,
            "object": inner,
        })


# -- the blog the peer meets: fixtures the test_peer_* modules import ----------------------


ALTERNATE = re.compile(
    r'<link[^>]*rel="alternate"[^>]*type="application/activity\+json"[^>]*href="([^"]+)"'
    r'|<link[^>]*type="application/activity\+json"[^>]*rel="alternate"[^>]*href="([^"]+)"'
)


class Blog:
    """The blog as the fediverse sees it: served by the live server at `url`."""

    def __init__(self, url, username):
        self.url = url.rstrip("/")
        self.host = urlsplit(self.url).netloc
        self.handle = f"{username}@{self.host}"

    def get(self, path, accept="text/html"):
        parts = urlsplit(path if path.startswith("http") else self.url + path)
        connection = http.client.HTTPConnection(parts.netloc, timeout=30)
        try:
            connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                               headers={"Accept": accept})
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def page(self, post):
        answer = self.get(post.get_absolute_url())
        assert answer.status == 200, f"{post.get_absolute_url()} answered {answer.status}"
        return answer.body.decode()

    def article_id(self, post):
        """The post's ActivityPub id, as its page announces it (<link rel="alternate">)."""
        match = ALTERNATE.search(self.page(post))
        assert match, "the post's page has no <link rel=alternate type=application/activity+json>"
        return (match.group(1) or match.group(2)).replace("&amp;", "&")


@pytest.fixture
def blog(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.FETCH_ALLOW_LOOPBACK = True
    settings.ACTIVITYPUB_ENABLED = True
    return Blog(live_server.url, getattr(settings, "ACTIVITYPUB_BLOG_USERNAME", "blog"))


@pytest.fixture
def make_peer():
    """make_peer(username, name): a started FakeInstance, stopped after the test."""
    peers = []

    def make(username="alice", name="Alice Peer"):
        peers.append(FakeInstance(username, name).start())
        return peers[-1]

    yield make
    for peer in peers:
        peer.stop()


@pytest.fixture
def peer(make_peer):
    return make_peer()


@pytest.fixture
def known(blog, peer):
    """The peer, having looked the blog up (as a server does before sending it anything)."""
    peer.blog_actor = peer.discover(blog.handle)
    return peer


def follow_activity(peer):
    """A Follow of the blog by `peer`, as Mastodon writes one (not sent)."""
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{peer.base}/follows/1",
            "type": "Follow", "actor": peer.actor_id, "object": peer.blog_actor["id"]}


@pytest.fixture
def deliver(send_queued):
    """deliver(): run the queue as the worker would until nothing more is due now (a
    delivery may queue others: one post fans out to each follower's inbox)."""

    def run():
        attempted = []
        for _ in range(10):
            done = send_queued()
            if not done:
                return attempted
            attempted += done
        raise AssertionError(f"The queue never emptied: {attempted}")

    return run


def post_form(**overrides):
    """What the admin's post form sends to publish a post now."""
    now = timezone.localtime() - timedelta(minutes=1)
    return {
        "title": "Hello, fediverse",
        "slug": "hello-fediverse",
        "body": "A post for **every** follower.\n\nIts second paragraph.",
        "summary": "",
        "status": "published",
        "published_at_0": now.strftime("%Y-%m-%d"),
        "published_at_1": now.strftime("%H:%M:%S"),
        "comments_enabled": "on",
        **overrides,
    }


@pytest.fixture
def publish(client, author):
    """publish(**fields) -> Post: an author publishes a post through the admin."""
    from blog.models import Post

    def run(**fields):
        client.force_login(author)
        form = post_form(**fields)
        response = client.post("/admin/blog/post/add/", form)
        assert response.status_code == 302, response.content.decode()[:2000]
        return Post.objects.get(slug=form["slug"])

    return run


@pytest.fixture
def change_post(client, author):
    """change_post(post, **fields): the author saves the post's admin form with changes."""

    def run(post, **fields):
        client.force_login(author)
        local = timezone.localtime(post.published_at)
        form = post_form(**{
            "title": post.title, "slug": post.slug, "body": post.body, "status": post.status,
            "published_at_0": local.strftime("%Y-%m-%d"), "published_at_1": local.strftime("%H:%M:%S"),
            **fields,
        })
        response = client.post(f"/admin/blog/post/{post.pk}/change/", form)
        assert response.status_code == 302, response.content.decode()[:2000]
        post.refresh_from_db()
        return post

    return run
