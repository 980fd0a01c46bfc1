from functools import partial

from django.urls import path

import pagecache
from comments import feeds, views

app_name = "comments"

# The comment feeds show comments and the titles of the posts they are on; one post's
# feeds show its thread.
cached = partial(pagecache.for_readers, keys=[pagecache.SITE, pagecache.COMMENTS])
of_post = partial(pagecache.for_readers, keys=lambda post_id: [pagecache.SITE, pagecache.thread(post_id)])

urlpatterns = [
    path("post/<int:post_id>/", views.post_comment, name="post"),
    path("reply/<int:comment_id>/", views.reply, name="reply"),
    path("<int:comment_id>/edit/", views.edit_comment, name="edit"),
    path("<int:comment_id>/delete/", views.delete_comment, name="delete"),
    path("moderation/", views.queue, name="queue"),
    path("moderation/decide/", views.moderate, name="moderate"),
    path("moderation/<int:comment_id>/reply/", views.reply_from_queue, name="queue-reply"),
    path("moderation/<int:comment_id>/edit/", views.edit_from_queue, name="queue-edit"),
    path("moderation/<int:comment_id>/block/", views.block_from_queue, name="queue-block"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("confirm/<str:token>/", views.confirm_address, name="confirm-address"),
    path("feed/rss/", cached(feeds.LatestCommentsFeed()), name="feed-rss"),
    path("feed/atom/", cached(feeds.LatestCommentsAtomFeed()), name="feed-atom"),
    path("feed/post/<int:post_id>/rss/", of_post(feeds.PostCommentsFeed()), name="post-feed-rss"),
    path("feed/post/<int:post_id>/atom/", of_post(feeds.PostCommentsAtomFeed()), name="post-feed-atom"),
]
