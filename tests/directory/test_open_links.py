"""Links to records that are not in the directory: kept with a warning, read safely.

HSDS data often names records it does not hold (every official example does).
The importer keeps such a link's id, and everything that reads links (the
serialiser, both exports, the search index, the service page, the API) copes
with the record being absent.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.directory import search
from peerlight.directory.hsds import exporter, importer, serialise, tables
from peerlight.directory.hsds.validate import check
from peerlight.directory.models import (
    HSDS_MODELS,
    Attribute,
    Location,
    Organization,
    Program,
    SearchDocument,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from tests.directory.factories import make_service, make_term
from tests.directory.test_hsds_import import (
    DATA,
    KEPT,
    ORGANIZATION_ID,
    PARENT_ORGANIZATION_ID,
    SERVICE_ID,
    refused,
    snapshot,
    wipe,
    write_json,
)
from tests.directory.test_hsds_tabular import rows_of

pytestmark = pytest.mark.django_db

type ClientFor = Callable[[User | None], Client]

LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"
AT_LOCATION_ID = "e94c9f38-1e8f-4564-91d4-d53501ab1765"
TERM_ID = "3f7b145d-84af-42d7-8fae-eaca714b02b2"

_PARENT = f"refers to an organization that is {KEPT}"
_TERM = f"refers to a taxonomy term that is {KEPT}"

# Each official example, imported alone into an empty directory: the warnings
# it gives (without the "WARNING: " the command puts before each).
EXAMPLES: dict[str, list[str]] = {
    "service_full.json": [
        f"record {SERVICE_ID}: $.organization.parent_organization_id: {_PARENT}",
        f"record {SERVICE_ID}: $.attributes[0].taxonomy_term.parent_id: {_TERM}",
    ],
    "service_list.json": [
        f"record {SERVICE_ID}: $.organization.parent_organization_id: {_PARENT}",
    ],
    "organization_full.json": [
        f"record {ORGANIZATION_ID}: $.services[0].attributes[0].taxonomy_term.parent_id: {_TERM}",
        f"record {ORGANIZATION_ID}: $.parent_organization_id: {_PARENT}",
    ],
    "organization_list.json": [
        f"record {ORGANIZATION_ID}: $.parent_organization_id: {_PARENT}",
    ],
    "service_at_location_full.json": [
        f"record {AT_LOCATION_ID}: $.service.organization.parent_organization_id: {_PARENT}",
        f"record {AT_LOCATION_ID}: $.service.attributes[0].taxonomy_term.parent_id: {_TERM}",
    ],
    "service_at_location_list.json": [
        f"record {AT_LOCATION_ID}: $.service.organization.parent_organization_id: {_PARENT}",
    ],
    "location.json": [],
    "taxonomy.json": [],
    "taxonomy_list.json": [],
    "taxonomy_term.json": [f"record {TERM_ID}: $.parent_id: {_TERM}"],
    "taxonomy_term_list.json": [f"record {TERM_ID}: $.parent_id: {_TERM}"],
    # The eight links of the package are in test_hsds_tabular.
    "csv": [],
}


def run_import(path: Path) -> tuple[str, list[str]]:
    """The command's output line and its warnings; CommandError (exit 1) fails the test."""
    out, err = StringIO(), StringIO()
    call_command("directory", "import", str(path), "--no-progress", stdout=out, stderr=err)
    warnings = [
        line.removeprefix("WARNING: ")
        for line in err.getvalue().splitlines()
        if line.startswith("WARNING: ")
    ]
    return out.getvalue(), warnings


def zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def dangling_service(**links: uuid.UUID) -> Service:
    """A made service whose links (``organization_id=...``) name records that are nowhere."""
    service = make_service("Open Door Warmline", lat=45.5, lon=-122.6, index=False)
    Service.objects.filter(id=service.id).update(**links)
    return Service.objects.get(id=service.id)


# --- Every official example imports alone --------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_official_example_imports_alone(name: str) -> None:
    out, warnings = run_import(DATA / name)

    assert out.startswith(f"Imported {DATA / name}: ")
    assert "0 updated, 0 unchanged, 0 removed" in out
    if name == "csv":
        assert len(warnings) == 8
    else:
        assert warnings == EXAMPLES[name]
    assert sum(len(rows) for rows in snapshot().values()) > 0


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_official_example_alone_round_trips_byte_for_byte(tmp_path: Path, name: str) -> None:
    importer.import_path(DATA / name)
    rows = snapshot()
    exporter.export_path(tmp_path / "first.json")
    exporter.export_path(tmp_path / "first.zip")

    # The JSON form: every service in full.
    wipe()
    importer.import_path(tmp_path / "first.json")
    exporter.export_path(tmp_path / "second.json")
    assert (tmp_path / "second.json").read_bytes() == (tmp_path / "first.json").read_bytes()

    # The tabular form: every table.
    wipe()
    importer.import_path(tmp_path / "first.zip")
    exporter.export_path(tmp_path / "second.zip")
    assert snapshot() == rows
    assert zip_members(tmp_path / "second.zip") == zip_members(tmp_path / "first.zip")


def test_the_service_example_exports_its_kept_links_as_ids(tmp_path: Path) -> None:
    importer.import_path(DATA / "service_full.json")

    exporter.export_path(tmp_path / "out.json")
    exporter.export_path(tmp_path / "out")

    [body] = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["contents"]
    assert body["organization"]["parent_organization_id"] == PARENT_ORGANIZATION_ID
    assert check(body, "service", label=SERVICE_ID) == []
    [organization] = rows_of(tmp_path / "out" / "organizations.csv")
    assert organization["parent_organization_id"] == PARENT_ORGANIZATION_ID


# --- The link is kept, and resolves when its record arrives ----------------------------------


def test_a_kept_link_resolves_once_its_record_arrives() -> None:
    importer.import_path(DATA / "organization_list.json")
    organization = Organization.objects.select_related("parent_organization").get()
    assert organization.parent_organization_id == uuid.UUID(PARENT_ORGANIZATION_ID)
    assert organization.parent_organization is None

    importer.import_path(DATA / "outside_records.json")
    again = importer.import_path(DATA / "organization_list.json")

    assert again.warnings == []
    assert again.changed is False
    parent = Organization.objects.get(id=ORGANIZATION_ID).parent_organization
    assert parent is not None
    assert parent.name == "Example Parent Organization"


def test_a_program_nested_in_a_service_belongs_to_the_services_organization() -> None:
    # service_list.json nests the program without its organization_id, which
    # HSDS requires of every program.
    importer.import_path(DATA / "service_list.json")

    program = Program.objects.get()
    assert program.organization_id == uuid.UUID(ORGANIZATION_ID)


def test_a_program_stating_its_organization_keeps_it(tmp_path: Path) -> None:
    record = json.loads((DATA / "service_list.json").read_text(encoding="utf-8"))["contents"][0]
    other = str(uuid.uuid4())
    record["program"]["organization_id"] = other

    summary = importer.import_path(write_json(tmp_path, record))

    assert Program.objects.get().organization_id == uuid.UUID(other)
    assert f"record {SERVICE_ID}: $.program.organization_id: {_PARENT}" in [
        str(warning) for warning in summary.warnings
    ]


# --- Real inconsistencies still refuse the file ------------------------------------------------


def _service_linked_to(organization_id: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "name": "Wrong kind",
        "status": "active",
        "organization_id": organization_id,
    }


def test_a_link_to_a_record_of_another_kind_in_the_directory_is_refused(
    tmp_path: Path,
) -> None:
    importer.import_path(DATA / "location.json")
    service = _service_linked_to(LOCATION_ID)

    problems = refused(write_json(tmp_path, service))

    assert problems == [
        f"record {service['id']}: $.organization_id: refers to an organization, but the "
        "record with that id is a location"
    ]
    assert not Service.objects.exists()


def test_a_link_to_a_record_of_another_kind_in_the_file_is_refused(tmp_path: Path) -> None:
    location = json.loads((DATA / "location.json").read_text(encoding="utf-8"))
    service = _service_linked_to(LOCATION_ID)

    problems = refused(write_json(tmp_path, [location, service]))

    assert problems == [
        f"record {service['id']}: $.organization_id: refers to an organization, but the "
        "record with that id is a location"
    ]
    assert not Location.objects.exists()


def test_a_nested_record_with_the_id_of_another_kind_in_the_file_is_refused(
    tmp_path: Path,
) -> None:
    record = json.loads((DATA / "service_full.json").read_text(encoding="utf-8"))
    record["service_areas"][0]["id"] = record["organization"]["id"]

    problems = refused(write_json(tmp_path, record))

    assert problems == [
        f"record {SERVICE_ID}: $.service_areas[0]: has the same id as the organization at "
        f"{SERVICE_ID} $.organization"
    ]
    assert not Service.objects.exists()


def test_a_record_with_the_id_of_another_kind_in_the_directory_is_refused(
    tmp_path: Path,
) -> None:
    importer.import_path(DATA / "location.json")
    organization = {"id": LOCATION_ID, "name": "Same id", "description": "d"}

    problems = refused(write_json(tmp_path, organization), kind="organization")

    assert problems == [f"record {LOCATION_ID}: $: has the same id as a location in the directory"]
    assert not Organization.objects.exists()


def test_a_required_link_that_is_absent_is_still_refused(tmp_path: Path) -> None:
    # Neither the service nor its program names an organization: none is made up.
    program = {"id": str(uuid.uuid4()), "name": "Programme", "description": "d"}
    service = {**_service_linked_to(ORGANIZATION_ID), "program": program}
    del service["organization_id"]

    problems = refused(write_json(tmp_path, service))

    assert problems == [
        f"record {service['id']}: $.program: 'organization_id' is required by HSDS's tabular form",
        f"record {service['id']}: $: 'organization_id' is required by HSDS's tabular form",
    ]
    assert not Program.objects.exists()


# --- Readers of links cope with an absent record ----------------------------------------------


def test_a_service_whose_organization_is_absent_serialises_with_its_id() -> None:
    absent = uuid.uuid4()
    service = dangling_service(organization_id=absent, program_id=uuid.uuid4())

    full = serialise.service(service)
    summary = serialise.service(Service.objects.get(id=service.id), full=False)
    prefetched = serialise.services(
        serialise.prefetch_services(Service.objects.filter(id=service.id))
    )

    for body, kind in ((full, "service"), (summary, "service_list")):
        assert check(body, kind, label="s") == []
        assert body["organization_id"] == str(absent)
        assert "organization" not in body
        assert "program" not in body
    assert prefetched == [full]


def test_a_service_at_location_whose_records_are_absent_serialises_with_their_ids() -> None:
    service = make_service(lat=45.5, lon=-122.6, index=False)
    at = ServiceAtLocation.objects.get(service=service)
    location_id = uuid.uuid4()
    ServiceAtLocation.objects.filter(id=at.id).update(location_id=location_id)
    at.refresh_from_db()

    full = serialise.service_at_location(at)
    summary = serialise.service_at_location(ServiceAtLocation.objects.get(id=at.id), full=False)

    for body, kind in ((full, "service_at_location"), (summary, "service_at_location_list")):
        assert check(body, kind, label="a") == []
        assert body["location_id"] == str(location_id)
        assert "location" not in body
        assert body["service"]["id"] == str(service.id)


def test_a_term_and_an_attribute_whose_records_are_absent_serialise_with_their_ids() -> None:
    term = make_term("Peer support")
    taxonomy_id = uuid.uuid4()
    TaxonomyTerm.objects.filter(id=term.id).update(taxonomy_detail_id=taxonomy_id)
    service = make_service(terms=[term], index=False)
    term_id = uuid.uuid4()
    Attribute.objects.filter(link_id=service.id).update(taxonomy_term_id=term_id)

    term_body = serialise.taxonomy_term(TaxonomyTerm.objects.get(id=term.id))
    [attribute] = serialise.service(service)["attributes"]

    assert term_body["taxonomy_id"] == str(taxonomy_id)
    assert "taxonomy_detail" not in term_body
    assert check(term_body, "taxonomy_term", label="t") == []
    assert attribute["taxonomy_term_id"] == str(term_id)
    assert "taxonomy_term" not in attribute


def test_indexing_a_service_whose_records_are_absent_works() -> None:
    service = dangling_service(organization_id=uuid.uuid4(), program_id=uuid.uuid4())
    ServiceAtLocation.objects.filter(service=service).update(location_id=uuid.uuid4())
    Attribute.objects.create(
        link_id=service.id, link_entity="service", taxonomy_term_id=uuid.uuid4()
    )

    search.reindex([service.id])

    assert SearchDocument.objects.filter(service_id=service.id).exists()
    hits = search.search(search.Query(words="warmline")).hits
    assert [hit.service_id for hit in hits] == [service.id]


def test_the_page_of_a_service_whose_records_are_absent_shows(client_for: ClientFor) -> None:
    service = dangling_service(organization_id=uuid.uuid4(), program_id=uuid.uuid4())
    ServiceAtLocation.objects.filter(service=service).update(location_id=uuid.uuid4())
    Attribute.objects.create(
        link_id=service.id, link_entity="service", taxonomy_term_id=uuid.uuid4()
    )

    response = client_for(None).get(reverse("directory:service", args=[service.id]))

    assert response.status_code == 200
    assert "Open Door Warmline" in response.content.decode()


def test_the_api_serves_a_service_whose_organization_is_absent(client_for: ClientFor) -> None:
    absent = uuid.uuid4()
    service = dangling_service(organization_id=absent)
    search.reindex([service.id])
    client = client_for(None)

    detail = client.get(f"/api/hsds/services/{service.id}")
    listing = client.get("/api/hsds/services")

    assert detail.status_code == 200
    body = detail.json()
    assert body["organization_id"] == str(absent)
    assert "organization" not in body
    assert listing.status_code == 200
    assert [item["organization_id"] for item in listing.json()["contents"]] == [str(absent)]


# --- The tables -------------------------------------------------------------------------------


def test_the_database_does_not_check_links_between_hsds_tables() -> None:
    with connection.cursor() as cursor:
        for model in HSDS_MODELS:
            name = model._meta.db_table
            constraints = connection.introspection.get_constraints(cursor, name)
            foreign = [key for key, found in constraints.items() if found["foreign_key"]]
            assert foreign == [], name
    for table in tables().values():
        for column in table.references:
            field = table.model._meta.get_field(column.attname.removesuffix("_id"))
            assert getattr(field, "db_constraint", None) is False, (table.name, column.name)


def test_the_api_indexes_are_there() -> None:
    with connection.cursor() as cursor:
        services = connection.introspection.get_constraints(cursor, Service._meta.db_table)
        locations = connection.introspection.get_constraints(cursor, Location._meta.db_table)

    assert services["directory_service_name_id"]["columns"] == ["name", "id"]
    assert locations["directory_location_lat_lon"]["columns"] == ["latitude", "longitude"]
