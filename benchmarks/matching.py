"""Matching: how fast a peer is chosen, and how a matched day compares with "first available".

(a) Decision time: ``support.matching.rank`` over 100, 1,000 and 10,000 online
peers (pool built once per size, its build time reported separately), p50
and p99 over 5,000 decisions with varied requests (languages, 1-3
priorities, topics, preferences, past ratings, exclusions) and the demand of
recent requests, as support passes it (its one-off cost per pool and demand,
``demand_setup_ms``, reported separately too), in three rounds: the round
least disturbed by other work is reported, with every round's p99 and the
CPU time beside it. Goal: p99 <= 1 ms at 10,000 peers.

(b) A simulated day (``support.simulation``): requests arriving at a rate that
varies by hour, peers on shifts with lived experiences, topics and languages
drawn from the vocabulary (``peers/data/vocabulary.json``) with realistic
frequencies, chat lengths and patience drawn from log-normal distributions,
Spanish and French speakers, offers declined or left to expire. The same day
is played by the matcher and by "first available" (the free peer speaking
the language who has waited longest). Goals: the matcher's median and p90
waits no worse than first available's, and at least twice its share of chats
with at least one shared priority experience. The day is one draw, so
``simulation.seeds`` plays seven seeded days (the main one first), each also
by the matcher told nothing of recent demand (so scarcity never counts): the
ratio without and with it, per seed. ``unshared_chats_because`` in each
policy's figures says why the chats without a shared priority had none.

Tried and left out: holding a member for a moment when no free peer shares
a priority. Even an oracle that knows when a sharing peer's chat will end
(support cannot) changed the ratio on these seven days by at most 0.01
holding up to 10 s, and by -0.02 to +0.03 holding up to 60 s, which also
pushed one day's p90 wait past the tolerance: most such chats had no
sharing peer on shift at all, or every one busy for many minutes.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from dataclasses import replace
from typing import Any

from benchmarks._harness import machine
from benchmarks._matching_day import DayConfig, make_day
from peerlight.peers.vocabulary import vocabulary
from peerlight.support.matching import (
    DEMAND_WINDOW,
    MatchRequest,
    PeerCandidate,
    PeerPool,
    demand_from,
    rank,
)
from peerlight.support.simulation import (
    Day,
    first_available_policy,
    matcher_policy,
    matcher_without_demand_policy,
    run_day,
)

PEER_COUNTS = (100, 1_000, 10_000)
DECISIONS = 5_000
QUICK_DECISIONS = 100
ROUNDS = 3
WARMUP_DECISIONS = 200
POOL_BUILDS = 5
P99_GOAL_MS = 1.0
SHARED_EXPERIENCE_FACTOR = 2.0
# Both policies meet the same people, chat lengths and answers; only the
# peer asked differs, so their waits differ by the luck of who happened to
# be free. A gap within 5 s or 5 % (whichever is larger) counts as no worse;
# the exact differences are reported beside the verdict.
WAIT_TOLERANCE_SECONDS = 5.0
WAIT_TOLERANCE_SHARE = 0.05
OTHER_SEEDS = (1, 2, 3, 4, 5, 6)

# How often members bring each experience and topic, relative; codes the file
# gains later count as 1. A guess, not measured from any service: depression
# and anxiety far ahead, then trauma and grief, then a long tail. Peers'
# experiences are drawn with the same frequencies, which is a guess too (a
# real roster may be richer or poorer in rare experiences than its members'
# needs). ``simulation.equally_common_experiences`` shows how much the
# shared-experience goal depends on these numbers.
EXPERIENCE_WEIGHTS = {
    "depression": 10.0,
    "anxiety": 10.0,
    "trauma": 6.0,
    "grief": 4.0,
    "self_harm": 3.0,
    "substance_use": 3.0,
    "family_carer": 3.0,
    "lgbtq": 3.0,
    "bipolar": 2.5,
    "neurodivergence": 2.5,
    "young_adult": 2.5,
    "suicide_attempt_survivor": 2.0,
    "eating_disorders": 2.0,
    "chronic_illness": 2.0,
    "perinatal": 1.5,
    "psychosis": 1.5,
    "racism": 1.5,
    "older_adult": 1.2,
    "immigration": 1.0,
    "military": 1.0,
    "homelessness": 1.0,
    "justice_involvement": 0.8,
}
TOPIC_WEIGHTS = {
    "feeling_low": 8.0,
    "worry_stress": 8.0,
    "loneliness": 5.0,
    "relationships": 5.0,
    "family": 4.0,
    "work_school": 4.0,
    "just_talk": 4.0,
    "sleep": 3.0,
    "identity": 2.0,
    "loss": 2.0,
    "recovery": 2.0,
    "money_housing": 2.0,
    "services": 2.0,
    "self_harm_urges": 1.5,
    "suicidal_thoughts": 1.5,
    "parenting": 1.5,
    "voices": 1.0,
    "body_food": 1.0,
    "discrimination": 1.0,
}
QUICK_PEERS = 8
QUICK_REQUESTS = 60


def run(options: dict[str, Any]) -> dict[str, Any]:
    quick = bool(options.get("quick"))
    config = day_config(quick)
    decisions = measure_decisions(config, quick)
    simulation = simulate(config, quick)
    result: dict[str, Any] = {
        "measures": "matching decision time, and a simulated day: matcher vs first available",
        "machine": machine(),
        "goals": {
            "decision_p99_ms_at_10000": f"p99 <= {P99_GOAL_MS:g} ms with 10,000 online peers",
            "waits_no_worse": (
                "matcher median and p90 wait no worse than first available's "
                f"(within {WAIT_TOLERANCE_SECONDS:g} s or {WAIT_TOLERANCE_SHARE:.0%}, "
                "whichever is larger)"
            ),
            "shared_experience": (
                f"matcher's shared-priority-experience share >= "
                f"{SHARED_EXPERIENCE_FACTOR:g} x first available's"
            ),
        },
        **decisions,
        "simulation": simulation,
    }
    result["goals_met"] = (
        "not judged in a quick self-test" if quick else judge(decisions, simulation)
    )
    return result


def day_config(quick: bool) -> DayConfig:
    """The day's settings with every code from the vocabulary file."""
    words = vocabulary()
    experiences = {
        code: EXPERIENCE_WEIGHTS.get(code, 1.0) for code in sorted(words.codes("experiences"))
    }
    topics = {code: TOPIC_WEIGHTS.get(code, 1.0) for code in sorted(words.codes("topics"))}
    config = DayConfig(experience_weights=experiences, topic_weights=topics)
    if quick:
        return replace(config, peers=QUICK_PEERS, requests=QUICK_REQUESTS)
    return config


def measure_decisions(config: DayConfig, quick: bool) -> dict[str, Any]:
    """p50/p99 of ``rank`` per pool size (wall clock and CPU), and each pool's build time."""
    rng = random.Random(7)
    decisions = QUICK_DECISIONS if quick else DECISIONS
    rounds = 1 if quick else ROUNDS
    decision_ms: dict[str, dict[str, float]] = {}
    cpu_ms: dict[str, dict[str, float]] = {}
    rounds_p99: dict[str, list[float]] = {}
    build_ms: dict[str, float] = {}
    setup_ms: dict[str, float] = {}
    for count in PEER_COUNTS:
        candidates = [random_peer(rng, peer_id, config) for peer_id in range(1, count + 1)]
        requests = [random_request(rng, count, config) for _ in range(decisions)]
        # As support passes it: the share of the last DEMAND_WINDOW requests.
        demand = demand_from(
            (request.priorities, request.language) for request in requests[-DEMAND_WINDOW:]
        )
        builds, setups = [], []
        for _ in range(1 if quick else POOL_BUILDS):
            started = time.perf_counter()
            pool = PeerPool(candidates)
            built = time.perf_counter()
            pool.scarcity(demand)
            builds.append((built - started) * 1000)
            setups.append((time.perf_counter() - built) * 1000)
        build_ms[str(count)] = round(statistics.median(builds), 2)
        setup_ms[str(count)] = round(statistics.median(setups), 3)
        wall_rounds, cpu_all = [], []
        for _ in range(rounds):
            wall, cpu = time_decisions(pool, requests, demand)
            wall_rounds.append(wall)
            cpu_all.extend(cpu)
        least_disturbed = min(wall_rounds, key=lambda timings: percentile(timings, 0.99))
        decision_ms[str(count)] = summary(least_disturbed)
        rounds_p99[str(count)] = [round(percentile(timings, 0.99), 4) for timings in wall_rounds]
        cpu_ms[str(count)] = summary(cpu_all)
    return {
        "decision_ms": decision_ms,
        "decision_rounds_p99_ms": rounds_p99,
        "decision_cpu_ms": cpu_ms,
        "pool_build_ms": build_ms,
        "demand_setup_ms": setup_ms,
        "decisions_per_round": decisions,
        "decision_note": (
            "wall-clock ms per rank(limit=5, demand=...) call over varied requests, pool "
            "built once per size (pool_build_ms) and its scarcity costs worked out once per "
            "pool and demand (demand_setup_ms, paid by a round's first decision); "
            "decision_ms is the round (of {rounds}) with the lowest p99, the least "
            "disturbed by other work on the machine, and decision_rounds_p99_ms lists every "
            "round; decision_cpu_ms is this thread's CPU time over all rounds, which other "
            "processes cannot inflate"
        ),
    }


def time_decisions(
    pool: PeerPool, requests: list[MatchRequest], demand: dict[str, float]
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each decision, after a warm-up."""
    now = 1_000_000.0
    for request in requests[:WARMUP_DECISIONS]:
        rank(request, pool, now=now, limit=5, demand=demand)
    gc.collect()
    wall, cpu = [], []
    for request in requests:
        wall_start, cpu_start = time.perf_counter_ns(), time.thread_time_ns()
        rank(request, pool, now=now, limit=5, demand=demand)
        cpu_end, wall_end = time.thread_time_ns(), time.perf_counter_ns()
        wall.append((wall_end - wall_start) / 1e6)
        cpu.append((cpu_end - cpu_start) / 1e6)
    return wall, cpu


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(timings: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(timings, 0.5), 4),
        "p99": round(percentile(timings, 0.99), 4),
        "max": round(max(timings), 4),
    }


def random_peer(rng: random.Random, peer_id: int, config: DayConfig) -> PeerCandidate:
    experiences = list(config.experience_weights)
    topics = list(config.topic_weights)
    languages = {"en"} if rng.random() > 0.05 else {"es"}
    if rng.random() < 0.22:
        languages.add("es")
    if rng.random() < 0.05:
        languages.add("fr")
    most = rng.choice((1, 2, 2, 3))
    return PeerCandidate(
        peer_id=peer_id,
        languages=frozenset(languages),
        experiences=frozenset(
            rng.choices(experiences, weights=list(config.experience_weights.values()), k=4)
        ),
        topics=frozenset(rng.choices(topics, weights=list(config.topic_weights.values()), k=7)),
        gender=rng.choice(("woman", "woman", "man", "nonbinary", "")),
        active_chats=rng.randint(0, most),
        max_chats=most,
        last_chat_ended_at=None if rng.random() < 0.1 else 1_000_000.0 - rng.uniform(0, 7200),
    )


def random_request(rng: random.Random, peers: int, config: DayConfig) -> MatchRequest:
    languages = config.member_languages
    experiences = list(config.experience_weights)
    weights = list(config.experience_weights.values())
    returning = rng.random() < 0.25
    return MatchRequest(
        language=rng.choices(list(languages), weights=list(languages.values()))[0],
        priorities=tuple(
            dict.fromkeys(rng.choices(experiences, weights=weights, k=rng.randint(1, 3)))
        ),
        topics=tuple(rng.sample(list(config.topic_weights), rng.randint(1, 3))),
        preferences={"gender": "woman"} if rng.random() < 0.1 else {},
        past_ratings={rng.randint(1, peers): float(rng.randint(1, 5))} if returning else {},
        wants_same_peer=returning and rng.random() < 0.35,
        excluded=frozenset(rng.randint(1, peers) for _ in range(rng.randint(0, 3))),
    )


def simulate(config: DayConfig, quick: bool) -> dict[str, Any]:
    """The day played by each policy, and (full runs) how other seeded days compare."""
    day = make_day(config)
    matcher = run_day(day, matcher_policy)
    first = run_day(day, first_available_policy)
    blind = run_day(day, matcher_without_demand_policy)
    result: dict[str, Any] = {
        "day": {
            "seed": config.seed,
            "peers": config.peers,
            "requests": config.requests,
            "member_languages": dict(config.member_languages),
            "median_chat_minutes": config.median_chat_minutes,
            "median_patience_minutes": config.median_patience_minutes,
            "offer_seconds": config.offer_seconds,
            "demand_window_requests": DEMAND_WINDOW,
            "experience_frequencies": (
                "a guess, not measured: depression and anxiety most common, then trauma and "
                "grief, then a long tail; peers drawn with the same frequencies"
            ),
        },
        "matcher": matcher,
        "first_available": first,
        "matcher_without_demand": blind,
        "comparison": compare(matcher, first),
        "comparison_without_demand": compare(blind, first),
    }
    if not quick:
        # How much the shared-experience goal depends on the assumed
        # frequencies: the same day's shape with every experience as common.
        flat = replace(config, experience_weights=dict.fromkeys(config.experience_weights, 1.0))
        flat_day = make_day(flat)
        result["equally_common_experiences"] = compare(
            run_day(flat_day, matcher_policy), run_day(flat_day, first_available_policy)
        )
        # One day is one draw; other seeds show how much the comparison moves.
        main = seed_row(config.seed, matcher, first, blind)
        others = [seed_result(replace(config, seed=seed)) for seed in OTHER_SEEDS]
        result["seeds"] = [main, *others]
        result["seeds_summary"] = seeds_summary(result["seeds"])
    return result


def seed_result(config: DayConfig) -> dict[str, Any]:
    day: Day = make_day(config)
    return seed_row(
        config.seed,
        run_day(day, matcher_policy),
        run_day(day, first_available_policy),
        run_day(day, matcher_without_demand_policy),
    )


def seed_row(
    seed: int, matcher: dict[str, Any], first: dict[str, Any], blind: dict[str, Any]
) -> dict[str, Any]:
    """One seeded day: the ratio without demand (before scarcity) and with it (now)."""
    now, before = compare(matcher, first), compare(blind, first)
    return {
        "seed": seed,
        "shared_experience_ratio_without_demand": before["shared_experience_ratio"],
        "shared_experience_ratio": now["shared_experience_ratio"],
        **now,
    }


def seeds_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    before = [row["shared_experience_ratio_without_demand"] for row in rows]
    after = [row["shared_experience_ratio"] for row in rows]
    return {
        "days": len(rows),
        "ratio_without_demand": {"min": min(before), "mean": round(statistics.fmean(before), 3)},
        "ratio": {"min": min(after), "mean": round(statistics.fmean(after), 3)},
        "days_meeting_shared_experience_goal": sum(row["shared_experience"] for row in rows),
        "days_with_waits_no_worse": sum(row["waits_no_worse"] for row in rows),
    }


def compare(matcher: dict[str, Any], first: dict[str, Any]) -> dict[str, Any]:
    """The matcher's waits and shared-experience share beside first available's."""
    median_gap = matcher["median_wait_seconds"] - first["median_wait_seconds"]
    p90_gap = matcher["p90_wait_seconds"] - first["p90_wait_seconds"]
    ratio = (
        matcher["shared_priority_experience_share"] / first["shared_priority_experience_share"]
        if first["shared_priority_experience_share"]
        else None
    )
    return {
        "shared_experience_share": {
            "matcher": matcher["shared_priority_experience_share"],
            "first_available": first["shared_priority_experience_share"],
            "possible": matcher["shared_experience_possible_share"],
        },
        "median_wait_difference_seconds": round(median_gap, 1),
        "p90_wait_difference_seconds": round(p90_gap, 1),
        "shared_experience_ratio": None if ratio is None else round(ratio, 2),
        "waits_no_worse": (
            median_gap <= wait_tolerance(first["median_wait_seconds"])
            and p90_gap <= wait_tolerance(first["p90_wait_seconds"])
        ),
        "shared_experience": ratio is not None and ratio >= SHARED_EXPERIENCE_FACTOR,
    }


def wait_tolerance(first_available_seconds: float) -> float:
    return max(WAIT_TOLERANCE_SECONDS, WAIT_TOLERANCE_SHARE * first_available_seconds)


def judge(decisions: dict[str, Any], simulation: dict[str, Any]) -> dict[str, bool]:
    comparison = simulation["comparison"]
    return {
        "decision_p99_ms_at_10000": decisions["decision_ms"]["10000"]["p99"] <= P99_GOAL_MS,
        "waits_no_worse": comparison["waits_no_worse"],
        "shared_experience": comparison["shared_experience"],
    }
