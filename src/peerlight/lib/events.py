"""Realtime nudges through the channel layer, sent only after the transaction commits.

Events carry ids, never text: a consumer that receives one re-reads what it
points at through the owning app's ``access`` module, so a message the
recipient may no longer see is never shown. Group names come from the
helpers here so every sender and listener spells them the same way.

Events are sent from synchronous code: actions called by views (on the HTTP
threads) or by consumers (through ``database_sync_to_async``). With Redis the
layer is shared between processes and any thread may send. The in-memory
layer of the embedded default keeps its queues on the event loop that serves
the websockets, and asyncio queues are not thread-safe: an event put there
from another loop may sit unnoticed until that loop next wakes up. So the
first consumer to connect tells this module its loop
(``serve_events_from``), and events for the in-memory layer are handed to
that loop.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

_serving_loop: asyncio.AbstractEventLoop | None = None


def user_group(user_id: int) -> str:
    """Every open socket of one person (offers, log-out, deactivation)."""
    return f"user.{user_id}"


def conversation_group(conversation_id: int) -> str:
    """Every open socket on one conversation."""
    return f"chat.conversation.{conversation_id}"


def serve_events_from(loop: asyncio.AbstractEventLoop) -> None:
    """Remember the event loop the websocket consumers run on (see the module docstring)."""
    global _serving_loop
    _serving_loop = loop


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _log_failure(handed: Future[None]) -> None:
    error = handed.exception()
    if error is not None:
        # The event names a group and ids only, never text.
        logger.error("A realtime event could not be delivered", exc_info=error)


def send_now(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to ``group`` at once; ``event["type"]`` names the consumer method."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _serving_loop
    if (
        isinstance(layer, InMemoryChannelLayer)
        and loop is not None
        and loop.is_running()
        and _running_loop() is not loop
    ):
        # Handed over without waiting: the thread that committed a message
        # goes on at once, and the loop runs hand-overs in the order given.
        handed = asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop)
        handed.add_done_callback(_log_failure)
        return
    async_to_sync(layer.group_send)(group, event)


def send_on_commit(groups: list[str], event: dict[str, Any]) -> None:
    """Send ``event`` to each group once the current transaction commits (at once outside one)."""

    def send() -> None:
        for group in groups:
            send_now(group, event)

    transaction.on_commit(send)
