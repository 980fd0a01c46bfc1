"""What an incoming activity must prove before it is applied, and what each one does.

`accept(request)` is the one path every POST to an inbox takes, each refusal with its
status: 413 too large (before reading more than the limit), 415 labelled as something
other than JSON, 401 unsigned, 403 blocked
(the signer's instance, checked before any fetch), 429 past the instance's rate, 400 not
an activity, 401 a signature that does not verify (with a cached key, the key is fetched
once more first: keys rotate) or a signer that is not the activity's actor. An activity
id seen before is accepted without being applied again (a retry, or a replay).
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from blog.ratelimit import parse_rate
from federation import accounts, remote, signatures
from federation.models import (
    URL_MAX_LENGTH,
    Block,
    Follower,
    ReceivedActivity,
    RemoteActor,
    host_of,
)

logger = logging.getLogger(__name__)


class Refusal(Exception):
    """An inbox POST refused with `status` and a reason a person can read."""

    def __init__(self, status, reason, *, retry_after=None):
        super().__init__(reason)
        self.status, self.reason, self.retry_after = status, reason, retry_after


@dataclass
class Incoming:
    activity: dict
    actor: object  # RemoteActor: the verified signer


def read_body(request):
    """The body, at most ACTIVITYPUB_INBOX_MAX_BYTES of it, or Refusal(413)."""
    limit = settings.ACTIVITYPUB_INBOX_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refusal(400, "The Content-Length header is not a number.") from None
    if declared > limit:
        raise Refusal(413, f"An activity may be at most {limit} bytes.")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise Refusal(413, f"An activity may be at most {limit} bytes.")
    return body


def check_content_type(request):
    """Refusal(415) for a body labelled as something other than JSON. An unlabelled one is
    read: the signature, not the label, says who sent it."""
    kind = request.content_type.lower()
    if kind and kind not in remote.JSON_TYPES:
        raise Refusal(415, f"An activity is sent as {remote.JSON_TYPES[0]}, not {kind[:100]}.")


def signed_request(request, body):
    """The request as signatures.py reads it, its URL as the sender addressed it."""
    scheme = settings.SITE_URL.split("://", 1)[0]
    headers = {
        name.lower(): value for name, value in request.headers.items() if isinstance(value, str)
    }
    url = f"{scheme}://{request.get_host()}{request.get_full_path()}"
    return signatures.Request(method=request.method, url=url, headers=headers, body=body)


def check_rate(host):
    """Count one activity from `host`; Refusal(429) past settings.ACTIVITYPUB_INBOX_RATE."""
    count, period = parse_rate(settings.ACTIVITYPUB_INBOX_RATE)
    now = time.time()
    window = int(now // period)
    key = f"federation:inbox-rate:{hashlib.sha256(host.encode()).hexdigest()[:32]}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        used = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=period + 1)
        used = 1
    if used is not None and used > count:
        retry_after = max(1, math.ceil((window + 1) * period - now))
        raise Refusal(429, f"{host} sent too many activities; try again later.", retry_after=retry_after)


def parse_activity(body):
    try:
        activity = remote.parse_json(body)
    except remote.NotJSON as error:
        raise Refusal(400, f"The body {error}.") from None
    if not isinstance(activity, dict):
        raise Refusal(400, "An activity is a JSON object.")
    for name in ("id", "type", "actor"):
        value = activity.get(name)
        if name == "actor" and isinstance(value, dict):
            value = activity["actor"] = value.get("id")
        if not isinstance(value, str) or not value:
            raise Refusal(400, f"The activity has no {name}.")
    for name in ("id", "actor"):
        value = activity[name]
        if not value.lower().startswith(("http://", "https://")) or not host_of(value):
            raise Refusal(400, f"The activity's {name} is not an http(s) address.")
        if len(value) > URL_MAX_LENGTH:
            raise Refusal(400, f"The activity's {name} is longer than {URL_MAX_LENGTH} characters.")
    if host_of(activity["id"]) != host_of(activity["actor"]):
        raise Refusal(400, "The activity's id is not on its actor's server.")
    return activity


def is_blocked(url):
    return Block.objects.blocking(url).exists()


def verify_signer(request, key_id, activity):
    """The RemoteActor whose key signed `request`, or Refusal(401)."""
    try:
        actor = remote.actor_for_key(key_id)
    except remote.RemoteError as error:
        if _deletes_unknown_actor(activity, key_id):
            return None
        raise Refusal(401, f"The signing key could not be fetched: {error}") from None
    try:
        signatures.verify(request, actor.public_key_pem)
    except signatures.BadSignature as first:
        if not remote.may_refetch(actor):
            raise Refusal(401, str(first)) from None
        # Keys rotate: fetch the actor once more before refusing.
        try:
            actor = remote.actor_for_key(key_id, refresh=True)
            signatures.verify(request, actor.public_key_pem)
        except (remote.RemoteError, signatures.BadSignature) as error:
            raise Refusal(401, str(error)) from None
    except signatures.Unsigned as error:
        raise Refusal(401, str(error)) from None
    return actor


def _deletes_unknown_actor(activity, key_id):
    """A Delete of an account whose key is gone with it (its server answers 410): there is
    nothing of it to verify, and nothing of ours to change if we never knew it."""
    return (
        activity.get("type") == "Delete"
        and activity.get("object") == activity["actor"]
        and host_of(key_id) == host_of(activity["actor"])
    )


def accept(request):
    """Check and apply one POST to an inbox. Returns a short description of what was done."""
    body = read_body(request)
    check_content_type(request)
    signed = signed_request(request, body)
    try:
        key_id = signatures.key_id_of(signed)
    except signatures.Unsigned as error:
        raise Refusal(401, str(error)) from None
    except signatures.BadSignature as error:
        raise Refusal(401, str(error)) from None
    host = host_of(key_id)
    if not host:
        raise Refusal(401, "The keyId is not an address.")
    if is_blocked(key_id):
        raise Refusal(403, f"{host} is blocked here.")
    check_rate(host)
    activity = parse_activity(body)
    if is_blocked(activity["actor"]):
        raise Refusal(403, "This actor is blocked here.")
    signer = verify_signer(signed, key_id, activity)
    if signer is None:
        return "ignored: a Delete of an actor we never knew"
    actor = signer
    if signer.uri != activity["actor"]:
        if not _same_host_actor_delete(activity, signer):
            raise Refusal(401, "The activity's actor is not the one who signed it.")
        # An account deleted by its server's own key (its own key may be gone with it).
        actor = RemoteActor.objects.filter(uri=activity["actor"]).first()
        if actor is None:
            return "ignored: a Delete of an actor we never knew"
    with transaction.atomic():
        if not ReceivedActivity.first_time(activity["id"]):
            return "already received"
        return apply(activity, actor)


def _same_host_actor_delete(activity, signer):
    return (
        activity["type"] == "Delete"
        and activity.get("object") == activity["actor"]
        and host_of(activity["actor"]) == signer.domain
    )


def object_id(value):
    """The id of an activity's object, given inline or by reference."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


HANDLERS = {}


def handles(*kinds):
    def register(function):
        for kind in kinds:
            HANDLERS[kind] = function
        return function

    return register


def apply(activity, actor):
    handler = HANDLERS.get(activity["type"])
    if handler is None:
        logger.info("Ignored a %s activity from %s.", activity["type"], actor.uri)
        return f"ignored: {activity['type']} is not an activity this blog acts on"
    return handler(activity, actor)


def local_actor_for(url):
    """Our actor whose id is `url` (the blog, or an author when authors are actors), or None."""
    found = accounts.from_url(url)
    return found[0] if found else None


@handles("Follow")
def follow(activity, actor):
    from federation import publishing

    local = local_actor_for(object_id(activity.get("object")))
    if local is None:
        raise Refusal(400, "The Follow names no actor of this site.")
    follower, created = Follower.objects.get_or_create(
        local_actor=local, actor=actor, defaults={"follow_id": activity["id"]}
    )
    if not created and follower.follow_id != activity["id"]:
        follower.follow_id = activity["id"]
        follower.save(update_fields=["follow_id"])
    publishing.accept_follow(local, actor, activity)
    return "follow accepted"


@handles("Undo")
def undo(activity, actor):
    undone = activity.get("object")
    undone_id = object_id(undone)
    kind = undone.get("type") if isinstance(undone, dict) else None
    if kind is not None and not isinstance(kind, str):
        raise Refusal(400, "The undone activity's type is not a name.")
    if not undone_id:
        raise Refusal(400, "The Undo names nothing to undo.")
    if isinstance(undone, dict) and object_id(undone.get("actor")) not in ("", actor.uri):
        raise Refusal(400, "An actor can only undo its own activities.")
    if kind in (None, "Follow"):
        following = Follower.objects.filter(actor=actor)
        if kind == "Follow":
            local = local_actor_for(object_id(undone.get("object")))
            following = following.filter(local_actor=local) if local else following.none()
        else:
            following = following.filter(follow_id=undone_id)
        if following.delete()[0]:
            return "unfollowed"
    for handler in UNDO_HANDLERS:
        result = handler(undone_id, undone, actor)
        if result:
            return result
    return "ignored: nothing to undo"


# Other modules' undo handlers: (undone id, undone object or id, actor) -> description or "".
UNDO_HANDLERS = []
