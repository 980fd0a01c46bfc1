from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from markdownx.models import MarkdownxField

from blog import markdown, revisions
from pages import routes


class PageQuerySet(models.QuerySet):
    def published(self):
        """What readers may see of pages: published and due, as for posts."""
        return self.filter(status=Page.Status.PUBLISHED, published_at__lte=timezone.now())

    def editable_by(self, user):
        """Pages belong to the site, not to one author: whoever may change pages changes all."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm("pages.change_page"):
            return self.none()
        return self

    def visible_to(self, user):
        return self.published() | self.editable_by(user)

    def in_menu(self):
        """Published pages placed in the header menu, in their order."""
        return self.published().filter(menu_order__isnull=False).order_by("menu_order", "title")


class Page(models.Model):
    """A standalone page ("About", "Contact") at the site root: /slug/ or /parent/slug/."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=100,
        allow_unicode=True,
        help_text="The page's address: /slug/ at the site root, or /parent/slug/ under its "
        "parent page. Changing it once published leaves a redirect from the old address.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="Makes this a sub-page: its address is under the parent's.",
    )
    # The whole address without slashes at either end ("about/team"), kept from the slugs.
    path = models.CharField(max_length=1000, unique=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pages"
    )
    body = MarkdownxField(
        max_length=markdown.POST_MAX_LENGTH,
        help_text="Markdown, as for posts. The preview shows exactly what readers will see.",
    )
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A future date schedules the page. Empty when publishing means now.",
    )
    menu_order = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Its place in the site's header menu, smallest first. Empty: not in the menu.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["path"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse(routes.PAGE_VIEW, kwargs={"path": self.path})

    @property
    def is_published(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def plain_summary(self):
        return markdown.to_plain_text(markdown.first_paragraph(self.body_html))

    def build_path(self):
        return f"{self.parent.path}/{self.slug}" if self.parent_id else self.slug

    def clean(self):
        super().clean()
        errors = {}
        if self.parent_id and self.pk and self.pk in self.parent.ancestor_ids(include_self=True):
            errors["parent"] = "A page cannot be under itself or one of its own sub-pages."
        elif self.slug:
            path = self.build_path()
            reason = routes.conflict(path)
            if reason:
                errors["slug"] = f"This address cannot be a page's: {reason}. Choose another slug."
            elif Page.objects.filter(path=path).exclude(pk=self.pk).exists():
                errors["slug"] = f"Another page already has the address /{path}/."
        try:
            markdown.check_post_source(self.body)
        except markdown.MarkdownError as error:
            errors["body"] = f"This text cannot be published: {error}."
        if errors:
            raise ValidationError(errors)

    def ancestor_ids(self, include_self=False):
        """The ids of the stored pages above this one (a loop, never stored, ends the walk)."""
        ids = [self.pk] if include_self else []
        parent_id = self.parent_id
        while parent_id is not None and parent_id not in ids:
            ids.append(parent_id)
            parent_id = Page.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        return ids

    def save(self, *args, **kwargs):
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        self.body_html = markdown.render_post(self.body)
        self.path = self.build_path()
        with transaction.atomic():
            stored = Page.objects.filter(pk=self.pk).first() if self.pk else None
            super().save(*args, **kwargs)
            if stored is not None and stored.path != self.path:
                self._moved(stored)

    def _moved(self, stored):
        """The address changed: sub-pages follow, and old addresses of readers' pages redirect."""
        old_prefix = stored.path + "/"
        moved = [(stored.path, self, stored.is_published)]
        for child in Page.objects.filter(path__startswith=old_prefix):
            old_path = child.path
            child.path = self.path + "/" + old_path[len(old_prefix):]
            Page.objects.filter(pk=child.pk).update(path=child.path)
            moved.append((old_path, child, child.is_published))
        # An address taken by a page now is no longer an old one.
        PageRedirect.objects.filter(old_path__in=[page.path for _, page, _ in moved]).delete()
        PageRedirect.objects.bulk_create(
            [PageRedirect(old_path=old, page=page) for old, page, was_public in moved if was_public],
            update_conflicts=True,
            unique_fields=["old_path"],
            update_fields=["page"],
        )


# Status, dates, slug, parent and menu place stay as they are when a revision is restored, so
# restoring an old text never unpublishes a page, moves its address or reorders the menu.
revisions.register(
    Page,
    revised=["title", "slug", "parent", "body", "menu_order", "status", "published_at"],
    restored=["title", "body"],
    lines={"body"},
)


class PageRedirect(models.Model):
    """An address a published page had before its slug (or its parent's) changed: a 301 to it."""

    old_path = models.CharField(max_length=1000, unique=True)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"/{self.old_path}/ → {self.page.get_absolute_url()}"
