"""Validation against the official HSDS 3.0 schemas (vendored in ``data/hsds``).

Draft 2020-12 with a format checker, so ``uuid`` (and ``email``) formats are
enforced. The nested record kinds use the compiled schemas
(``compiled/service.json``, ``organization.json``, ``service_at_location.json``
and the ``*_list`` forms); the others (``location``, ``taxonomy``,
``taxonomy_term``, and every table's row of the tabular form) use the modular
schemas, all loaded into one ``referencing.Registry`` keyed by file name, as
their relative ``"$ref": "phone.json"`` needs.

A problem reads ``record <id>: <JSON path>: <message>``. Messages name the
rule that failed and never repeat the value that failed it: records can hold
a contact's name or e-mail, and the messages end up in terminals and logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from peerlight.directory.hsds import DATA_DIR, tables

__all__ = [
    "COMPILED",
    "Problem",
    "check",
    "check_row",
    "nested_schema",
    "record_label",
    "schema_of",
]

# Kinds validated against a compiled schema; any other kind is a modular one.
COMPILED = frozenset(
    {
        "service",
        "organization",
        "service_at_location",
        "service_list",
        "organization_list",
        "service_at_location_list",
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    record: str  # the record's id, or "#3" (its place in the file) when it has none
    path: str  # JSON path inside the record: "$.phones[0].number"
    message: str
    where: str = ""  # "services.csv, line 3" for a row of a tabular package

    def __str__(self) -> str:
        text = f"record {self.record}: {self.path}: {self.message}"
        return f"{text} ({self.where})" if self.where else text


def record_label(record: object, position: int) -> str:
    """The record's id when it has a textual one, else its place ("#3", counting from 1)."""
    if isinstance(record, dict):
        identifier = record.get("id")
        if isinstance(identifier, str) and identifier and len(identifier) <= 64:
            return identifier
    return f"#{position + 1}"


def _load(relative: str) -> dict[str, Any]:
    with (DATA_DIR / relative).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@cache
def _registry() -> Registry[Any]:
    resources = []
    for path in sorted((DATA_DIR / "schema").glob("*.json")):
        contents = _load(f"schema/{path.name}")
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((path.name, resource))
    return Registry().with_resources(resources)


@cache
def schema_of(kind: str) -> dict[str, Any]:
    """The schema a record of ``kind`` is validated against."""
    if kind in COMPILED:
        return _load(f"compiled/{kind}.json")
    contents: dict[str, Any] = _registry().contents(f"{kind}.json")
    return contents


def nested_schema(schema: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The schema of the object, or of each item of the list, at ``key``; None if it has none.

    Only what a schema describes has been validated, so only that is read.
    """
    found = schema.get("properties", {}).get(key)
    if not isinstance(found, dict):
        return None
    if found.get("type") == "array":
        found = found.get("items")
        if not isinstance(found, dict):
            return None
    reference = found.get("$ref")
    if isinstance(reference, str):
        contents: dict[str, Any] = _registry().contents(reference)
        return contents
    return found


@cache
def _validator(kind: str) -> Draft202012Validator:
    if kind in COMPILED:  # self-contained: no references to resolve
        return Draft202012Validator(schema_of(kind), format_checker=FormatChecker())
    return Draft202012Validator(
        schema_of(kind), registry=_registry(), format_checker=FormatChecker()
    )


def check(record: object, kind: str, *, label: str) -> list[Problem]:
    """Every problem of ``record`` against the schema of ``kind`` ("service", "location", ...)."""
    errors = _validator(kind).iter_errors(record)
    return [Problem(label, error.json_path, _message(error)) for error in _ordered(errors)]


def check_row(row: dict[str, Any], table: str, *, label: str, where: str) -> list[Problem]:
    """A row of the tabular form: its table's modular schema, and the columns the
    tabular form requires beside it ("tabular_required": a service's organization_id)."""
    found = [
        Problem(label, error.json_path, _message(error), where)
        for error in _ordered(_validator(table).iter_errors(row))
    ]
    in_schema = set(_registry().contents(f"{table}.json").get("required", ()))
    for column in tables()[table].columns:
        if column.required and column.name not in in_schema and column.name not in row:
            found.append(Problem(label, "$", f"'{column.name}' is a required property", where))
    return found


def _ordered(errors: Any) -> list[ValidationError]:
    return sorted(errors, key=lambda error: (error.json_path, error.validator))


def _message(error: ValidationError) -> str:
    """What rule failed, without the value that failed it."""
    validator = error.validator
    expected = error.validator_value
    if validator == "required":
        # "'name' is a required property": names the property, not a value.
        return error.message
    if validator == "type":
        return f"must be of type {_listed(expected)}"
    if validator == "enum":
        return f"must be one of {_listed(expected)}"
    if validator == "format":
        return f"is not a valid {expected}"
    if validator == "const":
        return f"must be {expected!r}"
    return f"fails the rule {validator} {expected!r}"


def _listed(expected: object) -> str:
    if isinstance(expected, list):
        return ", ".join(repr(item) for item in expected)
    return repr(expected)
