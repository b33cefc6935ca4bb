"""The controlled vocabulary: the shipped file, the reader, and the start-up check."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from peerlight.peers import checks
from peerlight.peers.vocabulary import SECTIONS, VOCABULARY_FILE, parse, vocabulary


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return data


def test_the_shipped_file_parses_with_every_section() -> None:
    words = vocabulary()
    for section in SECTIONS:
        assert words.section(section), section
    assert {"depression", "perinatal", "psychosis"} <= words.codes("experiences")
    assert "en" in words.codes("languages")


def test_every_term_has_a_spanish_label_too() -> None:
    words = vocabulary()
    for section in SECTIONS:
        for term in words.section(section):
            assert "es" in term.labels, f"{section}.{term.code}"


def test_labels_follow_the_language_and_fall_back_to_english() -> None:
    words = vocabulary()
    assert words.label("experiences", "grief", "es") == "Duelo y pérdida"
    assert words.label("experiences", "grief", "es-mx") == "Duelo y pérdida"
    assert words.label("experiences", "grief", "fr") == "Grief and loss"
    assert words.label("experiences", "grief", None) == "Grief and loss"


def test_an_unknown_code_is_shown_as_itself() -> None:
    assert vocabulary().label("topics", "no_such_topic", "en") == "no_such_topic"


def test_choices_keep_the_file_order() -> None:
    choices = vocabulary().choices("languages", "es")
    assert choices[0] == ("en", "Inglés")
    assert [code for code, _label in choices] == [t["code"] for t in shipped()["languages"]]


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(shipped())
    change(data)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        (broken(lambda d: d.pop("version")), "version"),
        (broken(lambda d: d.update(version="1")), "version"),
        (broken(lambda d: d.pop("topics")), "topics"),
        (broken(lambda d: d.update(genders=[])), "genders"),
        (broken(lambda d: d["topics"].append("sleep")), r"topics\[\d+\] must be an object"),
        (broken(lambda d: d["topics"].append({"en": "No code"})), "unique"),
        (broken(lambda d: d["topics"].append(dict(d["topics"][0]))), "unique"),
        (broken(lambda d: d["languages"].append({"code": "de", "es": "Alemán"})), "English"),
        (
            broken(lambda d: d["languages"].append({"code": "de", "en": "German", "es": ""})),
            "English",
        ),
        (broken(lambda d: d["languages"].append({"code": "de", "en": 3})), "English"),
    ],
)
def test_parse_refuses_malformed_data(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(data)


def test_the_system_check_passes_for_the_shipped_file() -> None:
    assert checks.check_vocabulary(None) == []


def test_the_system_check_names_a_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "vocabulary.json"
    bad.write_text(json.dumps(broken(lambda d: d.pop("experiences"))), encoding="utf-8")
    monkeypatch.setattr(checks, "VOCABULARY_FILE", bad)
    [error] = checks.check_vocabulary(None)
    assert error.id == "peerlight.peers.E001"
    assert "experiences" in error.msg


def test_the_system_check_names_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "VOCABULARY_FILE", tmp_path / "missing.json")
    [error] = checks.check_vocabulary(None)
    assert error.id == "peerlight.peers.E001"
