from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from blog import markdown
from blog.models import Post

BODY_MAX_LENGTH = 5000
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
URL_MAX_LENGTH = 200


class IllegalTransition(Exception):
    """A moderation decision that the comment's current status does not allow."""


class CommentQuerySet(models.QuerySet):
    def visible(self):
        """What readers see: approved comments."""
        return self.filter(status=Comment.Status.APPROVED)

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SPAM = "spam", "Spam"

    # Which decisions may follow which: a moderator can change their mind, but nothing
    # goes back to pending, and a decision is never "made" twice.
    TRANSITIONS = {
        Status.PENDING: {Status.APPROVED, Status.REJECTED, Status.SPAM},
        Status.APPROVED: {Status.REJECTED, Status.SPAM},
        Status.REJECTED: {Status.APPROVED, Status.SPAM},
        Status.SPAM: {Status.APPROVED, Status.REJECTED},
    }

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    author_name = models.CharField(max_length=NAME_MAX_LENGTH)
    # Never shown publicly: not in pages, feeds, attributes, or emails to others.
    author_email = models.EmailField(max_length=EMAIL_MAX_LENGTH, blank=True)
    author_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    body_html = models.TextField(editable=False, default="")
    notify_on_reply = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    held_reason = models.CharField(max_length=200, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["post", "status", "created_at"], name="comment_thread_idx"),
            models.Index(fields=["status", "created_at"], name="comment_queue_idx"),
            models.Index(fields=["author_email", "status"], name="comment_email_idx"),
        ]
        permissions = [("moderate_comment", "Can approve, reject and mark comments as spam")]

    def __str__(self):
        return f"{self.author_name} on {self.post}"

    def save(self, *args, **kwargs):
        self.depth = self.parent.depth + 1 if self.parent_id else 0
        self.body_html = markdown.render_comment(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.post.get_absolute_url()}#comment-{self.pk}"

    @property
    def is_visible(self):
        return self.status == self.Status.APPROVED

    def can_move_to(self, status):
        return status in self.TRANSITIONS[self.Status(self.status)]

    def approve(self, *, by):
        self._move_to(self.Status.APPROVED, by=by)

    def reject(self, *, by):
        self._move_to(self.Status.REJECTED, by=by)

    def mark_spam(self, *, by):
        self._move_to(self.Status.SPAM, by=by)

    def _move_to(self, status, *, by):
        if not self.can_move_to(status):
            raise IllegalTransition(
                f"A comment that is {self.get_status_display().lower()} cannot be "
                f"moved to {self.Status(status).label.lower()}."
            )
        previous = self.status
        self.status = status
        self.moderated_by = by
        self.moderated_at = timezone.now()
        with transaction.atomic():
            self.save(update_fields=["status", "moderated_by", "moderated_at"])
            ModerationLog.objects.create(
                comment=self,
                moderator=by,
                from_status=previous,
                to_status=status,
                decided_at=self.moderated_at,
            )


class ModerationLog(models.Model):
    """One row per moderation decision: who, when, which comment, from what, to what."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="log")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=10, choices=Comment.Status.choices)
    to_status = models.CharField(max_length=10, choices=Comment.Status.choices)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return f"{self.comment_id}: {self.from_status} → {self.to_status}"
