"""Reason codes become words a peer can act on."""

from __future__ import annotations

from django.utils import translation

from peerlight.safety.detector import assess
from peerlight.safety.reasons import describe_reason, describe_reasons


def test_it_names_the_group_and_quotes_the_phrase() -> None:
    assert describe_reason("en:hopeless:so alone") == "Hopelessness: “so alone”"


def test_it_keeps_the_notes_that_lowered_a_phrase() -> None:
    described = describe_reason("es:intent:quiero morirme (negated) (past)")
    assert described == (
        "Talk of ending their life: “quiero morirme” (said as not meant) (about the past)"
    )


def test_an_unknown_group_falls_back_to_the_phrase() -> None:
    assert describe_reason("en:newgroup:some words") == "“some words”"
    assert describe_reason("odd") == "“odd”"


def test_every_group_the_detector_reports_has_words() -> None:
    reasons = assess("I want to kill myself, I feel hopeless and like a burden").reasons
    assert reasons
    for described in describe_reasons(reasons):
        assert not described.startswith("“"), described


def test_it_speaks_the_readers_language() -> None:
    with translation.override("es"):
        described = describe_reason("en:hopeless:so alone")
    # Translated once the catalogue has it; the phrase itself stays as written.
    assert described.endswith("“so alone”")
