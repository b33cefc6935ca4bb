"""Scoring of an instrument's answers. Pure: no Django, no I/O.

Incomplete answers are refused rather than prorated: the published PHQ-9,
GAD-7, WHO-5 and UCLA-3 scoring gives a total only for a complete set of
answers, and a guessed total would mislead anyone comparing scores over time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from peerlight.outcomes.instruments import Band, Instrument


class ScoringError(ValueError):
    """Answers that cannot be scored; the message says what to fix."""


@dataclass(frozen=True)
class Score:
    instrument_id: str
    total: int
    band: Band
    safety_fired: bool


def score(instrument: Instrument, answers: Sequence[int | None]) -> Score:
    """Score ``answers`` (one value per item, in item order; ``None`` for no answer)."""
    if len(answers) != instrument.item_count:
        raise ScoringError(
            f"{instrument.name} has {instrument.item_count} items; "
            f"{len(answers)} answers were given"
        )
    missing = [str(number) for number, value in enumerate(answers, start=1) if value is None]
    if missing:
        raise ScoringError(
            f"{instrument.name} needs an answer to every item; missing: item {', '.join(missing)}"
        )
    values = [value for value in answers if value is not None]
    for number, value in enumerate(values, start=1):
        if isinstance(value, bool) or value not in instrument.answer_values:
            allowed = ", ".join(str(v) for v in instrument.answer_values)
            raise ScoringError(f"item {number}: {value!r} is not one of {allowed}")
    total = sum(values) * instrument.multiplier
    band = next(b for b in instrument.bands if b.min <= total <= b.max)
    safety = instrument.safety_item
    fired = safety is not None and values[safety.item - 1] > safety.fires_above
    return Score(instrument.id, total, band, fired)
