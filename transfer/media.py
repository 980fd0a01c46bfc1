"""The images of an imported blog, brought here so that they outlive the old blog.

`import_wordpress --fetch-media` (and import_blogger's) finds the images that imported
posts and pages show from the old blog's servers (its own host, its attachments' hosts,
Blogger's image hosts) and WordPress's image attachments, records each address once as an
ImportedImage, and queues its download as a delivery of the "media" channel, in the
import's transaction: the import never waits on a remote server, and a worker fetches
later, with the delivery queue's retries (a host that is down delays, never loses).

The download goes through `delivery.http.fetch` (public addresses only, size and time
limits) and the editor's checks (`blog.images.reencode_upload`): only re-encoded pixels
are stored, under MEDIA_ROOT/imported/. Then every post and page that shows the old
address is rewritten to the new one (a revision says so); an import run afterwards
rewrites its bodies at once.
"""

import hashlib
import html as html_module
import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from blog import revisions
from blog.images import ImageRejected, reencode_upload
from blog.models import Post
from delivery import http, outbox
from delivery.models import Delivery
from pages.models import Page
from transfer.models import ImportedImage, SourceRecord

CHANNEL = "media"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# The first bytes of those formats (WebP: a RIFF container; Pillow checks the rest).
SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".jpe", ".gif", ".webp")
REVISION_COMMENT = "Images copied here from the old blog."
# An attribute holding an address, as the sanitizer writes them (double quotes).
_ADDRESS = re.compile(r'(<(img|a)\b[^>]*?\s(?:src|href)=")([^"]*)(")', re.IGNORECASE)


def _hash(url):
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def delivery_key(url):
    return f"media-{_hash(url)}"


def looks_like_image(url):
    return urlsplit(url).path.lower().endswith(IMAGE_EXTENSIONS)


def images_in(html):
    """The addresses of the images a piece of HTML shows, and of images its links open."""
    found = []
    for match in _ADDRESS.finditer(html or ""):
        url = html_module.unescape(match.group(3)).strip()
        if match.group(2).lower() == "img" or looks_like_image(url):
            found.append(url)
    return found


def rewrite(text, addresses):
    """`text` (a body's HTML) with every address in `addresses` (old -> new) replaced."""
    if not addresses or not text:
        return text

    def replace(match):
        new = addresses.get(html_module.unescape(match.group(3)).strip())
        return match.group(1) + html_module.escape(new) + match.group(4) if new else match.group(0)

    return _ADDRESS.sub(replace, text)


def on_hosts(url, hosts):
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme in ("http", "https") and any(host == h or host.endswith("." + h) for h in hosts)


class Collector:
    """During one import: rewrites bodies to images already here, and gathers the others."""

    QUEUED = "queued to be fetched"

    def __init__(self, blog, report, *, fetch):
        self.hosts = {host.lower() for host in blog.media_hosts}
        self.report = report
        self.fetch = fetch
        self.wanted = {}
        self.fetched = dict(
            ImportedImage.objects.filter(status=ImportedImage.Status.FETCHED).values_list("source_url", "url")
        )
        self.attachments = blog.attachment_urls

    def body(self, text):
        return rewrite(text, self.fetched)

    def collect(self, html):
        for url in images_in(html):
            if url in self.fetched or url.startswith(settings.MEDIA_URL):
                continue
            if on_hosts(url, self.hosts):
                self.wanted.setdefault(url, None)

    def finish(self):
        """Queue what is not here yet (with --fetch-media), or say what is left behind."""
        urls = [url for url in self.wanted if url not in self.fetched]
        if not self.fetch:
            # (Attachments are counted with the items the import skips.)
            if urls:
                self.report.skipped["images the posts show from the old blog's servers (left there; "
                                    "--fetch-media brings them here)"] += len(urls)
            return
        for url in self.attachments:
            if looks_like_image(url):
                urls.append(url)
            else:
                self.report.skipped["attachments that are not images (left at their old address)"] += 1
        for url in dict.fromkeys(urls):
            if url not in self.fetched:
                self.queue(url)

    def queue(self, url):
        image, created = ImportedImage.objects.get_or_create(
            source_hash=_hash(url), defaults={"source_url": url}
        )
        if created:
            outbox.enqueue(CHANNEL, key=delivery_key(url), recipient=url, summary="An image of the imported blog",
                           payload={"image": image.pk})
            self.report.count("image", "created")
        elif image.status == ImportedImage.Status.FAILED:
            # Importing again is the way to try what failed again.
            delivery = Delivery.objects.filter(key=delivery_key(url)).first()
            if delivery is not None and outbox.retry(delivery):
                ImportedImage.objects.filter(pk=image.pk).update(status=ImportedImage.Status.WAITING)
                self.report.count("image", "updated")
            else:
                self.report.count("image", "unchanged")
        else:
            self.report.count("image", "unchanged")


@outbox.channel(CHANNEL)
def fetch_image(delivery):
    """The worker's part: fetch, check, store, and point the posts and pages at the copy."""
    image = ImportedImage.objects.filter(pk=delivery.payload["image"]).first()
    if image is None or image.status == ImportedImage.Status.FETCHED:
        return
    try:
        fetched = http.fetch(image.source_url, max_bytes=settings.IMAGE_UPLOAD_MAX_BYTES,
                             content_types=IMAGE_TYPES, signatures=SIGNATURES)
        reencoded = reencode_upload(ContentFile(fetched.content))
    except http.Unavailable as error:
        ImportedImage.objects.filter(pk=image.pk).update(error=str(error))
        raise
    except (http.Refused, ImageRejected) as error:
        ImportedImage.objects.filter(pk=image.pk).update(status=ImportedImage.Status.FAILED, error=str(error))
        raise outbox.GiveUp(str(error)) from None
    now = timezone.now()
    name = default_storage.save(f"imported/{now:%Y/%m}/{uuid.uuid4().hex}.{reencoded.extension}",
                                ContentFile(reencoded.content))
    url = default_storage.url(name)
    with transaction.atomic():
        ImportedImage.objects.filter(pk=image.pk).update(
            status=ImportedImage.Status.FETCHED, file=name, url=url, error="", fetched_at=now)
        # The posts and pages that show it are saved (show_copy): their saves refresh the
        # cached pages (pagecache/refresh.py).
        show_copy(image.source_url, url)


def show_copy(source_url, url):
    """Rewrite the posts and pages that show `source_url` to `url`; returns how many.

    The rewrite is the import's own work, not a change made here: the import records
    follow it, so a later import does not take it for a local edit."""
    from transfer.importing import page_state, post_state

    addresses = {source_url: url}
    forms = {source_url, html_module.escape(source_url)}
    matches, in_summary = Q(), Q()
    for form in forms:
        matches |= Q(body__contains=form)
        in_summary |= Q(summary__contains=form)
    changed = 0
    for post in Post.objects.filter(matches | in_summary).prefetch_related("tags"):
        before = post_state(post)
        post.body, post.summary = rewrite(post.body, addresses), rewrite(post.summary, addresses)
        with revisions.saving(None, REVISION_COMMENT):
            post.save()
        SourceRecord.objects.filter(post=post, kind=SourceRecord.Kind.POST, local_hash=before).update(
            local_hash=post_state(post))
        changed += 1
    for page in Page.objects.filter(matches):
        before = page_state(page)
        page.body = rewrite(page.body, addresses)
        page.save()
        SourceRecord.objects.filter(page=page, local_hash=before).update(local_hash=page_state(page))
        changed += 1
    return changed
