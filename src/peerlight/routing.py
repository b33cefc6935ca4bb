"""Websocket routes; each app that has consumers adds its own here."""

from typing import Any

from peerlight.chat.routing import websocket_urlpatterns as chat_websocket_urlpatterns

websocket_urlpatterns: list[Any] = [*chat_websocket_urlpatterns]
