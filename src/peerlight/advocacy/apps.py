from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "peerlight.advocacy"
    default_auto_field = "django.db.models.BigAutoField"
