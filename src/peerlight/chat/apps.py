from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "peerlight.chat"
    default_auto_field = "django.db.models.BigAutoField"
