from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation (ActivityPub)"

    def ready(self):
        # Posts and comments say nothing of federation: what they cause here is declared
        # in publishing.py and connected to their models' signals.
        from federation import publishing

        publishing.connect()
