import reversion
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from markdownx.models import MarkdownxField

from blog import markdown, revisions
from blog import text as text_rules
from blog.search import SearchResults


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        super().save(*args, **kwargs)

    def _unique_slug(self):
        # "C" and "C++" both slugify to "c": the later one gets "c-2".
        base = slugify(self.name, allow_unicode=True)[:90] or "tag"
        slug, number = base, 1
        while Tag.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            number += 1
            slug = f"{base}-{number}"
        return slug

    def get_absolute_url(self):
        return reverse("blog:tag-detail", kwargs={"slug": self.slug})


class PostQuerySet(models.QuerySet):
    def published(self):
        """The one definition of what readers may see: published and due."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())

    def scheduled(self):
        """Published posts not yet due: they appear by themselves when their time comes."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__gt=timezone.now())

    def editable_by(self, user):
        """Posts a user may change: all for superusers and editors, their own for authors."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm("blog.change_others_posts"):
            return self
        if not user.has_perm("blog.change_post"):
            return self.none()
        return self.filter(author=user)

    def visible_to(self, user):
        """What a user may open: published posts, plus the drafts they could edit."""
        return self.published() | self.editable_by(user)

    def search(self, query):
        """Posts matching `query` (web search syntax): title matches first, then the
        others, newest first within each (blog/search.py). A query with no word to
        look for finds nothing, without asking the database."""
        return SearchResults(self, query)


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique_for_date="published_at",
        help_text="The last part of the permalink. It never changes once the post is published.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    body = MarkdownxField(
        max_length=markdown.POST_MAX_LENGTH,
        help_text="Markdown. The preview shows exactly what readers will see.",
    )
    body_html = models.TextField(editable=False, default="")
    summary = models.TextField(
        blank=True,
        help_text="Markdown shown on the home page and in feeds. Leave empty to use the "
        "first paragraph.",
    )
    summary_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A future date schedules the post: it appears by itself when due. "
        "Empty when publishing means now.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    comments_enabled = models.BooleanField(default=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        get_latest_by = "published_at"
        indexes = [
            models.Index(fields=["status", "-published_at"], name="post_status_published_idx"),
        ]
        permissions = [("change_others_posts", "Can change and publish other authors' posts")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        self.render()
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self._check_permalink_unchanged()
        try:
            markdown.check_post_source(self.body)
            markdown.check_post_source(self.summary)
        except markdown.MarkdownError as error:
            raise ValidationError({"body": f"This text cannot be published: {error}."}) from None

    def _check_permalink_unchanged(self):
        """A published post's permalink never changes: links to it must keep working."""
        if self.pk is None:
            return
        stored = Post.objects.filter(pk=self.pk).first()
        if stored is None or not stored.is_published:
            return
        if self.get_absolute_url() != stored.get_absolute_url():
            raise ValidationError(
                "This post is published, so its permalink (slug and publication date) "
                f"cannot change: it stays {stored.get_absolute_url()}."
            )

    def render(self):
        """Store the HTML of body and summary: rendered once here, never per request."""
        self.body_html = markdown.render_post(self.body)
        if self.summary.strip():
            self.summary_html = markdown.render_post(self.summary)
        else:
            self.summary_html = markdown.first_paragraph(self.body_html)

    @property
    def is_published(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    def can_be_edited_by(self, user):
        return Post.objects.editable_by(user).filter(pk=self.pk).exists()

    def get_absolute_url(self):
        if self.published_at is None:
            return reverse("blog:post-preview", kwargs={"pk": self.pk})
        local = timezone.localtime(self.published_at)
        return reverse(
            "blog:post-detail",
            kwargs={
                "year": local.year,
                "month": f"{local.month:02d}",
                "day": f"{local.day:02d}",
                "slug": self.slug,
            },
        )

    @property
    def plain_summary(self):
        return markdown.to_plain_text(self.summary_html)

    @staticmethod
    def search_vector():
        """The full-text vector of a post on PostgreSQL.

        Stored by the database in the column blog_post.search_document (GIN-indexed; see
        blog/migrations/0006 and 0008), which search() reads; a test keeps the two
        identical. The rendered body: PostgreSQL's parser skips its tags, so link targets
        and image addresses are not searched.
        """
        from django.contrib.postgres.search import SearchVector

        return SearchVector("title", weight="A", config="english") + SearchVector(
            "body_html", weight="B", config="english"
        )


reversion.register(Post, fields=revisions.REVISED_FIELDS)


class AuthorProfile(models.Model):
    """What an author's page (/authors/<username>/) says about them; each edits only their own."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_profile")
    display_name = models.CharField(
        max_length=100, blank=True, validators=[text_rules.refuse_control_characters],
        help_text="The name readers see. Empty: your first and last name.",
    )
    bio = models.TextField(
        max_length=500, blank=True, validators=[text_rules.refuse_control_characters],
        help_text="A few sentences about you for your author page (plain text).",
    )
    # The address of the stored image, checked and re-encoded by blog/images.py.
    avatar = models.CharField(max_length=300, blank=True, editable=False)

    def __str__(self):
        return f"Profile of {self.user.get_username()}"

    def get_absolute_url(self):
        return reverse("blog:author-detail", kwargs={"username": self.user.get_username()})


def display_name(user):
    """The name an author goes by: their profile's display name, else their full name."""
    profile = getattr(user, "author_profile", None)
    if profile is not None and profile.display_name:
        return profile.display_name
    return user.get_full_name() or user.get_username()


class Autosave(models.Model):
    """An author's unsaved work in the editor, kept while they type.

    Readers never see it: it is not the post, only a pending copy that the editor offers
    back when the author reopens it, and that saving the post (or discarding it) removes.
    One per author and post; `post` is empty for a post not yet saved the first time.
    """

    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="autosaves")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    saved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "author"], name="autosave_one_per_post_author"),
            models.UniqueConstraint(
                fields=["author"], condition=models.Q(post__isnull=True), name="autosave_one_new_post_per_author"
            ),
        ]

    def __str__(self):
        return f"Autosave of {self.post or 'a new post'} by {self.author}"

    @classmethod
    def keep(cls, *, author, post, title, summary, body):
        """Store the author's latest work on `post` (None: a new post), replacing the last."""
        if len(body) > markdown.POST_MAX_LENGTH or len(summary) > markdown.POST_MAX_LENGTH:
            raise ValidationError(f"The text is longer than {markdown.POST_MAX_LENGTH:,} characters.")
        if len(title) > 200:
            raise ValidationError("The title is longer than 200 characters.")
        for text in (title, summary, body):
            text_rules.refuse_control_characters(text)
        autosave, _ = cls.objects.update_or_create(
            post=post,
            author=author,
            defaults={"title": title, "summary": summary, "body": body, "saved_at": timezone.now()},
        )
        return autosave

    @classmethod
    def pending_for(cls, *, author, post):
        """The autosave the editor offers back: newer than the post's last save."""
        autosave = cls.objects.filter(author=author, post=post).first()
        if autosave is None or post is None:
            return autosave
        if autosave.saved_at <= post.updated_at:
            return None
        if (autosave.title, autosave.summary, autosave.body) == (post.title, post.summary, post.body):
            return None
        return autosave

    @classmethod
    def discard(cls, *, author, post):
        cls.objects.filter(author=author, post=post).delete()


class PreviewLinkQuerySet(models.QuerySet):
    def active(self):
        """Links that open their preview: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class PreviewLink(models.Model):
    """A secret address where anyone may read a draft or scheduled post before it is out.

    The token is 256 random bits: the link is the only key. It stops working when it
    expires, when it is revoked, and (redirecting to the permalink) once the post is out.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="preview_links")
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PreviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Preview of {self.post}"

    @classmethod
    def create_for(cls, post, *, by, days=None):
        """A new link to `post`'s preview, valid for `days` (PREVIEW_LINK_DAYS by default)."""
        days = settings.PREVIEW_LINK_DAYS if days is None else days
        if not 1 <= days <= settings.PREVIEW_LINK_MAX_DAYS:
            raise ValidationError(
                f"A preview link lasts from 1 to {settings.PREVIEW_LINK_MAX_DAYS} days."
            )
        if post.is_published:
            raise ValidationError("This post is published: share its permalink instead.")
        return cls.objects.create(
            post=post,
            token=secrets.token_urlsafe(32),
            created_by=by,
            expires_at=timezone.now() + timedelta(days=days),
        )

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @property
    def is_active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()

    def get_absolute_url(self):
        return reverse("blog:shared-preview", kwargs={"token": self.token})


class PageVersion(models.Model):
    """The current version of one kind of content, which cached pages record (blog/pagecache.py).

    A new random version on every change; `valid_until` marks when the content changes by
    itself (the next scheduled post is due).
    """

    key = models.CharField(max_length=64, primary_key=True)
    version = models.BigIntegerField()
    valid_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.key}: {self.version}"
