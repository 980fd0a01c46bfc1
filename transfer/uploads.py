"""Reading an uploaded file: which platform wrote it, then the same readers as the commands."""

from transfer.blogger import read_blogger
from transfer.disqus import read_disqus
from transfer.models import SourceRecord
from transfer.wordpress import read_wordpress
from transfer.xmlfile import BadFile, as_utf8, is_zip

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


def read_blogs(data, *, name, platform="", recover=False):
    """(platform, SourceBlogs) of a file's bytes; BadFile when it is not an export we read."""
    if not is_zip(data):
        data = as_utf8(data, name=name)  # so that the platform can be told in any encoding
    platform = platform or detect_platform(data, name=name)
    if platform == Platform.WORDPRESS:
        return platform, [read_wordpress(data, name=name, recover=recover)]
    if platform == Platform.DISQUS:
        return platform, [read_disqus(data, name=name, recover=recover)]
    return platform, read_blogger(data, name=name, recover=recover)
