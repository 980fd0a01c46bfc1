"""What we send to the fediverse, always through the durable queue (delivery/outbox.py).

Two channels:
- "activitypub": one signed POST of one activity to one inbox. Activities about a post or
  a comment are built when the delivery runs, from what it is then (a scheduled post is
  sent as it is when it appears; one unpublished meanwhile is not sent at all). A host that
  fails makes its other deliveries wait too (RemoteHost.retry_at), so a dead instance is
  asked once per backoff step, not once per follower; nothing of this runs in a request.
- "activitypub-fanout": one delivery per post event, which the worker turns into one
  "activitypub" delivery per inbox of the followers (a shared inbox once for all its
  followers), so publishing costs the request one row however many followers there are.

What causes them is connected to model signals here (`connect()`), so neither blog nor
comments knows about federation; each is enqueued inside the transaction of its change.
"""

import hashlib
import json
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.db.models.signals import post_delete, post_init, post_save
from django.utils import timezone

from blog.models import Post
from comments.models import Comment
from delivery import http, outbox
from delivery.models import Delivery
from federation import accounts, documents, signatures
from federation.models import Block, Follower, LocalActor, RemoteHost, RemoteReply, host_of

logger = logging.getLogger(__name__)

CHANNEL = "activitypub"
FANOUT = "activitypub-fanout"
# A post published with a date older than this (an import, a backdated post) is not
# announced to followers: their timelines are for what is new.
ANNOUNCE_MAX_AGE = timedelta(days=2)


def enabled():
    return settings.ACTIVITYPUB_ENABLED


# ---------------------------------------------------------------------------------------
# What causes deliveries


def accept_follow(local, actor, follow):
    """Answer a Follow with an Accept, to the follower's own inbox."""
    if not enabled():
        return
    accept = documents.activity(
        "Accept",
        activity_id=f"{documents.actor_id(local.username)}#accepts/{_slug(follow['id'])}",
        username=local.username,
        obj={"id": follow["id"], "type": "Follow", "actor": actor.uri,
             "object": documents.actor_id(local.username)},
    )
    outbox.enqueue(
        CHANNEL,
        key=f"ap:Accept:{_digest(accept['id'])}:{_digest(actor.inbox)}",
        recipient=actor.inbox,
        summary=f"Accept of {actor.handle}'s follow",
        payload={"inbox": actor.inbox, "username": local.username, "activity": accept},
    )


def _digest(url):
    """A URL as a delivery key names it: an activity id or an inbox may be 2,000 characters
    long, a key at most 255 (webmention's and media's keys hash their URLs too)."""
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def _slug(value):
    return re.sub(r"[^A-Za-z0-9]+", "-", value)[-120:]


def _stamp(moment):
    return f"{moment.timestamp():.6f}"


def post_changed(post, *, was_visible, was_published_at, was_published):
    """Enqueue what a post's save means to followers: Create, Update or Delete."""
    if not enabled():
        return
    now = timezone.now()
    published = post.status == Post.Status.PUBLISHED and post.published_at is not None
    if published and not (was_published and was_published_at == post.published_at):
        # Newly published or rescheduled: a Create when it appears, unless backdated.
        if post.published_at >= now - ANNOUNCE_MAX_AGE and not was_visible:
            # Named by this save (a post published again after a Delete is created again)
            # and checked against the publication time when it runs (a rescheduled post's
            # earlier Create then sends nothing).
            _fanout("Create", post, stamp=_stamp(post.updated_at), not_before=post.published_at,
                    published=_stamp(post.published_at))
        elif was_visible and post.published_at <= now:
            _fanout("Update", post, stamp=_stamp(post.updated_at))
    elif published and was_visible and post.published_at <= now:
        _fanout("Update", post, stamp=_stamp(post.updated_at))
    elif not published and was_visible:
        _fanout("Delete", post, stamp=_stamp(now))


def post_deleted(post, *, was_visible):
    if enabled() and was_visible:
        _fanout("Delete", post, stamp=_stamp(timezone.now()))


def _fanout(verb, post, *, stamp, not_before=None, published=None):
    if not Follower.objects.exists():
        return  # nobody to tell: a blog without followers queues nothing
    post_id = post.pk
    outbox.enqueue(
        FANOUT,
        key=f"ap-fanout:{verb}:post-{post_id}:{stamp}",
        recipient=documents.article_id(post_id),
        summary=f"{verb} of post {post_id} to followers",
        payload={"verb": verb, "post_id": post_id, "stamp": stamp, "published": published,
                 "publisher": accounts.publisher(post)},
        not_before=not_before,
    )


def staff_reply_approved(comment):
    """A moderator's or the author's approved reply to a fediverse comment goes back to
    its thread: to the remote author and the blog's followers."""
    if not enabled() or comment.parent_id is None or comment.user_id is None:
        return
    parent = comment.parent
    if parent.origin != Comment.Origin.FEDIVERSE:
        return
    user = comment.user
    from comments.moderation import is_moderator

    if not (user.is_staff or is_moderator(user) or user.pk == comment.post.author_id):
        return
    outbox.enqueue(
        FANOUT,
        key=f"ap-fanout:Create:comment-{comment.pk}",
        recipient=documents.note_id(comment.pk),
        summary=f"Reply {comment.pk} to a fediverse comment",
        payload={"verb": "Create", "comment_id": comment.pk},
    )


def staff_reply_removed(comment):
    """A reply sent to the fediverse that a moderator then rejected (or marked as spam) is
    deleted there too."""
    create_key = f"ap-fanout:Create:comment-{comment.pk}"
    if not enabled() or not Delivery.objects.filter(key=create_key).exists():
        return
    outbox.enqueue(
        FANOUT,
        key=f"ap-fanout:Delete:comment-{comment.pk}:{_stamp(comment.moderated_at or timezone.now())}",
        recipient=documents.note_id(comment.pk),
        summary=f"Delete of reply {comment.pk} to a fediverse comment",
        payload={"verb": "Delete", "comment_id": comment.pk},
    )


# ---------------------------------------------------------------------------------------
# The channels


def follower_inboxes(local, *, extra=()):
    """Each inbox once: a shared inbox stands for all its server's followers; none blocked."""
    inboxes = {}
    for follower in Follower.objects.filter(local_actor=local).select_related("actor"):
        inboxes.setdefault(follower.actor.delivery_inbox, follower.actor.uri)
    for actor in extra:
        inboxes.setdefault(actor.delivery_inbox, actor.uri)
    blocks = list(Block.objects.all())
    return [inbox for inbox, actor_uri in inboxes.items() if not _blocked(blocks, actor_uri, inbox)]


def _blocked(blocks, actor_uri, inbox):
    for block in blocks:
        if block.kind == Block.Kind.ACTOR and block.value == actor_uri:
            return True
        if block.kind == Block.Kind.INSTANCE:
            for host in (host_of(actor_uri), host_of(inbox)):
                if host == block.value or host.endswith("." + block.value):
                    return True
    return False


@outbox.channel(FANOUT)
def fan_out(delivery):
    if not enabled():
        raise outbox.GiveUp("ActivityPub is turned off (ACTIVITYPUB_ENABLED).")
    payload = delivery.payload
    blog = LocalActor.blog()
    if "comment_id" in payload:
        reply = RemoteReply.objects.filter(comment__replies=payload["comment_id"]).select_related("actor").first()
        extra = [reply.actor] if reply is not None else []
        _queue_each(payload, follower_inboxes(blog, extra=extra), username=blog.username,
                    what=f"comment-{payload['comment_id']}")
        return
    what = f"post-{payload['post_id']}"
    publisher = payload.get("publisher") or blog.username
    if publisher == blog.username:
        _queue_each(payload, follower_inboxes(blog), username=blog.username, what=what)
        return
    # An author's post: from the author to their followers and the blog's, whose servers
    # then also get the blog's boost of it (for their timelines, which follow the blog).
    author = LocalActor.named(publisher)
    blog_inboxes = follower_inboxes(blog)
    everyone = list(dict.fromkeys(follower_inboxes(author) + blog_inboxes))
    _queue_each(payload, everyone, username=publisher, what=what)
    if payload["verb"] == "Create":
        _queue_each({**payload, "verb": "Announce"}, blog_inboxes, username=blog.username, what=what)


def _queue_each(payload, inboxes, *, username, what):
    for inbox in inboxes:
        outbox.enqueue(
            CHANNEL,
            key=f"ap:{payload['verb']}:{what}:{payload.get('stamp', '')}:{_digest(inbox)}",
            recipient=inbox,
            summary=f"{payload['verb']} of {what.replace('-', ' ')}",
            payload={**payload, "inbox": inbox, "username": username},
        )


class HostWaiting(Exception):
    """The inbox's host failed recently: this delivery waits for its turn too."""


@outbox.channel(CHANNEL)
def deliver(delivery):
    if not enabled():
        raise outbox.GiveUp("ActivityPub is turned off (ACTIVITYPUB_ENABLED).")
    payload = delivery.payload
    activity = payload.get("activity") or build_activity(payload)
    if activity is None:
        return  # what it was about is gone or no longer public: nothing to send
    inbox = payload["inbox"]
    if Block.objects.blocking(inbox).exists():
        raise outbox.GiveUp(f"{host_of(inbox)} is blocked.")
    host, _ = RemoteHost.objects.get_or_create(domain=host_of(inbox))
    now = timezone.now()
    if host.retry_at and host.retry_at > now:
        raise HostWaiting(f"{host.domain} failed recently; waiting until {host.retry_at.isoformat()}.")
    try:
        send(inbox, activity, username=payload["username"], host=host)
    except http.Unavailable:
        host.failures += 1
        host.retry_at = now + outbox.backoff(host.failures)
        host.save(update_fields=["failures", "retry_at"])
        raise
    except http.Refused as error:
        if error.status == 410 and forget_followers_at(inbox):
            raise outbox.GiveUp(f"{error} The account is gone: its follows were removed.") from None
        raise outbox.GiveUp(str(error)) from None
    if host.failures or host.retry_at:
        host.failures, host.retry_at = 0, None
        host.save(update_fields=["failures", "retry_at"])


def forget_followers_at(inbox):
    """An account's own inbox answered 410 Gone: the account is deleted, so it follows no
    one here any more (as Mastodon forgets accounts whose server says they are gone). A
    shared inbox speaks for a whole server, not one account, and removes no one. Returns
    how many follows were removed."""
    removed, _ = Follower.objects.filter(actor__inbox=inbox).delete()
    if removed:
        logger.info("Removed %s follows of the account whose inbox %s answered 410 Gone.", removed, inbox)
    return removed


def build_activity(payload):
    """The activity a delivery carries, from what its post or comment is now; None if nothing."""
    username, verb = payload["username"], payload["verb"]
    if "comment_id" in payload and verb == "Delete":
        note_id = documents.note_id(payload["comment_id"])
        return documents.activity(
            "Delete", activity_id=f"{note_id}#delete", username=username,
            obj={"id": note_id, "type": "Tombstone"},
            to=[documents.AS_PUBLIC], cc=[documents.followers_id(username)],
        )
    if "comment_id" in payload:
        comment = Comment.objects.filter(pk=payload["comment_id"]).select_related("parent", "post").first()
        if comment is None or not comment.is_visible or not comment.post.is_published:
            return None
        mention = RemoteReply.objects.filter(comment_id=comment.parent_id).select_related("actor").first()
        note = documents.note(comment, username=username, mention=mention.actor if mention else None)
        return documents.activity(
            "Create", activity_id=f"{note['id']}#create", username=username, obj=note,
            to=note["to"], cc=note["cc"],
        )
    article_id = documents.article_id(payload["post_id"])
    activity_id = f"{article_id}#{verb.lower()}-{payload['stamp']}"
    to, cc = [documents.AS_PUBLIC], [documents.followers_id(username)]
    if verb == "Delete":
        return documents.activity(
            "Delete", activity_id=activity_id, username=username,
            obj={"id": article_id, "type": "Tombstone"}, to=to, cc=cc,
        )
    post = Post.objects.published().filter(pk=payload["post_id"]).select_related("author").first()
    if post is None:
        return None
    if verb in ("Create", "Announce") and _stamp(post.published_at) != payload["published"]:
        return None  # rescheduled or republished since: that later Create announces it
    if verb == "Announce":
        return documents.activity(verb, activity_id=activity_id, username=username, obj=article_id,
                                  to=to, cc=cc)
    article = documents.article(post, username=accounts.publisher(post))
    return documents.activity(verb, activity_id=activity_id, username=username, obj=article, to=to, cc=cc)


def send(inbox, activity, *, username, host):
    """POST `activity`, signed as `host` takes it (draft-cavage unless it said otherwise);
    on a 401, once more in the other format, and remember the one that worked."""
    local = LocalActor.named(username)
    body = json.dumps(activity).encode()
    formats = [RemoteHost.SignatureFormat.CAVAGE, RemoteHost.SignatureFormat.RFC9421]
    if host.signature_format == RemoteHost.SignatureFormat.RFC9421:
        formats.reverse()
    for attempt, signature_format in enumerate(formats):
        sign = signatures.sign_rfc9421 if signature_format == "rfc9421" else signatures.sign_cavage
        headers = sign(method="POST", url=inbox, body=body, key_id=documents.key_id(username),
                       private_key_pem=local.private_key_pem)
        try:
            http.post(inbox, body=body, content_type=documents.ACTIVITY_JSON, headers=headers)
        except http.Refused as error:
            if attempt == 0 and unauthorized(error):
                continue
            raise
        if host.signature_format != signature_format:
            host.signature_format = signature_format
            host.save(update_fields=["signature_format"])
        return


def unauthorized(error):
    """Whether delivery/http.py refused because the server answered 401."""
    return error.status == 401


# ---------------------------------------------------------------------------------------
# Signals

_STATE = "federation_stored_state"


def _remember_post(sender, instance, **kwargs):
    if {"status", "published_at"} & instance.get_deferred_fields():
        return
    instance.__dict__[_STATE] = (
        (instance.status, instance.published_at, instance.is_published) if instance.pk else None
    )


def _post_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = instance.__dict__.get(_STATE)
    status, published_at, visible = before or (None, None, False)
    post_changed(
        instance,
        was_visible=visible,
        was_published_at=published_at,
        was_published=status == Post.Status.PUBLISHED,
    )
    _remember_post(sender, instance)


def _post_deleted(sender, instance, **kwargs):
    before = instance.__dict__.get(_STATE)
    post_deleted(instance, was_visible=bool(before and before[2]))


def _comment_saved(sender, instance, created, raw=False, **kwargs):
    if raw or instance.user_id is None or instance.parent_id is None:
        return  # only staff replies are sent, and they are replies with an account
    if instance.status == Comment.Status.APPROVED:
        staff_reply_approved(instance)
    elif instance.status in Comment.REMOVED:
        staff_reply_removed(instance)


def connect():
    post_init.connect(_remember_post, sender=Post, dispatch_uid="federation.post.init")
    post_save.connect(_post_saved, sender=Post, dispatch_uid="federation.post.save")
    post_delete.connect(_post_deleted, sender=Post, dispatch_uid="federation.post.delete")
    post_save.connect(_comment_saved, sender=Comment, dispatch_uid="federation.comment.save")
