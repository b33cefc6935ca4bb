"""Playing a simulated day of support requests, to compare ways of choosing a peer.

Pure Python (no Django) and deterministic. A ``Day`` holds the peers (shifts,
lived experiences, topics, languages, most chats at once) and the requests
(arrival, language, 1-3 priorities, topics, preferences, urgency, how long the
member will wait before giving up, how long the chat would last, their
felt-heard rating, and how each peer asked would answer: accept, decline, or
let the offer expire). ``run_day`` plays a day through a policy; since all of
that is drawn in advance, two policies meet exactly the same people, chat
lengths, patience and answers, and only the choice of peer differs. The
benchmark ``benchmarks/matching.py`` draws the day (``_matching_day.py``) and
compares ``matcher_policy`` (``support.matching.rank``) with
``first_available_policy``, and with ``matcher_without_demand_policy`` (the
matcher blind to what recent members asked for) to show what scarcity adds.

Modelling choices, said plainly: requests are offered most urgent and oldest
first (``queue_order``); a peer holds at most one open offer at a time; a
peer who declined or let an offer expire is not asked again for that request;
a peer finishes their chats after their shift ends but gets no new offers;
ratings do not depend on the match, so shared experience is measured, never
assumed to help; the day ends when the last request is served or gives up.
A policy is told the demand of the last ``DEMAND_WINDOW`` requests to arrive
(never later ones), as support tells the matcher from its own recent
requests (``support.access.recent_demand``, ``matching.DEMAND_WINDOW``).
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from peerlight.support.matching import (
    DEMAND_WINDOW,
    GOOD_RATING,
    MatchRequest,
    PeerCandidate,
    PeerPool,
    QueueEntry,
    demand_from,
    queue_order,
    rank,
)

# A policy is given the peers who can take an offer now and the demand of
# recent requests (code → share), and returns a chooser: for a request and
# the time, the peer id to offer it to, or None.
Chooser = Callable[[MatchRequest, float], int | None]
Policy = Callable[[Sequence[PeerCandidate], Mapping[str, float]], Chooser]


@dataclass(frozen=True)
class SimPeer:
    peer_id: int
    languages: frozenset[str]
    experiences: frozenset[str]
    topics: frozenset[str]
    gender: str
    max_chats: int
    shift_start: float
    shift_end: float


@dataclass(frozen=True)
class SimRequest:
    request_id: int
    member_id: int
    arrives_at: float
    language: str
    priorities: tuple[str, ...]
    topics: tuple[str, ...]
    preferences: Mapping[str, str]
    urgency: str
    wants_same_peer: bool
    patience: float
    chat_seconds: float
    rating: float
    # How the 1st, 2nd, ... peer asked answers: ("accept" | "decline" |
    # "expire", seconds after the offer).
    answers: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Day:
    peers: tuple[SimPeer, ...]
    requests: tuple[SimRequest, ...]


def matcher_policy(
    candidates: Sequence[PeerCandidate], demand: Mapping[str, float] | None = None
) -> Chooser:
    """Peerlight's matcher: the best-ranked candidate (``support.matching.rank``)."""
    pool = PeerPool(candidates)

    def choose(request: MatchRequest, now: float) -> int | None:
        ranked = rank(request, pool, now=now, limit=1, demand=demand or None)
        return ranked[0].peer_id if ranked else None

    return choose


def matcher_without_demand_policy(
    candidates: Sequence[PeerCandidate], demand: Mapping[str, float] | None = None
) -> Chooser:
    """The matcher told nothing of recent demand, so scarcity never counts."""
    return matcher_policy(candidates)


def first_available_policy(
    candidates: Sequence[PeerCandidate], demand: Mapping[str, float] | None = None
) -> Chooser:
    """The free peer who speaks the language and has waited longest; no matching.

    "Free" prefers a peer in no chat over one with a chat and room to spare;
    among those, the earliest last chat (never chatted first), then lower id.
    """

    def choose(request: MatchRequest, now: float) -> int | None:
        fitting = [
            peer
            for peer in candidates
            if request.language in peer.languages
            and peer.active_chats < peer.max_chats
            and peer.peer_id not in request.excluded
        ]
        if not fitting:
            return None
        return min(
            fitting,
            key=lambda peer: (
                peer.active_chats,
                -math.inf if peer.last_chat_ended_at is None else peer.last_chat_ended_at,
                peer.peer_id,
            ),
        ).peer_id

    return choose


# Why a chat had no shared priority, judged when the offer was made, among
# the peers on shift who speak the member's language and share a priority:
UNSHARED_BECAUSE = (
    "no_sharing_peer_on_shift",  # there were none
    "sharing_peers_declined",  # each had already declined or let an offer expire
    "sharing_peers_busy",  # each of the rest was in their most chats or being asked
    "sharing_peer_free_not_chosen",  # one was free: the policy chose otherwise
)


@dataclass
class _Run:
    """The changing state of one day played through one policy."""

    day: Day
    policy: Policy
    events: list[tuple[float, int, str, int]] = field(default_factory=list)
    counter: int = 0
    active: dict[int, int] = field(default_factory=dict)
    last_ended: dict[int, float] = field(default_factory=dict)
    offers: dict[int, tuple[int, int]] = field(default_factory=dict)  # id → (peer, request)
    offered_to: dict[int, int] = field(default_factory=dict)  # peer id → open offer id
    peer_of: dict[int, int] = field(default_factory=dict)  # request id → peer id in the chat
    on_shift: set[int] = field(default_factory=set)
    status: dict[int, str] = field(default_factory=dict)
    excluded: dict[int, set[int]] = field(default_factory=dict)
    attempts: dict[int, int] = field(default_factory=dict)
    ratings: dict[int, dict[int, float]] = field(default_factory=dict)  # member → peer → best
    chats: list[tuple[SimRequest, SimPeer, float]] = field(default_factory=list)
    declined: int = 0
    expired: int = 0
    # Request id → whether, while the member waited, a peer on shift spoke
    # their language and shared a priority: the most any policy could do.
    could_share: dict[int, bool] = field(default_factory=dict)
    asked_again: int = 0  # asked for the same peer and had rated one well
    reunited: int = 0  # ... and got that peer
    # Offer id → why the peer asked shares none of the member's priorities
    # (one of UNSHARED_BECAUSE), for offers to a peer who shares none.
    unshared_offers: dict[int, str] = field(default_factory=dict)
    unshared_chats: dict[str, int] = field(default_factory=dict)
    # The last DEMAND_WINDOW requests to arrive, as (priorities, language).
    recent: deque[tuple[tuple[str, ...], str]] = field(
        default_factory=lambda: deque(maxlen=DEMAND_WINDOW)
    )

    def schedule(self, at: float, kind: str, subject: int) -> None:
        self.counter += 1
        heapq.heappush(self.events, (at, self.counter, kind, subject))


def run_day(day: Day, policy: Policy) -> dict[str, Any]:
    """Play ``day`` choosing peers with ``policy``; the figures of ``summarise``."""
    run = _Run(day, policy)
    peers = {peer.peer_id: peer for peer in day.peers}
    requests = {request.request_id: request for request in day.requests}
    for peer in day.peers:
        run.schedule(peer.shift_start, "shift_start", peer.peer_id)
        run.schedule(peer.shift_end, "shift_end", peer.peer_id)
    for request in day.requests:
        run.schedule(request.arrives_at, "arrive", request.request_id)
    while run.events:
        now, _, kind, subject = heapq.heappop(run.events)
        _handle(run, kind, subject, now, peers, requests)
        _offer(run, now, peers, requests)
    return summarise(run, day)


def _handle(
    run: _Run,
    kind: str,
    subject: int,
    now: float,
    peers: Mapping[int, SimPeer],
    requests: Mapping[int, SimRequest],
) -> None:
    if kind == "shift_start":
        run.on_shift.add(subject)
        peer = peers[subject]
        for request_id, status in run.status.items():
            if status in {"waiting", "offered"} and _fits(peer, requests[request_id]):
                run.could_share[request_id] = True
    elif kind == "shift_end":
        run.on_shift.discard(subject)
    elif kind == "arrive":
        request = requests[subject]
        run.status[subject] = "waiting"
        run.recent.append((request.priorities, request.language))
        run.could_share[subject] = any(_fits(peers[peer_id], request) for peer_id in run.on_shift)
        run.schedule(now + request.patience, "give_up", subject)
    elif kind == "give_up" and run.status[subject] in {"waiting", "offered"}:
        run.status[subject] = "abandoned"
        for peer_id, offer_id in list(run.offered_to.items()):
            if run.offers[offer_id][1] == subject:
                del run.offered_to[peer_id]  # the offer is withdrawn
    elif kind == "answer":
        _answer(run, subject, now, peers, requests)
    elif kind == "chat_end":
        request = requests[subject]
        peer_id = run.peer_of[subject]
        run.active[peer_id] -= 1
        run.last_ended[peer_id] = now
        best = run.ratings.setdefault(request.member_id, {})
        best[peer_id] = max(best.get(peer_id, 0.0), request.rating)


def _fits(peer: SimPeer, request: SimRequest) -> bool:
    """Whether ``peer`` speaks the member's language and shares one of their priorities."""
    return request.language in peer.languages and not peer.experiences.isdisjoint(
        request.priorities
    )


def _answer(
    run: _Run,
    offer_id: int,
    now: float,
    peers: Mapping[int, SimPeer],
    requests: Mapping[int, SimRequest],
) -> None:
    peer_id, request_id = run.offers[offer_id]
    if run.offered_to.get(peer_id) != offer_id:
        return  # withdrawn: the member gave up first
    del run.offered_to[peer_id]
    request = requests[request_id]
    outcome, _ = request.answers[(run.attempts[request_id] - 1) % len(request.answers)]
    if outcome == "accept":
        run.status[request_id] = "connected"
        run.peer_of[request_id] = peer_id
        run.active[peer_id] = run.active.get(peer_id, 0) + 1
        if request.wants_same_peer:
            good = {
                earlier
                for earlier, rating in run.ratings.get(request.member_id, {}).items()
                if rating >= GOOD_RATING
            }
            run.asked_again += bool(good)
            run.reunited += peer_id in good
        run.chats.append((request, peers[peer_id], now - request.arrives_at))
        if offer_id in run.unshared_offers:
            why = run.unshared_offers[offer_id]
            run.unshared_chats[why] = run.unshared_chats.get(why, 0) + 1
        run.schedule(now + request.chat_seconds, "chat_end", request_id)
        return
    run.status[request_id] = "waiting"
    run.excluded.setdefault(request_id, set()).add(peer_id)
    if outcome == "decline":
        run.declined += 1
    else:
        run.expired += 1


def _offer(
    run: _Run, now: float, peers: Mapping[int, SimPeer], requests: Mapping[int, SimRequest]
) -> None:
    """Offer each waiting request, most urgent and oldest first, to the policy's choice."""
    waiting = [
        QueueEntry(request_id, requests[request_id].urgency, requests[request_id].arrives_at)
        for request_id, status in run.status.items()
        if status == "waiting"
    ]
    free = [
        peers[peer_id]
        for peer_id in sorted(run.on_shift)
        if peer_id not in run.offered_to and run.active.get(peer_id, 0) < peers[peer_id].max_chats
    ]
    if not waiting or not free:
        return
    choose = run.policy([_candidate(run, peer) for peer in free], demand_from(run.recent))
    taken: set[int] = set()
    for entry in queue_order(waiting):
        if len(taken) == len(free):
            break
        request = requests[entry.request_id]
        peer_id = choose(_match_request(run, request, taken), now)
        if peer_id is None:
            continue
        taken.add(peer_id)
        offer_id = len(run.offers) + 1
        if peers[peer_id].experiences.isdisjoint(request.priorities):
            run.unshared_offers[offer_id] = _why_unshared(run, request, peers, free, taken)
        run.offers[offer_id] = (peer_id, request.request_id)
        run.offered_to[peer_id] = offer_id
        run.status[request.request_id] = "offered"
        attempt = run.attempts.get(request.request_id, 0)
        run.attempts[request.request_id] = attempt + 1
        _, delay = request.answers[attempt % len(request.answers)]
        run.schedule(now + delay, "answer", offer_id)


def _why_unshared(
    run: _Run,
    request: SimRequest,
    peers: Mapping[int, SimPeer],
    free: Sequence[SimPeer],
    taken: set[int],
) -> str:
    """Which of UNSHARED_BECAUSE explains an offer to a peer sharing no priority."""
    sharing = {peer_id for peer_id in run.on_shift if _fits(peers[peer_id], request)}
    if not sharing:
        return "no_sharing_peer_on_shift"
    untried = sharing - run.excluded.get(request.request_id, set())
    if not untried:
        return "sharing_peers_declined"
    # ``taken`` already holds the peer just chosen, who shares nothing.
    if untried & {peer.peer_id for peer in free if peer.peer_id not in taken}:
        return "sharing_peer_free_not_chosen"
    return "sharing_peers_busy"


def _candidate(run: _Run, peer: SimPeer) -> PeerCandidate:
    return PeerCandidate(
        peer_id=peer.peer_id,
        languages=peer.languages,
        experiences=peer.experiences,
        topics=peer.topics,
        gender=peer.gender,
        active_chats=run.active.get(peer.peer_id, 0),
        max_chats=peer.max_chats,
        last_chat_ended_at=run.last_ended.get(peer.peer_id),
    )


def _match_request(run: _Run, request: SimRequest, taken: set[int]) -> MatchRequest:
    return MatchRequest(
        language=request.language,
        priorities=request.priorities,
        topics=request.topics,
        preferences=request.preferences,
        past_ratings=run.ratings.get(request.member_id, {}),
        wants_same_peer=request.wants_same_peer,
        excluded=frozenset(run.excluded.get(request.request_id, set()) | taken),
    )


def _nearest_rank(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarise(run: _Run, day: Day) -> dict[str, Any]:
    """Waits, shared experience, load spread and outcomes of one played day."""
    waits = [wait for _, _, wait in run.chats]
    shared = [bool(set(request.priorities) & peer.experiences) for request, peer, _ in run.chats]
    first = [request.priorities[0] in peer.experiences for request, peer, _ in run.chats]
    possible = [run.could_share[request.request_id] for request, _, _ in run.chats]
    per_peer = [sum(1 for _, peer, _ in run.chats if peer.peer_id == p.peer_id) for p in day.peers]
    mean = statistics.fmean(per_peer) if per_peer else 0.0
    return {
        "requests": len(day.requests),
        "chats": len(run.chats),
        "abandoned": sum(1 for status in run.status.values() if status == "abandoned"),
        "median_wait_seconds": round(statistics.median(waits), 1) if waits else None,
        "p90_wait_seconds": round(_nearest_rank(waits, 0.9), 1) if waits else None,
        "answered_within_60s_share": (
            round(sum(wait <= 60 for wait in waits) / len(waits), 3) if waits else None
        ),
        "shared_priority_experience_share": (
            round(sum(shared) / len(shared), 3) if shared else None
        ),
        "first_priority_shared_share": round(sum(first) / len(first), 3) if first else None,
        "shared_experience_possible_share": (
            round(sum(possible) / len(possible), 3) if possible else None
        ),
        "chats_per_peer_cv": round(statistics.pstdev(per_peer) / mean, 3) if mean else None,
        "chats_per_peer_max_over_mean": round(max(per_peer) / mean, 2) if mean else None,
        "asked_for_a_well_rated_peer_again": run.asked_again,
        "got_that_peer_again": run.reunited,
        "unshared_chats_because": {
            why: run.unshared_chats.get(why, 0) for why in UNSHARED_BECAUSE
        },
        "offers_declined": run.declined,
        "offers_expired": run.expired,
    }
