import fnmatch
import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
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

    def with_latest_decision(self):
        """Each comment with its latest logged decision (edits aside): who made it (None
        when the rules did) and why, for `Comment.why`."""
        latest = (
            ModerationLog.objects.filter(comment=OuterRef("pk"))
            .exclude(from_status=F("to_status"))
            .order_by("-decided_at", "-id")
        )
        return self.annotate(
            latest_decision_by=Subquery(latest.values("moderator__username")[:1]),
            latest_decision_reason=Subquery(latest.values("reason")[:1]),
        )

    def deletable(self):
        """What moderators may delete: rejected and spam comments that no reply hangs on
        (one that does keeps the replies' place as "comment removed")."""
        return self.filter(status__in=Comment.REMOVED).exclude(
            Exists(Comment.objects.filter(parent=OuterRef("pk")))
        )

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

    # Which decisions may follow which: a moderator can change their mind, but no
    # decision sends a comment back to pending (only its author's edit may: revise()),
    # and a decision is never "made" twice.
    TRANSITIONS = {
        Status.PENDING: {Status.APPROVED, Status.REJECTED, Status.SPAM},
        Status.APPROVED: {Status.REJECTED, Status.SPAM},
        Status.REJECTED: {Status.APPROVED, Status.SPAM},
        Status.SPAM: {Status.APPROVED, Status.REJECTED},
    }

    class Origin(models.TextChoices):
        FORM = "form", "this site (its form, the queue or an import)"
        FEDIVERSE = "fediverse", "the fediverse (ActivityPub)"
        WEBMENTION = "webmention", "a Webmention"

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
    # Reply emails go only to an address proven to be the commenter's (double opt-in):
    # when the link mailed for this comment was followed, or the comment came from a
    # browser that had confirmed the address (comments/identity.py). Subscriptions older
    # than this rule were kept: migration 0004 dated them to itself.
    notify_confirmed_at = models.DateTimeField(null=True, blank=True)
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
    # When its author last changed the text (comments/editing.py); shown as "edited".
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
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
    # Where the comment came from. A remote one names the object it stands for in
    # `remote_id` (an ActivityPub Note's id, or the page that sent a Webmention), so that
    # its server's updates and deletions find it; `author_url` is then the remote author's
    # profile.
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.FORM, editable=False)
    remote_id = models.URLField(max_length=2000, blank=True, default="", editable=False)

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
            models.UniqueConstraint(
                fields=["post", "remote_id"],
                condition=~Q(remote_id=""),
                name="comment_unique_remote_object",
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
    def sends_reply_emails(self):
        """Whether replies to this comment are emailed to its author: asked, and confirmed."""
        return self.notify_on_reply and self.notify_confirmed_at is not None

    @property
    def is_removed(self):
        return self.status in self.REMOVED

    # How a moderator's decision reads in "why": "Marked as spam by mod".
    DECIDED = {
        Status.APPROVED: "Approved",
        Status.REJECTED: "Rejected",
        Status.SPAM: "Marked as spam",
    }

    @property
    def why(self):
        """Why the comment is where it is: a moderator's latest decision if a moderator made
        it (its reason, if any, after), else the rules' reason.

        Needs `CommentQuerySet.with_latest_decision()`; without it, the rules' reason.
        """
        by = getattr(self, "latest_decision_by", None)
        if by is None:
            return self.held_reason
        decided = f"{self.DECIDED.get(self.status, self.get_status_display())} by {by}"
        reason = self.latest_decision_reason
        return f"{decided}: {reason}" if reason else decided

    # What a moderator may change of what a commenter wrote.
    EDITABLE = ("author_name", "author_url", "body")

    def edit(self, *, by, **values):
        """Change the commenter's name, website or text and log who did, in one transaction.

        Returns the names of the fields that changed (nothing is saved or logged if none).
        """
        changed = [
            name for name in self.EDITABLE if name in values and getattr(self, name) != values[name]
        ]
        if not changed:
            return []
        for name in changed:
            setattr(self, name, values[name])
        fields = changed + (["body_html"] if "body" in changed else [])
        with transaction.atomic():
            self.save(update_fields=fields)
            ModerationLog.objects.create(
                comment=self,
                moderator=by,
                from_status=self.status,
                to_status=self.status,
                reason="edited " + ", ".join(self._meta.get_field(n).verbose_name for n in changed),
            )
        return changed

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


    def revise(self, body, *, status, reason, at):
        """Its author's edit: the new text, with the status the moderation rules give it.

        Not a moderator's decision, so not bound by TRANSITIONS: an approved comment whose
        new text the rules would hold goes back to the queue. Logged like a decision, with
        the text it replaced, so moderators see what was changed.
        """
        previous_status, previous_body = self.status, self.body
        self.body = body
        self.edited_at = at
        self.held_reason = "" if status == self.Status.APPROVED else reason[:200]
        fields = ["body", "body_html", "edited_at", "fingerprint", "held_reason"]
        if status != previous_status:
            self.status = status
            self.moderated_by = None
            self.moderated_at = at
            fields += ["status", "moderated_by", "moderated_at"]
        with transaction.atomic():
            self.save(update_fields=fields)
            ModerationLog.objects.create(
                comment=self,
                moderator=None,
                from_status=previous_status,
                to_status=self.status,
                decided_at=at,
                reason=f"edited by its author: {reason}"[:200],
                previous_body=previous_body,
            )


class ModerationLog(models.Model):
    """One row per moderation decision: who, when, which comment, from what, to what.

    A moderator's edit of a comment is logged too, as a row whose status stays the same.
    """

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="log")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=10, choices=Comment.Status.choices)
    to_status = models.CharField(max_length=10, choices=Comment.Status.choices)
    decided_at = models.DateTimeField(default=timezone.now)
    # Why: the rules' reason (moderator then empty), a block from the queue, or an edit.
    reason = models.CharField(max_length=200, blank=True)
    # The text an author's edit replaced (Comment.revise), for moderators to compare.
    previous_body = models.TextField(blank=True, default="")

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


class BlocklistEntryQuerySet(models.QuerySet):
    def active(self, now=None):
        """Entries that still block: no expiry, or one still to come."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now()))


class BlocklistEntry(models.Model):
    """Something whose comments go straight to spam, until the entry expires.

    Moderators add entries in the admin, or from the queue ("Block"), by the commenter's
    email address, IP address or network, website domain, or name.
    """

    class Kind(models.TextChoices):
        WORD = "word", "Word or phrase"
        EMAIL = "email", "Email address or @domain"
        IP = "ip", "IP address or network"
        DOMAIN = "domain", "Website domain"
        NAME = "name", "Name pattern"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(
        max_length=EMAIL_MAX_LENGTH,
        help_text="A word (found anywhere, ignoring case), an email address (or @example.com "
        "for a whole domain), an IP address (or network, such as 203.0.113.0/24), a website's "
        "domain (example.com also blocks its subdomains), or a name (* stands for any "
        "characters: *casino*).",
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: the entry blocks until it is deleted."
    )

    objects = BlocklistEntryQuerySet.as_manager()

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
        elif self.kind == self.Kind.DOMAIN:
            if not _DOMAIN.fullmatch(self.value):
                raise ValidationError(
                    {"value": "Enter a domain such as example.com, without http:// or a path."}
                )

    def save(self, *args, **kwargs):
        self.value = self.value.strip().lower()
        super().save(*args, **kwargs)

    def blocks(self, comment):
        """Whether this entry sends `comment` to spam (expiry aside: see active())."""
        if self.kind == self.Kind.EMAIL:
            return self.matches_email(comment.author_email)
        if self.kind == self.Kind.IP:
            return self.matches_ip(comment.ip_address)
        if self.kind == self.Kind.DOMAIN:
            return self.matches_website(comment.author_url)
        if self.kind == self.Kind.NAME:
            return self.matches_name(comment.author_name)
        return False

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

    def matches_website(self, url):
        host = (urlsplit(url).hostname or "") if url else ""
        return host == self.value or host.endswith(f".{self.value}")

    def matches_name(self, name):
        # fnmatchcase on lowered text: "*" and "?" are wildcards, case never matters, and
        # the pattern covers the whole name.
        return fnmatch.fnmatchcase(name.lower(), self.value)

    @property
    def is_active(self):
        return self.expires_at is None or self.expires_at > timezone.now()


# A host name: labels of letters, digits and hyphens separated by dots.
_DOMAIN = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+")

class AddressConfirmation(models.Model):
    """What proves that a commenter owns an email address, kept by the address's digest.

    The address itself is not stored here again (comments/identity.py: `digest()`): only
    when a confirmation link was last mailed to it (at most one per
    `identity.MAIL_INTERVAL`) and when its owner first followed one. A browser's signed
    cookie counts as proof only while this row says the address is confirmed, so erasing
    the commenter (comments/privacy.py) voids every such cookie.
    """

    digest = models.CharField(max_length=64, unique=True)
    mailed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        state = "confirmed" if self.confirmed_at else "not confirmed"
        return f"{self.digest[:12]}… ({state})"

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
