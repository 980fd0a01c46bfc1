from functools import partial

from django.urls import path, re_path, register_converter

import pagecache
from blog import feeds, views

app_name = "blog"


class YearConverter:
    """A four-digit year whose archive and permalinks Python's dates can compute.

    An archive looks up the following year (month, day) and converts local midnight to
    UTC: in year 1 or 9999 that leaves the range of Python's datetime (an OverflowError,
    a 500), so those years are not found.
    """

    regex = "[0-9]{4}"

    def to_python(self, value):
        if not 2 <= int(value) <= 9998:
            raise ValueError("year out of range")
        return value

    def to_url(self, value):
        return f"{int(value):04d}"


class TwoDigitsConverter:
    """A month or a day: invalid ones (00, 13, 32) are the date views' own 404."""

    regex = "[0-9]{2}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return f"{int(value):02d}"


class UnicodeSlugConverter:
    """Slugs of letters in any script (tags may be named in any language)."""

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(YearConverter, "year")
register_converter(TwoDigitsConverter, "two_digits")
register_converter(UnicodeSlugConverter, "unicode_slug")

# Feeds show posts and tags only (the sitemap, with pages too, is in config/urls.py).
cached = partial(pagecache.for_readers, keys=[pagecache.SITE])

urlpatterns = [
    path("", views.PostIndexView.as_view(), name="post-index"),
    path("<year:year>/", views.PostYearArchiveView.as_view(), name="archive-year"),
    path(
        "<year:year>/<two_digits:month>/",
        views.PostMonthArchiveView.as_view(),
        name="archive-month",
    ),
    path(
        "<year:year>/<two_digits:month>/<two_digits:day>/<unicode_slug:slug>/",
        views.PostDetailView.as_view(),
        name="post-detail",
    ),
    path("preview/<int:pk>/", views.PostPreviewView.as_view(), name="post-preview"),
    re_path(
        r"^preview/shared/(?P<token>[-\w]{43})/$", views.SharedPreviewView.as_view(), name="shared-preview"
    ),
    path("tags/", views.TagListView.as_view(), name="tag-list"),
    re_path(
        r"^tags/(?P<slug>[-\w]+)/$",
        views.follow_old_tag_slugs(views.TagDetailView.as_view(), "blog:tag-detail"),
        name="tag-detail",
    ),
    re_path(
        r"^tags/(?P<slug>[-\w]+)/feed/rss/$",
        views.follow_old_tag_slugs(cached(feeds.TagPostsFeed()), "blog:tag-feed-rss"),
        name="tag-feed-rss",
    ),
    re_path(
        r"^tags/(?P<slug>[-\w]+)/feed/atom/$",
        views.follow_old_tag_slugs(cached(feeds.TagPostsAtomFeed()), "blog:tag-feed-atom"),
        name="tag-feed-atom",
    ),
    path("authors/<str:username>/", views.AuthorDetailView.as_view(), name="author-detail"),
    path("authors/<str:username>/feed/rss/", cached(feeds.AuthorPostsFeed()), name="author-feed-rss"),
    path("authors/<str:username>/feed/atom/", cached(feeds.AuthorPostsAtomFeed()), name="author-feed-atom"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("feed/rss/", cached(feeds.LatestPostsFeed()), name="feed-rss"),
    path("feed/atom/", cached(feeds.LatestPostsAtomFeed()), name="feed-atom"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
