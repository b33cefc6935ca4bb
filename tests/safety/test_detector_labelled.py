"""The detector on the project's labelled set, by feature family, and conversations.

``data/crisis_labelled.jsonl`` is written to the rules of
``../shared/eval/README.md`` in English, Spanish, French and Portuguese.
The thresholds are above the issue's goals (95/95/10) because the real
measure is on messages the detector was not written against.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peerlight.safety import detector
from peerlight.safety.detector import assess, assess_conversation
from peerlight.safety.evaluation import evaluate, read_labelled

DATA = Path(__file__).resolve().parent / "data"


def test_the_labelled_set_is_large_and_covers_four_languages() -> None:
    lines = [json.loads(line) for line in (DATA / "crisis_labelled.jsonl").open()]
    assert len(lines) >= 1200
    by_language = {
        code: sum(row["lang"] == code for row in lines) for code in ("en", "es", "fr", "pt")
    }
    assert by_language["en"] > by_language["es"] > 0
    assert by_language["fr"] > 100
    assert by_language["pt"] > 100


def test_the_labelled_set_meets_the_thresholds() -> None:
    result = evaluate(read_labelled(DATA / "crisis_labelled.jsonl"))
    assert result["recall"]["imminent"] >= 0.97, result["confusion"]
    assert result["at_least_concern_recall"] >= 0.97, result["confusion"]
    assert result["false_alarm_rate"] <= 0.07, result["confusion"]


def test_the_shared_dev_set_meets_the_thresholds() -> None:
    # A copy of ../shared/eval/crisis_dev.jsonl, kept with the tests.
    shared = Path(__file__).resolve().parent / "data" / "crisis_dev.jsonl"
    result = evaluate(read_labelled(shared))
    assert result["recall"]["imminent"] >= 0.95
    assert result["at_least_concern_recall"] >= 0.95
    assert result["false_alarm_rate"] <= 0.10


def test_conversations_are_rated_as_labelled() -> None:
    result = evaluate(read_labelled(DATA / "conversations.jsonl"))
    assert result["recall"] == {"none": 1.0, "concern": 1.0, "imminent": 1.0}


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # Misspellings, missing apostrophes, repeated letters, digits and symbols
        ("im gona kil myslef tonite", "imminent"),
        ("going to comit sucide", "imminent"),
        ("i want to k!ll myself", "imminent"),
        ("iiii waaant to diiie tonight", "imminent"),
        ("urges to s/h are bad rn", "concern"),
        # Algospeak
        ("ctb tonight", "imminent"),
        ("gonna unalive myself", "imminent"),
        ("having sewerslide thoughts", "concern"),
        # Idioms and hyperbole in every language
        ("my feet are killing me", "none"),
        ("i could kill for a burger", "none"),
        ("i'm dying to see you", "none"),
        ("me muero de ganas", "none"),
        ("je meurs de faim", "none"),
        ("to morrendo de rir", "none"),
        ("vou matar aula hoje", "none"),
        ("i want to die my hair blue", "none"),
        # Indirect intent: goodbyes, giving away, means at hand, act in progress
        ("goodbye everyone, i won't be here tomorrow", "imminent"),
        ("gave my cat to my neighbour, tonight's the night", "imminent"),
        ("the pills are in my hand right now", "imminent"),
        ("took everything in the cabinet", "imminent"),
        # Past, recovery, training, news
        ("i used to self harm but i've been clean for 2 years", "none"),
        ("our suicide prevention training is on tuesday", "none"),
        ("the main character kills himself at the end", "none"),
        # Harm to others, imminent and concern
        ("i'm going to stab him when he gets home", "imminent"),
        ("i keep having thoughts about hurting my brother", "concern"),
        # French and Portuguese explicit intent
        ("je vais me suicider ce soir", "imminent"),
        ("vou me matar hoje", "imminent"),
        ("je n'ai plus envie de vivre", "concern"),
        ("não quero mais viver", "concern"),
    ],
)
def test_each_feature_family(text: str, level: str) -> None:
    assert assess(text).level == level, assess(text).reasons


def test_a_combination_explains_itself_only_when_it_raises_the_level() -> None:
    assert assess("the knife is right here tonight").reasons[0] == "combination:means+soon"
    # "kill myself" is imminent on its own: no combination is added to it.
    assert assess("i want to kill myself tonight with pills").reasons == ("en:intent:kill myself",)


def test_risk_that_builds_across_messages_is_seen() -> None:
    messages = ["i've said goodbye to everyone", "the pills are on the table"]
    # No phrase alone (the learned model may already see each; see test_model.py).
    assert [assess(text, learned=False).level for text in messages] == ["none", "none"]
    result = assess_conversation(messages)
    assert result.level == "imminent"
    assert result.reasons[0].startswith("conversation:")


def test_several_concerns_stay_a_concern_and_idioms_stay_none() -> None:
    worried = assess_conversation(["i feel hopeless", "nobody would miss me", "i cant go on"])
    assert worried.level == "concern"
    assert len(worried.reasons) == 3
    calm = assess_conversation(["this homework is killing me", "i'm dead tired lol"])
    assert calm.level == "none"
    assert calm.reasons == ()


def test_only_the_latest_messages_count() -> None:
    messages = ["goodbye everyone", *["ok"] * detector.CONVERSATION_WINDOW, "pills are here"]
    # The rules' combination: "goodbye" fell out of the window.
    assert assess_conversation(messages, learned=False).level == "none"
    assert assess_conversation([*messages[-2:], "goodbye everyone"]).level == "imminent"


def test_an_imminent_message_keeps_the_conversation_imminent() -> None:
    result = assess_conversation(["I want to kill myself", "hi"])
    assert result.level == "imminent"
    assert result.reasons == ("en:intent:kill myself",)
    assert assess_conversation([]).level == "none"


def test_a_malformed_combination_is_refused() -> None:
    base = {"imminent": {"x": ["a"]}, "concern": {"y": ["b"]}}
    for combinations, message in [
        ("nope", "must be a list"),
        ([{"groups": ["x"], "level": "imminent"}], "at least two"),
        ([{"groups": ["x", "y"], "level": "high"}], "concern or imminent"),
        ([{"groups": ["x", "z"], "level": "imminent"}], "unknown groups: z"),
    ]:
        with pytest.raises(ValueError, match=message):
            detector.parse({"version": 1, "languages": {"en": base}, "combinations": combinations})


def test_spellings_and_slips_are_read_as_lexicon_words() -> None:
    lexicon = detector.lexicon()
    assert lexicon.spellings["myslef"] == "myself"
    assert lexicon.spellings["kiero"] == "quiero"
    # A lexicon word is never rewritten as another.
    assert all(slip not in {"kill", "pills", "myself"} for slip in lexicon.spellings)
