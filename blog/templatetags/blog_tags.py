from itertools import groupby

from django import template
from django.db.models import Count
from django.db.models.functions import TruncMonth

from blog.models import Post, Tag

register = template.Library()


@register.inclusion_tag("blog/_archive_list.html")
def blog_archive():
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


@register.inclusion_tag("blog/_tag_list.html")
def tag_list():
    """Tags that have published posts, with how many."""
    tags = (
        Tag.objects.filter(posts__in=Post.objects.published())
        .annotate(post_count=Count("posts"))
        .order_by("name")
    )
    return {"tags": tags}
