from django.urls import path

from webmention import views

app_name = "webmention"

urlpatterns = [
    path("", views.endpoint, name="endpoint"),
]
