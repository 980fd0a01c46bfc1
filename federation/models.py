"""What federation keeps: our actors' keys, the remote actors we know, who follows us,
what the fediverse did to our posts, which activities we have seen, and what we refuse.

Remote data is a cache of what remote servers said: each row names the remote object by
its id (a URL), and nothing here is rendered without going through the comment sanitizer.
"""

import hashlib
import ipaddress
import re
from datetime import timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from blog.models import Post
from comments.models import Comment
from delivery import http

URL_MAX_LENGTH = 2000
KEY_SIZE = 2048


def host_of(url):
    """The host of `url` as DNS spells it (delivery.http.dns_name): what blocks, rate
    limits and "is this document from its own host" compare, so that no other spelling of
    a host (a final dot, capitals, an international name) escapes them. "" if it has none,
    or none DNS could resolve."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return http.dns_name(host) if host else ""


class LocalActor(models.Model):
    """One of our actors (the blog) and its RSA key pair, made on first use."""

    username = models.CharField(max_length=150, unique=True)
    private_key_pem = models.TextField(editable=False)
    public_key_pem = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self):
        return self.username

    @classmethod
    def blog(cls):
        return cls.named(settings.ACTIVITYPUB_BLOG_USERNAME)

    @classmethod
    def named(cls, username):
        """The actor with this username, its key pair generated the first time it is asked for."""
        actor = cls.objects.filter(username=username).first()
        if actor is not None:
            return actor
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        try:
            with transaction.atomic():
                return cls.objects.create(
                    username=username, private_key_pem=private_pem, public_key_pem=public_pem
                )
        except IntegrityError:
            # Another request made it at the same moment: theirs is the one.
            return cls.objects.get(username=username)


class RemoteActor(models.Model):
    """A remote actor as its server last described it (fetched through delivery/http.py)."""

    uri = models.URLField(max_length=URL_MAX_LENGTH, unique=True)
    domain = models.CharField(max_length=255, db_index=True)
    inbox = models.URLField(max_length=URL_MAX_LENGTH)
    shared_inbox = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    key_id = models.URLField(max_length=URL_MAX_LENGTH, db_index=True)
    public_key_pem = models.TextField()
    name = models.CharField(max_length=200, blank=True)
    username = models.CharField(max_length=200, blank=True)
    # Its profile page (the actor's `url`, else its id): shown as the commenter's website.
    profile_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "remote actor"

    def __str__(self):
        return self.handle

    @property
    def handle(self):
        return f"@{self.username}@{self.domain}" if self.username else self.uri

    @property
    def display_name(self):
        return self.name or (f"{self.username}@{self.domain}" if self.username else self.domain)

    @property
    def delivery_inbox(self):
        """Where activities for many recipients on its server go: its shared inbox if it has one."""
        return self.shared_inbox or self.inbox


class Follower(models.Model):
    local_actor = models.ForeignKey(LocalActor, on_delete=models.CASCADE, related_name="followers")
    actor = models.ForeignKey(RemoteActor, on_delete=models.CASCADE, related_name="following")
    # The Follow activity's id, which its Undo names.
    follow_id = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["local_actor", "actor"], name="federation_follower_once")
        ]

    def __str__(self):
        return f"{self.actor} follows {self.local_actor}"


class ReactionQuerySet(models.QuerySet):
    def counts_for(self, post):
        """{"like": n, "announce": n} for one post, in one query."""
        rows = self.filter(post=post).values_list("kind").annotate(n=models.Count("id")).order_by()
        counts = {kind: 0 for kind in Reaction.Kind.values}
        counts.update(dict(rows))
        return counts


class Reaction(models.Model):
    """A Like or an Announce (boost) of one of our posts: one of each per actor."""

    class Kind(models.TextChoices):
        LIKE = "like", "Like"
        ANNOUNCE = "announce", "Boost"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    actor = models.ForeignKey(RemoteActor, on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    activity_id = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReactionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "actor", "kind"], name="federation_reaction_once")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.post} by {self.actor}"


class RemoteReply(models.Model):
    """Which remote actor wrote a comment that came from the fediverse: only they may
    change or delete it, and a moderator's reply to it is sent to them."""

    comment = models.OneToOneField(
        Comment, on_delete=models.CASCADE, primary_key=True, related_name="fediverse_reply"
    )
    actor = models.ForeignKey(RemoteActor, on_delete=models.CASCADE, related_name="replies")

    class Meta:
        verbose_name_plural = "remote replies"

    def __str__(self):
        return f"{self.actor} wrote comment {self.comment_id}"


class ReceivedActivity(models.Model):
    """An activity id already handled: a replayed or redelivered activity is not applied twice.

    Stored as a digest, so an id of any length fits a unique index on every database.
    Kept for RETENTION, far longer than a signature stays fresh (a replay needs a fresh
    one) and than servers retry a delivery; what comes later again is harmless anyway (a
    note already stored, a follow or a like already counted).
    """

    RETENTION = timedelta(days=14)

    digest = models.CharField(max_length=64, unique=True)
    activity_id = models.URLField(max_length=URL_MAX_LENGTH)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    @staticmethod
    def digest_of(activity_id):
        return hashlib.sha256(activity_id.encode()).hexdigest()

    @classmethod
    def first_time(cls, activity_id):
        """Record `activity_id`; False if it was recorded before. Forgets expired ids."""
        cls.objects.filter(received_at__lt=timezone.now() - cls.RETENTION).delete()
        try:
            with transaction.atomic():
                cls.objects.create(digest=cls.digest_of(activity_id), activity_id=activity_id)
        except IntegrityError:
            return False
        return True


class BlockQuerySet(models.QuerySet):
    def blocking(self, url):
        """The blocks that cover the actor or object at `url`: its exact id, or its host
        or a parent domain of it (blocking example.social blocks a.example.social too)."""
        host = host_of(url)
        parts = host.split(".")
        domains = {".".join(parts[i:]) for i in range(len(parts))} if host else set()
        return self.filter(
            Q(kind=Block.Kind.ACTOR, value=url) | Q(kind=Block.Kind.INSTANCE, value__in=domains)
        )


class Block(models.Model):
    """A moderator's refusal of a whole instance (a domain and its subdomains) or one actor.

    Activities from what it covers are refused (403), its followers get nothing.
    """

    class Kind(models.TextChoices):
        INSTANCE = "instance", "Instance (domain and its subdomains)"
        ACTOR = "actor", "Actor (its exact id)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(
        max_length=URL_MAX_LENGTH,
        help_text="A domain such as spam.example, or an actor's id such as "
        "https://spam.example/users/someone.",
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = BlockQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="federation_block_once")]

    def __str__(self):
        return f"{self.get_kind_display().split(' ')[0]} {self.value}"

    def clean(self):
        # Normalized before the unique constraint is checked, so that a second spelling
        # of a blocked instance is a form error rather than an IntegrityError at save.
        self.normalize()
        if self.kind == self.Kind.INSTANCE and not is_host_name(self.value):
            raise ValidationError({"value": "Enter a domain such as spam.example, without https://, "
                                            "a path, a port, an @ or a * (its subdomains are blocked too)."})
        if self.kind == self.Kind.ACTOR and not is_actor_id(self.value):
            raise ValidationError({"value": "Enter the actor's id, an address such as "
                                            "https://spam.example/users/someone."})

    def save(self, *args, **kwargs):
        self.normalize()
        super().save(*args, **kwargs)

    def normalize(self):
        """The value as blocking() compares it: an instance as host_of() gives hosts (lower
        case, no final dot, an international name in its xn-- form)."""
        self.value = self.value.strip()
        if self.kind == self.Kind.INSTANCE:
            # A leading dot (".spam.example", as block lists write "and its subdomains")
            # adds nothing: subdomains are blocked anyway.
            # What is no name at all is kept as typed, for clean() to refuse.
            self.value = http.dns_name(self.value.lstrip(".")) or self.value.lower()


_HOST_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*")


def is_host_name(value):
    """Whether `value` is a host as host_of() gives it: a domain name or an IP address."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(_HOST_NAME.fullmatch(value))
    return True


def is_actor_id(value):
    """Whether `value` can be an actor's id, as activities name it: an http(s) address."""
    return (value.lower().startswith(("http://", "https://")) and bool(host_of(value))
            and not any(character.isspace() for character in value))


class RemoteHost(models.Model):
    """What we learned delivering to one host: which signature it takes, and whether it
    is failing (its deliveries then wait together instead of each hammering it)."""

    class SignatureFormat(models.TextChoices):
        CAVAGE = "cavage", "draft-cavage (Mastodon's)"
        RFC9421 = "rfc9421", "RFC 9421"

    domain = models.CharField(max_length=255, unique=True)
    signature_format = models.CharField(max_length=10, choices=SignatureFormat.choices, blank=True)
    failures = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.domain
