from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "peerlight.support"
    default_auto_field = "django.db.models.BigAutoField"
