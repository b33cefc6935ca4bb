"""Importing HSDS 3.0 JSON: all or nothing, upserts by id, complete lists replace."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.audit.models import AuditEntry
from peerlight.directory import search
from peerlight.directory.hsds import IMPORT_ORDER, importer, serialise, tables
from peerlight.directory.hsds.flatten import zone_for_offset
from peerlight.directory.models import (
    Attribute,
    Contact,
    Language,
    Metadata,
    Organization,
    Phone,
    Schedule,
    Service,
    TaxonomyTerm,
)

DATA = Path(__file__).parent / "data" / "hsds"
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
PHONE_ID = "1554f2e2-a373-45db-a3fa-9fc48a61c15e"
CONTACT_ID = "1e7efce3-639b-4880-940c-b95cd30cdb50"
SCHEDULE_ID = "48102e86-bb50-41c4-8f1e-e269368c41d1"
ORGANIZATION_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
# The records the JSON examples name without holding them.
PARENT_ORGANIZATION_ID = "cd09a387-91f4-4555-94ec-e799c35344cd"
PARENT_TERM_ID = "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2"
# The links the JSON examples keep to them.
EXAMPLE_LINKS_KEPT = (
    ("organization", "parent_organization_id", uuid.UUID(PARENT_ORGANIZATION_ID)),
    ("taxonomy_term", "parent_id", uuid.UUID(PARENT_TERM_ID)),
)
KEPT = "not in this file or the directory; the link is kept"

pytestmark = pytest.mark.django_db


# --- Helpers the other HSDS tests use too -------------------------------------------------------


def example(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def write_json(folder: Path, data: Any, name: str = "data.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def import_examples() -> None:
    """The JSON examples, as they are: their links to outside parents are kept."""
    for name in ("service_full.json", "organization_full.json", "service_list.json"):
        importer.import_path(DATA / name)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every HSDS table, by table, sorted by id."""
    return {
        name: [
            {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}
            for obj in tables()[name].query().order_by("id")
        ]
        for name in IMPORT_ORDER
    }


def wipe() -> None:
    for name in reversed(IMPORT_ORDER):
        tables()[name].query().delete()


def links_kept() -> list[tuple[str, str, uuid.UUID]]:
    """(table, column, id) of every link between HSDS tables whose record is absent."""
    found: list[tuple[str, str, uuid.UUID]] = []
    for table in tables().values():
        for column in table.references:
            linked = table.query().exclude(**{f"{column.attname}__isnull": True})
            ids = set(linked.values_list(column.attname, flat=True))
            there = tables()[column.references].query().filter(id__in=ids)
            absent = ids - set(there.values_list("id", flat=True))
            found.extend((table.name, column.name, ident) for ident in absent)
    return sorted(found)


def assert_links_hold(*kept: tuple[str, str, uuid.UUID]) -> None:
    """Every link names a record in the directory, but the ``kept`` ones.

    The database does not check links between HSDS tables (they may name
    records that are not there), so this reads them; the other foreign keys
    are checked at commit, which a test's transaction never reaches.
    """
    assert links_kept() == sorted(kept)
    connection.check_constraints()


def refused(path: Path, **options: Any) -> list[str]:
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_path(path, **options)
    return [str(problem) for problem in caught.value.problems]


# --- All or nothing ---------------------------------------------------------------------------


def test_it_keeps_links_to_records_that_are_nowhere_and_warns() -> None:
    summary = importer.import_path(DATA / "service_full.json")

    assert [str(warning) for warning in summary.warnings] == [
        f"record {SERVICE_ID}: $.organization.parent_organization_id: refers to an "
        f"organization that is {KEPT}",
        f"record {SERVICE_ID}: $.attributes[0].taxonomy_term.parent_id: refers to a "
        f"taxonomy term that is {KEPT}",
    ]
    assert (summary.created, summary.updated, summary.unchanged, summary.removed) == (20, 0, 0, 0)
    organization = Organization.objects.get(id=ORGANIZATION_ID)
    assert organization.parent_organization_id == uuid.UUID(PARENT_ORGANIZATION_ID)
    assert TaxonomyTerm.objects.get(code="code").parent_id == uuid.UUID(PARENT_TERM_ID)
    assert_links_hold(*EXAMPLE_LINKS_KEPT)
    assert AuditEntry.objects.filter(verb="directory.import").count() == 1


def test_it_imports_the_examples_once_their_outside_parents_are_there() -> None:
    importer.import_path(DATA / "outside_records.json")

    summary = importer.import_path(DATA / "service_full.json")

    assert summary.warnings == []
    assert (summary.created, summary.updated, summary.removed) == (19, 0, 0)
    assert summary.unchanged == 1  # the taxonomy, already there with the parent term
    service = Service.objects.get(id=SERVICE_ID)
    assert service.name == "Community Counselling"
    assert service.minimum_age == 12
    assert service.organization is not None
    assert service.organization.parent_organization is not None
    assert service.organization.parent_organization.name == "Example Parent Organization"
    assert_links_hold()


def test_a_single_bad_record_in_a_list_stops_the_whole_list(tmp_path: Path) -> None:
    good = example("organization_list.json")["contents"][0]
    del good["parent_organization_id"]
    bad = {**good, "id": str(uuid.uuid4()), "name": 7, "email": "Ann Persona"}
    path = write_json(tmp_path, {"contents": [good, bad]})

    problems = refused(path)

    assert problems == [
        f"record {bad['id']}: $.email: is not a valid email",
        f"record {bad['id']}: $.name: must be of type 'string'",
    ]
    assert not Organization.objects.exists()
    # The messages say what rule failed, never the value that failed it.
    assert "Ann Persona" not in " ".join(problems)


def test_a_record_without_an_id_is_named_by_its_place(tmp_path: Path) -> None:
    path = write_json(tmp_path, [{"name": "No id", "description": "x"}], "orgs.json")

    assert refused(path, kind="organization") == ["record #1: $: 'id' is a required property"]


def test_two_copies_of_a_record_that_disagree_are_refused(tmp_path: Path) -> None:
    record = example("service_full.json")
    record["contacts"][0]["phones"][0]["number"] = "+44 1234 999999"

    problems = refused(write_json(tmp_path, record))

    assert problems == [
        f"record {SERVICE_ID}: $.contacts[0].phones[0].number: differs from the same phone "
        f"at {SERVICE_ID} $.organization.contacts[0].phones[0]"
    ]
    assert not Phone.objects.exists()


def test_a_nested_link_that_contradicts_its_place_is_refused(tmp_path: Path) -> None:
    record = example("service_full.json")
    record["phones"][0]["service_id"] = str(uuid.uuid4())

    problems = refused(write_json(tmp_path, record))

    assert problems == [
        f"record {SERVICE_ID}: $.phones[0].service_id: differs from the service it is in"
    ]


def test_what_the_tabular_form_requires_is_required_of_json_too(tmp_path: Path) -> None:
    service = {"id": str(uuid.uuid4()), "name": "Alone", "status": "active"}

    problems = refused(write_json(tmp_path, service))

    assert problems == [
        f"record {service['id']}: $: 'organization_id' is required by HSDS's tabular form"
    ]


def test_text_with_a_nul_character_is_refused(tmp_path: Path) -> None:
    organization = {"id": str(uuid.uuid4()), "name": "Nul\u0000", "description": "d"}

    problems = refused(write_json(tmp_path, organization), kind="organization")

    assert problems == [f"record {organization['id']}: $.name: contains a NUL character"]


def test_a_file_that_is_not_json_is_refused_as_a_whole(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(importer.SourceError, match="is not JSON"):
        importer.import_path(path)


def test_records_of_no_recognisable_kind_ask_for_a_type(tmp_path: Path) -> None:
    path = write_json(tmp_path, [{"id": str(uuid.uuid4()), "name": "n", "description": "d"}])

    with pytest.raises(importer.SourceError, match="give --type"):
        importer.import_path(path)

    summary = importer.import_path(path, kind="taxonomy")
    assert summary.created == 1


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
def test_it_tells_the_kind_of_each_example(name: str, kind: str) -> None:
    assert importer.detect_kind(example(name)) == kind


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("service_list.json", "service"),
        ("organization_list.json", "organization"),
        ("service_at_location_list.json", "service_at_location"),
        ("taxonomy_list.json", "taxonomy"),
        ("taxonomy_term_list.json", "taxonomy_term"),
    ],
)
def test_it_tells_the_kind_of_each_list(name: str, kind: str) -> None:
    source = importer.read(DATA / name)

    assert [found for found, _record, _label in source.documents] == [kind]


# --- Upserts ------------------------------------------------------------------------------------


def test_importing_the_same_file_again_writes_nothing() -> None:
    import_examples()
    before = snapshot()

    with CaptureQueriesContext(connection) as queries:
        summary = importer.import_path(DATA / "service_full.json")

    assert (summary.created, summary.updated, summary.removed) == (0, 0, 0)
    assert summary.unchanged == 20
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "directory_" in query["sql"]
    ]
    assert writes == []
    assert snapshot() == before


def test_a_changed_field_updates_only_its_record(tmp_path: Path) -> None:
    import_examples()
    record = example("service_full.json")
    record["name"] = "Community Counselling (evenings)"

    summary = importer.import_path(write_json(tmp_path, record))

    assert (summary.created, summary.updated) == (0, 1)
    assert Service.objects.get(id=SERVICE_ID).name == "Community Counselling (evenings)"


def test_an_absent_field_becomes_absent_not_empty(tmp_path: Path) -> None:
    import_examples()
    record = example("service_full.json")
    del record["alternate_name"]
    record["fees"] = ""

    importer.import_path(write_json(tmp_path, record))

    service = Service.objects.get(id=SERVICE_ID)
    assert service.alternate_name is None
    assert service.fees == ""


def test_every_copy_of_a_record_adds_its_links() -> None:
    import_examples()

    phone = Phone.objects.get(id=PHONE_ID)

    # The example lists one phone under the service, its contact, its
    # service-at-location, its location and its organization.
    assert str(phone.service_id) == SERVICE_ID
    assert str(phone.contact_id) == CONTACT_ID
    assert phone.service_at_location_id is not None
    assert phone.location_id is not None
    assert phone.organization_id is not None
    assert Phone.objects.count() == 1


def test_nested_attributes_and_metadata_belong_to_their_parent() -> None:
    import_examples()

    attribute = Attribute.objects.get()
    assert (str(attribute.link_id), attribute.link_entity) == (SERVICE_ID, "service")
    assert attribute.taxonomy_term is not None
    assert attribute.taxonomy_term.taxonomy_detail is not None
    metadata = Metadata.objects.get()
    assert (str(metadata.resource_id), metadata.resource_type) == (SERVICE_ID, "service")


# --- Complete lists replace ---------------------------------------------------------------------


def test_a_child_left_out_of_a_complete_list_goes(tmp_path: Path) -> None:
    import_examples()
    record = example("service_full.json")
    record["service_areas"] = []
    record["metadata"] = []

    summary = importer.import_path(write_json(tmp_path, record))

    assert summary.removed == 2
    assert not Service.objects.get(id=SERVICE_ID).service_areas.exists()
    assert not Metadata.objects.filter(resource_id=SERVICE_ID).exists()
    assert_links_hold(*EXAMPLE_LINKS_KEPT)


def test_a_shared_child_left_out_loses_only_that_link(tmp_path: Path) -> None:
    import_examples()
    record = example("service_full.json")
    record["phones"] = []

    importer.import_path(write_json(tmp_path, record))

    phone = Phone.objects.get(id=PHONE_ID)
    assert phone.service_id is None
    assert str(phone.contact_id) == CONTACT_ID  # still the contact's phone


def test_a_child_left_with_no_parent_goes_with_its_own_children(tmp_path: Path) -> None:
    organization = example("organization_list.json")["contents"][0]
    contact_id, phone_id = str(uuid.uuid4()), str(uuid.uuid4())
    service = {
        "id": str(uuid.uuid4()),
        "name": "Warmline",
        "status": "active",
        "organization": organization,
        "contacts": [
            {
                "id": contact_id,
                "name": "Desk",
                "phones": [{"id": phone_id, "number": "555-0100", "languages": []}],
            }
        ],
    }
    importer.import_path(write_json(tmp_path, service))
    assert Phone.objects.filter(id=phone_id).exists()

    summary = importer.import_path(write_json(tmp_path, {**service, "contacts": []}))

    assert not Contact.objects.filter(id=contact_id).exists()
    assert not Phone.objects.filter(id=phone_id).exists()
    assert summary.removed == 2
    assert_links_hold(EXAMPLE_LINKS_KEPT[0])


def test_a_list_that_is_absent_leaves_the_children_alone(tmp_path: Path) -> None:
    import_examples()
    record = example("service_full.json")
    del record["phones"]
    del record["service_areas"]

    summary = importer.import_path(write_json(tmp_path, record))

    assert summary.removed == 0
    assert Phone.objects.get(id=PHONE_ID).service_id == uuid.UUID(SERVICE_ID)
    assert Service.objects.get(id=SERVICE_ID).service_areas.count() == 1


def test_an_organizations_services_are_never_removed_by_its_list(tmp_path: Path) -> None:
    import_examples()
    organization = example("organization_full.json")
    organization["services"] = []

    importer.import_path(write_json(tmp_path, organization))

    assert Service.objects.get(id=SERVICE_ID).organization_id == uuid.UUID(organization["id"])


# --- Schedules' time zones ----------------------------------------------------------------------


def _service_with_schedule(schedule: dict[str, Any]) -> dict[str, Any]:
    record = {
        "id": str(uuid.uuid4()),
        "name": "Hours",
        "status": "active",
        "organization": {"id": str(uuid.uuid4()), "name": "Org", "description": "d"},
        "schedules": [{"id": str(uuid.uuid4()), **schedule}],
    }
    return record


def test_the_time_zone_attribute_sets_the_zone_and_is_not_kept(tmp_path: Path) -> None:
    record = _service_with_schedule({"timezone": -8, "freq": "WEEKLY"})
    schedule_id = record["schedules"][0]["id"]
    zone = serialise.time_zone_attribute(schedule_id, "America/Los_Angeles")
    zone["taxonomy_term"] = serialise.time_zone_term()
    record["schedules"][0]["attributes"] = [zone]

    importer.import_path(write_json(tmp_path, record))

    assert Schedule.objects.get(id=schedule_id).time_zone == "America/Los_Angeles"
    assert not Attribute.objects.exists()
    assert not TaxonomyTerm.objects.exists()


def test_a_time_zone_that_is_not_one_is_refused(tmp_path: Path) -> None:
    record = _service_with_schedule({"timezone": 1})
    zone = serialise.time_zone_attribute(record["schedules"][0]["id"], "Mars/Olympus_Mons")
    record["schedules"][0]["attributes"] = [zone]

    problems = refused(write_json(tmp_path, record))

    assert problems == [
        f"record {record['id']}: $.schedules[0].attributes[0].value: is not an IANA time zone"
    ]


@pytest.mark.parametrize(
    ("offset", "zone"),
    [
        (None, "America/Los_Angeles"),
        (-8, "America/Los_Angeles"),  # standard time there
        (-7, "America/Los_Angeles"),  # daylight time there
        (3, "Etc/GMT-3"),  # POSIX signs: three hours ahead of UTC
        (-5, "Etc/GMT+5"),
        (0, "Etc/GMT"),
        (5.5, ""),  # no fixed whole-hour zone; left unknown
    ],
)
def test_a_schedule_without_the_attribute_gets_a_zone_from_its_offset(
    tmp_path: Path, settings: SettingsWrapper, offset: float | None, zone: str
) -> None:
    settings.PEERLIGHT_DIRECTORY_TIME_ZONE = "America/Los_Angeles"
    schedule: dict[str, Any] = {} if offset is None else {"timezone": offset}
    record = _service_with_schedule(schedule)

    importer.import_path(write_json(tmp_path, record))

    assert Schedule.objects.get(id=record["schedules"][0]["id"]).time_zone == zone


def test_the_configured_zone_is_matched_in_the_southern_hemisphere_too() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert zone_for_offset(10, "Australia/Sydney", now) == "Australia/Sydney"
    assert zone_for_offset(11, "Australia/Sydney", now) == "Australia/Sydney"
    assert zone_for_offset(12, "Australia/Sydney", now) == "Etc/GMT-12"


# --- Around the write ---------------------------------------------------------------------------


def test_an_import_writes_one_audit_entry_with_counts_only() -> None:
    importer.import_path(DATA / "service_full.json")

    entry = AuditEntry.objects.filter(verb="directory.import").get()
    assert entry.actor_id is None
    assert entry.reason == "20 created, 0 updated, 0 unchanged, 0 removed"


def test_the_services_it_touched_are_reindexed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[set[uuid.UUID]] = []
    monkeypatch.setattr(search, "reindex", lambda ids: seen.append(set(ids)))

    importer.import_path(DATA / "service_full.json")
    importer.import_path(DATA / "service_full.json")  # unchanged: nothing to index

    assert seen == [{uuid.UUID(SERVICE_ID)}]


def test_a_progress_bar_shows_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    importer.import_path(DATA / "taxonomy.json", progress=True)

    assert "validating" in capsys.readouterr().err


def test_no_progress_bar_for_a_small_file_off_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    importer.import_path(DATA / "taxonomy.json")

    assert capsys.readouterr().err == ""


def _services(count: int) -> list[dict[str, Any]]:
    organization = {"id": str(uuid.uuid4()), "name": "Org", "description": "d"}
    return [
        {
            "id": str(uuid.uuid4()),
            "name": f"Service {n}",
            "status": "active",
            "organization": organization,
            "phones": [{"id": str(uuid.uuid4()), "number": f"555-{n:04d}"}],
            "languages": [{"id": str(uuid.uuid4()), "code": "en"}],
        }
        for n in range(count)
    ]


def test_the_queries_of_an_import_do_not_grow_with_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The search index's own queries are the search backend's to count.
    monkeypatch.setattr(search, "reindex", lambda ids: None)
    counts = []
    for size in (10, 300):
        path = write_json(tmp_path, {"contents": _services(size)})
        with CaptureQueriesContext(connection) as queries:
            importer.import_path(path)
        counts.append(len(queries.captured_queries))

    assert Service.objects.count() == 310
    assert counts[1] <= counts[0] + 6  # a few more batches of 500 rows, no more


def test_ids_in_capitals_are_the_same_ids(tmp_path: Path) -> None:
    import_examples()
    record = copy.deepcopy(example("service_full.json"))
    record["id"] = record["id"].upper()

    summary = importer.import_path(write_json(tmp_path, record))

    assert summary.created == 0
    assert Language.objects.count() == 1


def test_what_the_schema_does_not_describe_is_not_read(tmp_path: Path) -> None:
    record = example("service_full.json")
    # A service's organization has no "services" in the compiled schema, so
    # nothing there was validated: it must not be imported either.
    record["organization"]["services"] = [{"id": "not-a-uuid", "name": 5}]

    importer.import_path(write_json(tmp_path, record))

    assert list(Service.objects.values_list("id", flat=True)) == [uuid.UUID(SERVICE_ID)]
