from django.urls import path

from federation import views

app_name = "federation"

urlpatterns = [
    path(".well-known/webfinger", views.webfinger, name="webfinger"),
    path(".well-known/nodeinfo", views.nodeinfo_links, name="nodeinfo-links"),
    path("nodeinfo/2.1", views.nodeinfo, name="nodeinfo"),
    path("ap/inbox", views.inbox_view, name="shared-inbox"),
    path("ap/actors/<str:username>", views.actor, name="actor"),
    path("ap/actors/<str:username>/inbox", views.inbox_view, name="inbox"),
    path("ap/actors/<str:username>/outbox", views.outbox, name="outbox"),
    path("ap/actors/<str:username>/followers", views.followers, name="followers"),
    path("ap/posts/<int:pk>", views.article, name="article"),
    path("ap/comments/<int:pk>", views.note, name="note"),
]
