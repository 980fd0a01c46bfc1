from django.contrib.auth import get_user_model
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import feedgenerator

from blog.models import Post, Tag, display_name
from blog.site import site_settings
from blog.text import xml_safe

FEED_LENGTH = 20


def _xml_safe_values(values):
    """The feed's or an item's values, without characters XML cannot carry.

    Forms refuse such characters, but rows written before that rule, or by an import,
    may hold them: one of them would make the whole feed unparseable (Django's writer
    raises on it).
    """
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = xml_safe(value)
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            values[name] = [xml_safe(v) for v in value]


class XmlSafeFeedMixin:
    """A feed writer whose every text value is cleaned before it is written."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _xml_safe_values(self.feed)

    def add_item(self, *args, **kwargs):
        super().add_item(*args, **kwargs)
        _xml_safe_values(self.items[-1])


class RssFeed(XmlSafeFeedMixin, feedgenerator.Rss201rev2Feed):
    pass


class AtomFeed(XmlSafeFeedMixin, feedgenerator.Atom1Feed):
    pass


class SiteFeed(Feed):
    """A feed of this site: the site's settings are read with the request, as pages read them."""

    def get_feed(self, obj, request):
        # The titles below then cost no query where the page cache has read the site's version.
        site_settings(request)
        return super().get_feed(obj, request)


class LatestPostsFeed(SiteFeed):
    feed_type = RssFeed

    def title(self):
        return site_settings().name

    def description(self):
        return site_settings().description or "The latest posts."

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
    feed_type = AtomFeed
    subtitle = LatestPostsFeed.description


class TagPostsFeed(LatestPostsFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Tag, slug=slug)

    def title(self, tag):
        return f"{site_settings().name}: {tag.name}"

    def link(self, tag):
        return tag.get_absolute_url()

    def description(self, tag):
        return f"The latest posts tagged “{tag.name}”."

    def items(self, tag):
        return self.posts().filter(tags=tag)[:FEED_LENGTH]


class TagPostsAtomFeed(TagPostsFeed):
    feed_type = AtomFeed

    def subtitle(self, tag):
        return self.description(tag)


class AuthorPostsFeed(LatestPostsFeed):
    def get_object(self, request, username):
        users = get_user_model().objects.select_related("author_profile")
        return get_object_or_404(users, username=username)

    def title(self, author):
        return f"{site_settings().name}: posts by {display_name(author)}"

    def link(self, author):
        return reverse("blog:author-detail", kwargs={"username": author.get_username()})

    def description(self, author):
        return f"The latest posts by {display_name(author)}."

    def items(self, author):
        return self.posts().filter(author=author)[:FEED_LENGTH]


class AuthorPostsAtomFeed(AuthorPostsFeed):
    feed_type = AtomFeed

    def subtitle(self, author):
        return self.description(author)
