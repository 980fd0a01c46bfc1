"""What was received from other sites (Mention) and what was sent to them (Outgoing)."""

from django.db import models
from django.utils import timezone

from blog.models import Post

URL_MAX_LENGTH = 2000


class Mention(models.Model):
    """A Webmention received for one of our posts from one source page.

    One row per (post, source): a Webmention sent again for the same source is the same
    mention, checked again (its `receipts` count says how often it came). Its comment is
    what readers and moderators see; this row keeps what the comment does not: the target
    it named, what kind of mention it is, and what the last check found.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        MENTION = "mention", "Mention"
        LIKE = "like", "Like"
        REPOST = "repost", "Repost"
        BOOKMARK = "bookmark", "Bookmark"

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to be checked"
        ACCEPTED = "accepted", "Checked: links here"
        NO_LINK = "no-link", "Checked: does not link here"
        GONE = "gone", "Source gone (withdrawn)"
        REFUSED = "refused", "Source could not be used"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    source = models.URLField(max_length=URL_MAX_LENGTH)
    target = models.URLField(max_length=URL_MAX_LENGTH)
    # The comment it became; null until a check found a link (and after a moderator deletes it).
    comment = models.OneToOneField(
        "comments.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="webmention"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MENTION)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    # What the last check found, in words, for moderators ("no link to the post", "HTTP 410").
    detail = models.CharField(max_length=300, blank=True)
    receipts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "source"], name="webmention_one_per_source"),
        ]

    def __str__(self):
        return f"{self.source} → {self.post}"


class Outgoing(models.Model):
    """A page one of our posts links (or linked) to, and what sending it a Webmention did.

    `linked` says whether the post's current text still links there: a link removed by an
    edit is notified once more (the receiver then finds it gone) and kept as not linked;
    so is every page told of the post when it is unpublished or deleted.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="outgoing_mentions")
    target = models.URLField(max_length=URL_MAX_LENGTH)
    linked = models.BooleanField(default=True)
    # When a Webmention last reached it (None: not yet, or since told the post went away).
    sent_at = models.DateTimeField(null=True, blank=True)
    # How many times it was told the post went away (unpublished): a new publication of
    # the same text is a new announcement, under a new key.
    round = models.PositiveIntegerField(default=0)
    # The last outcome: "sent (HTTP 202)", "no Webmention endpoint", "refused: ...".
    outcome = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "target"]
        verbose_name = "outgoing webmention"
        constraints = [
            models.UniqueConstraint(fields=["post", "target"], name="webmention_one_per_target"),
        ]

    def __str__(self):
        return f"{self.post} → {self.target}"
