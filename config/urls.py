from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path

import pagecache
from blog import views as blog_views
from blog.sitemaps import sitemaps as blog_sitemaps
from ops import views as ops_views
from pages.sitemaps import PageSitemap

# The 500 page renders without the database; a database outage raised outside a view
# still gets the 503 page (ops/views.py).
handler500 = "ops.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    # django-markdownx's editor calls these two paths; our views check who may use them.
    path("markdownx/markdownify/", blog_views.markdown_preview, name="markdownx_markdownify"),
    path("markdownx/upload/", blog_views.image_upload, name="markdownx_upload"),
    path("comments/", include("comments.urls")),
    # ActivityPub: WebFinger, NodeInfo, actors, inboxes (federation/).
    path("", include("federation.urls")),
    path("webmention/", include("webmention.urls")),
    path("", include("blog.urls")),
    path(
        "sitemap.xml",
        pagecache.for_readers(sitemap, keys=[pagecache.SITE]),
        {"sitemaps": {**blog_sitemaps, "pages": PageSitemap}},
        name="sitemap",
    ),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", ops_views.media_file),
    ]

# Last: any address no other route answers may be a page's (pages/routes.py).
urlpatterns += [path("", include("pages.urls"))]
