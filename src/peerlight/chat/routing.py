"""The chat's websocket route, added to ``peerlight.routing``."""

from typing import Any

from django.urls import path

from peerlight.chat.consumers import ChatConsumer

websocket_urlpatterns: list[Any] = [
    path("chat/ws/<int:conversation_id>/", ChatConsumer.as_asgi()),
]
