"""Drawing a simulated day for the matching benchmark: who asks, who is on shift.

Not a benchmark itself (its name starts with ``_``). ``make_day(DayConfig(...))``
draws, from one seed, the peers and requests that
``peerlight.support.simulation.run_day`` plays through each policy. The
shapes are assumptions, a rough picture of a warmline or peer-chat service: requests
quiet before dawn and busiest in the evening, more peers on the evening
shift, chats of about 25 minutes and members who wait about 12 minutes before
giving up (both log-normal, so some chats run long and some people leave
fast), most members and peers speaking English and some Spanish or French,
each peer with 2-5 lived experiences and 4-10 topics and each member with 1-3
priorities and 1-3 topics, drawn with the same frequencies. Those frequencies
(``benchmarks/matching.py``) are a guess, not measured from any service.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from peerlight.support.simulation import Day, SimPeer, SimRequest

HOUR = 3600.0

# Requests per hour, relative (an assumption, not measured data): quiet
# before dawn, busiest in the evening.
# fmt: off
HOURLY_WEIGHTS = (
    0.5, 0.4, 0.3, 0.25, 0.2, 0.25, 0.35, 0.5, 0.7, 0.9, 1.0, 1.0,  # 00:00-11:59
    1.0, 1.05, 1.1, 1.1, 1.2, 1.3, 1.5, 1.7, 1.8, 1.8, 1.5, 0.9,  # 12:00-23:59
)
# fmt: on
# Shifts as (start hour, end hour, share of peers), more peers in the evening.
SHIFTS = ((0, 8, 0.10), (7, 15, 0.22), (12, 20, 0.28), (16, 24, 0.40))


@dataclass(frozen=True)
class DayConfig:
    """What the simulated day looks like; codes come from the vocabulary."""

    experience_weights: Mapping[str, float]  # code → how common, relative
    topic_weights: Mapping[str, float]
    seed: int = 20240601
    peers: int = 40
    requests: int = 520
    member_languages: Mapping[str, float] = field(
        default_factory=lambda: {"en": 0.83, "es": 0.14, "fr": 0.03}
    )
    # Every peer speaks English except the Spanish-only share; some speak a
    # second language.
    peer_second_languages: Mapping[str, float] = field(
        default_factory=lambda: {"es": 0.22, "fr": 0.05}
    )
    spanish_only_share: float = 0.05
    peer_genders: Mapping[str, float] = field(
        default_factory=lambda: {"woman": 0.6, "man": 0.3, "nonbinary": 0.1}
    )
    gender_preferences: Mapping[str, float] = field(
        default_factory=lambda: {"woman": 0.10, "man": 0.03, "nonbinary": 0.01}
    )
    peer_max_chats: Mapping[int, float] = field(default_factory=lambda: {1: 0.25, 2: 0.6, 3: 0.15})
    urgency: Mapping[str, float] = field(
        default_factory=lambda: {"none": 0.93, "concern": 0.06, "imminent": 0.01}
    )
    median_chat_minutes: float = 25.0
    chat_sigma: float = 0.6
    median_patience_minutes: float = 12.0
    patience_sigma: float = 0.9
    offer_seconds: float = 60.0
    accept_share: float = 0.82
    decline_share: float = 0.10  # the rest let the offer expire
    returning_share: float = 0.25
    asks_same_peer_share: float = 0.35  # of returning members


def make_day(config: DayConfig) -> Day:
    """Draw the peers and the requests of one day from ``config.seed``."""
    rng = random.Random(config.seed)
    return Day(_make_peers(config, rng), _make_requests(config, rng))


def _pick[T](rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _sample(rng: random.Random, weights: Mapping[str, float], count: int) -> tuple[str, ...]:
    """``count`` distinct codes, the common ones more often (weighted, no repeats)."""
    # Efraimidis-Spirakis: the largest u ** (1 / weight) keys are a weighted
    # sample without replacement.
    keyed = sorted(weights, key=lambda code: rng.random() ** (1 / weights[code]), reverse=True)
    return tuple(keyed[:count])


def _make_peers(config: DayConfig, rng: random.Random) -> tuple[SimPeer, ...]:
    shift_weights = {index: share for index, (_, _, share) in enumerate(SHIFTS)}
    peers = []
    for peer_id in range(1, config.peers + 1):
        start, end, _ = SHIFTS[_pick(rng, shift_weights)]
        languages = set() if rng.random() < config.spanish_only_share else {"en"}
        if not languages:
            languages.add("es")
        for language, share in config.peer_second_languages.items():
            if rng.random() < share:
                languages.add(language)
        peers.append(
            SimPeer(
                peer_id=peer_id,
                languages=frozenset(languages),
                experiences=frozenset(_sample(rng, config.experience_weights, rng.randint(2, 5))),
                topics=frozenset(_sample(rng, config.topic_weights, rng.randint(4, 10))),
                gender=_pick(rng, config.peer_genders),
                max_chats=_pick(rng, config.peer_max_chats),
                shift_start=start * HOUR,
                shift_end=end * HOUR,
            )
        )
    return tuple(peers)


def _make_requests(config: DayConfig, rng: random.Random) -> tuple[SimRequest, ...]:
    hours = dict(enumerate(HOURLY_WEIGHTS))
    times = sorted((_pick(rng, hours) + rng.random()) * HOUR for _ in range(config.requests))
    no_preference = max(0.0, 1 - sum(config.gender_preferences.values()))
    preferences = {**config.gender_preferences, "": no_preference}
    requests: list[SimRequest] = []
    for request_id, arrives_at in enumerate(times, start=1):
        returning = bool(requests) and rng.random() < config.returning_share
        member_id = rng.choice(requests).member_id if returning else request_id
        gender = _pick(rng, preferences)
        answers = []
        for _ in range(12):
            roll = rng.random()
            if roll < config.accept_share:
                answers.append(("accept", rng.uniform(5, config.offer_seconds * 0.7)))
            elif roll < config.accept_share + config.decline_share:
                answers.append(("decline", rng.uniform(3, 30)))
            else:
                answers.append(("expire", config.offer_seconds))
        requests.append(
            SimRequest(
                request_id=request_id,
                member_id=member_id,
                arrives_at=arrives_at,
                language=_pick(rng, config.member_languages),
                priorities=_sample(rng, config.experience_weights, rng.randint(1, 3)),
                topics=_sample(rng, config.topic_weights, rng.randint(1, 3)),
                preferences={"gender": gender} if gender else {},
                urgency=_pick(rng, config.urgency),
                wants_same_peer=returning and rng.random() < config.asks_same_peer_share,
                patience=60
                * rng.lognormvariate(
                    math.log(config.median_patience_minutes), config.patience_sigma
                ),
                chat_seconds=60
                * rng.lognormvariate(math.log(config.median_chat_minutes), config.chat_sigma),
                rating=float(_pick(rng, {1: 0.04, 2: 0.06, 3: 0.2, 4: 0.35, 5: 0.35})),
                answers=tuple(answers),
            )
        )
    return tuple(requests)
