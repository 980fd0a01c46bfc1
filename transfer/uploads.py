"""Importing an uploaded file: which platform wrote it, then the same import as the commands."""

from transfer.blogger import read_blogger
from transfer.disqus import read_disqus
from transfer.importing import import_blogs
from transfer.models import SourceRecord
from transfer.wordpress import read_wordpress
from transfer.xmlfile import BadFile, as_utf8, is_zip, read_upload

Platform = SourceRecord.Platform


def detect_platform(data, *, name):
    """Blogger or WordPress, from the first bytes of the file."""
    if is_zip(data):
        return Platform.BLOGGER
    head = data[:65536]
    if b"<rss" in head and b"wordpress.org/export/" in head:
        return Platform.WORDPRESS
    if b"<feed" in head:
        return Platform.BLOGGER
    if b"<disqus" in head:
        return Platform.DISQUS
    raise BadFile(
        f"{name} is neither a WordPress export (WXR), a Blogger export (Atom backup, "
        "Takeout feed.atom or zip) nor a Disqus export."
    )


def import_upload(upload, *, platform="", dry_run=False, recover=False, fetch_media=False, by=None):
    """Import an UploadedFile; BadFile or ImportFailed (nothing saved) when it cannot be."""
    name = upload.name
    data = read_upload(upload, name=name)
    if not is_zip(data):
        data = as_utf8(data, name=name)  # so that the platform can be told in any encoding
    platform = platform or detect_platform(data, name=name)
    if platform == Platform.WORDPRESS:
        blogs = [read_wordpress(data, name=name, recover=recover)]
    elif platform == Platform.DISQUS:
        blogs = [read_disqus(data, name=name, recover=recover)]
    else:
        blogs = read_blogger(data, name=name, recover=recover)
    return import_blogs(blogs, platform=platform, file_name=name, dry_run=dry_run, by=by,
                        fetch_media=fetch_media and platform != Platform.DISQUS)
