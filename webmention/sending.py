"""Sending Webmentions (W3C Recommendation, section 3.1) for the links of our posts.

When a person publishes or edits a post, every external http(s) page its text links to is
queued one delivery of the "webmention" channel, in the transaction of the save; so is
every page an edit stopped linking to (the Recommendation: notify on update and deletion).
A scheduled post's deliveries wait until it appears (`not_before`), and check when they
run that the post is out and still the version they were queued for. The key names the
post, the target and the version of the text, so a retry never sends twice and saving an
unchanged post sends nothing new. When a post that pages were told of is unpublished or
deleted, they are told once more (`withdraw()`): they find it gone and drop the mention.

Why a signal on Post rather than a call in each code path: `blog` must not import this
app, and the paths that publish (the admin's form and its bulk actions, "publish now",
restoring a revision) all save inside a revision block (blog/revisions.py `saving()`).
That is the rule: a save inside a revision block is a person's publication or edit, and is
announced; an import's saves are not, so importing an old blog sends nothing to the pages
its old posts link to. The signal only writes rows to our database; the worker does the
talking.

The channel discovers the target's endpoint (the HTTP Link header first, then the first
<link> or <a> with rel="webmention"), and POSTs source and target to it, form-encoded,
through delivery/http.py (public addresses only). A page without an endpoint is nothing to
send, not a failure; a server that is down is retried by the queue.
"""

import hashlib
from urllib.parse import urldefrag, urlencode, urlsplit

import reversion
from django.conf import settings
from django.db.models.signals import post_save, pre_delete
from django.utils import timezone
from requests.utils import parse_header_links

from blog.models import Post
from delivery import http, outbox
from delivery.models import Delivery
from webmention import parsing
from webmention.models import URL_MAX_LENGTH, Outgoing
from webmention.receiving import HTML_TYPES

CHANNEL = "webmention"


def connect():
    post_save.connect(announce, sender=Post, dispatch_uid="webmention.announce")
    pre_delete.connect(withdraw, sender=Post, dispatch_uid="webmention.withdraw")


def is_ours(url):
    return urlsplit(url).netloc.lower() == urlsplit(settings.SITE_URL).netloc.lower()


def permalink(post):
    return settings.SITE_URL + post.get_absolute_url()


def version(post):
    """What a notification is about: the text and the date it appears (a rescheduled
    post's waiting deliveries give way to new ones)."""
    text = f"{post.published_at.isoformat() if post.published_at else ''}\n{post.body_html}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def links_in(post):
    """The external http(s) pages the post's text links to, in order, each once."""
    base = permalink(post)
    found = {}
    for element in parsing.document(post.body_html).find_all("a", href=True):
        url = parsing.web_address(urldefrag(parsing.resolve(base, element["href"])).url)
        if url and len(url) <= URL_MAX_LENGTH and not is_ours(url):
            found.setdefault(url, None)
    return list(found)


def announce(sender, instance, raw=False, **kwargs):
    """Queue the Webmentions a person's save of a published or scheduled post calls for."""
    post = instance
    if raw or not settings.WEBMENTION_ENABLED or not reversion.is_active():
        return
    if post.status != Post.Status.PUBLISHED or post.published_at is None:
        return withdraw(sender, post)
    try:
        current = links_in(post)
    except parsing.Unreadable:
        return  # our own sanitized HTML, nested past any real post: nothing sensible to send
    rows = {row.target: row for row in Outgoing.objects.filter(post=post)}
    now = timezone.now()
    # Pages told of a link that is gone hear once more; before the post appears nobody
    # was told, so nobody needs telling.
    removed = [t for t, row in rows.items() if row.linked and t not in current] if post.is_published else []
    for target in current:
        row = rows.get(target)
        if row is None:
            Outgoing.objects.create(post=post, target=target)
        elif not row.linked:
            Outgoing.objects.filter(pk=row.pk).update(linked=True, updated_at=now)
    Outgoing.objects.filter(post=post, linked=True).exclude(target__in=current).update(linked=False, updated_at=now)
    due = post.published_at if post.published_at > now else None
    text_version = version(post)
    rounds = dict(Outgoing.objects.filter(post=post).values_list("target", "round"))
    keys = {target: f"{_key(post, target)}-{text_version}-{rounds.get(target, 0)}" for target in [*current, *removed]}
    # An unchanged save finds every key queued already: one query, not a failed insert each.
    queued = set(Delivery.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    for target, key in keys.items():
        if key in queued:
            continue
        outbox.enqueue(
            CHANNEL,
            key=key,
            recipient=target,
            summary=f"Tell {urlsplit(target).hostname} that “{post.title[:80]}” links to it",
            payload={"post": post.pk, "target": target, "version": text_version},
            not_before=due,
        )


def _key(post, target):
    return f"webmention-{post.pk}-{hashlib.sha256(target.encode()).hexdigest()[:32]}"


def withdraw(sender, instance, **kwargs):
    """The post is unpublished or deleted: the pages that were told of it are told again,
    so that they find it gone (404) and drop the mention (the Recommendation's deletes)."""
    post = instance
    if not settings.WEBMENTION_ENABLED or post.pk is None or post.published_at is None:
        return
    source = permalink(post)
    for row in Outgoing.objects.filter(post=post, sent_at__isnull=False):
        row.round += 1
        Outgoing.objects.filter(pk=row.pk).update(round=row.round, sent_at=None, updated_at=timezone.now())
        outbox.enqueue(
            CHANNEL,
            key=f"{_key(post, row.target)}-gone-{row.round}",
            recipient=row.target,
            summary=f"Tell {urlsplit(row.target).hostname} that “{post.title[:80]}” is gone",
            payload={"post": post.pk, "target": row.target, "source": source, "gone": True},
        )


@outbox.channel(CHANNEL)
def send(delivery):
    payload = delivery.payload
    post = Post.objects.filter(pk=payload.get("post")).first()
    if not settings.WEBMENTION_ENABLED:
        return
    if payload.get("gone"):
        if post is not None and post.is_published:
            return  # published again since: its new announcement speaks for it
        source = payload["source"]
    elif post is None or not post.is_published or version(post) != payload.get("version"):
        return  # unpublished, rescheduled or edited since: newer deliveries speak for it
    else:
        source = permalink(post)
    target = payload["target"]
    try:
        endpoint = discover(target)
    except http.Refused as error:
        return _note(post, target, f"not sent: {error}")
    if endpoint is None:
        return _note(post, target, "not sent: the page has no Webmention endpoint")
    if is_ours(endpoint) or not parsing.web_address(endpoint):
        return _note(post, target, f"not sent: the endpoint {endpoint[:200]} is not one we call")
    body = urlencode({"source": source, "target": target}).encode()
    try:
        answer = http.post(endpoint, body=body, content_type="application/x-www-form-urlencoded")
    except http.Refused as error:
        _note(post, target, f"refused: {error}")
        raise outbox.GiveUp(str(error)) from None
    _note(post, target, f"sent to {endpoint[:200]} (HTTP {answer.status})", sent=not payload.get("gone"))


def discover(url):
    """The Webmention endpoint of the page at `url`, absolute, or None.

    The HTTP Link header first, then the page's first <link> or <a> with
    rel="webmention"; relative addresses are resolved against the page's final address
    (after redirects). Raises http.Refused / http.Unavailable as fetch() does.
    """
    page = http.fetch(url, max_bytes=settings.WEBMENTION_MAX_BYTES, content_types=HTML_TYPES)
    for value in page.headers.get_all("Link") or []:
        for link in parse_header_links(value):
            # Parameter names are case-insensitive (RFC 8288): REL= is rel=.
            rel = next((value for name, value in link.items() if name.lower() == "rel"), "")
            if "webmention" in rel.lower().split():
                return parsing.resolve(page.url, link.get("url", "")) or None
    try:
        return parsing.endpoint_in(parsing.document(page.content), page.url)
    except parsing.Unreadable:
        return None


def _note(post, target, outcome, *, sent=False):
    if post is None:
        return  # deleted, and its rows with it
    # An outcome may quote the endpoint a page gave, control characters and all.
    fields = {"outcome": http.printable(outcome)[:300], "updated_at": timezone.now()}
    if sent:
        fields["sent_at"] = fields["updated_at"]
    Outgoing.objects.filter(post=post, target=target).update(**fields)
