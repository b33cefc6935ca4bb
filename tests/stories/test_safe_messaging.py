"""The safe-messaging check on stories: method detail, and risk now versus risk in the past.

The texts are written the way people write stories here: recovery stories
that mention an attempt must pass, stories that say how, or that show risk
today, must not.
"""

from __future__ import annotations

import json

import pytest

from peerlight.safety.detector import Assessment
from peerlight.stories import safe_messaging
from peerlight.stories.safe_messaging import TITLE, check, current_risk, method_detail

RECOVERY_STORIES = {
    "attempt five years ago": (
        "Five years on",
        "I attempted five years ago, and here is what helped: my sister, a peer circle, "
        "and a lot of time.\n\nThere are still hard days. But I know what to do with them now.",
    ),
    "when I was sixteen": (
        "What helped me",
        "When I was sixteen I tried to end my life. I'm 30 now and doing well.\n\n"
        "A peer group met every Tuesday in the library. Nobody tried to fix me; they "
        "listened, and they came back the next week.",
    ),
    "overdose in 2015": (
        "Surviving",
        "In 2015 I overdosed and woke up in hospital. The nurses were kind to me.\n\n"
        "Today I run a peer group, and I want you to know it gets better.",
    ),
    "self-harm in the teens": (
        "Scars",
        "I self-harmed for most of my teens. I've been clean for three years.\n\n"
        "What helped was a school nurse who never looked away from my arms.",
    ),
    "grief": (
        "My brother",
        "My brother died by suicide in 2019. Grief changed everything.\n\n"
        "The circle for people who lost someone gave me a place to say his name.",
    ),
    "spanish, five years ago": (
        "Lo que me ayudó",
        "Hace cinco años intenté quitarme la vida. Hoy ayudo a otras personas en un "
        "grupo de pares.\n\nLo que me sostuvo fue mi hermana y un grupo que me escuchó "
        "sin juzgarme.",
    ),
    "spanish, as a teenager": (
        "Cicatrices",
        "Cuando era adolescente me cortaba. Ahora estoy bien y estudio enfermería.",
    ),
    "a plain story": (
        "A long winter",
        "Winter was hard. I felt alone, and I stopped answering my phone.\n\n"
        "A friend called me every week anyway. That is how I found the circle.",
    ),
}

CURRENT_RISK = {
    "pills ready tonight": (
        "Tonight",
        "I don't see the point anymore. I have the pills ready and tonight I will end it.",
        "imminent",
    ),
    "still, despite the past": (
        "Still here",
        "Years ago things were bad. Some nights I still want to die, and I haven't told anyone.",
        "imminent",
    ),
    "a burden now": (
        "No way out",
        "I feel like a burden to everyone. I don't know how much longer I can do this.",
        "concern",
    ),
    "the past, and again tonight": (
        "Again",
        "When I was sixteen I tried to end my life. I am going to do it again tonight.",
        "imminent",
    ),
    "spanish, tonight": ("Ya no puedo", "Quiero morir. Esta noche me voy a matar.", "imminent"),
}

METHOD_DETAIL = {
    "a dose and a substance": (
        "The night",
        "My first year at college was lonely.\n\n"
        "When I was nineteen I swallowed 40 paracetamol tablets and lay down on my bed.\n\n"
        "My roommate found me.",
        (2,),
    ),
    "a height and steps": (
        "The bridge",
        "Six years ago I climbed over the railing of the bridge, 60 metres above the river, "
        "and jumped.\n\nA fisherman pulled me out.",
        (1,),
    ),
    "all the pills": (
        "Years ago",
        "Years ago I took all my sleeping pills with a bottle of vodka.\n\nI'm glad I'm here.",
        (1,),
    ),
    "in the title": (
        "How I swallowed 30 amitriptyline pills when I was 19",
        "I am glad to be here today.",
        (0,),
    ),
    "a number of pills taken": (
        "Five years on",
        "Five years ago I took 40 pills of paracetamol and washed them down with vodka.\n\n"
        "I survived, and now I help others.",
        (1,),
    ),
    "spanish, a number taken": (
        "Hace años",
        "Hace años me tomé 30 pastillas de clonazepam.\n\nMi hermana me encontró.",
        (1,),
    ),
    "spanish": (
        "La noche",
        "Hace años me tomé todas mis pastillas para dormir, unas treinta de clonazepam.\n\n"
        "Mi hermana me encontró.",
        (1,),
    ),
}

NOT_METHOD_DETAIL = {
    "medication afterwards": (
        "After",
        "After my overdose they put me on lithium, 900 mg a day, and it keeps me steady.",
    ),
    "medication without a method": (
        "Meds",
        "I take 20mg of fluoxetine every morning. It helps a bit, but people helped more.",
    ),
    "a number taken that is no method": (
        "Rest",
        "Five years ago I took two weeks off work, and that rest was the start of getting well.",
    ),
    "a method named without detail": (
        "Jumping",
        "I jumped from a bridge when I was 22. I survived, and I'm grateful every day.",
    ),
    "a height without a method": (
        "The view",
        "From the tenth floor of the hospital you can see the whole river. I watched it "
        "every morning and thought about who I wanted to be.",
    ),
}


@pytest.mark.parametrize("name", RECOVERY_STORIES)
def test_recovery_stories_that_mention_the_past_pass(name: str) -> None:
    title, body = RECOVERY_STORIES[name]
    verdict = check(title, body, "en")
    assert verdict.outcome == "clear", verdict
    assert verdict.level == "none"
    assert all(reason.startswith("past:") for reason in verdict.reasons)


def test_risk_about_the_past_keeps_what_was_recognised() -> None:
    title, body = RECOVERY_STORIES["when I was sixteen"]
    assert check(title, body, "en").reasons == ("past:en:intent:end my life",)


@pytest.mark.parametrize("name", CURRENT_RISK)
def test_stories_showing_risk_now_are_held(name: str) -> None:
    title, body, level = CURRENT_RISK[name]
    verdict = check(title, body, "en")
    assert verdict.outcome == "risk", verdict
    assert verdict.level == level
    assert verdict.reasons


@pytest.mark.parametrize("name", METHOD_DETAIL)
def test_method_detail_is_found_with_its_paragraph(name: str) -> None:
    title, body, paragraphs = METHOD_DETAIL[name]
    verdict = check(title, body, "en")
    assert verdict.outcome == "method", verdict
    assert verdict.level == "method"
    assert verdict.paragraphs == paragraphs
    assert any(":method:" in reason for reason in verdict.reasons)


@pytest.mark.parametrize("name", NOT_METHOD_DETAIL)
def test_mentions_without_detail_are_not_method_detail(name: str) -> None:
    title, body = NOT_METHOD_DETAIL[name]
    assert method_detail(title, body) is None


def test_reasons_name_phrases_of_the_file_never_the_story() -> None:
    title, body, _paragraphs = METHOD_DETAIL["a dose and a substance"]
    found = method_detail(title, body)
    assert found is not None
    assert "en:substance:paracetamol" in found.reasons
    assert all("roommate" not in reason and "40" not in reason for reason in found.reasons)


def test_current_risk_comes_before_method_detail() -> None:
    verdict = check(
        "Tonight", "I swallowed 40 paracetamol tablets. I want to die tonight, nobody will know."
    )
    assert verdict.outcome == "risk"


def test_the_title_is_paragraph_zero() -> None:
    assert TITLE == 0
    found = method_detail("I swallowed 40 paracetamol tablets", "It was a long time ago.")
    assert found is not None
    assert found.paragraphs == (0,)


def test_paragraphs_are_split_on_blank_lines_like_the_markdown() -> None:
    assert safe_messaging.paragraphs("one\ntwo\n\n  \n\nthree\n") == ["one\ntwo", "three"]


def test_a_risk_only_the_whole_shows_is_held() -> None:
    # No sentence alone is risky, so nothing can be shown to be about the past.
    def read(text: str, language: str | None) -> Assessment:
        return Assessment("concern", ("model:x",)) if "\n\n" in text else Assessment("none")

    reading = current_risk("Years ago", "When I was 16 it was hard.", read=read, read_rules=read)
    assert reading.current
    assert reading.level == "concern"


def test_a_risky_rest_is_held_even_when_the_risky_sentences_are_past() -> None:
    def rules(text: str, language: str | None) -> Assessment:
        return Assessment("imminent", ("en:x",)) if "tried" in text else Assessment("none")

    def read(text: str, language: str | None) -> Assessment:
        if "tried" in text or "tonight" in text.casefold():
            return Assessment("concern", ("model:x",))
        return Assessment("none")

    past_only = current_risk("Then", "When I was 16 I tried.", read=read, read_rules=rules)
    assert not past_only.current
    with_rest = current_risk(
        "Then", "When I was 16 I tried. Tonight feels long.", read=read, read_rules=rules
    )
    assert with_rest.current


def test_nothing_risky_reads_as_no_risk() -> None:
    reading = current_risk("A walk", "We walked by the river and talked about music.")
    assert (reading.level, reading.reasons, reading.current) == ("none", (), False)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "version"),
        ({"version": 1, "languages": {"es": {}}}, "English"),
        ({"version": 1, "languages": {"en": {"method": "x"}}}, "list of phrases"),
        ({"version": 1, "languages": {"en": {g: ["(a|b"] for g in safe_messaging.GROUPS}}}, r"\("),
        ({"version": 1, "languages": {"en": {g: ["a)"] for g in safe_messaging.GROUPS}}}, r"\)"),
        (
            {"version": 1, "languages": {"en": {g: ["(a|)"] for g in safe_messaging.GROUPS}}},
            "empty",
        ),
        ({"version": 1, "languages": {"en": {g: ["a?"] for g in safe_messaging.GROUPS}}}, r"\?"),
    ],
)
def test_a_malformed_patterns_file_is_refused(data: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        safe_messaging.parse(data)


def test_the_shipped_file_parses_with_both_languages() -> None:
    data = json.loads(safe_messaging.PATTERNS_FILE.read_text(encoding="utf-8"))
    assert set(data["languages"]) == {"en", "es"}
    parsed = safe_messaging.parse(data)
    for group in safe_messaging.GROUPS:
        reasons = {item.reason.split(":")[0] for item in parsed.groups[group]}
        assert reasons == {"en", "es"}, group


def test_phrases_match_whole_words_with_numbers_in_figures_or_words() -> None:
    using = safe_messaging.patterns()
    amount = [item for item in using.groups["amount"] if item.reason.startswith("en:amount:# ")]
    assert any(item.regex.search(safe_messaging.normalise("forty tablets")) for item in amount)
    assert any(item.regex.search(safe_messaging.normalise("500mg")) for item in amount)
    assert not any(item.regex.search(safe_messaging.normalise("tablets")) for item in amount)
    substance = using.groups["substance"]
    assert not any(item.regex.search("paracetamolx") for item in substance)
