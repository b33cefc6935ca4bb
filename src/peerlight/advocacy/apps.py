from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "peerlight.advocacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peerlight.advocacy import privacy_registrations, story_changes

        privacy_registrations.register()
        story_changes.connect()
