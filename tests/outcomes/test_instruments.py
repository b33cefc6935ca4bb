"""The shipped instrument files and the strict validation of any data file."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from peerlight.outcomes import instruments
from peerlight.outcomes.instruments import InstrumentError

SHIPPED = ["gad-2", "gad-7", "phq-2", "phq-9", "ucla-3", "who-5"]


def phq9_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((instruments.DATA_DIR / "phq-9.json").read_text())
    return data


def test_every_shipped_file_loads() -> None:
    assert [found.id for found in instruments.all_instruments()] == SHIPPED


@pytest.mark.parametrize(
    ("instrument_id", "items", "low", "high"),
    [
        ("phq-9", 9, 0, 27),
        ("phq-2", 2, 0, 6),
        ("gad-7", 7, 0, 21),
        ("gad-2", 2, 0, 6),
        ("who-5", 5, 0, 100),
        ("ucla-3", 3, 3, 9),
    ],
)
def test_shape_of_each_measure(instrument_id: str, items: int, low: int, high: int) -> None:
    found = instruments.instrument(instrument_id)
    assert (found.item_count, found.min_total, found.max_total) == (items, low, high)
    assert found.bands[0].min == low
    assert found.bands[-1].max == high


def test_phq9_safety_item_is_item_nine_above_zero() -> None:
    found = instruments.instrument("phq-9")
    assert found.safety_item == instruments.SafetyItem(item=9, fires_above=0)
    assert found.total_loinc == "44261-6"
    assert [b.min for b in found.bands] == [0, 5, 10, 15, 20]


def test_short_forms_are_the_first_two_items_of_the_long_forms() -> None:
    for short, long in (("phq-2", "phq-9"), ("gad-2", "gad-7")):
        short_items = instruments.instrument(short).languages["en"].items
        assert short_items == instruments.instrument(long).languages["en"].items[:2]


def test_only_phq9_has_a_safety_item() -> None:
    with_safety = [found.id for found in instruments.all_instruments() if found.safety_item]
    assert with_safety == ["phq-9"]


def test_english_only_files_say_why() -> None:
    for found in instruments.all_instruments():
        assert set(found.languages) == {"en"}
        assert found.translations_not_shipped


def test_unknown_instrument() -> None:
    with pytest.raises(KeyError, match="no instrument 'wemwbs'"):
        instruments.instrument("wemwbs")


def _set(path: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("colour", "blue"), r"unknown key\(s\) colour"),
        (_set("scoring.weights", [1]), r"scoring: unknown key\(s\) weights"),
        (_set("name", _DELETE), r"missing key\(s\) name"),
        (_set("languages.en.items", ["Only one"]), "bands must end at the highest score 3"),
        (_set("languages.en.options", ["Not at all"]), "1 labels for 4 answer values"),
        (_set("answer_values", [0, 2, 1, 3]), "increasing"),
        (_set("answer_values", [0, 1, 2, "3"]), "whole number"),
        (_set("bands.1.min", 6), "gap at 5"),
        (_set("bands.1.min", 4), r"bands\[1\] overlaps"),
        (_set("bands.4.max", 26), "highest score 27, not 26"),
        (_set("bands.0.min", 1), "gap at 0"),
        (_set("bands", []), "must not be empty"),
        (_set("safety_item.item", 10), "between 1 and 9"),
        (_set("safety_item.fires_above", 3), "below the top answer value"),
        (_set("scoring.method", "mean"), "method 'sum'"),
        (_set("scoring.multiplier", 0), "at least 1"),
        (_set("translations_not_shipped", _DELETE), "translations_not_shipped must say why"),
        (_set("codes.answers.0.codes", ["LA6568-5"]), "1 codes for 4 answer values"),
        (_set("fhir.item_link_ids", [["a", "b"]]), "9 distinct ids"),
        (_set("licence.statement", ""), "non-empty string"),
    ],
)
def test_malformed_data_is_refused(change: Any, message: str) -> None:
    data = copy.deepcopy(phq9_data())
    change(data)
    with pytest.raises(InstrumentError, match=message):
        instruments.parse(data, where="phq-9.json")


def test_a_new_measure_is_a_new_file(tmp_path: Path) -> None:
    data = phq9_data()
    data["id"] = "phq-9-copy"
    (tmp_path / "phq-9-copy.json").write_text(json.dumps(data))
    assert list(instruments.load_directory(tmp_path)) == ["phq-9-copy"]


def test_file_name_must_match_id(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text(json.dumps(phq9_data()))
    with pytest.raises(InstrumentError, match=r"other\.json: id 'phq-9' does not match"):
        instruments.load_directory(tmp_path)


def test_unreadable_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(InstrumentError, match=r"broken\.json: not readable JSON"):
        instruments.load_directory(tmp_path)
