"""Receiving Webmentions (W3C Recommendation, section 3.2): accept, then verify later.

The endpoint (views.py) only checks what it can without another server: `check()` says
whether `source` and `target` may be a Webmention for one of our published posts, and
`accept()` records it and queues its verification. The worker then fetches the source
(`verify`, the "webmention-in" delivery channel): it must link to the target; its h-entry
gives the author, the text and whether it replies; and it becomes a Comment that goes
through the same moderation as one sent with the form (comments/moderation.py), is
revised the same way when sent again, and withdrawn (comments/privacy.py) when its source
is gone or no longer links here.

Why a delivery channel rather than a bare task: fetching another server is exactly what
the queue's channels are for. A source that is down is retried with backoff, a worker
killed mid-check loses nothing, and a check that never succeeds is visible (and can be
retried) in the admin's Deliveries, all without code of our own.
"""

from datetime import date, datetime, time, timedelta
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils import timezone

from blog import ratelimit
from blog.models import Post
from comments import moderation, privacy
from comments.models import BODY_MAX_LENGTH, NAME_MAX_LENGTH, URL_MAX_LENGTH, Comment
from delivery import http, outbox
from delivery.models import Delivery
from webmention import parsing
from webmention.models import URL_MAX_LENGTH as MENTION_URL_MAX_LENGTH
from webmention.models import Mention

CHANNEL = "webmention-in"
HTML_TYPES = ("text/html", "application/xhtml+xml")
_validate_url = URLValidator(schemes=["http", "https"])

# What a mention without words of its own says in the thread.
WORDLESS = {
    Mention.Kind.LIKE: "Liked this post.",
    Mention.Kind.REPOST: "Shared this post.",
    Mention.Kind.BOOKMARK: "Bookmarked this post.",
}


class Invalid(Exception):
    """Not a Webmention we accept; the message says why (the endpoint's 400)."""


class TooMany(Exception):
    """Too many Webmentions from this source's host lately; `retry_after` seconds."""

    def __init__(self, retry_after):
        super().__init__(retry_after)
        self.retry_after = retry_after


def endpoint_url():
    """The endpoint's absolute address, the same for every reader (pages are shared)."""
    from django.urls import reverse

    return settings.SITE_URL + reverse("webmention:endpoint")


def check(source, target):
    """The published post `target` names, if `source`/`target` may be a Webmention for it.

    Raises Invalid with the reason otherwise. Costs one query (the post), one more when the
    source is on our site too, and one more when the post no longer takes comments (an
    existing mention may still be updated or withdrawn).
    """
    for name, value in (("source", source), ("target", target)):
        if not value:
            raise Invalid(f"The {name} is missing: send source and target, form-encoded.")
        if len(value) > MENTION_URL_MAX_LENGTH:
            raise Invalid(f"The {name} is longer than {MENTION_URL_MAX_LENGTH} characters.")
        try:
            _validate_url(value)
        except ValidationError:
            raise Invalid(f"The {name} must be an http or https URL.") from None
        # URLValidator lets control characters through in the path.
        if parsing.NOT_IN_URL.search(value):
            raise Invalid(f"The {name} holds a space or a control character: percent-encode them.")
        # What Django could not decode as UTF-8 it replaced with U+FFFD: not what was sent.
        if "\ufffd" in value:
            raise Invalid(f"The {name} is not UTF-8: send it percent-encoded as UTF-8.")
        if site(value) is None:
            raise Invalid(f"The {name}'s host is not a valid domain name.")
    if source.split("#")[0] == target.split("#")[0]:
        raise Invalid("The source and the target are the same URL.")
    post = post_at(target)
    if post is None:
        raise Invalid("The target is not a published post of this site.")
    # Its page links to itself (the canonical link): checked, the post would mention itself.
    if post_at(source) == post:
        raise Invalid("The source is the target post itself, at another form of its address.")
    if not moderation.comments_open(post) and not Mention.objects.filter(post=post, source=source).exists():
        raise Invalid("This post no longer takes comments or mentions.")
    return post


def site(url):
    """The host of `url` as DNS knows it (an IDN, its punycode, any case, with or without
    the final dot are one site), or None when no DNS name could be made of it."""
    return http.dns_name(urlsplit(url).hostname or "") or None


def post_at(url):
    """The published post whose permalink `url` is (with or without its trailing slash,
    query or fragment), or None. Our host only: SITE_URL's, over http or https."""
    parts = urlsplit(url)
    ours = urlsplit(settings.SITE_URL)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != ours.netloc.lower():
        return None
    path = unquote(parts.path) or "/"
    for candidate in (path, path if path.endswith("/") else path + "/"):
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if match.view_name == "blog:post-detail":
            return _published_post(**match.kwargs)
    return None


def _published_post(*, year, month, day, slug):
    """The lookup of the post page (blog:post-detail): its slug on its local day."""
    try:
        day_start = timezone.make_aware(datetime.combine(date(int(year), int(month), int(day)), time.min))
    except (ValueError, OverflowError):
        return None
    return (
        Post.objects.published()
        .filter(slug=slug, published_at__gte=day_start, published_at__lt=day_start + timedelta(days=1))
        .first()
    )


def accept(source, target, post):
    """Record a Webmention that passed check() and queue its verification.

    Raises TooMany when the source's host sent more than settings.RATE_LIMITS
    ["webmention-source"] lately. A mention sent again while its last check still waits
    queues nothing more: that check reads the source as it will be then.
    """
    retry_after = ratelimit.hit_key("webmention-source", site(source))
    if retry_after is not None:
        raise TooMany(retry_after)
    with transaction.atomic():
        mention, created = Mention.objects.get_or_create(
            post=post, source=source, defaults={"target": target}
        )
        prefix = f"{CHANNEL}:{mention.pk}:"
        if not created and Delivery.objects.filter(key__startswith=prefix, status=Delivery.Status.WAITING).exists():
            return mention
        mention.target = target
        mention.receipts += 1
        mention.received_at = timezone.now()
        if created or mention.state != Mention.State.ACCEPTED:
            mention.state = Mention.State.WAITING
        mention.save(update_fields=["target", "receipts", "received_at", "state"])
        outbox.enqueue(
            CHANNEL,
            key=f"{prefix}{mention.receipts}",
            recipient=source,
            summary=f"Check the Webmention from {source}",
            payload={"mention": mention.pk},
        )
    return mention


@outbox.channel(CHANNEL)
def verify(delivery):
    """Fetch the source and make, update or withdraw its comment (the worker runs this)."""
    mention = Mention.objects.select_related("post", "comment").filter(pk=delivery.payload.get("mention")).first()
    if mention is None:
        return  # its post was deleted
    if not settings.WEBMENTION_ENABLED:
        return _record(mention, Mention.State.REFUSED, "not checked: Webmentions are turned off")
    if not mention.post.is_published:
        return _record(mention, Mention.State.REFUSED, "not checked: the post is no longer published")
    # A fediverse Note's id is often a web page too: whoever sends it as a source must not
    # rewrite the comment that Note is (both are found by post and remote_id).
    other = Comment.objects.filter(post=mention.post, remote_id=mention.source).exclude(
        origin=Comment.Origin.WEBMENTION).first()
    if other is not None:
        return _record(mention, Mention.State.REFUSED,
                       f"not checked: this address is a comment from {other.get_origin_display()}")
    try:
        page = http.fetch(mention.source, max_bytes=settings.WEBMENTION_MAX_BYTES, content_types=HTML_TYPES)
    except http.Gone as error:
        _withdraw(mention)
        return _record(mention, Mention.State.GONE, f"source gone: {error}")
    except http.Refused as error:
        return _record(mention, Mention.State.REFUSED, str(error))
    except http.Unavailable as error:
        # The queue tries again later, until it gives up; the Mention says why it waits,
        # then how it ended, as the delivery does.
        if timezone.now() >= delivery.give_up_at:
            _record(mention, Mention.State.REFUSED, f"not reached in time, given up: {error}")
            raise outbox.GiveUp(str(error)) from None
        _record(mention, mention.state, f"not reached, tried again later: {error}")
        raise
    try:
        soup = parsing.document(page.content)
        if not parsing.links_to(soup, page.url, mention.target):
            _withdraw(mention)
            return _record(mention, Mention.State.NO_LINK, "the source does not link to the post")
        entry = parsing.read_entry(soup, page.url, mention.target)
    except parsing.Unreadable as error:
        return _record(mention, Mention.State.REFUSED, f"the source is {error}")
    with transaction.atomic():
        detail = _store(mention, entry)
        mention.kind = entry.kind
        _record(mention, Mention.State.ACCEPTED, detail)


def _record(mention, state, detail):
    mention.state = state
    mention.detail = detail[:300]
    mention.checked_at = timezone.now()
    mention.save(update_fields=["state", "detail", "checked_at", "kind", "comment"])


def _withdraw(mention):
    """The source is gone or no longer links here: its comment goes, as its author's deletion."""
    comment = mention.comment
    if comment is not None and not _withdrawn(comment):
        privacy.withdraw(comment)


def _withdrawn(comment):
    return comment.status == Comment.Status.REJECTED and comment.held_reason == privacy.WITHDRAWN_REASON


def _store(mention, entry):
    """Make or update the mention's comment from `entry`; says what happened."""
    post, source = mention.post, mention.source
    name = (entry.author_name or urlsplit(source).hostname or "someone")[:NAME_MAX_LENGTH]
    author_url = next((u for u in (entry.author_url, source) if u and len(u) <= URL_MAX_LENGTH), "")
    text = entry.content or WORDLESS.get(entry.kind) or (
        f"Mentioned this post in “{entry.title}”." if entry.title else "Mentioned this post."
    )
    body = parsing.markdown_safe(text, limit=BODY_MAX_LENGTH)
    anonymous = AnonymousUser()
    # A comment this source made before its Mention row was deleted (the admin may) is
    # still the same remote object: one per post and source.
    comment = mention.comment or Comment.objects.filter(post=post, remote_id=source).first()
    mention.comment = comment
    if comment is None:
        now = timezone.now()
        written = entry.published if entry.published and post.published_at <= entry.published <= now else now
        comment = Comment(
            post=post, author_name=name, author_url=author_url, body=body, created_at=written,
            origin=Comment.Origin.WEBMENTION, remote_id=source,
        )
        try:
            comment, _ = moderation.receive(comment, user=anonymous)
        except moderation.Flooding:  # needs an IP or email, which a mention has neither of
            raise RuntimeError("refused as flooding; tried again later") from None
        mention.comment = comment
        return _outcome(comment)
    if comment.status == Comment.Status.REJECTED and not _withdrawn(comment):
        return "rejected by a moderator: the new text was not applied"
    comment.edit(by=None, author_name=name, author_url=author_url)
    if body != comment.body:
        try:
            moderation.revise(comment, body, user=anonymous)
        except moderation.DuplicateEdit:
            return "the new text repeats another comment: not applied"
        return "updated; " + _outcome(comment)
    return "checked again: unchanged"


def _outcome(comment):
    if comment.status == Comment.Status.APPROVED:
        return "published"
    if comment.status == Comment.Status.SPAM:
        return f"spam: {comment.held_reason}"
    return f"held for a moderator: {comment.held_reason}"
