"""The data files an author writes with: prompts, content notes, topic tags, consent wording."""

from __future__ import annotations

import datetime
import json

import pytest

from peerlight.stories import consent_text, vocabulary
from peerlight.stories.consent_text import Choices


def test_every_prompt_has_a_question_and_two_or_three_hints_in_english_and_spanish() -> None:
    codes = [item.code for item in vocabulary.prompts()]
    assert codes == ["connection", "hope", "identity", "meaning", "empowerment"]
    for item in vocabulary.prompts():
        assert set(item.words) == {"en", "es"}
        for words in item.words.values():
            assert words.question.endswith("?")
            assert 2 <= len(words.hints) <= 3


def test_prompts_fall_back_to_english() -> None:
    hope = vocabulary.prompt("hope")
    assert hope is not None
    assert hope.in_language("es-mx").question.startswith("¿Qué te dio esperanza")
    assert hope.in_language("fr") == hope.in_language("en")
    assert vocabulary.prompt("courage") is None


def test_content_notes_have_english_and_spanish_labels() -> None:
    codes = {term.code for term in vocabulary.content_notes()}
    assert {"suicide", "self_harm", "abuse", "eating", "substance_use", "psychosis"} <= codes
    assert {"hospitalisation", "grief"} <= codes
    assert all(set(term.labels) == {"en", "es"} for term in vocabulary.content_notes())
    assert vocabulary.note_label("self_harm", "es") == "Autolesiones"
    assert vocabulary.note_label("gone", "en") == "gone"


def test_topic_tags_are_the_peers_experiences_and_topics() -> None:
    sections = dict(vocabulary.tag_choices("en"))
    assert list(sections) == ["experiences", "topics"]
    assert ("depression", "Depression") in sections["experiences"]
    assert ("loneliness", "Loneliness") in sections["topics"]
    assert {"depression", "loneliness"} <= vocabulary.tag_codes()
    assert vocabulary.tag_label("loneliness", "es") == "Soledad"
    assert vocabulary.tag_label("astrology", "en") == "astrology"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "list 'prompts'"),
        ({"prompts": [{"en": {"question": "?", "hints": ["a", "b"]}}]}, "code"),
        ({"prompts": [{"code": "x", "en": {"question": "?", "hints": ["a"]}}]}, "two or three"),
        ({"prompts": [{"code": "x", "es": {"question": "?", "hints": ["a", "b"]}}]}, "English"),
    ],
)
def test_a_malformed_prompts_file_is_refused(data: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        vocabulary.parse_prompts(data)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "list 'notes'"),
        ({"notes": [{"code": "a", "en": "A"}, {"code": "a", "en": "B"}]}, "unique"),
        ({"notes": [{"code": "a", "es": "A"}]}, "English"),
    ],
)
def test_a_malformed_notes_file_is_refused(data: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        vocabulary.parse_notes(data)


CHOICES = Choices(
    audience="public",
    attribution="other_name",
    advocacy="chosen",
    other_name="Winter {Bird}",
    campaigns=("Fund peer respite", "Housing first"),
    ends_on=datetime.date(2027, 3, 31),
)


def test_the_consent_words_say_every_choice() -> None:
    document = consent_text.render(CHOICES, number=3, display_name="River", language="en")
    assert document.language == "en"
    lines = document.text.split("\n\n")
    assert lines[0] == "My consent for my story (version 3)"
    assert "anyone, including people without an account" in lines[2]
    assert "with the name “Winter {Bird}”" in lines[3]
    assert "“Fund peer respite”, “Housing first”" in lines[4]
    assert "until March 31, 2027" in lines[5]
    assert "change or withdraw this consent at any time" in lines[6]
    assert "River" not in document.text


def test_the_consent_words_in_spanish() -> None:
    document = consent_text.render(CHOICES, number=1, display_name="River", language="es-mx")
    assert document.language == "es"
    assert "con el nombre «Winter {Bird}»" in document.text
    assert "«Fund peer respite», «Housing first»" in document.text
    assert "31 de marzo de 2027" in document.text


@pytest.mark.parametrize(
    ("choices", "words"),
    [
        (Choices("members", "display_name"), "with my display name, “River”."),
        (Choices("members", "anonymous"), "with no name; it says “Anonymous”."),
        (Choices("members", "anonymous", "any"), "in any of this community's advocacy campaigns"),
        (Choices("members", "anonymous"), "it is not used in any campaign."),
        (Choices("members", "anonymous"), "until I change or withdraw this consent."),
    ],
)
def test_each_choice_has_its_sentence(choices: Choices, words: str) -> None:
    text = consent_text.render(choices, number=1, display_name="River", language="en").text
    assert words in text


def test_the_same_choices_give_the_same_words() -> None:
    first = consent_text.render(CHOICES, number=2, display_name="River", language="en")
    again = consent_text.render(CHOICES, number=2, display_name="River", language="en")
    assert first == again


def test_an_unknown_choice_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="Not a consent choice"):
        consent_text.render(
            Choices("everyone", "anonymous"), number=1, display_name="R", language="en"
        )


def test_a_withdrawal_has_its_own_words() -> None:
    document = consent_text.render_withdrawal(number=4, language="es")
    assert document.text.startswith("Mi consentimiento para mi historia (versión 4)")
    assert "Retiro mi consentimiento" in document.text


def test_every_language_of_the_wording_has_every_sentence() -> None:
    data = json.loads(consent_text.TEXT_FILE.read_text(encoding="utf-8"))
    assert set(consent_text.parse(data)) == {"en", "es"}
    del data["languages"]["es"]["rights"]
    with pytest.raises(ValueError, match="rights"):
        consent_text.parse(data)
