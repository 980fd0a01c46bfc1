import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
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

    def in_thread(self, post, *, own_ids=()):
        """Everything a post's thread may show, for one query.

        Approved comments; rejected and spam ones that have replies (they may hold the
        place of approved replies, shown as "comment removed"; threads.py drops those
        that turn out to hold none); and the reader's own comments not yet approved
        (`own_ids`, from their session), which only they see.
        """
        return self.filter(self._shown_in_thread(own_ids), post=post)

    def in_threads(self, posts, *, own_ids=()):
        """in_thread() for several posts at once (e.g. to link a feed's comments)."""
        return self.filter(self._shown_in_thread(own_ids), post__in=posts)

    @staticmethod
    def _shown_in_thread(own_ids):
        removed = Q(status__in=Comment.REMOVED) & Exists(
            Comment.objects.filter(parent=OuterRef("pk"))
        )
        shown = Q(status=Comment.Status.APPROVED) | removed
        if own_ids:
            shown |= Q(pk__in=list(own_ids), status__in=Comment.AWAITING)
        return shown

    def count_visible_by_post(self, posts):
        """{post id: number of approved comments} for many posts in one query."""
        rows = (
            self.visible()
            .filter(post__in=posts)
            .values_list("post")
            .annotate(count=models.Count("id"))
            .order_by()
        )
        return dict(rows)


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

    # Not shown to readers but kept: a rejected or spam comment with approved replies
    # stands in the thread as "comment removed".
    REMOVED = (Status.REJECTED, Status.SPAM)
    # What its author sees as "awaiting moderation": a comment the rules took for spam
    # is not announced as such to whoever wrote it.
    AWAITING = (Status.PENDING, Status.SPAM)

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
    # A digest of post, parent, email and body for comments sent through the form: the
    # database refuses a second identical submission even when both arrive at once.
    # Empty for imported comments, which may legitimately repeat.
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # The spam filter's view (comments/spamfilter.py): the probability it gave, on arrival,
    # that this is spam, and the words that weighed most ("“subscribe”; link to x.com").
    # Kept as they were, to be compared with the moderator's decision later.
    spam_score = models.FloatField(null=True, blank=True, editable=False)
    spam_reasons = models.CharField(max_length=200, blank=True, editable=False)
    # What the filter has learned from this comment, so that a moderator who changes their
    # mind makes it unlearn exactly that: "wanted" (approved), "unwanted" (spam), or "".
    spam_learned = models.CharField(max_length=10, blank=True, editable=False)
    # Sent to the spam folder by the filter itself (not learned from: it is not a decision
    # of the site's moderators, but it counts in the filter's record until one reverses it).
    spam_filtered = models.BooleanField(default=False, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["post", "status", "created_at"], name="comment_thread_idx"),
            models.Index(fields=["status", "created_at"], name="comment_queue_idx"),
            models.Index(fields=["author_email", "status"], name="comment_email_idx"),
            # The flood rule: recent comments from one address.
            models.Index(fields=["ip_address", "created_at"], name="comment_ip_idx"),
            # The spam filter's record: the latest decisions it learned from.
            models.Index(
                fields=["-moderated_at"],
                condition=~Q(spam_learned="") | Q(spam_filtered=True),
                name="comment_spam_record_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=~Q(fingerprint=""),
                name="comment_unique_submission",
            ),
        ]
        permissions = [("moderate_comment", "Can approve, reject and mark comments as spam")]

    def __str__(self):
        return f"{self.author_name} on {self.post}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        # A moderation decision saves only its own fields: no need to look up the parent
        # or render the body again.
        if update_fields is None or "parent" in update_fields:
            self.depth = self.parent.depth + 1 if self.parent_id else 0
        if update_fields is None or "body" in update_fields:
            self.body_html = markdown.render_comment(self.body)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.parent_id and self.post_id and self.parent.post_id != self.post_id:
            raise ValidationError({"parent": "A reply must be on the same post as its parent."})
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": "A comment cannot reply to itself."})

    def get_absolute_url(self):
        """The page of the thread that holds this comment (threads are paginated)."""
        from comments import threads  # threads builds on this module

        return threads.permalink(self)

    @staticmethod
    def web_address(url):
        """`url` if it is an http(s) address, else "": the only websites shown as links.

        The form accepts nothing else, but imports and the admin store the field without
        the form's check, and a javascript: URL in an href runs when clicked.
        """
        return url if url.lower().startswith(("http://", "https://")) else ""

    @property
    def website(self):
        return self.web_address(self.author_url)

    @property
    def is_visible(self):
        return self.status == self.Status.APPROVED

    def can_move_to(self, status):
        return status in self.TRANSITIONS[self.Status(self.status)]

    @property
    def is_removed(self):
        return self.status in self.REMOVED

    def approve(self, *, by, reason=""):
        self._move_to(self.Status.APPROVED, by=by, reason=reason)

    def reject(self, *, by, reason=""):
        self._move_to(self.Status.REJECTED, by=by, reason=reason)

    def mark_spam(self, *, by, reason=""):
        self._move_to(self.Status.SPAM, by=by, reason=reason)

    def _move_to(self, status, *, by, reason=""):
        """Move to `status` and log it; `by` is None when the moderation rules decided."""
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
                reason=reason[:200],
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
    # Why, when the moderation rules decided (moderator is then empty).
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return f"{self.comment_id}: {self.from_status} → {self.to_status}"


class ModerationKeyword(models.Model):
    """A word or phrase that holds a comment for a moderator.

    Looked for, ignoring case, in the name, email, website and body, the IP address and
    the user agent.
    """

    word = models.CharField(
        max_length=100,
        unique=True,
        help_text="Comments containing this (in any field, the IP or the browser) wait for "
        "a moderator. Case does not matter.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["word"]

    def __str__(self):
        return self.word

    def clean(self):
        self.word = self.word.strip().lower()
        if not self.word:
            raise ValidationError({"word": "Enter a word or phrase."})

    def save(self, *args, **kwargs):
        self.word = self.word.strip().lower()
        super().save(*args, **kwargs)


class BlocklistEntry(models.Model):
    """A word, email address or IP address whose comments go straight to spam."""

    class Kind(models.TextChoices):
        WORD = "word", "Word or phrase"
        EMAIL = "email", "Email address or @domain"
        IP = "ip", "IP address or network"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(
        max_length=EMAIL_MAX_LENGTH,
        help_text="A word (found anywhere, ignoring case), an email address (or @example.com "
        "for a whole domain), or an IP address (or network, such as 203.0.113.0/24).",
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name_plural = "blocklist entries"
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="blocklist_unique_entry"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    def clean(self):
        self.value = self.value.strip().lower()
        if not self.value:
            raise ValidationError({"value": "Enter what to block."})
        if self.kind == self.Kind.EMAIL:
            address = f"x{self.value}" if self.value.startswith("@") else self.value
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {"value": "Enter an email address, or @ and a domain such as @example.com."}
                ) from None
        elif self.kind == self.Kind.IP:
            try:
                ipaddress.ip_network(self.value, strict=False)
            except ValueError:
                raise ValidationError(
                    {"value": "Enter an IP address, or a network such as 203.0.113.0/24."}
                ) from None

    def save(self, *args, **kwargs):
        self.value = self.value.strip().lower()
        super().save(*args, **kwargs)

    def matches_email(self, email):
        email = email.lower()
        if self.value.startswith("@"):
            return email.endswith(self.value)
        return email == self.value

    def matches_ip(self, address):
        try:
            return ipaddress.ip_address(address) in ipaddress.ip_network(self.value, strict=False)
        except (TypeError, ValueError):
            return False


class SpamToken(models.Model):
    """How many approved (wanted) and spam (unwanted) comments held a token.

    The spam filter's whole memory (comments/spamfilter.py): counts learned from
    moderators' decisions, nothing else. The row whose token is empty counts the comments
    themselves.
    """

    token = models.CharField(max_length=100, unique=True)
    wanted = models.PositiveIntegerField(default=0)
    unwanted = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.token or '(comments)'}: {self.wanted} wanted, {self.unwanted} spam"
