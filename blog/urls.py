from django.contrib.sitemaps.views import sitemap
from django.urls import path, re_path

from blog import feeds, views
from blog.sitemaps import sitemaps

app_name = "blog"

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
    re_path(r"^tags/(?P<slug>[-\w]+)/feed/rss/$", feeds.TagPostsFeed(), name="tag-feed-rss"),
    re_path(r"^tags/(?P<slug>[-\w]+)/feed/atom/$", feeds.TagPostsAtomFeed(), name="tag-feed-atom"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("feed/rss/", feeds.LatestPostsFeed(), name="feed-rss"),
    path("feed/atom/", feeds.LatestPostsAtomFeed(), name="feed-atom"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
