"""Outcome instruments, defined by the JSON files in ``data/instruments/``.

Each file describes one measure: its items and answer options per language,
the value of each answer, how the total is formed, the bands over the total,
the item whose positive answer calls for the safety hook, codes and licence.
A new measure is a new file. Every file is validated strictly when loaded:
unknown or missing keys, a wrong number of item texts or option labels, bands
that leave a gap, overlap or fall outside the score range, and a safety item
that is not an item are each refused with an ``InstrumentError`` naming the
file and the problem. No Django here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data" / "instruments"

_TOP_KEYS = {
    "id",
    "name",
    "version",
    "citation",
    "languages",
    "translations_not_shipped",
    "answer_values",
    "scoring",
    "bands",
    "bands_source",
    "safety_item",
    "codes",
    "fhir",
    "licence",
}
_OPTIONAL_TOP_KEYS = {"translations_not_shipped"}


class InstrumentError(ValueError):
    """A data file that does not describe a valid instrument."""


@dataclass(frozen=True)
class Language:
    instructions: str
    items: tuple[str, ...]
    options: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    min: int
    max: int
    label: str


@dataclass(frozen=True)
class AnswerCodes:
    system: str
    codes: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class SafetyItem:
    """Item ``item`` (1-based) fires the safety hook when its value is above ``fires_above``."""

    item: int
    fires_above: int


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    version: str
    citation: str
    languages: dict[str, Language]
    translations_not_shipped: str | None
    answer_values: tuple[int, ...]
    multiplier: int
    bands: tuple[Band, ...]
    bands_source: str
    safety_item: SafetyItem | None
    total_loinc: str | None
    answer_codes: tuple[AnswerCodes, ...]
    fhir_questionnaires: tuple[str, ...]
    fhir_item_link_ids: tuple[tuple[str, ...], ...]
    fhir_total_link_ids: tuple[str, ...]
    licence_statement: str
    licence_source: str

    @property
    def item_count(self) -> int:
        return len(self.languages["en"].items)

    @property
    def min_total(self) -> int:
        return min(self.answer_values) * self.item_count * self.multiplier

    @property
    def max_total(self) -> int:
        return max(self.answer_values) * self.item_count * self.multiplier


def _keys(
    where: str, data: Any, required: set[str], optional: frozenset[str] = frozenset()
) -> None:
    if not isinstance(data, dict):
        raise InstrumentError(f"{where}: must be an object")
    unknown = set(data) - required - optional
    if unknown:
        raise InstrumentError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    missing = required - set(data)
    if missing:
        raise InstrumentError(f"{where}: missing key(s) {', '.join(sorted(missing))}")


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstrumentError(f"{where}: must be a non-empty string")
    return value


def _int(where: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InstrumentError(f"{where}: must be a whole number")
    return value


def _list(where: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise InstrumentError(f"{where}: must be a list")
    return value


def parse(data: Any, where: str = "instrument") -> Instrument:
    """Validate ``data`` (a decoded file) and return the instrument it describes."""
    _keys(where, data, _TOP_KEYS - _OPTIONAL_TOP_KEYS, frozenset(_OPTIONAL_TOP_KEYS))
    instrument_id = _text(f"{where}: id", data["id"])
    where = f"{where} ({instrument_id})"

    values = tuple(
        _int(f"{where}: answer_values", v)
        for v in _list(f"{where}: answer_values", data["answer_values"])
    )
    if len(values) < 2 or list(values) != sorted(set(values)) or values[0] < 0:
        raise InstrumentError(
            f"{where}: answer_values must be at least two distinct, increasing, "
            "non-negative numbers"
        )

    languages_data = data["languages"]
    if not isinstance(languages_data, dict) or "en" not in languages_data:
        raise InstrumentError(f"{where}: languages must be an object with an 'en' entry")
    languages: dict[str, Language] = {}
    for code, language in languages_data.items():
        at = f"{where}: languages.{code}"
        _keys(at, language, {"instructions", "items", "options"})
        items = tuple(_text(f"{at}.items", t) for t in _list(f"{at}.items", language["items"]))
        options = tuple(
            _text(f"{at}.options", t) for t in _list(f"{at}.options", language["options"])
        )
        if not items:
            raise InstrumentError(f"{at}.items: needs at least one item")
        if len(options) != len(values):
            raise InstrumentError(
                f"{at}.options: {len(options)} labels for {len(values)} answer values"
            )
        languages[code] = Language(
            _text(f"{at}.instructions", language["instructions"]), items, options
        )
    counts = {len(language.items) for language in languages.values()}
    if len(counts) != 1:
        raise InstrumentError(f"{where}: languages disagree on the number of items")
    item_count = counts.pop()
    if len(languages) == 1 and "translations_not_shipped" not in data:
        raise InstrumentError(f"{where}: English only, so translations_not_shipped must say why")
    not_shipped = data.get("translations_not_shipped")
    if not_shipped is not None:
        _text(f"{where}: translations_not_shipped", not_shipped)

    scoring = data["scoring"]
    _keys(f"{where}: scoring", scoring, {"method", "multiplier", "missing"})
    if scoring["method"] != "sum" or scoring["missing"] != "refuse":
        raise InstrumentError(f"{where}: scoring supports method 'sum' with missing 'refuse' only")
    multiplier = _int(f"{where}: scoring.multiplier", scoring["multiplier"])
    if multiplier < 1:
        raise InstrumentError(f"{where}: scoring.multiplier must be at least 1")
    low = values[0] * item_count * multiplier
    high = values[-1] * item_count * multiplier

    bands: list[Band] = []
    for index, band in enumerate(_list(f"{where}: bands", data["bands"])):
        at = f"{where}: bands[{index}]"
        _keys(at, band, {"min", "max", "label"})
        bands.append(
            Band(
                _int(f"{at}.min", band["min"]),
                _int(f"{at}.max", band["max"]),
                _text(f"{at}.label", band["label"]),
            )
        )
    if not bands:
        raise InstrumentError(f"{where}: bands must not be empty")
    expected = low
    for index, band in enumerate(bands):
        if band.min > band.max:
            raise InstrumentError(f"{where}: bands[{index}] has min above max")
        if band.min > expected:
            raise InstrumentError(f"{where}: bands leave a gap at {expected}")
        if band.min < expected:
            raise InstrumentError(
                f"{where}: bands[{index}] overlaps or starts below the lowest score {low}"
            )
        expected = band.max + 1
    if expected - 1 != high:
        raise InstrumentError(
            f"{where}: bands must end at the highest score {high}, not {expected - 1}"
        )

    safety: SafetyItem | None = None
    if data["safety_item"] is not None:
        _keys(f"{where}: safety_item", data["safety_item"], {"item", "fires_above"})
        item = _int(f"{where}: safety_item.item", data["safety_item"]["item"])
        above = _int(f"{where}: safety_item.fires_above", data["safety_item"]["fires_above"])
        if not 1 <= item <= item_count:
            raise InstrumentError(f"{where}: safety_item.item must be between 1 and {item_count}")
        if not values[0] <= above < values[-1]:
            raise InstrumentError(
                f"{where}: safety_item.fires_above must be below the top answer value"
            )
        safety = SafetyItem(item, above)

    codes = data["codes"]
    _keys(f"{where}: codes", codes, {"total_loinc", "total_loinc_source", "answers"})
    total_loinc = codes["total_loinc"]
    if total_loinc is not None:
        _text(f"{where}: codes.total_loinc", total_loinc)
    _text(f"{where}: codes.total_loinc_source", codes["total_loinc_source"])
    answer_codes: list[AnswerCodes] = []
    for index, entry in enumerate(_list(f"{where}: codes.answers", codes["answers"])):
        at = f"{where}: codes.answers[{index}]"
        _keys(at, entry, {"system", "codes", "source"})
        answer_list = tuple(_text(f"{at}.codes", c) for c in _list(f"{at}.codes", entry["codes"]))
        if len(answer_list) != len(values):
            raise InstrumentError(
                f"{at}.codes: {len(answer_list)} codes for {len(values)} answer values"
            )
        answer_codes.append(
            AnswerCodes(
                _text(f"{at}.system", entry["system"]),
                answer_list,
                _text(f"{at}.source", entry["source"]),
            )
        )

    fhir = data["fhir"]
    _keys(f"{where}: fhir", fhir, {"questionnaires", "item_link_ids", "total_link_ids"})
    questionnaires = tuple(
        _text(f"{where}: fhir.questionnaires", q)
        for q in _list(f"{where}: fhir.questionnaires", fhir["questionnaires"])
    )
    link_id_sets: list[tuple[str, ...]] = []
    for link_ids in _list(f"{where}: fhir.item_link_ids", fhir["item_link_ids"]):
        link_set = tuple(
            _text(f"{where}: fhir.item_link_ids", i)
            for i in _list(f"{where}: fhir.item_link_ids", link_ids)
        )
        if len(link_set) != item_count or len(set(link_set)) != item_count:
            raise InstrumentError(
                f"{where}: fhir.item_link_ids needs {item_count} distinct ids per set"
            )
        link_id_sets.append(link_set)
    totals = tuple(
        _text(f"{where}: fhir.total_link_ids", t)
        for t in _list(f"{where}: fhir.total_link_ids", fhir["total_link_ids"])
    )

    licence = data["licence"]
    _keys(f"{where}: licence", licence, {"statement", "source"})
    return Instrument(
        id=instrument_id,
        name=_text(f"{where}: name", data["name"]),
        version=_text(f"{where}: version", data["version"]),
        citation=_text(f"{where}: citation", data["citation"]),
        languages=languages,
        translations_not_shipped=not_shipped,
        answer_values=values,
        multiplier=multiplier,
        bands=tuple(bands),
        bands_source=_text(f"{where}: bands_source", data["bands_source"]),
        safety_item=safety,
        total_loinc=total_loinc,
        answer_codes=tuple(answer_codes),
        fhir_questionnaires=questionnaires,
        fhir_item_link_ids=tuple(link_id_sets),
        fhir_total_link_ids=totals,
        licence_statement=_text(f"{where}: licence.statement", licence["statement"]),
        licence_source=_text(f"{where}: licence.source", licence["source"]),
    )


def load_file(path: Path) -> Instrument:
    """Read and validate one data file; its name must be ``<id>.json``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InstrumentError(f"{path.name}: not readable JSON ({error})") from error
    found = parse(data, where=path.name)
    if path.stem != found.id:
        raise InstrumentError(f"{path.name}: id {found.id!r} does not match the file name")
    return found


def load_directory(directory: Path) -> dict[str, Instrument]:
    """Every instrument in ``directory``, by id."""
    return {path.stem: load_file(path) for path in sorted(directory.glob("*.json"))}


@cache
def _shipped() -> dict[str, Instrument]:
    return load_directory(DATA_DIR)


def all_instruments() -> list[Instrument]:
    """Every shipped instrument, ordered by id."""
    return list(_shipped().values())


def instrument(instrument_id: str) -> Instrument:
    """The shipped instrument ``instrument_id``; ``KeyError`` when there is none."""
    try:
        return _shipped()[instrument_id]
    except KeyError:
        raise KeyError(f"no instrument {instrument_id!r}") from None
