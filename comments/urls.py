from functools import partial

from django.urls import path

from blog import pagecache
from comments import feeds, views

app_name = "comments"

# The comment feeds show comments and the titles of the posts they are on.
cached = partial(pagecache.cache_for_readers, keys=[pagecache.SITE, pagecache.COMMENTS])

urlpatterns = [
    path("post/<int:post_id>/", views.post_comment, name="post"),
    path("reply/<int:comment_id>/", views.reply, name="reply"),
    path("moderation/", views.queue, name="queue"),
    path("moderation/decide/", views.moderate, name="moderate"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("feed/rss/", cached(feeds.LatestCommentsFeed()), name="feed-rss"),
    path("feed/atom/", cached(feeds.LatestCommentsAtomFeed()), name="feed-atom"),
    path("feed/post/<int:post_id>/rss/", cached(feeds.PostCommentsFeed()), name="post-feed-rss"),
    path("feed/post/<int:post_id>/atom/", cached(feeds.PostCommentsAtomFeed()), name="post-feed-atom"),
]
