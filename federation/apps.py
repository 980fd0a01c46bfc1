from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation (ActivityPub)"

    def ready(self):
        # Posts and comments say nothing of federation: what they cause here is declared
        # in publishing.py and connected to their models' signals.
        # Each module registers the inbox handlers of the activities it takes.
        from federation import publishing, reactions, replies  # noqa: F401

        publishing.connect()
