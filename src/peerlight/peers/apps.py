from django.apps import AppConfig


class PeersConfig(AppConfig):
    name = "peerlight.peers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peerlight.peers import checks  # noqa: F401  (registers the system checks)
        from peerlight.peers.privacy import register_peer_models

        register_peer_models()
