from django.urls import include, path

from peerblog import views

urlpatterns = [
    path("posts/<slug:slug>/", views.post_detail, name="post-detail"),
    path("comments/", include("django_comments_xtd.urls")),
]
