"""Validation against the vendored official HSDS 3.0 schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from peerlight.directory.hsds import DATA_DIR, tables
from peerlight.directory.hsds.validate import Problem, check, check_row, record_label

DATA = Path(__file__).parent / "data" / "hsds"


def example(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("service_full.json", "service"),
        ("organization_full.json", "organization"),
        ("service_at_location_full.json", "service_at_location"),
        ("location.json", "location"),
        ("taxonomy.json", "taxonomy"),
        ("taxonomy_term.json", "taxonomy_term"),
    ],
)
def test_the_official_examples_are_valid(name: str, kind: str) -> None:
    assert check(example(name), kind, label="x") == []


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("service_list.json", "service_list"),
        ("organization_list.json", "organization_list"),
        ("service_at_location_list.json", "service_at_location_list"),
        ("taxonomy_list.json", "taxonomy"),
        ("taxonomy_term_list.json", "taxonomy_term"),
    ],
)
def test_each_item_of_the_official_lists_is_valid(name: str, kind: str) -> None:
    for item in example(name)["contents"]:
        assert check(item, kind, label="x") == []


def test_a_broken_service_gives_each_problem_with_its_path() -> None:
    service = example("service_full.json")
    service["id"] = "not-a-uuid"
    service["status"] = "open"
    service["phones"][0]["number"] = 5
    del service["service_at_locations"][0]["location"]["location_type"]

    problems = [str(problem) for problem in check(service, "service", label="svc-1")]

    assert problems == [
        "record svc-1: $.id: is not a valid uuid",
        "record svc-1: $.phones[0].number: must be of type 'string'",
        "record svc-1: $.service_at_locations[0].location: 'location_type' is a required property",
        "record svc-1: $.status: must be one of 'active', 'inactive', 'defunct', "
        "'temporarily closed'",
    ]


def test_modular_schemas_resolve_their_neighbours() -> None:
    location = example("location.json")
    location["phones"][0]["languages"][0]["id"] = "nope"

    problems = check(location, "location", label="loc")

    assert [problem.path for problem in problems] == ["$.phones[0].languages[0].id"]


def test_a_problem_never_repeats_the_value_that_failed() -> None:
    contact = {"id": "c", "name": ["Ann Persona"], "email": "Ann Persona at home"}
    service = {"id": "s", "name": "n", "status": "active", "contacts": [contact]}

    text = " ".join(str(problem) for problem in check(service, "service", label="s"))

    assert "Ann Persona" not in text
    assert "$.contacts[0].email: is not a valid email" in text


def test_a_row_of_the_tabular_form_must_have_what_that_form_requires() -> None:
    row = {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "n", "status": "active"}

    problems = check_row(row, "service", label=row["id"], where="services.csv, row 1")

    assert [str(problem) for problem in problems] == [
        f"record {row['id']}: $: 'organization_id' is a required property (services.csv, row 1)"
    ]
    assert check_row({**row, "organization_id": row["id"]}, "service", label="x", where="w") == []


def test_records_are_named_by_id_or_by_place() -> None:
    assert record_label({"id": "abc"}, 0) == "abc"
    assert record_label({"id": 7}, 2) == "#3"
    assert record_label(["not", "a", "record"], 0) == "#1"
    assert str(Problem("#1", "$", "is wrong")) == "record #1: $: is wrong"


def test_every_table_column_maps_to_its_model() -> None:
    descriptor = json.loads((DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))
    names = {resource["name"] for resource in descriptor["resources"]}

    assert set(tables()) == names - {"meta_table_description"}
    for table in tables().values():
        attnames = {field.attname for field in table.model._meta.concrete_fields}
        assert {column.attname for column in table.columns} <= attnames
        # Every column the database requires, HSDS requires.
        for field in table.model._meta.concrete_fields:
            if field.attname in ("id", "time_zone") or field.null or field.has_default():
                continue
            column = next(c for c in table.columns if c.attname == field.attname)
            assert column.required, (table.name, column.name)


def test_the_vendored_files_are_there_with_their_licence() -> None:
    for relative in ("openapi.json", "LICENSE", "SOURCE.md", "compiled/service.json"):
        assert (DATA_DIR / relative).is_file()
    source = (DATA_DIR / "SOURCE.md").read_text(encoding="utf-8")
    assert "279fd2eb3552c349bf698c07c00cc25f5fc8249b" in source
    assert "Human Services Data Specification: an Open Referral resource" in source
    assert "Attribution-ShareAlike 4.0" in (DATA_DIR / "LICENSE").read_text(encoding="utf-8")
