from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BlogAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on the site of blog/admin_site.py (named in settings.INSTALLED_APPS)."""

    default = False  # BlogConfig stays the "blog" app's configuration
    default_site = "blog.admin_site.BlogAdminSite"


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Blog"

    def ready(self):
        # Integers past the database's range match nothing in any lookup, on every model.
        from blog import lookups  # noqa: F401
