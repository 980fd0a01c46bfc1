from django.apps import AppConfig


class WebmentionConfig(AppConfig):
    """Webmentions (W3C): received as comments, sent to the pages a post links to."""

    name = "webmention"
    verbose_name = "Webmentions"

    def ready(self):
        # The two delivery channels register themselves on import (the worker needs them);
        # sending listens to post saves (sending.py says why a signal).
        from webmention import receiving, sending  # noqa: F401

        sending.connect()
