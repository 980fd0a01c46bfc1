"""What an import remembers: where each object came from, and the old links to keep alive.

`blog` and `comments` know nothing of imports: the source ids, the old URLs and the bits
of a source that have no place in our models live here.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from blog.models import Post
from comments.models import Comment
from pages.models import Page

PATH_MAX_LENGTH = 500


class SourceRecord(models.Model):
    """One object of a Blogger or WordPress export and what it became here.

    A second import of the same blog finds its objects through these records, so nothing
    is created twice; `source_hash` and `local_hash` tell a later export's changes apart
    from edits made here since (which win).
    """

    class Platform(models.TextChoices):
        BLOGGER = "blogger", "Blogger"
        WORDPRESS = "wordpress", "WordPress"
        DISQUS = "disqus", "Disqus"

    class Kind(models.TextChoices):
        AUTHOR = "author", "Author"
        POST = "post", "Post"
        COMMENT = "comment", "Comment"
        # Pingbacks and trackbacks are not reader comments: they are kept here, with the
        # post they point at, and written back by the WordPress export, never shown.
        LINKBACK = "linkback", "Pingback or trackback"
        PAGE = "page", "Page"

    platform = models.CharField(max_length=10, choices=Platform.choices)
    # Source ids are unique within one blog: the WordPress blog's address, the Blogger blog id.
    site = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source_id = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="source_records"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="source_records"
    )
    page = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.CASCADE, related_name="source_records"
    )
    # The source's own values that have no field here (original HTML, old URL, dates
    # with their offsets, long names), so that nothing of the export is lost.
    data = models.JSONField(default=dict, blank=True)
    source_hash = models.CharField(max_length=64, blank=True)
    local_hash = models.CharField(max_length=64, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "site", "kind", "source_id"], name="source_record_unique"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="author", user__isnull=False, post__isnull=True, comment__isnull=True, page__isnull=True)
                    | Q(kind="post", user__isnull=True, post__isnull=False, comment__isnull=True, page__isnull=True)
                    | Q(kind="comment", user__isnull=True, post__isnull=True, comment__isnull=False,
                        page__isnull=True)
                    | Q(kind="linkback", user__isnull=True, post__isnull=False, comment__isnull=True,
                        page__isnull=True)
                    | Q(kind="page", user__isnull=True, post__isnull=True, comment__isnull=True, page__isnull=False)
                ),
                name="source_record_target_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_platform_display()} {self.get_kind_display().lower()} {self.source_id}"


class LegacyURL(models.Model):
    """An address a post or page had on the old blog; it answers with a 301 to its address here.

    `path` is the path as the old blog served it (`/2013/04/slug.html`, `/p/about.html`), or
    the query that named the post or page (`/?p=123`, `/?page_id=7`).
    """

    path = models.CharField(max_length=PATH_MAX_LENGTH, unique=True)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="legacy_urls")
    page = models.ForeignKey(Page, null=True, blank=True, on_delete=models.CASCADE, related_name="legacy_urls")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "old URL"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(post__isnull=False, page__isnull=True) | Q(post__isnull=True, page__isnull=False),
                name="legacy_url_leads_to_a_post_or_a_page",
            ),
        ]

    def __str__(self):
        return self.path

    @property
    def target(self):
        return self.post if self.post_id else self.page

    def clean(self):
        errors = {}
        if not self.path.startswith("/"):
            errors["path"] = "An old URL's path starts with “/”, e.g. /2013/04/my-post.html."
        if bool(self.post_id) == bool(self.page_id):
            errors["post"] = "Choose the post or the page this old URL leads to (one of them)."
        if errors:
            raise ValidationError(errors)


class ImportRun(models.Model):
    """One import: from the admin, queued for the worker (waiting, running, then done or
    failed), or saved by a command (done). What file, which options, by whom, and its report.

    While it runs, the numbers done so far are in a small file beside the stored upload
    (transfer/runs.py says why not in this row); once the import commits, the row holds them.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for the worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    platform = models.CharField(max_length=10, choices=SourceRecord.Platform.choices)
    file_name = models.CharField(max_length=255)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DONE)
    dry_run = models.BooleanField(default=False)
    recover = models.BooleanField(default=False)
    fetch_media = models.BooleanField(default=False)
    # Items (posts, pages, comments) of the file, and how many were imported.
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    # The stored upload's name in TRANSFER_UPLOAD_ROOT until the run ends (transfer/runs.py).
    upload = models.CharField(max_length=255, blank=True, editable=False)
    # The worker that runs it: if that worker stops, nothing was saved (one transaction).
    worker_id = models.CharField(max_length=64, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.TextField(blank=True)
    # The report's numbers, for the admin's report template (empty for older imports).
    report_data = models.JSONField(default=dict, blank=True, editable=False)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "import"
        ordering = ["-imported_at", "-id"]

    def __str__(self):
        return f"{self.get_platform_display()} import of {self.file_name}"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportedImage(models.Model):
    """An image an imported post or page showed from the old blog, and its copy here.

    `import_* --fetch-media` records one per address and queues its download (a delivery of
    the "media" channel, transfer/media.py); once it is here, the posts and pages that show
    it are rewritten to `url`. The address is the identity: importing again never fetches
    an image twice.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting to be fetched"
        FETCHED = "fetched", "Fetched"
        FAILED = "failed", "Could not be fetched"

    source_url = models.TextField()
    # The address's SHA-256: addresses can be longer than a unique index may be.
    source_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    # The stored file's name in MEDIA_ROOT, and its address as posts show it.
    file = models.CharField(max_length=255, blank=True)
    url = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.source_url
