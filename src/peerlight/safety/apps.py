from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "peerlight.safety"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The privacy registry must know reports and blocks from start-up;
        # importing the checks registers them.
        from peerlight.safety import checks  # noqa: F401
        from peerlight.safety.privacy import register_safety_models

        register_safety_models()
