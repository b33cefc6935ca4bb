from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "peerlight.chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The privacy registry must know the chat's models from start-up, and
        # the sign-out receiver must be connected before anyone signs out.
        from peerlight.chat import signals  # noqa: F401
        from peerlight.chat.privacy_registrations import register_chat_models

        register_chat_models()
