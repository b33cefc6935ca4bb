"""Scoring: examples, refusals and properties over every shipped instrument."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerlight.outcomes.instruments import Instrument, all_instruments, instrument
from peerlight.outcomes.scoring import ScoringError, score


def test_phq9_example() -> None:
    result = score(instrument("phq-9"), [0, 0, 0, 1, 2, 1, 3, 2, 1])
    assert (result.total, result.band.label, result.safety_fired) == (10, "moderate", True)


def test_phq9_safety_item_quiet_at_zero() -> None:
    result = score(instrument("phq-9"), [3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert (result.total, result.band.label, result.safety_fired) == (24, "severe", False)


def test_who5_raw_sum_times_four() -> None:
    result = score(instrument("who-5"), [3, 3, 3, 2, 2])
    assert (result.total, result.band.label) == (52, "not low")
    assert score(instrument("who-5"), [2, 3, 2, 2, 3]).band.label == "low wellbeing"
    assert score(instrument("who-5"), [1, 1, 2, 1, 2]).band.label == "very low wellbeing"


@pytest.mark.parametrize(
    ("instrument_id", "answers", "label"),
    [
        ("phq-2", [1, 1], "below the screening cut-off"),
        ("phq-2", [2, 1], "worth a closer look"),
        ("gad-2", [3, 0], "worth a closer look"),
        ("gad-7", [3, 3, 3, 3, 3, 0, 0], "severe"),
        ("ucla-3", [2, 2, 1], "below the usual cut-off"),
        ("ucla-3", [2, 2, 2], "often counted as lonely"),
    ],
)
def test_bands(instrument_id: str, answers: list[int], label: str) -> None:
    assert score(instrument(instrument_id), answers).band.label == label


def test_missing_answers_are_refused_not_prorated() -> None:
    with pytest.raises(ScoringError, match="every item; missing: item 3, 7"):
        score(instrument("phq-9"), [0, 0, None, 1, 2, 1, None, 2, 1])


def test_wrong_number_of_answers() -> None:
    with pytest.raises(ScoringError, match="has 7 items; 6 answers were given"):
        score(instrument("gad-7"), [0] * 6)


@pytest.mark.parametrize("bad", [4, -1, True])
def test_value_outside_the_item_range(bad: int) -> None:
    with pytest.raises(ScoringError, match=r"item 2: .* is not one of 0, 1, 2, 3"):
        score(instrument("phq-9"), [0, bad, 0, 0, 0, 0, 0, 0, 0])


def test_ucla_zero_is_not_an_answer() -> None:
    with pytest.raises(ScoringError, match="is not one of 1, 2, 3"):
        score(instrument("ucla-3"), [0, 1, 1])


@st.composite
def answered(draw: st.DrawFn) -> tuple[Instrument, list[int]]:
    chosen = draw(st.sampled_from(all_instruments()))
    values = draw(
        st.lists(
            st.sampled_from(chosen.answer_values),
            min_size=chosen.item_count,
            max_size=chosen.item_count,
        )
    )
    return chosen, values


@given(answered())
def test_total_in_range_and_band_holds_it(case: tuple[Instrument, list[int]]) -> None:
    chosen, values = case
    result = score(chosen, values)
    assert chosen.min_total <= result.total <= chosen.max_total
    assert result.band.min <= result.total <= result.band.max
    assert result.band in chosen.bands


@given(answered(), st.data())
def test_raising_an_answer_never_lowers_total_or_band(
    case: tuple[Instrument, list[int]], data: st.DataObject
) -> None:
    chosen, values = case
    index = data.draw(st.integers(0, chosen.item_count - 1))
    higher = [v for v in chosen.answer_values if v >= values[index]]
    raised = [*values]
    raised[index] = data.draw(st.sampled_from(higher))
    before, after = score(chosen, values), score(chosen, raised)
    assert after.total >= before.total
    assert chosen.bands.index(after.band) >= chosen.bands.index(before.band)
    assert after.safety_fired or not before.safety_fired
