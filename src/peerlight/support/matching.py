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
- Load and fairness break the remaining ties: a peer with more room and a
  peer who has waited longer since their last chat come first.

Equal scores are ordered by longer time since the peer's last chat (never
chatted counts as longest), then by lower peer id, so ranking is
deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

# Each priority (an experience the member wants to share) is worth
# PRIORITY_FLOOR + PRIORITY_SPAN * PRIORITY_DECAY ** position: 10, 7, 5.5, ...
# Earlier priorities weigh more, and even the last one is worth more than
# topics, load and fairness together (at most 2 + 1 + 1 = 4), so shared
# experience always decides before the tie-breakers do.
PRIORITY_FLOOR = 4.0
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
# together (3 priorities 22.5 + preference 12 + topics 2 + ties 2 = 38.5).
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

# Queue order: the safety check's levels, most urgent highest. The same order
# as ``peerlight.safety.detector.LEVEL_ORDER``; kept here so this module
# stays free of other apps.
URGENCY_ORDER: Mapping[str, int] = {"none": 0, "concern": 1, "imminent": 2}

_WORD_BITS = 64
_FEW = 16
_BoolArray = npt.NDArray[np.bool_]
_FloatArray = npt.NDArray[np.float64]
_WordArray = npt.NDArray[np.uint64]


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


@dataclass(frozen=True)
class QueueEntry:
    request_id: int
    urgency: str  # the safety check's level: "none", "concern" or "imminent"
    created_at: float  # epoch seconds


class _CodeMasks:
    """Sets of codes as rows of 64-bit words, one bit per code seen in the pool."""

    def __init__(self, rows: Sequence[frozenset[str]]) -> None:
        codes = sorted(set().union(*rows)) if rows else []
        self.bit_of = {code: bit for bit, code in enumerate(codes)}
        words = max(1, math.ceil(len(codes) / _WORD_BITS))
        self.words: _WordArray = np.zeros((len(rows), words), dtype=np.uint64)
        for row, row_codes in enumerate(rows):
            mask = 0
            for code in row_codes:
                mask |= 1 << self.bit_of[code]
            for word in range(words):
                self.words[row, word] = (mask >> (word * _WORD_BITS)) & 0xFFFFFFFFFFFFFFFF

    def has(self, code: str) -> _BoolArray | None:
        """Which rows hold ``code``; None when no row does."""
        bit = self.bit_of.get(code)
        if bit is None:
            return None
        word, offset = divmod(bit, _WORD_BITS)
        hits: _BoolArray = (self.words[:, word] & np.uint64(1 << offset)) != 0
        return hits

    def overlap(self, codes: Iterable[str]) -> npt.NDArray[np.int64] | None:
        """How many of ``codes`` each row holds; None when no row holds any."""
        mask = 0
        for code in codes:
            bit = self.bit_of.get(code)
            if bit is not None:
                mask |= 1 << bit
        if not mask:
            return None
        total = np.zeros(self.words.shape[0], dtype=np.int64)
        for word in range(self.words.shape[1]):
            part = (mask >> (word * _WORD_BITS)) & 0xFFFFFFFFFFFFFFFF
            if part:
                total += np.bitwise_count(self.words[:, word] & np.uint64(part))
        return total


class PeerPool:
    """The peers online now, held as numpy arrays built once for fast ranking.

    Build one per decision round (or keep one while nobody's state changes);
    ``rank`` reads it and never changes it.
    """

    def __init__(self, candidates: Iterable[PeerCandidate]) -> None:
        peers = tuple(candidates)
        self.candidates = peers
        self._row_of = {peer.peer_id: row for row, peer in enumerate(peers)}
        if len(self._row_of) != len(peers):
            raise ValueError("Each peer may appear only once in a pool.")
        self.ids = np.array([peer.peer_id for peer in peers], dtype=np.int64)
        self._languages = _CodeMasks([peer.languages for peer in peers])
        self._experiences = _CodeMasks([peer.experiences for peer in peers])
        self._topics = _CodeMasks([peer.topics for peer in peers])
        self._genders = _CodeMasks([frozenset({peer.gender} - {""}) for peer in peers])
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

    def scores(self, request: MatchRequest, *, now: float) -> tuple[_FloatArray, _FloatArray]:
        """Every peer's score for ``request`` and their idle seconds (for tie-breaks)."""
        score = np.zeros(len(self), dtype=np.float64)
        for position, code in enumerate(_unique(request.priorities)):
            holds = self._experiences.has(code)
            if holds is not None:
                score += priority_weight(position) * holds
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


def rank(request: MatchRequest, pool: PeerPool, *, now: float, limit: int = 5) -> list[Ranked]:
    """The best ``limit`` candidates for ``request``, best first, each with reasons.

    Only peers who speak ``request.language``, have a free chat slot and are
    not in ``request.excluded`` are candidates; an empty list means no one
    fits now and the member waits in the queue.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1.")
    allowed = pool.eligible(request)
    rows = np.flatnonzero(allowed)
    if rows.size == 0:
        return []
    all_scores, all_idle = pool.scores(request, now=now)
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
