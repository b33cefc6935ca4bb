"""Matching a member who asks for support with a free peer, and ordering the queue.

Pure Python and numpy, no Django: support builds a ``PeerPool`` from the peers
online now, ``rank`` scores them for one request, and support offers a chat to
the best candidate first, then the next. The score is open and explainable:
every part of it is a named weight below, and every ranked peer carries the
``Reason`` items that can be shown to both people ("You both listed:
perinatal · speaks Spanish").

What counts, in order of strength:

- Language is a hard constraint: a peer who does not speak the requested
  language is never a candidate. Nor is a peer at their most chats at once,
  nor anyone in ``MatchRequest.excluded`` (blocked, already declined, ...).
- A member asking for the same peer again, who rated that peer well.
- The member's priorities: lived experiences they want to share with the
  peer, the first one counting most.
- A stated preference about the peer (gender).
- Continuity with a peer the member talked to and rated well.
- Topics the peer is comfortable with.
- Scarcity, when support passes ``demand`` (what recent members asked
  for): among peers who share equally much with this member, the one whose
  other experiences and languages are least in demand for how few free
  peers have them comes first, so a rare peer (the one free peer with
  perinatal experience, the Spanish speaker) stays free for the member who
  needs them next.
- Load and fairness break the remaining ties: a peer with more room and a
  peer who has waited longer since their last chat come first.

Equal scores are ordered by longer time since the peer's last chat (never
chatted counts as longest), then by lower peer id, so ranking is
deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from peerlight.support.codemasks import BoolArray, CodeMasks, FloatArray
from peerlight.support.queueing import (
    URGENCY_ORDER,
    QueueEntry,
    estimate_wait_seconds,
    queue_order,
)

# The queue lives in its own module; these names stay importable from here.
__all__ = [
    "URGENCY_ORDER",
    "MatchRequest",
    "PeerCandidate",
    "PeerPool",
    "QueueEntry",
    "Ranked",
    "Reason",
    "demand_from",
    "estimate_wait_seconds",
    "priority_weight",
    "queue_order",
    "rank",
    "reasons_for",
]

# Each priority (an experience the member wants to share) is worth
# PRIORITY_FLOOR + PRIORITY_SPAN * PRIORITY_DECAY ** position: 11.5, 8.5, 7,
# ... Earlier priorities weigh more, and even the last one is worth more than
# topics, load, fairness and scarcity together (at most 2 + 1 + 1 + 1.5 =
# 5.5), so shared experience always decides before the tie-breakers do.
PRIORITY_FLOOR = 5.5
PRIORITY_SPAN = 6.0
PRIORITY_DECAY = 0.5

# Topics show the peer is comfortable with what is on the member's mind, a
# weaker signal than shared lived experience: half a point each, counted for
# at most four topics, so topics can never outweigh a single priority.
TOPIC_WEIGHT = 0.5
TOPIC_CAP = 4

# A stated preference about who to talk to (say, a woman peer) is personal
# and often about feeling safe. It outranks any single shared experience, but
# it is not a hard constraint: no one waits longer only because no peer of
# that gender is free.
PREFERENCE_WEIGHT = 12.0

# Continuity only counts with a good past rating (felt heard 4 or 5 out of 5).
# Unasked, it is about as strong as a second priority: a good earlier chat is
# a good sign, not a reason to ignore what the member asked for today. When
# the member asks for the same peer again, it outweighs everything else put
# together (3 priorities 27 + preference 12 + topics 2 + ties 3.5 = 44.5).
GOOD_RATING = 4.0
CONTINUITY_WEIGHT = 7.0
CONTINUITY_ASKED_WEIGHT = 50.0

# Load and fairness only break ties between peers who are otherwise equal:
# each is worth at most one point. Load is the share of a peer's chat slots
# still free; fairness grows with time since the peer's last chat, full after
# an hour, so that chats spread across the shift rather than landing on
# whoever matched first.
LOAD_WEIGHT = 1.0
FAIRNESS_WEIGHT = 1.0
FAIRNESS_HORIZON_SECONDS = 3600.0

# Scarcity (only when ``rank`` is given ``demand``): using a peer for this
# member costs the next members who need what the peer has. For each code
# (experience or language), the pressure is demand / supply ** 2: demand is
# the share of recent requests listing it, supply the free peers in the pool
# who have it, and taking one of n holders raises what each remaining one
# must carry from demand / n to demand / (n - 1), about demand / n ** 2. So
# the only free peer with an experience one member in twenty lists (0.05)
# costs more than one of four free peers with one a third list (0.02). A
# peer's cost sums the pressure of their experiences and languages that
# this member did not ask for: what the member shares with the peer costs
# nothing, that is what the peer is for. The cost takes
# SCARCITY_WEIGHT * cost / (cost + SCARCITY_HALF_COST) points: half the
# weight at the half cost, never all of it, so a larger cost always counts
# for more, even in a small pool where every cost is large. It can outweigh
# a topic or two and the load and fairness tie-breaks, but never a shared
# priority (see PRIORITY_FLOOR).
SCARCITY_WEIGHT = 1.5
SCARCITY_HALF_COST = 0.05

# Support draws ``demand`` from this many of the most recent requests (one
# query; see ``support.access.recent_demand``). A hundred is enough that an
# experience one member in twenty lists is seen about five times, not once
# or never, and few enough to follow the mix of the last day or so on a
# busy service (a quiet one looks further back, which is fine: what people
# bring changes slowly).
DEMAND_WINDOW = 100

_FEW = 16
_BoolArray = BoolArray
_FloatArray = FloatArray


@dataclass(frozen=True)
class PeerCandidate:
    """A peer online now, as the matcher sees them (codes from the vocabulary)."""

    peer_id: int
    languages: frozenset[str]
    experiences: frozenset[str]
    topics: frozenset[str]
    gender: str
    active_chats: int
    max_chats: int
    last_chat_ended_at: float | None  # epoch seconds; None if never chatted


@dataclass(frozen=True)
class MatchRequest:
    """What a member asked for.

    ``priorities`` are experience codes, most important first;
    ``preferences`` maps a preference to a code (only ``"gender"`` is known,
    other keys are ignored); ``past_ratings`` maps a peer id to this member's
    best felt-heard rating (1-5) with that peer.
    """

    language: str
    priorities: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    preferences: Mapping[str, str] = field(default_factory=dict)
    past_ratings: Mapping[int, float] = field(default_factory=dict)
    wants_same_peer: bool = False
    excluded: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Reason:
    """One thing the member and the peer share, for the explanation shown to both.

    ``kind`` and ``codes``:
    - "experience": shared priority experiences, in the member's order;
    - "topic": topics the member chose that the peer is comfortable with;
    - "language": the language they will talk in;
    - "continuity": they talked before and the member rated it well; codes
      are ``("asked",)`` when the member asked for this peer again, else ();
    - "preference": the member's preference the peer meets: the gender code.
    """

    kind: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Ranked:
    peer_id: int
    score: float
    reasons: tuple[Reason, ...]


class PeerPool:
    """The peers online now, held as numpy arrays built once for fast ranking.

    Build one per decision round (or keep one while nobody's state changes);
    ``rank`` reads it and never changes it (beyond a cache of the last
    ``demand``'s scarcity costs).
    """

    def __init__(self, candidates: Iterable[PeerCandidate]) -> None:
        peers = tuple(candidates)
        self.candidates = peers
        self._row_of = {peer.peer_id: row for row, peer in enumerate(peers)}
        if len(self._row_of) != len(peers):
            raise ValueError("Each peer may appear only once in a pool.")
        self.ids = np.array([peer.peer_id for peer in peers], dtype=np.int64)
        self._languages = CodeMasks([peer.languages for peer in peers])
        self._experiences = CodeMasks([peer.experiences for peer in peers])
        self._topics = CodeMasks([peer.topics for peer in peers])
        self._genders = CodeMasks([frozenset({peer.gender} - {""}) for peer in peers])
        active = np.array([peer.active_chats for peer in peers], dtype=np.float64)
        most = np.array([peer.max_chats for peer in peers], dtype=np.float64)
        self._has_room: _BoolArray = active < most
        free_share = np.divide(most - active, most, out=np.zeros(len(peers)), where=self._has_room)
        self._load_score: _FloatArray = LOAD_WEIGHT * np.clip(free_share, 0.0, 1.0)
        # A peer who never chatted counts as having waited forever.
        self._ended: _FloatArray = np.array(
            [
                -math.inf if peer.last_chat_ended_at is None else peer.last_chat_ended_at
                for peer in peers
            ],
            dtype=np.float64,
        )
        self._scarcity_of: tuple[Mapping[str, float], dict[str, float], _FloatArray] | None = None

    def __len__(self) -> int:
        return len(self.candidates)

    def row_of(self, peer_id: int) -> int | None:
        return self._row_of.get(peer_id)

    def eligible(self, request: MatchRequest) -> _BoolArray:
        """Peers who speak the language, have room and are not excluded."""
        speaks = self._languages.has(request.language)
        if speaks is None:
            return np.zeros(len(self), dtype=np.bool_)
        allowed = speaks & self._has_room
        for peer_id in request.excluded:
            row = self._row_of.get(peer_id)
            if row is not None:
                allowed[row] = False
        return allowed

    def idle_seconds(self, now: float) -> _FloatArray:
        """Seconds since each peer's last chat ended; +inf for never, 0 if in the future."""
        idle = now - self._ended
        return np.maximum(idle, 0.0, out=idle)

    def scarcity(self, demand: Mapping[str, float]) -> tuple[dict[str, float], _FloatArray]:
        """Each code's pressure, and each peer's summed pressure over all their codes.

        A code's pressure is its demand share over the number of peers with
        room who have it (codes no such peer has are left out): how much of
        the coming demand for it each free holder must carry. Kept for the
        last ``demand`` seen, so a round of decisions sharing one mapping
        works it out once.
        """
        cached = self._scarcity_of
        if cached is not None and cached[0] is demand:
            return cached[1], cached[2]
        pressure: dict[str, float] = {}
        costs = np.zeros(len(self), dtype=np.float64)
        for masks in (self._experiences, self._languages):
            supply = masks.rows_holding(self._has_room)
            weights = np.zeros(supply.size, dtype=np.float64)
            for code, bit in masks.bit_of.items():
                wanted = float(demand.get(code, 0.0))
                if wanted > 0 and supply[bit] > 0:
                    pressure[code] = weights[bit] = wanted / float(supply[bit]) ** 2
            if weights.any():
                costs += masks.dense() @ weights
        self._scarcity_of = (demand, pressure, costs)
        return pressure, costs

    def scores(
        self, request: MatchRequest, *, now: float, demand: Mapping[str, float] | None = None
    ) -> tuple[_FloatArray, _FloatArray]:
        """Every peer's score for ``request`` and their idle seconds (for tie-breaks)."""
        score = np.zeros(len(self), dtype=np.float64)
        pressure, cost = self.scarcity(demand) if demand else ({}, None)
        if cost is not None:
            cost = cost.copy()
        for position, code in enumerate(_unique(request.priorities)):
            holds = self._experiences.has(code)
            if holds is not None:
                score += priority_weight(position) * holds
                if cost is not None and code in pressure:
                    cost -= pressure[code] * holds
        if cost is not None:
            cost -= pressure.get(request.language, 0.0)  # every candidate speaks it
            cost = np.maximum(cost, 0.0, out=cost)  # rounding must not turn it into a gain
            score -= SCARCITY_WEIGHT * cost / (cost + SCARCITY_HALF_COST)
        shared_topics = self._topics.overlap(request.topics)
        if shared_topics is not None:
            score += TOPIC_WEIGHT * np.minimum(shared_topics, TOPIC_CAP)
        gender = request.preferences.get("gender", "")
        wanted = self._genders.has(gender) if gender else None
        if wanted is not None:
            score += PREFERENCE_WEIGHT * wanted
        for peer_id, weight in _continuity_weights(request).items():
            row = self._row_of.get(peer_id)
            if row is not None:
                score[row] += weight
        idle = self.idle_seconds(now)
        score += self._load_score
        score += FAIRNESS_WEIGHT * np.minimum(idle / FAIRNESS_HORIZON_SECONDS, 1.0)
        return score, idle


def priority_weight(position: int) -> float:
    """The weight of the member's priority at ``position`` (0 = most important)."""
    return PRIORITY_FLOOR + PRIORITY_SPAN * PRIORITY_DECAY**position


def rank(
    request: MatchRequest,
    pool: PeerPool,
    *,
    now: float,
    limit: int = 5,
    demand: Mapping[str, float] | None = None,
) -> list[Ranked]:
    """The best ``limit`` candidates for ``request``, best first, each with reasons.

    Only peers who speak ``request.language``, have a free chat slot and are
    not in ``request.excluded`` are candidates; an empty list means no one
    fits now and the member waits in the queue.

    ``demand`` maps experience and language codes to the share (0-1) of
    recent requests that listed them (experiences among the priorities, the
    language asked for). With it, scarcity counts (see SCARCITY_WEIGHT);
    without it, it does not. Pass the same mapping object for a whole round
    of decisions on one pool: its costs are worked out once.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1.")
    allowed = pool.eligible(request)
    rows = np.flatnonzero(allowed)
    if rows.size == 0:
        return []
    all_scores, all_idle = pool.scores(request, now=now, demand=demand)
    scores = all_scores[rows]
    if rows.size > limit:
        # Keep every row tied with the limit-th best score, so that the
        # tie-break below, not chance, decides who makes the cut.
        cut = _kth_largest(scores, limit)
        keep = scores >= cut
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((pool.ids[rows], -all_idle[rows], -scores))[:limit]
    return [
        Ranked(
            peer_id=int(pool.ids[rows[i]]),
            score=float(scores[i]),
            reasons=reasons_for(request, pool.candidates[int(rows[i])]),
        )
        for i in order
    ]


def reasons_for(request: MatchRequest, peer: PeerCandidate) -> tuple[Reason, ...]:
    """What ``peer`` shares with the member: the words of the explanation shown to both."""
    reasons: list[Reason] = []
    experiences = tuple(code for code in _unique(request.priorities) if code in peer.experiences)
    if experiences:
        reasons.append(Reason("experience", experiences))
    topics = tuple(code for code in _unique(request.topics) if code in peer.topics)
    if topics:
        reasons.append(Reason("topic", topics))
    if request.language in peer.languages:
        reasons.append(Reason("language", (request.language,)))
    if peer.peer_id in _continuity_weights(request):
        reasons.append(Reason("continuity", ("asked",) if request.wants_same_peer else ()))
    gender = request.preferences.get("gender", "")
    if gender and peer.gender == gender:
        reasons.append(Reason("preference", (gender,)))
    return tuple(reasons)


def demand_from(requests: Iterable[tuple[Iterable[str], str]]) -> dict[str, float]:
    """Share of ``requests`` (priorities, language) listing each experience and language.

    What ``rank`` takes as ``demand``; empty for no requests. A code listed
    twice in one request counts once.
    """
    counts: dict[str, int] = {}
    total = 0
    for priorities, language in requests:
        total += 1
        for code in {*priorities, language}:
            counts[code] = counts.get(code, 0) + 1
    return {code: count / total for code, count in counts.items()} if total else {}


def _kth_largest(values: _FloatArray, k: int) -> float:
    """The ``k``-th largest of ``values`` (which has more than ``k`` items)."""
    if k > _FEW:
        return float(np.partition(values, values.size - k)[values.size - k])
    # For the handful of offers a decision needs, knocking out the largest
    # k - 1 values is several times faster than a full partition.
    remaining = values.copy()
    for _ in range(k - 1):
        remaining[np.argmax(remaining)] = -math.inf
    return float(remaining.max())


def _continuity_weights(request: MatchRequest) -> dict[int, float]:
    """Peers the member rated well, with the weight continuity gives each."""
    weight = CONTINUITY_ASKED_WEIGHT if request.wants_same_peer else CONTINUITY_WEIGHT
    return {
        peer_id: weight
        for peer_id, rating in request.past_ratings.items()
        if rating >= GOOD_RATING
    }


def _unique(codes: Iterable[str]) -> tuple[str, ...]:
    """``codes`` without repeats, first occurrence kept (a repeat must not count twice)."""
    return tuple(dict.fromkeys(codes))
