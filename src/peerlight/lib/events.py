"""Realtime nudges through the channel layer, sent only after the transaction commits.

Events carry ids, never text: a consumer that receives one re-reads what it
points at through the owning app's ``access`` module, so a message the
recipient may no longer see is never shown. Group names come from the
helpers here so every sender and listener spells them the same way.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def user_group(user_id: int) -> str:
    """Every open socket of one person (offers, log-out, deactivation)."""
    return f"user.{user_id}"


def conversation_group(conversation_id: int) -> str:
    """Every open socket on one conversation."""
    return f"chat.conversation.{conversation_id}"


def send_now(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to ``group`` at once; ``event["type"]`` names the consumer method."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, event)


def send_on_commit(groups: list[str], event: dict[str, Any]) -> None:
    """Send ``event`` to each group once the current transaction commits (at once outside one)."""

    def send() -> None:
        for group in groups:
            send_now(group, event)

    transaction.on_commit(send)
