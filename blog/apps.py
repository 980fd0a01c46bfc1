from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Blog"

    def ready(self):
        # Integers past the database's range match nothing in any lookup, on every model.
        from blog import lookups  # noqa: F401
