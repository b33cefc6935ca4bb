"""Matching: hard constraints, what the score rewards, tie-breaks, reasons and the queue."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_django import DjangoAssertNumQueries

from peerlight.accounts.models import User
from peerlight.support import access
from peerlight.support import actions as support_actions
from peerlight.support.matching import (
    CONTINUITY_ASKED_WEIGHT,
    CONTINUITY_WEIGHT,
    FAIRNESS_WEIGHT,
    LOAD_WEIGHT,
    PREFERENCE_WEIGHT,
    SCARCITY_WEIGHT,
    TOPIC_CAP,
    TOPIC_WEIGHT,
    MatchRequest,
    PeerCandidate,
    PeerPool,
    QueueEntry,
    Ranked,
    Reason,
    demand_from,
    estimate_wait_seconds,
    priority_weight,
    queue_order,
    rank,
)
from peerlight.support.models import Offer, SupportRequest
from tests.conftest import make_user
from tests.support.conftest import answers, make_peer

NOW = 1_000_000.0
HOUR = 3600.0


def peer(
    peer_id: int,
    *,
    languages: tuple[str, ...] = ("en",),
    experiences: tuple[str, ...] = (),
    topics: tuple[str, ...] = (),
    gender: str = "",
    active_chats: int = 0,
    max_chats: int = 2,
    idle: float | None = HOUR,
) -> PeerCandidate:
    """A candidate; ``idle`` is seconds since their last chat at NOW (None: never)."""
    return PeerCandidate(
        peer_id=peer_id,
        languages=frozenset(languages),
        experiences=frozenset(experiences),
        topics=frozenset(topics),
        gender=gender,
        active_chats=active_chats,
        max_chats=max_chats,
        last_chat_ended_at=None if idle is None else NOW - idle,
    )


def ids(ranked: list[Ranked]) -> list[int]:
    return [each.peer_id for each in ranked]


def test_language_is_a_hard_constraint() -> None:
    pool = PeerPool(
        [
            peer(1, languages=("en",), experiences=("perinatal", "depression", "grief")),
            peer(2, languages=("es", "en")),
            peer(3, languages=("es",)),
        ]
    )
    request = MatchRequest(language="es", priorities=("perinatal", "depression", "grief"))

    assert ids(rank(request, pool, now=NOW)) == [2, 3]


def test_a_language_nobody_speaks_gives_no_candidates() -> None:
    pool = PeerPool([peer(1), peer(2)])

    assert rank(MatchRequest(language="vi"), pool, now=NOW) == []


def test_an_empty_pool_gives_no_candidates() -> None:
    assert rank(MatchRequest(language="en", priorities=("anxiety",)), PeerPool([]), now=NOW) == []


def test_peers_at_their_most_chats_are_left_out() -> None:
    pool = PeerPool(
        [
            peer(1, experiences=("anxiety",), active_chats=2, max_chats=2),
            peer(2, experiences=("anxiety",), active_chats=3, max_chats=2),
            peer(3, active_chats=1, max_chats=2),
            peer(4, active_chats=0, max_chats=0),
        ]
    )

    assert ids(rank(MatchRequest(language="en", priorities=("anxiety",)), pool, now=NOW)) == [3]


def test_excluded_peers_are_left_out_even_when_they_match_best() -> None:
    pool = PeerPool([peer(1, experiences=("grief",)), peer(2), peer(3)])
    request = MatchRequest(language="en", priorities=("grief",), excluded=frozenset({1, 3, 99}))

    assert ids(rank(request, pool, now=NOW)) == [2]


def test_a_shared_priority_outranks_topics_load_and_fairness_together() -> None:
    topics = ("feeling_low", "sleep", "loneliness", "work_school")
    pool = PeerPool(
        [
            peer(1, experiences=("anxiety",), active_chats=1, max_chats=2, idle=0),
            peer(2, topics=topics, idle=None),
        ]
    )
    request = MatchRequest(language="en", priorities=("anxiety",), topics=topics)

    assert ids(rank(request, pool, now=NOW)) == [1, 2]


def test_earlier_priorities_weigh_more() -> None:
    pool = PeerPool(
        [
            peer(1, experiences=("grief",)),
            peer(2, experiences=("anxiety",)),
            peer(3, experiences=("depression",)),
        ]
    )
    request = MatchRequest(language="en", priorities=("depression", "anxiety", "grief"))

    assert ids(rank(request, pool, now=NOW)) == [3, 2, 1]


def test_priority_weights_fall_with_position_but_stay_above_the_tie_breakers() -> None:
    weights = [priority_weight(position) for position in range(6)]

    assert weights == sorted(weights, reverse=True)
    assert len(set(weights)) == len(weights)
    assert (
        min(weights) > TOPIC_WEIGHT * TOPIC_CAP + LOAD_WEIGHT + FAIRNESS_WEIGHT + SCARCITY_WEIGHT
    )
    assert priority_weight(0) < PREFERENCE_WEIGHT


def test_two_later_priorities_can_outweigh_the_first_alone() -> None:
    pool = PeerPool(
        [peer(1, experiences=("depression",)), peer(2, experiences=("anxiety", "grief"))]
    )
    request = MatchRequest(language="en", priorities=("depression", "anxiety", "grief"))

    assert ids(rank(request, pool, now=NOW)) == [2, 1]


def test_a_repeated_priority_counts_once() -> None:
    pool = PeerPool([peer(1, experiences=("grief",)), peer(2, experiences=("anxiety",))])
    request = MatchRequest(language="en", priorities=("grief", "grief", "grief", "anxiety"))
    ranked = rank(request, pool, now=NOW)

    assert ranked[0].score - ranked[1].score == pytest.approx(
        priority_weight(0) - priority_weight(1)
    )


def test_shared_topics_count_up_to_the_cap() -> None:
    many = tuple(f"topic_{i}" for i in range(TOPIC_CAP + 3))
    pool = PeerPool([peer(1, topics=many), peer(2, topics=many[:1]), peer(3)])
    ranked = rank(MatchRequest(language="en", topics=many), pool, now=NOW)
    scores = {each.peer_id: each.score for each in ranked}

    assert scores[1] - scores[3] == pytest.approx(TOPIC_WEIGHT * TOPIC_CAP)
    assert scores[2] - scores[3] == pytest.approx(TOPIC_WEIGHT)


def test_a_met_gender_preference_counts_but_is_not_a_hard_constraint() -> None:
    pool = PeerPool(
        [peer(1, gender="man", experiences=("trauma",)), peer(2, gender="woman"), peer(3)]
    )
    request = MatchRequest(language="en", priorities=("trauma",), preferences={"gender": "woman"})
    ranked = rank(request, pool, now=NOW)

    assert ids(ranked) == [2, 1, 3]
    assert ranked[0].score - ranked[2].score == pytest.approx(PREFERENCE_WEIGHT)


def test_unknown_preferences_are_ignored() -> None:
    pool = PeerPool([peer(1), peer(2, idle=2 * HOUR)])
    request = MatchRequest(language="en", preferences={"star_sign": "leo", "gender": ""})

    assert ids(rank(request, pool, now=NOW)) == [2, 1]


def test_continuity_needs_a_good_rating() -> None:
    pool = PeerPool([peer(1), peer(2), peer(3, experiences=("grief",))])
    request = MatchRequest(language="en", priorities=("grief",), past_ratings={1: 3.0, 2: 4.0})
    ranked = rank(request, pool, now=NOW)
    scores = {each.peer_id: each.score for each in ranked}

    assert scores[2] - scores[1] == pytest.approx(CONTINUITY_WEIGHT)
    # Unasked, a good earlier chat does not beat the member's first priority.
    assert ids(ranked) == [3, 2, 1]


def test_asking_for_the_same_peer_again_outweighs_everything_else() -> None:
    best_otherwise = peer(
        1,
        experiences=("grief", "anxiety", "depression"),
        topics=("loss", "sleep", "family", "loneliness"),
        gender="woman",
        idle=None,
    )
    pool = PeerPool([best_otherwise, peer(2, gender="man", active_chats=1, idle=0)])
    request = MatchRequest(
        language="en",
        priorities=("grief", "anxiety", "depression"),
        topics=("loss", "sleep", "family", "loneliness"),
        preferences={"gender": "woman"},
        past_ratings={2: 5.0},
        wants_same_peer=True,
    )
    ranked = rank(request, pool, now=NOW)

    assert ids(ranked) == [2, 1]
    assert CONTINUITY_ASKED_WEIGHT > CONTINUITY_WEIGHT


def test_asking_again_for_a_peer_rated_poorly_gives_no_continuity() -> None:
    pool = PeerPool([peer(1), peer(2, idle=2 * HOUR)])
    request = MatchRequest(language="en", past_ratings={1: 2.0}, wants_same_peer=True)
    ranked = rank(request, pool, now=NOW)

    assert ids(ranked) == [2, 1]
    assert all(reason.kind != "continuity" for each in ranked for reason in each.reasons)


def test_more_free_room_ranks_higher_among_equals() -> None:
    pool = PeerPool([peer(1, active_chats=1, max_chats=2), peer(2, active_chats=0, max_chats=2)])
    ranked = rank(MatchRequest(language="en"), pool, now=NOW)

    assert ids(ranked) == [2, 1]
    assert ranked[0].score - ranked[1].score == pytest.approx(LOAD_WEIGHT / 2)


def test_fairness_favours_the_peer_who_has_waited_longer() -> None:
    pool = PeerPool([peer(1, idle=60), peer(2, idle=1800), peer(3, idle=600)])

    assert ids(rank(MatchRequest(language="en"), pool, now=NOW)) == [2, 3, 1]


def test_fairness_is_full_after_the_horizon_and_ties_then_go_to_the_longer_wait() -> None:
    pool = PeerPool([peer(1, idle=2 * HOUR), peer(2, idle=5 * HOUR), peer(3, idle=None)])
    ranked = rank(MatchRequest(language="en"), pool, now=NOW)

    assert len({each.score for each in ranked}) == 1
    assert ids(ranked) == [3, 2, 1]


def test_exact_ties_go_to_the_lower_id() -> None:
    pool = PeerPool([peer(7), peer(3), peer(5)])

    assert ids(rank(MatchRequest(language="en"), pool, now=NOW)) == [3, 5, 7]


def test_a_chat_ended_in_the_future_counts_as_just_ended() -> None:
    pool = PeerPool([peer(1, idle=-600), peer(2, idle=0)])
    ranked = rank(MatchRequest(language="en"), pool, now=NOW)

    assert ranked[0].score == ranked[1].score
    assert ids(ranked) == [1, 2]


def test_ties_at_the_limit_are_cut_by_the_tie_break_not_by_chance() -> None:
    pool = PeerPool([peer(peer_id, idle=None) for peer_id in range(50, 0, -1)])

    assert ids(rank(MatchRequest(language="en"), pool, now=NOW, limit=3)) == [1, 2, 3]


def test_ranking_is_deterministic_whatever_the_pool_order() -> None:
    candidates = [
        peer(
            peer_id,
            experiences=(("grief",), ("anxiety",), ())[peer_id % 3],
            topics=(("sleep",), ())[peer_id % 2],
            idle=(None, HOUR, 2 * HOUR)[peer_id % 3],
        )
        for peer_id in range(1, 40)
    ]
    request = MatchRequest(language="en", priorities=("anxiety", "grief"), topics=("sleep",))
    forwards = rank(request, PeerPool(candidates), now=NOW, limit=10)
    backwards = rank(request, PeerPool(reversed(candidates)), now=NOW, limit=10)

    assert forwards == backwards
    assert forwards == rank(request, PeerPool(candidates), now=NOW, limit=10)


def test_the_limit_caps_the_list() -> None:
    pool = PeerPool([peer(peer_id) for peer_id in range(1, 11)])

    assert len(rank(MatchRequest(language="en"), pool, now=NOW)) == 5
    assert len(rank(MatchRequest(language="en"), pool, now=NOW, limit=1)) == 1
    assert len(rank(MatchRequest(language="en"), pool, now=NOW, limit=30)) == 10
    with pytest.raises(ValueError, match="limit"):
        rank(MatchRequest(language="en"), pool, now=NOW, limit=0)


def test_a_peer_may_appear_only_once_in_a_pool() -> None:
    with pytest.raises(ValueError, match="once"):
        PeerPool([peer(1), peer(1)])


def test_the_reasons_say_what_is_shared_in_the_members_order() -> None:
    pool = PeerPool(
        [
            peer(
                1,
                languages=("en", "es"),
                experiences=("depression", "perinatal", "military"),
                topics=("parenting", "sleep", "money_housing"),
                gender="woman",
            )
        ]
    )
    request = MatchRequest(
        language="es",
        priorities=("perinatal", "anxiety", "depression"),
        topics=("sleep", "parenting", "loneliness"),
        preferences={"gender": "woman"},
        past_ratings={1: 5.0},
    )
    (ranked,) = rank(request, pool, now=NOW)

    assert ranked.reasons == (
        Reason("experience", ("perinatal", "depression")),
        Reason("topic", ("sleep", "parenting")),
        Reason("language", ("es",)),
        Reason("continuity", ()),
        Reason("preference", ("woman",)),
    )


def test_the_reasons_mark_a_peer_asked_for_again() -> None:
    pool = PeerPool([peer(1)])
    request = MatchRequest(language="en", past_ratings={1: 4.0}, wants_same_peer=True)
    (ranked,) = rank(request, pool, now=NOW)

    assert Reason("continuity", ("asked",)) in ranked.reasons


def test_with_nothing_shared_the_only_reason_is_the_language() -> None:
    pool = PeerPool([peer(1, experiences=("military",), gender="man")])
    request = MatchRequest(
        language="en", priorities=("grief",), topics=("sleep",), preferences={"gender": "woman"}
    )
    (ranked,) = rank(request, pool, now=NOW)

    assert ranked.reasons == (Reason("language", ("en",)),)


def test_codes_beyond_one_word_of_bits_still_match() -> None:
    many = tuple(f"experience_{i:03}" for i in range(150))
    pool = PeerPool([peer(1, experiences=many[:75]), peer(2, experiences=many[75:])])
    request = MatchRequest(language="en", priorities=(many[140], many[3]))

    ranked = rank(request, pool, now=NOW)
    assert ids(ranked) == [2, 1]
    assert ranked[0].reasons[0] == Reason("experience", (many[140],))


# Scarcity: what recent members asked for

# Recent requests: depression and anxiety common, perinatal rare, a few in Spanish.
DEMAND = {"depression": 0.4, "anxiety": 0.4, "perinatal": 0.05, "en": 0.85, "es": 0.15}


def common_and_rare_pool() -> PeerPool:
    """The only free peer with perinatal experience (id 1) and three with depression."""
    return PeerPool(
        [
            peer(1, experiences=("perinatal",)),
            peer(2, experiences=("depression",)),
            peer(3, experiences=("depression",)),
            peer(4, experiences=("depression",)),
        ]
    )


def test_a_member_sharing_nothing_gets_a_common_experience_peer_not_the_rare_one() -> None:
    pool = common_and_rare_pool()
    request = MatchRequest(language="en", priorities=("grief",))

    # All else equal, blind to demand the lowest id (the rare peer) is first...
    assert ids(rank(request, pool, now=NOW, limit=1)) == [1]
    # ... while knowing what recent members asked for keeps them free.
    assert ids(rank(request, pool, now=NOW, demand=DEMAND)) == [2, 3, 4, 1]


def test_the_member_who_shares_the_rare_experience_still_gets_that_peer() -> None:
    request = MatchRequest(language="en", priorities=("perinatal",))

    assert ids(rank(request, common_and_rare_pool(), now=NOW, demand=DEMAND, limit=1)) == [1]


def test_among_peers_sharing_equally_the_one_without_a_rare_extra_comes_first() -> None:
    pool = PeerPool(
        [
            peer(1, experiences=("depression", "perinatal")),
            peer(2, experiences=("depression",)),
            peer(3, experiences=("depression",)),
        ]
    )
    request = MatchRequest(language="en", priorities=("depression",))

    assert ids(rank(request, pool, now=NOW, demand=DEMAND)) == [2, 3, 1]


def test_a_bilingual_peer_is_kept_for_members_asking_in_the_rarer_language() -> None:
    pool = PeerPool([peer(1, languages=("en", "es")), peer(2), peer(3)])

    english = MatchRequest(language="en")
    spanish = MatchRequest(language="es")

    assert ids(rank(english, pool, now=NOW, demand=DEMAND)) == [2, 3, 1]
    assert ids(rank(spanish, pool, now=NOW, demand=DEMAND)) == [1]


def test_a_shared_priority_still_outranks_scarcity_and_every_tie_breaker() -> None:
    topics = ("feeling_low", "sleep", "loneliness", "work_school")
    # Peer 1 shares only the member's fourth priority, is the only free
    # peer with two experiences in heavy demand, speaks a language in
    # demand, is busy and just finished a chat; peer 2 has everything else.
    pool = PeerPool(
        [
            peer(
                1,
                languages=("en", "es"),
                experiences=("military", "perinatal", "psychosis"),
                active_chats=1,
                idle=0,
            ),
            peer(2, topics=topics, idle=None),
        ]
    )
    demand = {"perinatal": 0.9, "psychosis": 0.9, "es": 0.9, "en": 0.5}
    request = MatchRequest(
        language="en", priorities=("grief", "anxiety", "trauma", "military"), topics=topics
    )

    assert ids(rank(request, pool, now=NOW, demand=demand)) == [1, 2]


def test_scarcity_never_takes_more_than_its_weight() -> None:
    pool = common_and_rare_pool()
    request = MatchRequest(language="en", priorities=("grief",))
    blind = {each.peer_id: each.score for each in rank(request, pool, now=NOW)}
    heavy = {"perinatal": 1.0, "depression": 1.0, "en": 1.0}
    aware = {each.peer_id: each.score for each in rank(request, pool, now=NOW, demand=heavy)}

    for peer_id, score in blind.items():
        assert score - SCARCITY_WEIGHT - 1e-9 <= aware[peer_id] <= score


def test_no_demand_and_empty_demand_rank_alike() -> None:
    pool = common_and_rare_pool()
    request = MatchRequest(language="en", priorities=("grief",), topics=("sleep",))

    assert rank(request, pool, now=NOW, demand={}) == rank(request, pool, now=NOW)


def test_a_new_demand_mapping_is_not_confused_with_the_last_one() -> None:
    pool = common_and_rare_pool()
    request = MatchRequest(language="en", priorities=("grief",))
    rare_wanted = {"perinatal": 0.5, "depression": 0.01}
    common_wanted = {"perinatal": 0.01, "depression": 0.9}

    assert ids(rank(request, pool, now=NOW, demand=rare_wanted, limit=1)) == [2]
    assert ids(rank(request, pool, now=NOW, demand=common_wanted, limit=1)) == [1]


def test_demand_is_the_share_of_requests_listing_each_code_once() -> None:
    recent = [
        (("depression", "anxiety"), "en"),
        (("depression", "depression"), "es"),
        ((), "en"),
        (("perinatal",), "en"),
    ]

    assert demand_from(recent) == {
        "depression": 0.5,
        "anxiety": 0.25,
        "perinatal": 0.25,
        "en": 0.75,
        "es": 0.25,
    }
    assert demand_from([]) == {}


def test_matching_and_the_simulation_import_no_django() -> None:
    # A fresh interpreter: this one already has Django loaded by pytest-django.
    code = (
        "import sys, peerlight.support.matching, peerlight.support.simulation; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    finished = subprocess.run([sys.executable, "-c", code], check=False)  # noqa: S603

    assert finished.returncode == 0


# The queue


def entry(request_id: int, urgency: str, created_at: float) -> QueueEntry:
    return QueueEntry(request_id=request_id, urgency=urgency, created_at=created_at)


def test_the_queue_puts_severity_first_then_time() -> None:
    entries = [
        entry(1, "none", 10.0),
        entry(2, "concern", 30.0),
        entry(3, "imminent", 50.0),
        entry(4, "none", 5.0),
        entry(5, "concern", 20.0),
        entry(6, "imminent", 40.0),
    ]

    assert [each.request_id for each in queue_order(entries)] == [6, 3, 5, 2, 4, 1]


def test_the_queue_breaks_equal_times_by_request_id_and_keeps_its_input() -> None:
    entries = [entry(9, "none", 1.0), entry(2, "none", 1.0)]

    assert [each.request_id for each in queue_order(entries)] == [2, 9]
    assert [each.request_id for each in entries] == [9, 2]
    assert queue_order([]) == []


def test_an_unknown_urgency_goes_to_the_front_rather_than_the_back() -> None:
    entries = [entry(1, "imminent", 1.0), entry(2, "something_new", 2.0), entry(3, "none", 0.0)]

    assert [each.request_id for each in queue_order(entries)] == [2, 1, 3]


# The wait estimate


def test_no_wait_when_a_slot_is_free_for_this_position() -> None:
    assert estimate_wait_seconds(
        1, free_slots=1, peers_on_shift=3, median_chat_seconds=1200
    ) == pytest.approx(0.0)
    assert estimate_wait_seconds(
        2, free_slots=3, peers_on_shift=0, median_chat_seconds=0
    ) == pytest.approx(0.0)


def test_the_wait_grows_with_position_and_shrinks_with_peers() -> None:
    one_peer = estimate_wait_seconds(1, free_slots=0, peers_on_shift=1, median_chat_seconds=1200)
    assert one_peer == pytest.approx(1200)
    assert estimate_wait_seconds(
        3, free_slots=0, peers_on_shift=4, median_chat_seconds=1200
    ) == pytest.approx(900)
    assert estimate_wait_seconds(
        3, free_slots=1, peers_on_shift=4, median_chat_seconds=1200
    ) == pytest.approx(600)


def test_free_slots_below_zero_count_as_none() -> None:
    assert estimate_wait_seconds(
        1, free_slots=-2, peers_on_shift=2, median_chat_seconds=600
    ) == pytest.approx(300)


@pytest.mark.parametrize(
    ("peers_on_shift", "median_chat_seconds"),
    [(0, 1200.0), (3, 0.0), (3, -5.0), (2, float("nan"))],
)
def test_no_estimate_without_peers_or_history(
    peers_on_shift: int, median_chat_seconds: float
) -> None:
    assert (
        estimate_wait_seconds(
            2,
            free_slots=0,
            peers_on_shift=peers_on_shift,
            median_chat_seconds=median_chat_seconds,
        )
        is None
    )


def test_queue_positions_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        estimate_wait_seconds(0, free_slots=0, peers_on_shift=1, median_chat_seconds=60)


# Properties

LANGUAGES = ("en", "es", "fr")
EXPERIENCES = ("depression", "anxiety", "grief", "perinatal", "trauma", "military")
TOPICS = ("sleep", "loss", "family", "work_school")
GENDERS = ("", "woman", "man", "nonbinary")


@st.composite
def pools(draw: st.DrawFn) -> list[PeerCandidate]:
    count = draw(st.integers(min_value=0, max_value=20))
    peer_ids = draw(st.lists(st.integers(1, 200), min_size=count, max_size=count, unique=True))
    candidates = []
    for peer_id in peer_ids:
        most = draw(st.integers(0, 3))
        candidates.append(
            PeerCandidate(
                peer_id=peer_id,
                languages=draw(st.frozensets(st.sampled_from(LANGUAGES), max_size=3)),
                experiences=draw(st.frozensets(st.sampled_from(EXPERIENCES))),
                topics=draw(st.frozensets(st.sampled_from(TOPICS))),
                gender=draw(st.sampled_from(GENDERS)),
                active_chats=draw(st.integers(0, 4)),
                max_chats=most,
                last_chat_ended_at=draw(st.none() | st.floats(NOW - 5 * HOUR, NOW + 60)),
            )
        )
    return candidates


match_requests = st.builds(
    MatchRequest,
    language=st.sampled_from(LANGUAGES),
    priorities=st.lists(st.sampled_from(EXPERIENCES), max_size=3).map(tuple),
    topics=st.lists(st.sampled_from(TOPICS), max_size=3).map(tuple),
    preferences=st.dictionaries(st.just("gender"), st.sampled_from(GENDERS)),
    past_ratings=st.dictionaries(st.integers(1, 200), st.floats(1, 5), max_size=4),
    wants_same_peer=st.booleans(),
    excluded=st.frozensets(st.integers(1, 200), max_size=10),
)


@settings(max_examples=100, deadline=None)
@given(candidates=pools(), match_request=match_requests, limit=st.integers(1, 12))
def test_it_never_returns_an_excluded_full_or_wrong_language_peer(
    candidates: list[PeerCandidate], match_request: MatchRequest, limit: int
) -> None:
    by_id = {candidate.peer_id: candidate for candidate in candidates}
    ranked = rank(match_request, PeerPool(candidates), now=NOW, limit=limit)

    for each in ranked:
        chosen = by_id[each.peer_id]
        assert each.peer_id not in match_request.excluded
        assert chosen.active_chats < chosen.max_chats
        assert match_request.language in chosen.languages


@settings(max_examples=100, deadline=None)
@given(candidates=pools(), match_request=match_requests, limit=st.integers(1, 25))
def test_it_respects_the_limit_sorts_by_score_and_misses_no_one(
    candidates: list[PeerCandidate], match_request: MatchRequest, limit: int
) -> None:
    ranked = rank(match_request, PeerPool(candidates), now=NOW, limit=limit)
    eligible = [
        candidate
        for candidate in candidates
        if match_request.language in candidate.languages
        and candidate.active_chats < candidate.max_chats
        and candidate.peer_id not in match_request.excluded
    ]

    assert len(ranked) == min(limit, len(eligible))
    assert len({each.peer_id for each in ranked}) == len(ranked)
    scores = [each.score for each in ranked]
    assert scores == sorted(scores, reverse=True)


demands = st.dictionaries(
    st.sampled_from(EXPERIENCES + LANGUAGES), st.floats(0, 1), max_size=len(EXPERIENCES) + 3
)


@settings(max_examples=100, deadline=None)
@given(candidates=pools(), match_request=match_requests, demand=demands, limit=st.integers(1, 12))
def test_with_demand_the_hard_constraints_and_the_order_still_hold(
    candidates: list[PeerCandidate],
    match_request: MatchRequest,
    demand: dict[str, float],
    limit: int,
) -> None:
    by_id = {candidate.peer_id: candidate for candidate in candidates}
    pool = PeerPool(candidates)
    ranked = rank(match_request, pool, now=NOW, limit=limit, demand=demand)
    blind = rank(match_request, pool, now=NOW, limit=limit)

    assert len(ranked) == len(blind)
    scores = [each.score for each in ranked]
    assert scores == sorted(scores, reverse=True)
    for each in ranked:
        chosen = by_id[each.peer_id]
        assert each.peer_id not in match_request.excluded
        assert chosen.active_chats < chosen.max_chats
        assert match_request.language in chosen.languages
    assert rank(match_request, pool, now=NOW, limit=limit, demand=demand) == ranked


@settings(max_examples=100, deadline=None)
@given(candidates=pools(), match_request=match_requests, limit=st.integers(1, 12))
def test_the_top_of_a_longer_list_is_the_shorter_list(
    candidates: list[PeerCandidate], match_request: MatchRequest, limit: int
) -> None:
    pool = PeerPool(candidates)

    assert (
        rank(match_request, pool, now=NOW, limit=limit)
        == rank(match_request, pool, now=NOW, limit=limit + 5)[:limit]
    )


@settings(max_examples=100, deadline=None)
@given(
    entries=st.lists(
        st.builds(
            QueueEntry,
            request_id=st.integers(1, 10_000),
            urgency=st.sampled_from(("none", "concern", "imminent")),
            created_at=st.floats(0, 1e9),
        ),
        max_size=30,
    )
)
def test_the_queue_is_a_permutation_ordered_by_severity_then_time(
    entries: list[QueueEntry],
) -> None:
    ordered = queue_order(entries)
    severity = {"none": 0, "concern": 1, "imminent": 2}

    assert sorted(ordered, key=id) == sorted(entries, key=id)
    keys = [(-severity[each.urgency], each.created_at) for each in ordered]
    assert keys == sorted(keys)


# Support's demand for the matcher (reads the database)


@pytest.mark.django_db
def test_recent_demand_counts_the_last_requests_whatever_became_of_them(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    people = [make_user(f"Asker {i}") for i in range(4)]
    start = timezone.now() - timedelta(hours=1)
    codes = [["perinatal"], ["perinatal", "grief"], ["grief"], ["depression"]]
    for minute, (person, priorities) in enumerate(zip(people, codes, strict=True)):
        SupportRequest.objects.create(
            member=person,
            priorities=priorities,
            language="es" if minute == 0 else "en",
            status=SupportRequest.Status.CANCELLED if minute == 1 else SupportRequest.Status.ENDED,
            created_at=start + timedelta(minutes=minute),
        )

    with django_assert_num_queries(1):
        demand = access.recent_demand(window=3)

    # The oldest (Spanish, perinatal) is outside the window of three.
    assert demand == pytest.approx(
        {"perinatal": 1 / 3, "grief": 2 / 3, "depression": 1 / 3, "en": 1.0}
    )


@pytest.mark.django_db
def test_an_offer_keeps_the_rare_peer_free_when_recent_members_need_them(
    member: User,
) -> None:
    # Made first, so blind to demand the rare peer would win the tie (lower id).
    rare = make_peer("Rare", experiences=["perinatal"])
    common = make_peer("Common", experiences=["depression"])
    make_peer("Also common", experiences=["depression"])
    for i in range(4):
        SupportRequest.objects.create(
            member=make_user(f"Earlier {i}"),
            priorities=["perinatal"] if i == 0 else ["depression"],
            language="en",
            status=SupportRequest.Status.ENDED,
        )

    request = support_actions.request_support(member, answers(priorities=["grief"]))

    offer = Offer.objects.get(request=request)
    assert offer.peer_id != rare.pk
    assert offer.peer_id == common.pk
