from django.urls import re_path

from pages import views

app_name = "pages"

# Last of all the site's routes (config/urls.py): whatever no other route answers may be a
# page; pages.routes refuses a page address another route already answers.
urlpatterns = [
    re_path(r"^(?P<path>[-\w]+(?:/[-\w]+)*)/$", views.PageDetailView.as_view(), name="page-detail"),
]
