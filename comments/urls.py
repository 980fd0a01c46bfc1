from django.urls import path

from comments import feeds, views

app_name = "comments"

urlpatterns = [
    path("post/<int:post_id>/", views.post_comment, name="post"),
    path("reply/<int:comment_id>/", views.reply, name="reply"),
    path("moderation/", views.queue, name="queue"),
    path("moderation/decide/", views.moderate, name="moderate"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("feed/rss/", feeds.LatestCommentsFeed(), name="feed-rss"),
    path("feed/atom/", feeds.LatestCommentsAtomFeed(), name="feed-atom"),
    path("feed/post/<int:post_id>/rss/", feeds.PostCommentsFeed(), name="post-feed-rss"),
    path("feed/post/<int:post_id>/atom/", feeds.PostCommentsAtomFeed(), name="post-feed-atom"),
]
