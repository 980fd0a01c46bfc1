import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from markdownx.models import MarkdownxField

from blog import markdown, revisions
from blog import text as text_rules
from blog.search import SearchResults


class TagQuerySet(models.QuerySet):
    def with_published_posts(self):
        """Tags that have published posts, each with how many (`post_count`), by name."""
        return (
            self.filter(posts__in=Post.objects.published())
            .annotate(post_count=Count("posts"))
            .order_by("name")
        )

    def editable_by(self, user):
        """Tags a user may rename, re-slug, merge or delete.

        A tag belongs to every post that has it: renaming one changes other authors'
        posts and a new slug moves its page. So editors (`blog.change_others_posts`) and
        superusers may change any tag; anyone else with the permission to change tags,
        only those no other author's post uses. Creating and attaching tags is not
        limited by this rule.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm("blog.change_others_posts"):
            return self
        if not user.has_perm("blog.change_tag"):
            return self.none()
        used_by_others = Post.tags.through.objects.filter(tag=OuterRef("pk")).exclude(post__author=user)
        return self.filter(~Exists(used_by_others))


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(
        max_length=100,
        unique=True,
        allow_unicode=True,
        blank=True,
        help_text="The tag's address, /tags/slug/. Changing it leaves a redirect from the old one.",
    )

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        with transaction.atomic():
            stored_slug = Tag.objects.filter(pk=self.pk).values_list("slug", flat=True).first() if self.pk else None
            super().save(*args, **kwargs)
            if stored_slug != self.slug:
                self._answer_for([stored_slug] if stored_slug else [])

    def _answer_for(self, old_slugs):
        """The tag's pages now answer at its slug; `old_slugs` lead to it (TagRedirect)."""
        # A slug a tag has now is no longer an old one: the live tag's page wins.
        TagRedirect.objects.filter(old_slug=self.slug).delete()
        TagRedirect.objects.bulk_create(
            [TagRedirect(old_slug=slug, tag=self) for slug in old_slugs if slug != self.slug],
            update_conflicts=True,
            unique_fields=["old_slug"],
            update_fields=["tag"],
        )

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

    def can_be_edited_by(self, user):
        return Tag.objects.editable_by(user).filter(pk=self.pk).exists()

    def merge_into(self, target, *, by):
        """Move this tag's posts to `target` and delete this tag; its addresses lead to `target`.

        Each post that changes keeps a revision by `by`. Returns the posts that moved.
        """
        if target.pk == self.pk:
            raise ValidationError("A tag cannot be merged into itself.")
        with transaction.atomic():
            posts = list(self.posts.all())
            for post in posts:
                with revisions.saving(by, f"Tag “{self}” merged into “{target}”."):
                    post.tags.add(target)
                    post.tags.remove(self)
                    post.save()
            old_slugs = [self.slug, *self.redirects.values_list("old_slug", flat=True)]
            self.delete()
            target._answer_for(old_slugs)
        return posts


class TagRedirect(models.Model):
    """A slug a tag had before it changed, or a tag merged into another: a 301 to the tag.

    The tag's page and its feeds answer at the old slug with a permanent redirect.
    """

    old_slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"/tags/{self.old_slug}/ → {self.tag.get_absolute_url()}"


class PostQuerySet(models.QuerySet):
    def published(self):
        """The one definition of what readers may see: published and due."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())

    def scheduled(self):
        """Published posts not yet due: they appear by themselves when their time comes."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__gt=timezone.now())

    def drafts(self):
        return self.filter(status=Post.Status.DRAFT)

    def in_state(self, state):
        """The posts in one of Post.State (draft, scheduled, published), as `post.state` says."""
        return {
            Post.State.DRAFT: self.drafts,
            Post.State.SCHEDULED: self.scheduled,
            Post.State.PUBLISHED: self.published,
        }[state]()

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

    def before(self, post):
        """Posts that come before `post` in time, nearest first.

        Posts published at the same moment are told apart by id, as lists order them
        (Meta.ordering), so that previous and next walk the same order readers see.
        """
        earlier = models.Q(published_at__lt=post.published_at) | models.Q(
            published_at=post.published_at, pk__lt=post.pk
        )
        return self.filter(earlier).order_by("-published_at", "-pk")

    def after(self, post):
        """Posts that come after `post` in time, nearest first."""
        later = models.Q(published_at__gt=post.published_at) | models.Q(
            published_at=post.published_at, pk__gt=post.pk
        )
        return self.filter(later).order_by("published_at", "pk")

    def related_to(self, post):
        """Posts sharing tags with `post`, those sharing the most first, then newest first.

        One query, whatever the number of posts and tags: `post`'s tags are a subquery, and
        each candidate's count of shared tags is counted over the join the filter made.
        """
        return (
            self.exclude(pk=post.pk)
            .filter(tags__in=Post.tags.through.objects.filter(post=post).values("tag_id"))
            .annotate(shared_tags=models.Count("tags"))
            .order_by("-shared_tags", "-published_at", "-pk")
        )

    def search(self, query):
        """Posts matching `query` (web search syntax): title matches first, then the
        others, newest first within each (blog/search.py). A query with no word to
        look for finds nothing, without asking the database."""
        return SearchResults(self, query)


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class State(models.TextChoices):
        """Where a post stands for readers: a published post not yet due is scheduled."""

        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
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
    # Stored only as blog/images.py re-encodes it (the admin's ReencodedImageField); its
    # size is kept so that pages reserve its place before it loads.
    cover_image = models.ImageField(
        upload_to="covers/%Y/%m/",
        max_length=300,
        blank=True,
        width_field="cover_width",
        height_field="cover_height",
        help_text="Shown above the post, in lists of posts, and when the post is shared "
        "(OpenGraph, Twitter cards). A PNG, JPEG, GIF or WebP image.",
    )
    cover_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    cover_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    cover_alt = models.CharField(
        "cover image description",
        max_length=300,
        blank=True,
        validators=[text_rules.refuse_control_characters],
        help_text="What the cover image shows, for readers who cannot see it. Required "
        "with an image.",
    )

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
        self._check_cover_described()
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

    def _check_cover_described(self):
        """A cover image is part of the post: readers who cannot see it are told what it shows."""
        if self.cover_image and not self.cover_alt.strip():
            raise ValidationError(
                {"cover_alt": "Describe the cover image: what it shows, for readers who cannot see it."}
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

    @property
    def state(self):
        if self.status == self.Status.DRAFT:
            return self.State.DRAFT
        return self.State.PUBLISHED if self.is_published else self.State.SCHEDULED

    def can_be_edited_by(self, user):
        return Post.objects.editable_by(user).filter(pk=self.pk).exists()

    def publish_now(self, *, by):
        """Readers see the post from now on, a revision by `by` recording it.

        A draft or a scheduled post comes out at once; a draft that already has a past
        date (one unpublished earlier, or back-dated) keeps it, and so its permalink.
        Raises ValidationError when it is already out or cannot be published as it is.
        """
        if self.is_published:
            raise ValidationError("It is already published.")
        self.status = self.Status.PUBLISHED
        if self.published_at is None or self.published_at > timezone.now():
            self.published_at = timezone.now()
        self.full_clean()
        with revisions.saving(by, "Published now."):
            self.save()

    def unpublish(self, *, by):
        """Back to draft, a revision by `by` recording it: readers no longer see the post.

        Its date stays, so publishing it again brings it back at the same permalink.
        """
        if self.status == self.Status.DRAFT:
            raise ValidationError("It is already a draft.")
        self.status = self.Status.DRAFT
        with revisions.saving(by, "Unpublished (back to draft)."):
            self.save()

    def add_tag(self, tag, *, by):
        """Attach `tag`, a revision by `by` recording it; False when the post already has it."""
        if self.tags.filter(pk=tag.pk).exists():
            return False
        with revisions.saving(by, f"Tagged “{tag}”."):
            self.tags.add(tag)
            self.save()
        return True

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


revisions.register(
    Post,
    revised=revisions.REVISED_FIELDS,
    restored=revisions.RESTORED_FIELDS,
    lines=revisions.LINE_FIELDS,
    stored=["cover_width", "cover_height"],
)


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


def writers():
    """People who write: anyone with a post, and active staff who may write one.

    "May write" is the permission to add posts, from the Authors or Editors group or
    given directly, or being a superuser: not the commenters and moderators.
    """
    User = get_user_model()
    add_post = Permission.objects.filter(content_type__app_label="blog", codename="add_post")
    may_write = (
        Q(is_superuser=True)
        | Q(Exists(User.groups.through.objects.filter(user=OuterRef("pk"), group__permissions__in=add_post)))
        | Q(Exists(User.user_permissions.through.objects.filter(user=OuterRef("pk"), permission__in=add_post)))
    )
    has_written = Q(Exists(Post.objects.filter(author=OuterRef("pk"))))
    return User.objects.filter(has_written | Q(is_active=True, is_staff=True) & may_write)


def display_name(user):
    """The name an author goes by: their profile's display name, else their full name."""
    profile = getattr(user, "author_profile", None)
    if profile is not None and profile.display_name:
        return profile.display_name
    return user.get_full_name() or user.get_username()


class Autosave(models.Model):
    """An author's unsaved work in the editor of a post or a page, kept while they type.

    Readers never see it: it is not the post or page, only a pending copy that the editor
    offers back when the author reopens it, and that saving (or discarding it) removes.
    One per author and post or page; both empty for one not yet saved the first time, whose
    `kind` says which editor it came from.
    """

    class Kind(models.TextChoices):
        POST = "post", "Post"
        PAGE = "page", "Page"

    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.POST)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="autosaves")
    page = models.ForeignKey(
        "pages.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="autosaves"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    saved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "author"], name="autosave_one_per_post_author"),
            models.UniqueConstraint(fields=["page", "author"], name="autosave_one_per_page_author"),
            models.UniqueConstraint(
                fields=["kind", "author"],
                condition=models.Q(post__isnull=True, page__isnull=True),
                name="autosave_one_new_per_kind_author",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="post", page__isnull=True) | models.Q(kind="page", post__isnull=True),
                name="autosave_of_its_kind",
            ),
        ]

    def __str__(self):
        return f"Autosave of {self.post or self.page or 'a new ' + self.kind} by {self.author}"

    @classmethod
    def _of(cls, obj, kind):
        """The lookup of the autosaves of `obj` (None: a new one of `kind`)."""
        kind = cls.Kind(kind)
        return {"kind": kind, "post": None, "page": None, kind.value: obj}

    @classmethod
    def keep(cls, *, author, obj, kind, title, summary, body):
        """Store the author's latest work on `obj` (None: a new one of `kind`), replacing the last."""
        if len(body) > markdown.POST_MAX_LENGTH or len(summary) > markdown.POST_MAX_LENGTH:
            raise ValidationError(f"The text is longer than {markdown.POST_MAX_LENGTH:,} characters.")
        if len(title) > 200:
            raise ValidationError("The title is longer than 200 characters.")
        for text in (title, summary, body):
            text_rules.refuse_control_characters(text)
        autosave, _ = cls.objects.update_or_create(
            **cls._of(obj, kind),
            author=author,
            defaults={"title": title, "summary": summary, "body": body, "saved_at": timezone.now()},
        )
        return autosave

    @classmethod
    def pending_for(cls, *, author, obj, kind):
        """The autosave the editor offers back: newer than the last save of `obj`."""
        autosave = cls.objects.filter(author=author, **cls._of(obj, kind)).first()
        if autosave is None or obj is None:
            return autosave
        if autosave.saved_at <= obj.updated_at:
            return None
        kept = (autosave.title, autosave.summary, autosave.body)
        if kept == (obj.title, getattr(obj, "summary", ""), obj.body):
            return None
        return autosave

    @classmethod
    def discard(cls, *, author, obj, kind):
        cls.objects.filter(author=author, **cls._of(obj, kind)).delete()


class PreviewLinkQuerySet(models.QuerySet):
    def active(self):
        """Links that open their preview: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class PreviewLink(models.Model):
    """A secret address where anyone may read a draft or scheduled post or page before it is out.

    The token is 256 random bits: the link is the only key. It stops working when it
    expires, when it is revoked, and (redirecting to the permalink) once the post or page is
    out. Each link shows exactly one post or one page (`target`).
    """

    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="preview_links")
    page = models.ForeignKey(
        "pages.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="preview_links"
    )
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
        constraints = [
            models.CheckConstraint(
                condition=models.Q(post__isnull=False, page__isnull=True)
                | models.Q(post__isnull=True, page__isnull=False),
                name="previewlink_of_a_post_or_a_page",
            ),
        ]

    def __str__(self):
        return f"Preview of {self.target}"

    @property
    def target(self):
        """The post or page this link shows."""
        return self.post if self.post_id else self.page

    @classmethod
    def create_for(cls, obj, *, by, days=None):
        """A new link to the preview of `obj` (a post or a page), valid for `days` (PREVIEW_LINK_DAYS by default)."""
        days = settings.PREVIEW_LINK_DAYS if days is None else days
        if not 1 <= days <= settings.PREVIEW_LINK_MAX_DAYS:
            raise ValidationError(
                f"A preview link lasts from 1 to {settings.PREVIEW_LINK_MAX_DAYS} days."
            )
        if obj.is_published:
            raise ValidationError(f"This {obj._meta.verbose_name} is published: share its permalink instead.")
        target = {"post": obj} if isinstance(obj, Post) else {"page": obj}
        return cls.objects.create(
            **target,
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


# The site's settings and menu links are models of this app, kept in their own module.
from blog.site import MenuLink, SiteSettings  # noqa: E402, F401
