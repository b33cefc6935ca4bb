from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "peerlight.stories"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peerlight.stories import account_consent, privacy_registrations

        privacy_registrations.register()
        account_consent.connect()
