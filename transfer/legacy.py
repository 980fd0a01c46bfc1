"""Which post or page an old Blogger or WordPress address means, and where to send the reader."""

import re
from datetime import datetime
from datetime import timezone as dt_timezone

from django.db.models import Q

from blog.models import Post
from pages.models import Page
from transfer.models import PATH_MAX_LENGTH, LegacyURL
from transfer.sources import QUERY_KEYS, query_folder

# WordPress serves a post's comments pages, AMP view and further pages of a split post
# under the post's own address.
_WORDPRESS_SUFFIX = re.compile(r"(?:comment-page-\d+|amp|\d+)/?$")


def query_path(request):
    """`/?p=123` for WordPress's query-string links (`/?p=123`, `/index.php?page_id=7`, and
    `/blog/?p=123` for a blog installed in a subdirectory)."""
    folder = query_folder(request.path)
    if folder is None or len(folder) > PATH_MAX_LENGTH - 30:
        return None
    for key in QUERY_KEYS:
        value = request.GET.get(key, "")
        if value.isascii() and value.isdigit() and len(value) < 20:
            return f"{folder}?{key}={int(value)}"
    return None


def candidate_paths(path):
    """The stored paths an old address may be recorded under."""
    if len(path) > PATH_MAX_LENGTH:
        return []
    candidates = [path, path[:-1] if path.endswith("/") else path + "/"]
    trimmed = _WORDPRESS_SUFFIX.sub("", path)
    if trimmed != path and trimmed.count("/") > 1:
        candidates += [trimmed, trimmed.rstrip("/")]
    return [candidate for candidate in candidates if candidate]


def find_post(paths):
    """The published post one of `paths` belongs to, or None. One query."""
    if not paths:
        return None
    found = (
        LegacyURL.objects.filter(path__in=paths, post__in=Post.objects.published())
        .select_related("post")
        .first()
    )
    return found.post if found else None


def find_target(paths):
    """The published post or page one of `paths` belongs to, or None. One query."""
    if not paths:
        return None
    found = (
        LegacyURL.objects.filter(path__in=paths)
        .filter(Q(post__in=Post.objects.published()) | Q(page__in=Page.objects.published()))
        .select_related("post", "page")
        .first()
    )
    return found.target if found else None


def target_url(post, request):
    """The post's permalink, or a comment's when Blogger's `?showComment=<ms>` names one;
    a page's address."""
    if isinstance(post, Page):
        return post.get_absolute_url()
    shown = request.GET.get("showComment", "")
    if shown.isascii() and shown.isdigit() and len(shown) <= 15:
        moment = datetime.fromtimestamp(int(shown) / 1000, tz=dt_timezone.utc)
        comment = post.comments.visible().filter(created_at=moment).first()
        if comment is not None:
            return comment.get_absolute_url()
    return post.get_absolute_url()
