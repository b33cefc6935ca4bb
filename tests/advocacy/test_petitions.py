"""The pure petition module: the rising goal, ZIP codes and counts by district."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerlight.advocacy import petitions

counts = st.integers(min_value=0, max_value=50_000_000)
goals = st.integers(min_value=0, max_value=10_000_000)


# --- The goal -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "first_goal", "expected"),
    [
        (0, 100, 100),
        (99, 100, 100),
        (100, 100, 150),
        (149, 100, 150),
        (150, 100, 250),
        (260, 100, 400),
        (1_000, 100, 1_500),
        (0, 0, 1),
        (1, 1, 2),
        (130, 130, 200),
    ],
)
def test_it_raises_the_goal_to_friendly_numbers(
    count: int, first_goal: int, expected: int
) -> None:
    assert petitions.current_goal(count, first_goal) == expected


@given(counts, goals)
def test_the_goal_is_always_above_the_count(count: int, first_goal: int) -> None:
    goal = petitions.current_goal(count, first_goal)
    assert goal > count
    assert goal >= max(1, first_goal)


@given(counts, goals)
def test_once_reached_the_goal_is_at_most_twice_the_count(count: int, first_goal: int) -> None:
    goal = petitions.current_goal(count, first_goal)
    if count >= max(1, first_goal):
        assert goal <= 2 * count


@given(counts, counts, goals)
def test_the_goal_never_falls_as_the_count_grows(a: int, b: int, first_goal: int) -> None:
    low, high = sorted((a, b))
    assert petitions.current_goal(low, first_goal) <= petitions.current_goal(high, first_goal)


@given(st.integers(min_value=1, max_value=10_000_000))
def test_each_step_is_one_and_a_half_to_two_times(goal: int) -> None:
    step = petitions.next_goal(goal)
    assert 3 * goal <= 2 * step <= 4 * goal


@given(st.integers(min_value=1, max_value=10_000_000))
def test_steps_land_on_friendly_numbers(goal: int) -> None:
    step = petitions.next_goal(goal)
    digits = str(step).rstrip("0")
    assert digits in {"1", "12", "15", "2", "25", "3", "4", "5", "6", "75", "8"}


# --- ZIP codes and e-mail -------------------------------------------------------------


def test_it_knows_five_digit_zip_codes() -> None:
    assert petitions.is_zip("97201")
    assert not petitions.is_zip("9720")
    assert not petitions.is_zip("972011")
    assert not petitions.is_zip("97201-1234")
    assert not petitions.is_zip("abcde")
    assert petitions.is_known_zip("97201")
    assert not petitions.is_known_zip("00000")
    assert not petitions.is_known_zip("123456")


def test_it_splits_a_list_of_zip_codes() -> None:
    known, other = petitions.split_zip_codes("97201, 97202\n97201;00000 hello")
    assert known == ["97201", "97202"]
    assert other == ["00000", "hello"]
    assert petitions.split_zip_codes("  ") == ([], [])


def test_addresses_are_the_same_signer_whatever_their_case() -> None:
    assert petitions.normalise_email("  River@Example.ORG ") == "river@example.org"


# --- Districts ------------------------------------------------------------------------

DISTRICTS = [("Sen. Rivera", ["97201", "97202"]), ("Rep. Chen", ["97202", "97203"])]


def test_it_names_every_district_that_holds_a_zip_code() -> None:
    assert petitions.districts_holding("97202", DISTRICTS) == ["Sen. Rivera", "Rep. Chen"]
    assert petitions.districts_holding("97201", DISTRICTS) == ["Sen. Rivera"]
    assert petitions.districts_holding("10001", DISTRICTS) == []
    assert petitions.districts_holding("", DISTRICTS) == []


def test_it_counts_by_district() -> None:
    counted = petitions.counts_by_district({"97201": 3, "97202": 2, "10001": 4, "": 5}, DISTRICTS)
    assert [(d.name, d.count) for d in counted.districts] == [
        ("Sen. Rivera", 5),
        ("Rep. Chen", 2),
    ]
    assert counted.outside == 4
    assert counted.no_zip == 5
