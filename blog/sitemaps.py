from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from blog.models import Post, Tag


class PostSitemap(Sitemap):
    changefreq = "monthly"
    limit = 5000

    def items(self):
        return Post.objects.published().only("slug", "published_at", "updated_at").order_by("-published_at")

    def lastmod(self, post):
        return post.updated_at


class TagSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Tag.objects.with_published_posts().order_by("slug")


class HomeSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["blog:post-index"]

    def location(self, name):
        return reverse(name)


class TagIndexSitemap(HomeSitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return ["blog:tag-list"]


sitemaps = {"home": HomeSitemap, "tag-index": TagIndexSitemap, "posts": PostSitemap, "tags": TagSitemap}
