from django.shortcuts import get_object_or_404
from django.urls import reverse

from blog.feeds import AtomFeed, RssFeed, SiteFeed
from blog.models import Post
from blog.site import site_settings
from comments import threads
from comments.models import Comment

FEED_LENGTH = 30


def with_pages(comments):
    """The comments, each knowing which page of its thread holds it (one query for all)."""
    comments = list(comments)
    pages = threads.pages_of(comments)
    for comment in comments:
        comment.thread_page = pages.get(comment.pk, 1)
    return comments


class LatestCommentsFeed(SiteFeed):
    """The latest approved comments on published posts. Names only: no email, ever."""

    feed_type = RssFeed
    description = "The latest comments from readers."

    def title(self):
        return f"{site_settings().name}: comments"

    def link(self):
        return reverse("blog:post-index")

    def items(self):
        return with_pages(self.comments()[:FEED_LENGTH])

    def comments(self):
        return (
            Comment.objects.visible()
            .filter(post__in=Post.objects.published())
            .select_related("post")
            .only("id", "author_name", "body_html", "created_at", "post__title",
                  "post__slug", "post__published_at")
            .order_by("-created_at", "-id")
        )

    def item_title(self, comment):
        return f"{comment.author_name} on “{comment.post.title}”"

    def item_description(self, comment):
        return comment.body_html

    def item_link(self, comment):
        return comment.get_absolute_url()

    def item_pubdate(self, comment):
        return comment.created_at

    def item_author_name(self, comment):
        return comment.author_name


class LatestCommentsAtomFeed(LatestCommentsFeed):
    feed_type = AtomFeed
    subtitle = LatestCommentsFeed.description


class PostCommentsFeed(LatestCommentsFeed):
    def get_object(self, request, post_id):
        return get_object_or_404(Post.objects.published(), pk=post_id)

    def title(self, post):
        return f"Comments on “{post.title}”"

    def link(self, post):
        return post.get_absolute_url()

    def description(self, post):
        return f"The latest comments on “{post.title}”."

    def items(self, post):
        return with_pages(self.comments().filter(post=post)[:FEED_LENGTH])

    def item_title(self, comment):
        return comment.author_name


class PostCommentsAtomFeed(PostCommentsFeed):
    feed_type = AtomFeed

    def subtitle(self, post):
        return self.description(post)
