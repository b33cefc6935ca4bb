"""The tabular form: a data package of CSV files in, every table out, losslessly.

The official example package (``data/hsds/csv``) is used as it is: eight of its
links name records it does not hold, and they are kept.
"""

from __future__ import annotations

import csv
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from peerlight.directory.hsds import exporter, importer, tabular
from peerlight.directory.hsds.validate import check_row
from peerlight.directory.models import (
    Attribute,
    Organization,
    Phone,
    Schedule,
    Service,
    TaxonomyTerm,
)
from tests.directory.factories import make_service, weekly
from tests.directory.test_hsds_import import (
    DATA,
    KEPT,
    PARENT_ORGANIZATION_ID,
    PARENT_TERM_ID,
    SERVICE_ID,
    assert_links_hold,
    import_examples,
    refused,
    snapshot,
    wipe,
)

pytestmark = pytest.mark.django_db

PACKAGE = DATA / "csv"
# The links of the official package to records it does not hold.
PACKAGE_LINKS_KEPT = (
    ("contact", "organization_id", uuid.UUID("ae67a707-5893-4225-b0b1-320ab9cb596b")),
    ("contact", "service_at_location_id", uuid.UUID("93eaf18d-1cd2-4ec7-bffb-3c9172ee5070")),
    ("location", "organization_id", uuid.UUID("985e4a42-bd9f-4edc-911d-0243a4640aca")),
    ("organization", "parent_organization_id", uuid.UUID(PARENT_ORGANIZATION_ID)),
    ("taxonomy_term", "parent_id", uuid.UUID(PARENT_TERM_ID)),
    ("taxonomy_term", "taxonomy_id", uuid.UUID("07ff6aee-a219-438c-b694-d2fcb6c5373b")),
)


def package_copy(tmp_path: Path, source: Path = PACKAGE) -> Path:
    target = tmp_path / "package"
    shutil.copytree(source, target)
    return target


def rows_of(path: Path) -> list[dict[str, str | None]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, quoting=csv.QUOTE_NOTNULL))


def test_the_official_package_imports_keeping_its_links_to_nowhere() -> None:
    summary = importer.import_path(PACKAGE)

    assert [str(warning) for warning in summary.warnings] == [
        "record d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610: $.parent_organization_id: refers to an "
        f"organization that is {KEPT} (organizations.csv, row 1)",
        "record ae58cc39-8b70-4ab1-8aea-786882e5ac8e: $.link_id: refers to a record that is "
        f"{KEPT} (attributes.csv, row 1)",
        "record 3a19ff88-4620-4d17-9830-ac1d859eb5d5: $.organization_id: refers to an "
        f"organization that is {KEPT} (locations.csv, row 1)",
        "record 1e7efce3-639b-4880-940c-b95cd30cdb50: $.organization_id: refers to an "
        f"organization that is {KEPT} (contacts.csv, row 1)",
        "record 1e7efce3-639b-4880-940c-b95cd30cdb50: $.service_at_location_id: refers to a "
        f"service at location that is {KEPT} (contacts.csv, row 1)",
        "record 3f7b145d-84af-42d7-8fae-eaca714b02b2: $.parent_id: refers to a taxonomy term "
        f"that is {KEPT} (taxonomy_terms.csv, row 1)",
        "record 3f7b145d-84af-42d7-8fae-eaca714b02b2: $.taxonomy_id: refers to a taxonomy "
        f"that is {KEPT} (taxonomy_terms.csv, row 1)",
        "record 6cd71e9f-1013-49d9-8370-26b8f59d3e5a: $.resource_id: refers to a location "
        f"that is {KEPT} (metadata.csv, row 1)",
    ]
    assert (summary.created, summary.updated, summary.removed) == (20, 0, 0)
    phone = Phone.objects.get()
    assert phone.extension == 100
    assert phone.number == '"+44 1234 234567"'
    attribute = Attribute.objects.get()
    assert attribute.link_id == uuid.UUID("f28dd44b-0c4d-479f-8e90-4c52219a8b3c")
    assert attribute.link_entity == "link_entity"
    # No zone in the package and offset 3: a fixed-offset zone.
    assert Schedule.objects.get().time_zone == "Etc/GMT-3"
    again = importer.import_path(PACKAGE)
    assert again.changed is False
    assert len(again.warnings) == 8  # what the file states is checked every time
    assert_links_hold(*PACKAGE_LINKS_KEPT)


def test_table_descriptions_are_noted_as_not_kept() -> None:
    notes: list[str] = []

    importer.import_path(PACKAGE, note=notes.append)

    assert notes == [
        "meta_table_descriptions.csv: 1 row(s) skipped; Peerlight does not keep "
        "'meta_table_description'"
    ]


def test_a_zipped_package_imports_from_its_top_folder(tmp_path: Path) -> None:
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in PACKAGE.iterdir():
            zipped.write(path, f"hsds/{path.name}")

    summary = importer.import_path(archive)

    assert summary.created == 20


def test_a_package_naming_files_outside_itself_is_refused(tmp_path: Path) -> None:
    package = package_copy(tmp_path)
    descriptor = (package / "datapackage.json").read_text(encoding="utf-8")
    (package / "datapackage.json").write_text(
        descriptor.replace('"path": "services.csv"', '"path": "../services.csv"'),
        encoding="utf-8",
    )

    with pytest.raises(importer.SourceError, match="outside itself"):
        importer.import_path(package)


def test_a_cell_of_the_wrong_type_names_its_file_and_row(tmp_path: Path) -> None:
    package = package_copy(tmp_path)
    services = (package / "services.csv").read_text(encoding="utf-8")
    (package / "services.csv").write_text(
        services.replace(",12,100,", ",twelve,100,"), encoding="utf-8"
    )

    problems = refused(package)

    assert problems == [
        f"record {SERVICE_ID}: $.minimum_age: must be of type 'number' (services.csv, row 1)"
    ]
    assert not Organization.objects.exists()


def test_a_row_missing_what_the_tabular_form_requires_is_refused(tmp_path: Path) -> None:
    package = package_copy(tmp_path)
    rows = rows_of(package / "services.csv")
    rows[0]["organization_id"] = None
    with (package / "services.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    problems = refused(package)

    assert problems == [
        f"record {SERVICE_ID}: $: 'organization_id' is a required property (services.csv, row 1)"
    ]


# --- Writing ------------------------------------------------------------------------------------


def test_the_export_holds_every_table_with_the_official_descriptor(tmp_path: Path) -> None:
    importer.import_path(PACKAGE)

    exporter.export_path(tmp_path / "out")

    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == sorted(path.name for path in PACKAGE.iterdir())
    assert (tmp_path / "out" / "datapackage.json").read_bytes() == (
        PACKAGE / "datapackage.json"
    ).read_bytes()
    assert rows_of(tmp_path / "out" / "meta_table_descriptions.csv") == []
    for row in rows_of(tmp_path / "out" / "services.csv"):
        typed: dict[str, Any] = {key: value for key, value in row.items() if value is not None}
        typed["minimum_age"] = int(typed["minimum_age"])
        typed["maximum_age"] = int(typed["maximum_age"])
        assert check_row(typed, "service", label="s", where="w") == []


def test_the_official_package_round_trips_losslessly(tmp_path: Path) -> None:
    importer.import_path(PACKAGE)
    rows = snapshot()
    exporter.export_path(tmp_path / "first.zip")

    wipe()
    importer.import_path(tmp_path / "first.zip")
    exporter.export_path(tmp_path / "second.zip")

    assert snapshot() == rows
    with (
        zipfile.ZipFile(tmp_path / "first.zip") as first,
        zipfile.ZipFile(tmp_path / "second.zip") as second,
    ):
        assert first.namelist() == second.namelist()
        for name in first.namelist():
            assert first.read(name) == second.read(name), name
        # The links to records the package does not hold are written as their ids.
        contacts = first.read("contacts.csv").decode("utf-8")
        assert "ae67a707-5893-4225-b0b1-320ab9cb596b" in contacts
    assert_links_hold(*PACKAGE_LINKS_KEPT)


def test_the_json_examples_round_trip_through_the_tabular_form(tmp_path: Path) -> None:
    import_examples()
    rows = snapshot()
    exporter.export_path(tmp_path / "package")

    wipe()
    importer.import_path(tmp_path / "package")

    assert snapshot() == rows  # every table is written, the links kept to outside parents too


def test_empty_text_and_absent_text_stay_apart(tmp_path: Path) -> None:
    service = make_service(index=False, alternate_name="", fees=None)
    make_service("Zoned", schedules=[weekly(time_zone="Asia/Tokyo")], index=False)

    exporter.export_path(tmp_path / "package")
    wipe()
    importer.import_path(tmp_path / "package")

    again = Service.objects.get(id=service.id)
    assert (again.alternate_name, again.fees) == ("", None)
    assert Schedule.objects.get().time_zone == "Asia/Tokyo"
    assert not Attribute.objects.exists()
    assert not TaxonomyTerm.objects.exists()


def test_an_export_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine", encoding="utf-8")

    with pytest.raises(exporter.SourceError, match="not empty"):
        exporter.export_path(tmp_path / "busy")

    assert [path.name for path in (tmp_path / "busy").iterdir()] == ["keep.txt"]


def test_a_failing_row_leaves_no_package(tmp_path: Path) -> None:
    make_service("Broken", status="open", index=False)

    with pytest.raises(tabular.ExportFailed):
        exporter.export_path(tmp_path / "package.zip")
    with pytest.raises(tabular.ExportFailed):
        exporter.export_path(tmp_path / "package")

    assert list(tmp_path.iterdir()) == []
