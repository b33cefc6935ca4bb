"""Reasons in plain words, in the reader's language."""

from __future__ import annotations

from peerlight.support.explain import explain, reasons_from_json, reasons_to_json
from peerlight.support.matching import Reason

REASONS = (
    Reason("experience", ("perinatal", "depression")),
    Reason("language", ("es",)),
)


def test_it_reads_like_a_sentence() -> None:
    assert explain(reasons_to_json(REASONS), "en") == (
        "You both listed: Perinatal (pregnancy and after birth), Depression · speaks Spanish"
    )


def test_it_uses_the_readers_language_for_labels() -> None:
    assert "Español" in explain(reasons_to_json(REASONS), "es")


def test_it_round_trips_and_skips_what_it_cannot_read() -> None:
    assert reasons_from_json(reasons_to_json(REASONS)) == list(REASONS)
    assert reasons_from_json("nonsense") == []
    assert reasons_from_json([{"kind": 3}, "x", {"kind": "language", "codes": ["en"]}]) == [
        Reason("language", ("en",))
    ]


def test_it_names_continuity_and_preferences() -> None:
    data = reasons_to_json([Reason("continuity", ("asked",)), Reason("preference", ("woman",))])
    line = explain(data, "en")
    assert "you asked to talk again" in line
    assert "as you asked: Woman" in line
    assert explain([], "en") == ""
