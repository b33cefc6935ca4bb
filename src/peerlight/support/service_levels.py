"""Service levels of peer support, computed from plain request rows (no Django).

The coordinator page shows four figures for a time window. Each is defined
over what is known about a request, so that requests still in the queue do
not bend the numbers either way:

* **Settled** requests are those whose outcome is known: they reached a peer
  (``connected_at`` is set) or were abandoned (cancelled before reaching
  one). Requests still waiting or offered are left out of every figure.
* **Share answered within 60 s**: settled requests that reached a peer at most
  ``answer_within_seconds`` after they were made, divided by all settled
  requests. Someone who left the queue after ten seconds counts as not
  answered: nobody can know whether a peer would have come in time, and the
  figure should not look better because people gave up quickly.
* **Median and p90 wait**: over requests that reached a peer, the seconds from
  asking to connecting. The p90 is the nearest-rank percentile (the smallest
  observed wait that at least 90 % of waits do not exceed), so with few values
  it is always a wait that really happened, never an interpolation: with five
  waits it is the longest one.
* **Abandonment rate**: abandoned requests divided by settled requests.
* **Chats per peer**: requests that reached a peer, counted per peer; the
  number of peers who had at least one, the mean and the most.

Every rate or wait is None when there is nothing to compute it from, so a
page can say "no requests yet" rather than show a misleading 0 %.

The Django side, loading rows for a window in one query, is
``peerlight.support.service_queries.service_levels_between``.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

ANSWER_WITHIN_SECONDS = 60
CANCELLED = "cancelled"


@dataclass(frozen=True)
class RequestRow:
    """What the figures need to know about one support request."""

    created_at: datetime
    connected_at: datetime | None
    closed_at: datetime | None
    status: str
    peer_id: int | None

    @property
    def connected(self) -> bool:
        return self.connected_at is not None

    @property
    def abandoned(self) -> bool:
        return self.status == CANCELLED and self.connected_at is None

    @property
    def wait_seconds(self) -> float | None:
        if self.connected_at is None:
            return None
        # A clock step backwards must not make a negative wait.
        return max(0.0, (self.connected_at - self.created_at).total_seconds())


@dataclass(frozen=True)
class ChatsPerPeer:
    peers: int
    chats: int
    mean: float | None
    most: int
    # (peer id, chats), busiest first, then by id.
    by_peer: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ServiceLevels:
    """The figures for one window; see the module docstring for each definition."""

    requests: int
    # Not settled: still waiting or being offered when the rows were read.
    unsettled: int
    settled: int
    connected: int
    abandoned: int
    answered_in_time: int
    answer_within_seconds: int
    answered_share: float | None
    median_wait_seconds: float | None
    p90_wait_seconds: float | None
    abandonment_rate: float | None
    chats_per_peer: ChatsPerPeer


def nearest_rank(values: Sequence[float], percentile: float) -> float | None:
    """The nearest-rank ``percentile`` (0 < p ≤ 100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return ordered[rank - 1]


def chats_per_peer(rows: Iterable[RequestRow]) -> ChatsPerPeer:
    counts = Counter(row.peer_id for row in rows if row.connected and row.peer_id is not None)
    chats = sum(counts.values())
    by_peer = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return ChatsPerPeer(
        peers=len(counts),
        chats=chats,
        mean=chats / len(counts) if counts else None,
        most=max(counts.values(), default=0),
        by_peer=by_peer,
    )


def service_levels(
    rows: Iterable[RequestRow], *, answer_within_seconds: int = ANSWER_WITHIN_SECONDS
) -> ServiceLevels:
    """Every figure of the module docstring, over ``rows``."""
    rows = list(rows)
    waits = [wait for row in rows if (wait := row.wait_seconds) is not None]
    abandoned = sum(1 for row in rows if row.abandoned)
    settled = len(waits) + abandoned
    in_time = sum(1 for wait in waits if wait <= answer_within_seconds)
    return ServiceLevels(
        requests=len(rows),
        unsettled=len(rows) - settled,
        settled=settled,
        connected=len(waits),
        abandoned=abandoned,
        answered_in_time=in_time,
        answer_within_seconds=answer_within_seconds,
        answered_share=in_time / settled if settled else None,
        median_wait_seconds=float(statistics.median(waits)) if waits else None,
        p90_wait_seconds=nearest_rank(waits, 90),
        abandonment_rate=abandoned / settled if settled else None,
        chats_per_peer=chats_per_peer(rows),
    )
