"""Serialising to HSDS 3.0 and exporting the paged list form; the JSON round trip."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerlight.audit.models import AuditEntry
from peerlight.directory.hsds import exporter, importer, serialise
from peerlight.directory.hsds.validate import check
from peerlight.directory.models import (
    Location,
    Metadata,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from tests.directory.factories import make_organization, make_service, make_term, weekly
from tests.directory.test_hsds_import import (
    DATA,
    EXAMPLE_LINKS_KEPT,
    SERVICE_ID,
    assert_links_hold,
    import_examples,
    snapshot,
    wipe,
    write_json,
)

pytestmark = pytest.mark.django_db


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _make_services(count: int) -> None:
    term = make_term("Peer support", code="1310")
    organizations = [make_organization(f"Org {n}") for n in range(3)]
    for n in range(count):
        service = make_service(
            f"Service {n}",
            organization=organizations[n % 3],
            lat=45.5 + n / 100,
            lon=-122.6,
            schedules=[weekly(time_zone="America/Los_Angeles")],
            location_schedules=[weekly("SA")],
            terms=[term],
            wheelchair=True,
            index=False,
        )
        Metadata.objects.create(
            resource_id=service.id,
            resource_type="service",
            last_action_date="2026-01-01",
            last_action_type="create",
            field_name="name",
            previous_value="",
            replacement_value=service.name,
            updated_by="test",
        )


# --- Shapes -----------------------------------------------------------------------------------


def test_a_full_service_has_the_compiled_schemas_shape() -> None:
    import_examples()

    body = serialise.service(Service.objects.get(id=SERVICE_ID))

    assert check(body, "service", label=SERVICE_ID) == []
    assert body["organization"]["id"] == "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    assert body["organization"]["locations"][0]["addresses"][0]["city"] == "MyCity"
    location = body["service_at_locations"][0]["location"]
    assert location["accessibility"][0]["id"] == "afcf296e-1cb2-4139-9c88-33d587d1a50b"
    assert body["attributes"][0]["taxonomy_term"]["taxonomy_detail"]["name"] == "name"
    assert body["metadata"][0]["resource_type"] == "service"
    assert "services" not in body["organization"]


def test_absent_fields_are_left_out_and_whole_numbers_are_integers() -> None:
    organization = make_organization(year_incorporated=2011.0)
    service = make_service(organization=organization, minimum_age=12.0, index=False)
    Service.objects.filter(id=service.id).update(maximum_age=17.5)

    body = serialise.service(Service.objects.get(id=service.id))

    assert body["minimum_age"] == 12
    assert isinstance(body["minimum_age"], int)
    assert body["maximum_age"] == 17.5
    assert body["organization"]["year_incorporated"] == 2011
    assert "alternate_name" not in body
    assert "program" not in body
    assert body["service_areas"] == []  # complete lists are written even when empty


def test_the_list_forms_have_their_own_shapes() -> None:
    import_examples()
    service = Service.objects.get(id=SERVICE_ID)
    at = ServiceAtLocation.objects.get()

    summary = serialise.service(service, full=False)
    organization = serialise.organization(service.organization, full=False)  # type: ignore[arg-type]
    at_summary = serialise.service_at_location(at, full=False)

    assert check(summary, "service_list", label="s") == []
    assert "phones" not in summary
    assert set(summary["organization"]) <= set(organization)
    assert check(organization, "organization_list", label="o") == []
    assert check(at_summary, "service_at_location_list", label="a") == []
    assert at_summary["service"]["id"] == SERVICE_ID


def test_the_other_full_forms_validate() -> None:
    import_examples()

    organization = serialise.organization(
        Organization.objects.get(name__startswith="Example Org"), full=True
    )
    at = serialise.service_at_location(ServiceAtLocation.objects.get())
    location = serialise.location(Location.objects.get())
    term = serialise.taxonomy_term(TaxonomyTerm.objects.get(code="code"))
    taxonomy = serialise.taxonomy(Taxonomy.objects.get())

    assert check(organization, "organization", label="o") == []
    assert [s["id"] for s in organization["services"]] == [SERVICE_ID]
    assert "organization" not in organization["services"][0]
    assert check(at, "service_at_location", label="a") == []
    assert "service_at_locations" not in at["service"]
    assert check(location, "location", label="l") == []
    assert check(term, "taxonomy_term", label="t") == []
    assert term["taxonomy_detail"]["id"] == taxonomy["id"]
    assert check(taxonomy, "taxonomy", label="x") == []


def test_a_schedules_zone_is_written_as_the_peerlight_attribute() -> None:
    service = make_service(schedules=[weekly(time_zone="Europe/Berlin")], index=False)

    schedule = serialise.service(service)["schedules"][0]

    [zone] = schedule["attributes"]
    assert zone["value"] == "Europe/Berlin"
    assert zone["link_entity"] == "schedule"
    assert zone["link_id"] == schedule["id"]
    assert zone["taxonomy_term"]["name"] == "IANA time zone"
    assert zone["taxonomy_term"]["taxonomy_detail"]["name"] == "IANA time zone"


# --- Queries ----------------------------------------------------------------------------------


def _page_queries(size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        page = serialise.prefetch_services(Service.objects.order_by("id"))[:size]
        bodies = serialise.services(page)
    assert len(bodies) == size
    return len(queries.captured_queries)


def test_a_page_of_fifty_full_services_costs_a_fixed_number_of_queries(
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    _make_services(50)
    small = _page_queries(5)

    with django_assert_max_num_queries(60):
        large = _page_queries(50)

    assert large == small


def test_a_page_of_list_forms_costs_one_query() -> None:
    _make_services(3)

    with CaptureQueriesContext(connection) as queries:
        bodies = serialise.services(
            serialise.prefetch_services(Service.objects.all(), full=False), full=False
        )

    assert len(bodies) == 3
    assert len(queries.captured_queries) == 1


# --- Export -----------------------------------------------------------------------------------


def test_the_export_is_the_paged_list_form_of_full_services(tmp_path: Path) -> None:
    _make_services(3)
    path = tmp_path / "out" / "directory.json"

    exported = exporter.export_path(path)

    page = read(path)
    assert str(exported) == "3 services"
    assert {key: page[key] for key in page if key != "contents"} == {
        "total_items": 3,
        "total_pages": 1,
        "page_number": 1,
        "size": 3,
        "first_page": True,
        "last_page": True,
        "empty": False,
    }
    assert [item["id"] for item in page["contents"]] == sorted(
        str(ident) for ident in Service.objects.values_list("id", flat=True)
    )
    assert all(check(item, "service", label="x") == [] for item in page["contents"])
    assert page["contents"][0]["service_at_locations"][0]["location"]["addresses"]


def test_an_empty_directory_exports_an_empty_page(tmp_path: Path) -> None:
    exporter.export_path(tmp_path / "empty.json")

    page = read(tmp_path / "empty.json")
    assert (page["empty"], page["total_items"], page["contents"]) == (True, 0, [])


def test_an_export_that_would_not_validate_fails_and_leaves_no_file(tmp_path: Path) -> None:
    make_service(index=False)
    make_service("Broken", status="open", index=False)
    path = tmp_path / "directory.json"

    with pytest.raises(exporter.ExportFailed) as caught:
        exporter.export_path(path)

    assert [problem.path for problem in caught.value.problems] == ["$.status"]
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_export_writes_one_audit_entry(tmp_path: Path) -> None:
    make_service(index=False)

    exporter.export_path(tmp_path / "directory.json")

    entry = AuditEntry.objects.filter(verb="directory.export").get()
    assert (entry.actor_id, entry.reason) == (None, "1 services")


# --- Round trips --------------------------------------------------------------------------------


def test_the_examples_round_trip_through_the_json_export(tmp_path: Path) -> None:
    import_examples()
    importer.import_path(DATA / "service_at_location_full.json")
    rows = snapshot()
    exporter.export_path(tmp_path / "first.json")

    wipe()
    # The links to the parents the examples do not hold travel as ids.
    importer.import_path(tmp_path / "first.json")
    exporter.export_path(tmp_path / "second.json")

    assert read(tmp_path / "second.json") == read(tmp_path / "first.json")
    assert (tmp_path / "second.json").read_bytes() == (tmp_path / "first.json").read_bytes()
    assert snapshot() == rows
    assert_links_hold(*EXAMPLE_LINKS_KEPT)


def test_made_services_round_trip_with_their_time_zones(tmp_path: Path) -> None:
    _make_services(4)
    Schedule.objects.filter(service__isnull=False).update(time_zone="Europe/Berlin", timezone=1)
    rows = snapshot()
    exporter.export_path(tmp_path / "first.json")

    wipe()
    summary = importer.import_path(tmp_path / "first.json")

    assert summary.created == sum(len(table) for table in rows.values())
    assert snapshot() == rows
    exporter.export_path(tmp_path / "second.json")
    assert (tmp_path / "second.json").read_bytes() == (tmp_path / "first.json").read_bytes()
    assert importer.import_path(tmp_path / "second.json").changed is False


# --- Any valid service ------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
    max_size=20,
)
_OPTIONAL_TEXT = ("alternate_name", "description", "fees", "alert", "wait_time")


@st.composite
def _services(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(st.uuids(), min_size=8, max_size=8, unique=True))
    service: dict[str, Any] = {
        "id": str(ids[0]),
        "name": draw(_TEXT),
        "status": draw(st.sampled_from(["active", "inactive", "defunct", "temporarily closed"])),
        "organization": {"id": str(ids[1]), "name": draw(_TEXT), "description": draw(_TEXT)},
    }
    for field in _OPTIONAL_TEXT:
        value = draw(st.none() | _TEXT)
        if value is not None:
            service[field] = value
    age = draw(st.none() | st.integers(0, 120) | st.floats(0, 120, allow_nan=False))
    if age is not None:
        service["minimum_age"] = age
    service["phones"] = [
        {"id": str(ident), "number": draw(_TEXT), "extension": draw(st.integers(0, 9999))}
        for ident in ids[2 : 2 + draw(st.integers(0, 2))]
    ]
    service["schedules"] = [
        {
            "id": str(ident),
            "timezone": draw(st.integers(-12, 14)),
            "freq": "WEEKLY",
            "byday": draw(st.sampled_from(["MO", "MO,TU", "SA,SU"])),
        }
        for ident in ids[4 : 4 + draw(st.integers(0, 2))]
    ]
    service["languages"] = [
        {"id": str(ids[6]), "code": draw(st.sampled_from(["en", "es", "spa"]))}
    ]
    return service


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(service=_services())
def test_any_valid_service_round_trips(tmp_path: Path, service: dict[str, Any]) -> None:
    wipe()
    assert check(service, "service", label="x") == []
    importer.import_path(write_json(tmp_path, service, "in.json"))

    body = serialise.service(Service.objects.get(id=service["id"]))

    for key, value in service.items():
        if isinstance(value, list):
            assert {item["id"] for item in body[key]} == {item["id"] for item in value}
            by_id = {item["id"]: item for item in body[key]}
            for item in value:
                assert {k: by_id[item["id"]][k] for k in item} == item
        elif isinstance(value, dict):
            assert {k: body[key][k] for k in value} == value
        else:
            assert body[key] == value
    assert not set(_OPTIONAL_TEXT) - set(service) & set(body)
    rows = snapshot()
    exporter.export_path(tmp_path / "out.json")
    wipe()
    importer.import_path(tmp_path / "out.json")
    assert snapshot() == rows


def test_the_serialiser_names_are_those_the_api_reads() -> None:
    names = (Path(serialise.__file__).read_text(encoding="utf-8")).split('"""')[1]
    for name in serialise.__all__:
        if not name.startswith("time_zone"):
            assert f"``{name}(" in names, name


def test_uuid_ids_are_written_in_their_usual_form() -> None:
    service = make_service(index=False)

    body = serialise.service(service)

    assert body["id"] == str(uuid.UUID(str(service.id)))
