from django.apps import AppConfig


class TransferConfig(AppConfig):
    """Moving content in and out: the seed article, Blogger and WordPress imports, exports."""

    name = "transfer"
    verbose_name = "Import and export"

    def ready(self):
        # The "media" delivery channel registers itself on import; the worker needs it.
        from transfer import media  # noqa: F401
