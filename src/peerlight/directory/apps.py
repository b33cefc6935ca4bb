from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "peerlight.directory"
    default_auto_field = "django.db.models.BigAutoField"
