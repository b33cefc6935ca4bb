from django.apps import AppConfig


class CirclesConfig(AppConfig):
    name = "peerlight.circles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peerlight.circles import privacy_registrations, room

        privacy_registrations.register()
        room.register_chat_tools()
