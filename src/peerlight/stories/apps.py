from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "peerlight.stories"
    default_auto_field = "django.db.models.BigAutoField"
