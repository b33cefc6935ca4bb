from django.apps import AppConfig
from django.utils.translation import gettext


def _describe_conversation(conversation_id: int | None) -> tuple[str, str]:
    """How the report queue names a chat; no link, coordinators do not read chats."""
    if conversation_id is None:
        return gettext("Chats"), ""
    return gettext("Chat %(number)s") % {"number": conversation_id}, ""


class ChatConfig(AppConfig):
    name = "peerlight.chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The privacy registry must know the chat's models from start-up, and
        # the sign-out receiver must be connected before anyone signs out.
        from peerlight.chat import signals  # noqa: F401
        from peerlight.chat.privacy_registrations import register_chat_models

        register_chat_models()

        from peerlight.safety.access import register_source

        register_source("chat.conversation", _describe_conversation)

        from peerlight.chat.seats import ChatSeats
        from peerlight.safety.places import register_chat_seats

        register_chat_seats(ChatSeats())
