"""The simulated day: it runs, it is reproducible, and its figures add up (never timed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from benchmarks._matching_day import DayConfig, make_day
from peerlight.support.matching import MatchRequest, PeerCandidate
from peerlight.support.simulation import (
    Chooser,
    Day,
    Policy,
    SimPeer,
    SimRequest,
    first_available_policy,
    matcher_policy,
    matcher_without_demand_policy,
    run_day,
)

TINY = DayConfig(
    experience_weights={"depression": 3.0, "anxiety": 3.0, "grief": 1.0, "perinatal": 1.0},
    topic_weights={"sleep": 1.0, "loss": 1.0, "family": 1.0, "work_school": 1.0},
    peers=6,
    requests=40,
    seed=11,
)
EXPECTED_KEYS = {
    "requests",
    "chats",
    "abandoned",
    "median_wait_seconds",
    "p90_wait_seconds",
    "answered_within_60s_share",
    "shared_priority_experience_share",
    "first_priority_shared_share",
    "shared_experience_possible_share",
    "chats_per_peer_cv",
    "chats_per_peer_max_over_mean",
    "asked_for_a_well_rated_peer_again",
    "got_that_peer_again",
    "unshared_chats_because",
    "offers_declined",
    "offers_expired",
}


def test_a_tiny_day_runs_through_both_policies_with_the_expected_figures() -> None:
    day = make_day(TINY)

    for policy in (matcher_policy, first_available_policy):
        figures = run_day(day, policy)
        assert set(figures) == EXPECTED_KEYS
        assert figures["requests"] == TINY.requests
        assert figures["chats"] + figures["abandoned"] == TINY.requests
        assert figures["chats"] > 0
        assert 0 <= figures["median_wait_seconds"] <= figures["p90_wait_seconds"]
        assert 0 <= figures["shared_priority_experience_share"] <= 1
        assert (
            figures["shared_priority_experience_share"]
            <= figures["shared_experience_possible_share"]
        )
        assert figures["chats_per_peer_max_over_mean"] >= 1


def test_the_same_seed_gives_the_same_day_and_the_same_figures() -> None:
    assert make_day(TINY) == make_day(TINY)
    assert run_day(make_day(TINY), matcher_policy) == run_day(make_day(TINY), matcher_policy)
    assert make_day(TINY) != make_day(replace(TINY, seed=12))


def test_the_drawn_day_follows_its_config() -> None:
    day = make_day(TINY)

    assert len(day.peers) == TINY.peers
    assert len(day.requests) == TINY.requests
    arrivals = [request.arrives_at for request in day.requests]
    assert arrivals == sorted(arrivals)
    assert all(0 <= at < 24 * 3600 for at in arrivals)
    for request in day.requests:
        assert 1 <= len(request.priorities) <= 3
        assert len(set(request.priorities)) == len(request.priorities)
        assert set(request.priorities) <= set(TINY.experience_weights)
        assert request.language in TINY.member_languages
    for peer in day.peers:
        assert peer.languages
        assert peer.shift_start < peer.shift_end


def sim_peer(peer_id: int, experiences: tuple[str, ...]) -> SimPeer:
    return SimPeer(
        peer_id=peer_id,
        languages=frozenset({"en"}),
        experiences=frozenset(experiences),
        topics=frozenset(),
        gender="",
        max_chats=1,
        shift_start=0.0,
        shift_end=24 * 3600.0,
    )


def sim_request(request_id: int, at: float, priorities: tuple[str, ...]) -> SimRequest:
    return SimRequest(
        request_id=request_id,
        member_id=request_id,
        arrives_at=at,
        language="en",
        priorities=priorities,
        topics=(),
        preferences={},
        urgency="none",
        wants_same_peer=False,
        patience=600.0,
        chat_seconds=1200.0,
        rating=5.0,
        answers=(("accept", 10.0),),
    )


def play(policy: Policy) -> dict[str, Any]:
    day = Day(
        peers=(sim_peer(1, ()), sim_peer(2, ("grief",))),
        requests=(sim_request(1, 100.0, ("grief",)),),
    )
    return run_day(day, policy)


def test_the_matcher_finds_the_peer_who_shares_the_experience() -> None:
    figures = play(matcher_policy)

    assert figures["shared_priority_experience_share"] == 1.0
    assert figures["median_wait_seconds"] == 10.0


def test_first_available_takes_whoever_has_waited_longest() -> None:
    figures = play(first_available_policy)

    assert figures["shared_priority_experience_share"] == 0.0
    assert figures["median_wait_seconds"] == 10.0


def candidate(peer_id: int, *, active: int = 0, ended: float | None = None) -> PeerCandidate:
    return PeerCandidate(
        peer_id=peer_id,
        languages=frozenset({"en"}),
        experiences=frozenset(),
        topics=frozenset(),
        gender="",
        active_chats=active,
        max_chats=2,
        last_chat_ended_at=ended,
    )


def test_first_available_prefers_a_peer_in_no_chat_then_the_longest_wait() -> None:
    choose = first_available_policy(
        [candidate(1, active=1, ended=None), candidate(2, ended=50.0), candidate(3, ended=10.0)]
    )

    assert choose(MatchRequest(language="en"), 100.0) == 3
    assert choose(MatchRequest(language="en", excluded=frozenset({3})), 100.0) == 2
    assert choose(MatchRequest(language="es"), 100.0) is None


def test_a_member_who_gives_up_is_counted_and_the_offer_withdrawn() -> None:
    impatient = replace(sim_request(1, 100.0, ("grief",)), patience=5.0)
    day = Day(peers=(sim_peer(1, ("grief",)),), requests=(impatient,))

    figures = run_day(day, matcher_policy)

    assert figures["chats"] == 0
    assert figures["abandoned"] == 1
    assert figures["median_wait_seconds"] is None


def test_why_a_chat_shared_nothing_is_recorded_when_the_offer_is_made() -> None:
    day = Day(
        peers=(sim_peer(1, ("grief",)), sim_peer(2, ()), sim_peer(3, ())),
        requests=(
            sim_request(1, 100.0, ("grief",)),  # peer 1, who shares grief
            sim_request(2, 105.0, ("grief",)),  # peer 1 is being asked: peer 2
            sim_request(3, 110.0, ("military",)),  # no one on shift shares it: peer 3
        ),
    )

    figures = run_day(day, matcher_policy)

    assert figures["chats"] == 3
    assert figures["unshared_chats_because"] == {
        "no_sharing_peer_on_shift": 1,
        "sharing_peers_declined": 0,
        "sharing_peers_busy": 1,
        "sharing_peer_free_not_chosen": 0,
    }
    # First available passes over a free peer who shares the experience.
    assert (
        play(first_available_policy)["unshared_chats_because"]["sharing_peer_free_not_chosen"] == 1
    )


def test_policies_are_told_the_demand_of_requests_that_have_arrived_only() -> None:
    seen: list[dict[str, float]] = []

    def recording(candidates: Sequence[PeerCandidate], demand: Mapping[str, float]) -> Chooser:
        seen.append(dict(demand))
        return matcher_policy(candidates, demand)

    day = Day(
        peers=(sim_peer(1, ("grief",)),),
        requests=(
            sim_request(1, 100.0, ("grief", "trauma")),
            sim_request(2, 5000.0, ("perinatal",)),
        ),
    )
    run_day(day, recording)

    assert seen[0] == {"grief": 1.0, "trauma": 1.0, "en": 1.0}
    assert seen[-1] == {"grief": 0.5, "trauma": 0.5, "perinatal": 0.5, "en": 1.0}


def test_the_matcher_without_demand_ignores_it() -> None:
    candidates = [
        PeerCandidate(
            peer_id=peer_id,
            languages=frozenset({"en"}),
            experiences=frozenset(experiences),
            topics=frozenset(),
            gender="",
            active_chats=0,
            max_chats=1,
            last_chat_ended_at=None,
        )
        for peer_id, experiences in ((1, ("perinatal",)), (2, ("depression",)))
    ]
    demand = {"perinatal": 0.5, "depression": 0.1, "en": 1.0}
    member = MatchRequest(language="en", priorities=("grief",))

    assert matcher_policy(candidates, demand)(member, 0.0) == 2
    assert matcher_without_demand_policy(candidates, demand)(member, 0.0) == 1
    assert matcher_policy(candidates)(member, 0.0) == 1
