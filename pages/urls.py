from django.urls import path, register_converter

from pages import views

app_name = "pages"


class PagePathConverter:
    """A page's address: slugs (in any script) joined by slashes, "about/team"."""

    regex = r"[-\w]+(?:/[-\w]+)*"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(PagePathConverter, "page_path")

# Last of all the site's routes (config/urls.py): whatever no other route answers may be a
# page; pages.routes refuses a page address another route already answers.
urlpatterns = [
    path("<page_path:path>/", views.PageDetailView.as_view(), name="page-detail"),
]
