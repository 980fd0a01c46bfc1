from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = "Deliveries"

    def ready(self):
        # The channels register themselves on import; the worker needs them all.
        from delivery import email  # noqa: F401
