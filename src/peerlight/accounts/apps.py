from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "peerlight.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The privacy registry must know the foundation's models from start-up.
        from peerlight.accounts.privacy_registrations import register_foundation_models

        register_foundation_models()
