from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from blog.models import Post, Tag

FEED_LENGTH = 20


class LatestPostsFeed(Feed):
    description = "The latest posts."

    def title(self):
        return settings.SITE_NAME

    def link(self):
        return reverse("blog:post-index")

    def items(self):
        return self.posts()[:FEED_LENGTH]

    def posts(self):
        return Post.objects.published().select_related("author").prefetch_related("tags")

    def item_title(self, post):
        return post.title

    def item_description(self, post):
        return post.body_html

    def item_pubdate(self, post):
        return post.published_at

    def item_updateddate(self, post):
        return post.updated_at

    def item_author_name(self, post):
        return post.author.get_full_name() or post.author.get_username()

    def item_categories(self, post):
        return [tag.name for tag in post.tags.all()]


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description


class TagPostsFeed(LatestPostsFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Tag, slug=slug)

    def title(self, tag):
        return f"{settings.SITE_NAME}: {tag.name}"

    def link(self, tag):
        return tag.get_absolute_url()

    def description(self, tag):
        return f"The latest posts tagged “{tag.name}”."

    def items(self, tag):
        return self.posts().filter(tags=tag)[:FEED_LENGTH]


class TagPostsAtomFeed(TagPostsFeed):
    feed_type = Atom1Feed

    def subtitle(self, tag):
        return self.description(tag)
