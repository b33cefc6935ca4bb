"""The queue of members waiting for a peer: its order and a rough wait (pure Python).

Part of ``support.matching`` (which re-exports all of it), split out by topic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Queue order: the safety check's levels, most urgent highest. The same order
# as ``peerlight.safety.detector.LEVEL_ORDER``; kept here so this module
# stays free of other apps.
URGENCY_ORDER: Mapping[str, int] = {"none": 0, "concern": 1, "imminent": 2}


@dataclass(frozen=True)
class QueueEntry:
    request_id: int
    urgency: str  # the safety check's level: "none", "concern" or "imminent"
    created_at: float  # epoch seconds


def queue_order(entries: Sequence[QueueEntry]) -> list[QueueEntry]:
    """Entries in the order peers should meet them: most urgent first, then oldest.

    An urgency level this module does not know counts as the most urgent: a
    new level added by the safety check must never send someone to the back.
    """
    most_urgent = max(URGENCY_ORDER.values()) + 1
    return sorted(
        entries,
        key=lambda entry: (
            -URGENCY_ORDER.get(entry.urgency, most_urgent),
            entry.created_at,
            entry.request_id,
        ),
    )


def estimate_wait_seconds(
    position: int, *, free_slots: int, peers_on_shift: int, median_chat_seconds: float
) -> float | None:
    """A rough wait for the member at ``position`` in the queue (1 = next), or None.

    0 when a free chat slot is waiting for them. Otherwise, each peer on shift
    frees a slot about once per median chat, so the people ahead of them are
    served at ``peers_on_shift / median_chat_seconds`` per second. None when
    no peer is on shift or there is no chat history to go by: showing the
    hours is more honest than a made-up number.
    """
    if position < 1:
        raise ValueError("Queue positions start at 1.")
    if free_slots >= position:
        return 0.0
    if peers_on_shift < 1 or not median_chat_seconds > 0:
        return None
    waiting_for_a_slot = position - max(free_slots, 0)
    return waiting_for_a_slot * median_chat_seconds / peers_on_shift
