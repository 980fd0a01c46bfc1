"""Remote actors: fetched through delivery/http.py (public addresses only, size-capped,
a short deadline), kept in RemoteActor, and fetched again when their key seems to have
changed.

Our GETs are signed with the blog's key, since servers in "authorized fetch" mode (a
Mastodon option) answer only signed requests.
"""

import json
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from delivery import http
from federation import documents, signatures
from federation.models import URL_MAX_LENGTH, LocalActor, RemoteActor, host_of

ACTOR_MAX_BYTES = 256 * 1024
# What servers label ActivityPub JSON with (its two names and plain JSON): what we fetch,
# what the inbox reads, and what a client asking for JSON names in Accept.
JSON_TYPES = ("application/activity+json", "application/ld+json", "application/json")
# A key found wrong is fetched again at most this often per actor, so forged signatures
# naming a real actor cannot make us fetch it on every request.
REFETCH_INTERVAL = timedelta(minutes=5)
ACTOR_TYPES = {"Person", "Service", "Application", "Group", "Organization"}


class RemoteError(Exception):
    """A remote document could not be fetched or does not say what it must."""


class NotJSON(ValueError):
    """What a remote server sent is not JSON we can use; the message says why."""


# Text no database column holds: PostgreSQL refuses NUL, and an unpaired surrogate (which
# JSON's escapes can spell, "\ud800") cannot be encoded as UTF-8 for any database.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse_json(raw):
    """The JSON value of `raw`, or NotJSON: it is not JSON, is nested deeper than Python
    parses, or holds text no database can store (anywhere: any string may reach a query)."""
    try:
        value = json.loads(raw)
    except ValueError:  # UnicodeDecodeError included
        raise NotJSON("is not JSON") from None
    except RecursionError:
        raise NotJSON("is JSON nested too deeply") from None
    if any(_UNSTORABLE.search(text) for text in _strings(value)):
        raise NotJSON("holds a NUL character or an unpaired surrogate, which no text may hold")
    return value


def _strings(value):
    """Every string of a JSON value, keys included; a loop, not recursion, since the depth is
    the sender's choice."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def fetch_json(url):
    """The JSON object at `url` (an ActivityPub document), or RemoteError."""
    blog = LocalActor.blog()

    def signed(final_url):
        return signatures.sign_cavage(
            method="GET", url=final_url, body=b"",
            key_id=documents.key_id(blog.username), private_key_pem=blog.private_key_pem,
        )

    try:
        fetched = http.fetch(
            url, max_bytes=ACTOR_MAX_BYTES, content_types=JSON_TYPES, headers=signed,
            timeout=settings.ACTIVITYPUB_FETCH_TIMEOUT_SECONDS,
        )
    except (http.Refused, http.Unavailable) as error:
        raise RemoteError(str(error)) from None
    except ValueError:  # an address urlsplit cannot read ("http://[::1")
        raise RemoteError(f"{url[:200]} is not an address.") from None
    try:
        document = parse_json(fetched.content)
    except NotJSON as error:
        raise RemoteError(f"{url} {error}.") from None
    if not isinstance(document, dict):
        raise RemoteError(f"{url} is not a JSON object.")
    # A document speaks for its own origin only: after redirects, its id must be there.
    if host_of(str(document.get("id", ""))) != host_of(fetched.url):
        raise RemoteError(f"{url} gives an id on another host than its own.")
    return document


def actor_for_key(key_id, *, refresh=False):
    """The actor that owns `key_id`, from our cache unless `refresh`; RemoteError if none."""
    if not refresh:
        cached = RemoteActor.objects.filter(key_id=key_id).first()
        if cached is not None:
            return cached
    url = key_id.split("#", 1)[0]
    document = fetch_json(url)
    if not is_actor(document):
        # A key document of its own ({id, owner, publicKeyPem}): its owner is the actor.
        owner = document.get("owner")
        if not isinstance(owner, str) or host_of(owner) != host_of(key_id):
            raise RemoteError(f"{key_id} names no actor on its own host.")
        document = fetch_json(owner)
    actor = store(document)
    if actor.key_id != key_id:
        raise RemoteError(f"{actor.uri} does not publish the key {key_id}.")
    return actor


def is_actor(document):
    kind = document.get("type")
    return isinstance(kind, str) and kind in ACTOR_TYPES


def may_refetch(actor):
    return actor.fetched_at <= timezone.now() - REFETCH_INTERVAL


def actor(uri, *, refresh=False):
    """The actor whose id is `uri`, from our cache unless `refresh`."""
    if not refresh:
        cached = RemoteActor.objects.filter(uri=uri).first()
        if cached is not None:
            return cached
    return store(fetch_json(uri))


def _url(value):
    """An http(s) URL from a JSON value that should hold one: a string, a link object's
    href, or the first of a list of either."""
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, (str, dict))), "")
    if isinstance(value, dict):
        value = value.get("href")
    if not isinstance(value, str) or len(value) > URL_MAX_LENGTH:
        return ""
    return value if value.lower().startswith(("http://", "https://")) and host_of(value) else ""


# What a request line carries as written: printable ASCII, no space. delivery/http.py
# percent-encodes the rest, but our signature covers the inbox's path as the actor wrote
# it, and a server checking it against the encoded one would refuse every delivery.
_SENDABLE = re.compile(r"[\x21-\x7e]+")


def _inbox(value, host):
    """An inbox address from a JSON value, if we can and may POST to it: on the actor's own
    server (else an actor could have us POST to anyone, and make another instance's
    deliveries wait for the failures of an address it chose), in characters a request can
    carry. Else ""."""
    url = _url(value)
    return url if url and host_of(url) == host and _SENDABLE.fullmatch(url) else ""


def store(document):
    """Keep what an actor document says about itself; RemoteError if it is no actor."""
    uri = _url(document.get("id"))
    if not uri or not is_actor(document):
        raise RemoteError("The document is not an actor.")
    key = document.get("publicKey")
    if isinstance(key, list):
        key = next((k for k in key if isinstance(k, dict)), None)
    if not isinstance(key, dict) or not isinstance(key.get("publicKeyPem"), str):
        raise RemoteError(f"{uri} publishes no public key.")
    key_id = _url(key.get("id"))
    if not key_id or host_of(key_id) != host_of(uri) or key.get("owner", uri) != uri:
        raise RemoteError(f"{uri} publishes a key that is not its own.")
    try:
        signatures.load_public_key(key["publicKeyPem"])
    except signatures.BadSignature:
        raise RemoteError(f"{uri} publishes a key that cannot be read.") from None
    if len(host_of(uri)) > 255:
        raise RemoteError(f"{uri} has a host name longer than any real one.")
    inbox = _inbox(document.get("inbox"), host_of(uri))
    if not inbox:
        raise RemoteError(f"{uri} has no inbox on its own server that we can send to.")
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    values = {
        "domain": host_of(uri),
        "inbox": inbox,
        "shared_inbox": _inbox(endpoints.get("sharedInbox"), host_of(uri)),
        "key_id": key_id,
        "public_key_pem": key["publicKeyPem"][:10000],
        "name": _text(document.get("name"), 200),
        "username": _text(document.get("preferredUsername"), 200),
        "profile_url": _url(document.get("url")) or uri,
        "fetched_at": timezone.now(),
    }
    actor, _ = RemoteActor.objects.update_or_create(uri=uri, defaults=values)
    return actor


def _text(value, limit):
    return value.strip()[:limit] if isinstance(value, str) else ""
