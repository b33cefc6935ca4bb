from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "peerlight.safety"
    default_auto_field = "django.db.models.BigAutoField"
