from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "peerlight.lib"
    label = "peerlight_lib"

    def ready(self) -> None:
        from peerlight.lib import checks  # noqa: F401  (registers the system checks)
