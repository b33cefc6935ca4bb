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


def test_combinations_name_their_signals_and_where_they_were_seen() -> None:
    assert describe_reason("combination:means+soon") == (
        "Seen together in one message: The means at hand + Soon (tonight, now)"
    )
    assert describe_reason("conversation:farewell+means_table").startswith(
        "Seen together across the conversation: Saying goodbye"
    )


def test_every_group_and_signal_in_the_lexicon_has_words() -> None:
    from peerlight.safety.detector import lexicon
    from peerlight.safety.reasons import GROUPS, SIGNALS

    groups = {phrase.group for language in lexicon().languages for phrase in language.phrases}
    assert groups - {""} <= set(GROUPS) | set(SIGNALS)
    for combination in lexicon().combinations:
        described = describe_reason(f"conversation:{combination.code}")
        assert "_" not in described, described


def test_a_model_reason_names_its_words_and_the_groups_the_rules_found() -> None:
    assert describe_reason("model:took pills tonight") == (
        "Learned check, words that weighed most: took · pills · tonight"
    )
    assert describe_reason("model:#means tonight") == (
        "Learned check, words that weighed most: The means at hand · tonight"
    )
    assert describe_reason("model:") == "Learned check"


def test_the_model_reason_of_a_real_assessment_reads_as_words() -> None:
    reasons = assess("i've decided tonight is when i go").reasons
    assert reasons[0].startswith("model:")
    described = describe_reason(reasons[0])
    assert described.startswith("Learned check")
    assert "#" not in described
