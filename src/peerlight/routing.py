"""Websocket routes; each app that has consumers adds its own here."""

from typing import Any

websocket_urlpatterns: list[Any] = []
