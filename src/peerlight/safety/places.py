"""Where a safety plan can be shared: chats, described to safety by the chat app.

``safety`` sits below ``chat`` and never imports it. The chat app registers
a ``ChatSeats`` at start-up (``register_chat_seats``) that answers, for a
conversation id, where a person stands in it and whether a peer is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Seat:
    """A person's place in one chat."""

    # In the chat and not removed (they may have left since).
    member_of: bool
    # Still there: neither left nor removed.
    present: bool
    # There as a supporter or facilitator.
    is_peer: bool
    # The chat has not ended.
    chat_open: bool


class ChatSeats(Protocol):
    def seat(self, user_id: int, conversation_id: int) -> Seat | None:
        """Where ``user_id`` stands in ``conversation_id``; None when they were never in it."""

    def has_peer_besides(self, user_id: int, conversation_id: int) -> bool:
        """Whether an active peer other than ``user_id`` is still in the chat."""


_registered: list[ChatSeats] = []


def register_chat_seats(seats: ChatSeats) -> None:
    """Called once by the chat app at start-up; a second call replaces the first."""
    _registered[:] = [seats]


def chat_seats() -> ChatSeats:
    if not _registered:
        raise ImproperlyConfigured("The chat app has not registered its ChatSeats.")
    return _registered[0]
