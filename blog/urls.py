from functools import partial

from django.contrib.sitemaps.views import sitemap
from django.urls import path, re_path

from blog import feeds, pagecache, views
from blog.sitemaps import sitemaps

app_name = "blog"

# Feeds and the sitemap show posts and tags only.
cached = partial(pagecache.cache_for_readers, keys=[pagecache.SITE])

urlpatterns = [
    path("", views.PostIndexView.as_view(), name="post-index"),
    re_path(r"^(?P<year>[0-9]{4})/$", views.PostYearArchiveView.as_view(), name="archive-year"),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/$",
        views.PostMonthArchiveView.as_view(),
        name="archive-month",
    ),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/(?P<slug>[-\w]+)/$",
        views.PostDetailView.as_view(),
        name="post-detail",
    ),
    path("preview/<int:pk>/", views.PostPreviewView.as_view(), name="post-preview"),
    re_path(r"^tags/(?P<slug>[-\w]+)/$", views.TagDetailView.as_view(), name="tag-detail"),
    re_path(r"^tags/(?P<slug>[-\w]+)/feed/rss/$", cached(feeds.TagPostsFeed()), name="tag-feed-rss"),
    re_path(r"^tags/(?P<slug>[-\w]+)/feed/atom/$", cached(feeds.TagPostsAtomFeed()), name="tag-feed-atom"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("feed/rss/", cached(feeds.LatestPostsFeed()), name="feed-rss"),
    path("feed/atom/", cached(feeds.LatestPostsAtomFeed()), name="feed-atom"),
    path("sitemap.xml", cached(sitemap), {"sitemaps": sitemaps}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
