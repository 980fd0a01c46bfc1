from itertools import groupby

from django import template
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

import pagecache
from blog.models import Post, Tag

register = template.Library()


# The sidebar aggregates over every published post: rendered once per version of the site
# (pagecache/store.py) and served from the cache until a post or tag changes.


@register.simple_tag(takes_context=True)
def blog_archive(context):
    return mark_safe(pagecache.fragment(
        context.get("request"),
        "sidebar-archive",
        [pagecache.SITE],
        lambda: render_to_string("blog/_archive_list.html", archive_months()),
    ))


@register.simple_tag(takes_context=True)
def tag_list(context):
    return mark_safe(pagecache.fragment(
        context.get("request"),
        "sidebar-tags",
        [pagecache.SITE],
        lambda: render_to_string("blog/_tag_list.html", tags_with_counts()),
    ))


@register.simple_tag(takes_context=True)
def post_neighbours(context, post):
    """Links under a published post: the previous and next post, and up to three related.

    They change whenever any post is published, unpublished, retagged or deleted, which is
    what the site's version records: rendered once per version (3 queries) and served from
    the cache on every other view of the page. Nothing for drafts and scheduled posts.
    """
    if not post.is_published:
        return ""
    return mark_safe(pagecache.fragment(
        context.get("request"),
        f"post-neighbours:{post.pk}",
        [pagecache.SITE],
        lambda: render_to_string("blog/_post_neighbours.html", neighbours(post)),
    ))


# What the links under a post need of each post: its title and permalink.
_LINK_FIELDS = ["title", "slug", "published_at"]
RELATED_POSTS = 3


def neighbours(post):
    published = Post.objects.published().only(*_LINK_FIELDS)
    return {
        "previous": published.before(post).first(),
        "next": published.after(post).first(),
        "related": list(published.related_to(post)[:RELATED_POSTS]),
    }


@register.simple_tag(takes_context=True)
def absolute_url(context, url):
    """`url` as an absolute address on the host the page was asked for (OpenGraph wants one).

    An address that is already absolute (media on another host) is kept as it is.
    """
    request = context.get("request")
    if request is None:
        return url
    return request.build_absolute_uri(url)


def archive_months():
    """The "Blog archive": years, and months with their post counts, newest first."""
    months = (
        Post.objects.published()
        .annotate(month=TruncMonth("published_at"))
        .values("month")
        .annotate(post_count=Count("id"))
        .order_by("-month")
    )
    years = [
        {"year": year, "months": list(entries)}
        for year, entries in groupby(months, key=lambda entry: entry["month"].year)
    ]
    for year in years:
        year["post_count"] = sum(entry["post_count"] for entry in year["months"])
    return {"years": years}


def tags_with_counts():
    """Tags that have published posts, with how many."""
    return {"tags": Tag.objects.with_published_posts()}
