"""The HSDS read API under /api/hsds/: pages, filters, errors, the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from jsonschema import Draft202012Validator, FormatChecker
from pytest_django import DjangoAssertNumQueries
from schemathesis.specs.openapi.definitions import OPENAPI_31

from peerlight.directory import api_schema
from peerlight.directory.models import Service, ServiceArea, Taxonomy, TaxonomyTerm
from tests.directory.factories import make_organization, make_service, make_term

MISSING = "00000000-0000-4000-8000-000000000000"
PROXIMITY_ORIGIN = "97477"  # Springfield, Oregon: 44.0611, -123.0153


@pytest.fixture
def directory(db: None) -> SimpleNamespace:
    """Two active services far apart, one closed, two taxonomies and a term tree."""
    health = make_term("Mental health")
    peer = make_term("Peer support", parent=health)
    other = Taxonomy.objects.create(name="Needs", description="What people need.")
    food = TaxonomyTerm.objects.create(
        name="Food", description="Something to eat.", taxonomy="Needs", taxonomy_detail=other
    )
    harbor = make_organization(
        "Harbor Peer Network",
        email="hello@harbor.example.org",
        website="https://harbor.example.org",
    )
    pantry_org = make_organization("Riverside Pantry Collective")
    warmline = make_service(
        "Harbor Warmline",
        organization=harbor,
        terms=[peer],
        lat=44.05,
        lon=-123.02,
        last_modified="2026-01-10T12:00:00Z",
        url="https://harbor.example.org/warmline",
        email="warmline@harbor.example.org",
    )
    pantry = make_service(
        "Riverside Food Pantry",
        organization=pantry_org,
        description="Groceries every week, no questions asked.",
        terms=[food],
        lat=45.52,
        lon=-122.68,
        last_modified="2025-06-01T00:00:00Z",
    )
    # Serves one county far from the origin: coverage leaves it out there.
    ServiceArea.objects.create(service=pantry, name="Multnomah County", extent_type="text")
    closed = make_service("Old Drop-in Centre", organization=harbor, status="defunct")
    return SimpleNamespace(
        health=health,
        peer=peer,
        food=food,
        needs=other,
        tests_taxonomy=health.taxonomy_detail,
        harbor=harbor,
        warmline=warmline,
        pantry=pantry,
        closed=closed,
    )


def get(client: Client, name: str, query: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    response = client.get(reverse(name, kwargs=kwargs or None), query or {})
    assert response["Content-Type"].startswith("application/"), response["Content-Type"]
    return response


def names(body: dict[str, Any]) -> list[str]:
    return [item["name"] for item in body["contents"]]


@pytest.fixture(scope="module")
def served_schema() -> dict[str, Any]:
    return api_schema.document("http://testserver/api/hsds")


@pytest.fixture(scope="module")
def conforms(served_schema: dict[str, Any]) -> Callable[[str, Any], None]:
    """Assert that ``instance`` validates against ``components/schemas/<name>``."""
    validators: dict[str, Draft202012Validator] = {}

    def check(name: str, instance: Any) -> None:
        if name not in validators:
            root = {"$ref": f"#/components/schemas/{name}", **served_schema}
            validators[name] = Draft202012Validator(root, format_checker=FormatChecker())
        errors = [
            f"{list(e.absolute_path)}: {e.message}" for e in validators[name].iter_errors(instance)
        ]
        assert not errors, errors

    return check


# --- / and the OpenAPI document -------------------------------------------------------


def test_it_describes_itself(client: Client, db: None) -> None:
    response = get(client, "hsds_root")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "3.0"
    assert body["profile"].startswith("https://")
    assert body["openapi_url"] == "http://testserver/api/hsds/openapi.json"


def test_it_serves_a_valid_openapi_31_document(client: Client, db: None) -> None:
    response = get(client, "hsds_openapi")
    assert response.status_code == 200
    document = response.json()
    Draft202012Validator(OPENAPI_31, format_checker=FormatChecker()).validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "http://testserver/api/hsds"}]
    assert tuple(document["paths"]) == api_schema.IMPLEMENTED_PATHS
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    # Self-contained: nothing to fetch from elsewhere.
    assert '"$ref": "http' not in json.dumps(document)
    for path, item in document["paths"].items():
        assert set(item["get"]["responses"]) == {"200", "400", "404"}, path


def test_its_response_schemas_are_the_official_ones(served_schema: dict[str, Any]) -> None:
    official = json.loads((api_schema.DATA / "compiled" / "service.json").read_text())
    assert served_schema["components"]["schemas"]["compiled_service"] == official
    services = served_schema["paths"]["/services"]["get"]["responses"]["200"]["content"]
    schema = services["application/json"]["schema"]
    assert schema["allOf"] == [{"$ref": "#/components/schemas/Page"}]
    assert schema["properties"]["contents"]["items"] == {
        "$ref": "#/components/schemas/compiled_service_list"
    }


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("hsds_root", {}),
        ("hsds_openapi", {}),
        ("hsds_services", {}),
        ("hsds_service", {"service_id": MISSING}),
        ("hsds_organizations", {}),
        ("hsds_organization", {"organization_id": MISSING}),
        ("hsds_service_at_locations", {}),
        ("hsds_service_at_location", {"at_location_id": MISSING}),
        ("hsds_taxonomies", {}),
        ("hsds_taxonomy", {"taxonomy_id": MISSING}),
        ("hsds_taxonomy_terms", {}),
        ("hsds_taxonomy_term", {"term_id": MISSING}),
        ("hsds_not_found", {"rest": "nowhere"}),
    ],
)
def test_it_answers_only_get(client: Client, db: None, name: str, kwargs: dict[str, str]) -> None:
    url = reverse(name, kwargs=kwargs or None)
    for method in (client.post, client.put, client.delete, client.patch):
        response = method(url)
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
        assert response.json()["error"]
    assert client.head(url).status_code in (200, 404)


def test_it_answers_404_in_json_for_any_other_address(client: Client, db: None) -> None:
    for path in ("/api/hsds/nowhere", "/api/hsds/services/", "/api/hsds/locations"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": "There is nothing at this address."}


# --- /services -------------------------------------------------------------------------


def test_services_lists_active_services_in_a_page(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    body = get(client, "hsds_services").json()
    conforms("Page", body)
    assert names(body) == ["Harbor Warmline", "Riverside Food Pantry"]
    assert {k: v for k, v in body.items() if k != "contents"} == {
        "total_items": 2,
        "total_pages": 1,
        "page_number": 1,
        "size": 2,
        "first_page": True,
        "last_page": True,
        "empty": False,
    }
    warmline = body["contents"][0]
    conforms("compiled_service_list", warmline)
    assert warmline["id"] == str(directory.warmline.id)
    assert warmline["organization"]["name"] == "Harbor Peer Network"
    assert "phones" not in warmline  # the list form has one-to-one fields only


def test_services_pages(client: Client, directory: SimpleNamespace) -> None:
    body = get(client, "hsds_services", {"per_page": "1", "page": "2"}).json()
    assert names(body) == ["Riverside Food Pantry"]
    assert (body["total_items"], body["total_pages"], body["page_number"], body["size"]) == (
        2,
        2,
        2,
        1,
    )
    assert (body["first_page"], body["last_page"], body["empty"]) == (False, True, False)
    beyond = get(client, "hsds_services", {"per_page": "1", "page": "9"}).json()
    assert beyond["contents"] == []
    assert (beyond["size"], beyond["total_items"]) == (0, 2)


def test_services_full_nests_everything(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    body = get(client, "hsds_services", {"full": "true"}).json()
    warmline = body["contents"][0]
    conforms("compiled_service", warmline)
    assert warmline["phones"][0]["number"] == "555-0100"
    assert warmline["service_at_locations"][0]["location"]["latitude"] == 44.05


def test_services_minimal_gives_ids_and_dates(client: Client, directory: SimpleNamespace) -> None:
    body = get(client, "hsds_services", {"minimal": "true"}).json()
    assert body["contents"] == [
        {
            "id": str(directory.warmline.id),
            "name": "Harbor Warmline",
            "status": "active",
            "last_modified": "2026-01-10T12:00:00Z",
        },
        {
            "id": str(directory.pantry.id),
            "name": "Riverside Food Pantry",
            "status": "active",
            "last_modified": "2025-06-01T00:00:00Z",
        },
    ]
    assert get(client, "hsds_services", {"minimal": "true", "per_page": "1000"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"taxonomy_term_id": "health"}, ["Harbor Warmline"]),  # a term below counts
        ({"taxonomy_term_id": "food"}, ["Riverside Food Pantry"]),
        ({"taxonomy_id": "needs"}, ["Riverside Food Pantry"]),
        ({"organization_id": "harbor"}, ["Harbor Warmline"]),
        ({"modified_after": "2026-01-01"}, ["Harbor Warmline"]),
        ({"modified_after": "2026-01-10T13:00:00+01:00"}, ["Harbor Warmline"]),
        ({"modified_after": "2026-01-10T12:00:01Z"}, []),
        ({"organization_id": "harbor", "taxonomy_term_id": "food"}, []),  # cumulative
    ],
)
def test_services_filters(
    client: Client, directory: SimpleNamespace, query: dict[str, str], expected: list[str]
) -> None:
    query = {
        k: str(getattr(directory, v).id) if k.endswith("_id") else v for k, v in query.items()
    }
    body = get(client, "hsds_services", query).json()
    assert names(body) == expected
    assert body["empty"] is (not expected)


def test_services_search_finds_words(client: Client, directory: SimpleNamespace) -> None:
    assert names(get(client, "hsds_services", {"search": "groceries"}).json()) == [
        "Riverside Food Pantry"
    ]
    # Words with a filter the search engine does not know.
    query = {"search": "groceries", "organization_id": str(directory.harbor.id)}
    assert names(get(client, "hsds_services", query).json()) == []


def test_services_near_a_postcode(client: Client, directory: SimpleNamespace) -> None:
    near = {"postcode": PROXIMITY_ORIGIN, "proximity": "5000"}
    assert names(get(client, "hsds_services", near).json()) == ["Harbor Warmline"]
    wide = {"postcode": PROXIMITY_ORIGIN, "proximity": "500000"}
    # The pantry's service area is another county: not covered at this postcode.
    assert names(get(client, "hsds_services", wide).json()) == ["Harbor Warmline"]
    directory.pantry.service_areas.update(name="Lane County")
    assert names(get(client, "hsds_services", wide).json()) == [
        "Harbor Warmline",
        "Riverside Food Pantry",
    ]


BAD_LIST_QUERIES = [
    {"page": "0"},
    {"page": "abc"},
    {"page": "-1"},
    {"page": "99999999999"},
    {"per_page": "abc"},
    {"per_page": "101"},
    {"per_page": "0"},
    {"format": "xml"},
    {"search": "x" * 201},
    {"search": "nul\x00"},
]
BAD_SERVICE_QUERIES = [
    *BAD_LIST_QUERIES,
    {"full": "yes please"},
    {"taxonomy_term_id": "not-a-uuid"},
    {"taxonomy_id": "42"},
    {"organization_id": "harbor"},
    {"modified_after": "yesterday"},
    {"modified_after": "2026-13-01"},
    {"proximity": "5000"},  # no postcode to measure from
    {"postcode": PROXIMITY_ORIGIN, "proximity": "5km"},
    {"postcode": PROXIMITY_ORIGIN, "proximity": "0"},
    {"postcode": PROXIMITY_ORIGIN, "proximity": "500001"},
    {"postcode": "00000", "proximity": "5000"},  # a ZIP whose centre is unknown
    {"postcode": "<script>"},
    {"postcode": "1"},
]


@pytest.mark.parametrize("query", BAD_SERVICE_QUERIES)
@pytest.mark.parametrize("name", ["hsds_services", "hsds_service_at_locations"])
def test_service_lists_refuse_bad_parameters(
    client: Client, directory: SimpleNamespace, name: str, query: dict[str, str]
) -> None:
    response = get(client, name, query)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    "query", [{"minimal": "perhaps"}, {"minimal": "true", "per_page": "1001"}]
)
def test_services_refuse_a_bad_minimal(
    client: Client, directory: SimpleNamespace, query: dict[str, str]
) -> None:
    assert get(client, "hsds_services", query).status_code == 400


@pytest.mark.parametrize("name", ["hsds_services", "hsds_service_at_locations"])
@pytest.mark.parametrize("parameter", ["organization_id", "taxonomy_id", "taxonomy_term_id"])
def test_service_lists_answer_404_for_a_missing_record_in_a_filter(
    client: Client, directory: SimpleNamespace, name: str, parameter: str
) -> None:
    response = get(client, name, {parameter: MISSING})
    assert response.status_code == 404
    assert response.json()["error"]


def test_service_detail_is_fully_nested(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    body = get(client, "hsds_service", service_id=directory.warmline.id).json()
    conforms("compiled_service", body)
    assert body["name"] == "Harbor Warmline"
    assert body["organization"]["id"] == str(directory.harbor.id)
    assert body["phones"][0]["number"] == "555-0100"
    closed = get(client, "hsds_service", service_id=directory.closed.id).json()
    assert closed["status"] == "defunct"


def test_service_detail_refuses_a_bad_id_and_a_missing_one(
    client: Client, directory: SimpleNamespace
) -> None:
    assert get(client, "hsds_service", service_id="not-a-uuid").status_code == 400
    assert get(client, "hsds_service", service_id="a/b").status_code == 400
    missing = get(client, "hsds_service", service_id=MISSING)
    assert missing.status_code == 404
    assert missing.json() == {"error": "There is no service with this id."}


def test_a_page_of_full_services_costs_a_fixed_number_of_queries(
    client: Client, db: None, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    organization = make_organization()
    for n in range(50):
        make_service(f"Service {n:02}", organization=organization, lat=44.0, lon=-123.0)
    full = {"full": "true", "per_page": "50"}
    with CaptureQueriesContext(connection) as few:
        assert get(client, "hsds_services", {**full, "per_page": "5"}).json()["size"] == 5
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = get(client, "hsds_services", full).json()
    assert body["size"] == 50
    assert all(item["service_at_locations"] for item in body["contents"])
    assert len(few.captured_queries) <= 40


def test_services_stream_as_ndjson(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    response = client.get(reverse("hsds_services"), {"format": "ndjson", "per_page": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = cast(StreamingHttpResponse, response).getvalue().decode().splitlines()
    items = [json.loads(line) for line in lines]
    assert sorted(item["name"] for item in items) == ["Harbor Warmline", "Riverside Food Pantry"]
    for item in items:
        conforms("compiled_service_list", item)


def test_services_stream_as_ndjson_under_asgi(directory: SimpleNamespace) -> None:
    """Served by ASGI, the lines come from an asynchronous iterator, a chunk at a time."""

    async def fetch() -> bytes:
        response = await AsyncClient().get(reverse("hsds_services"), {"format": "ndjson"})
        assert response["Content-Type"] == "application/x-ndjson"
        streaming = cast(StreamingHttpResponse, response)
        assert streaming.is_async
        return b"".join([chunk async for chunk in cast(Any, streaming.streaming_content)])

    lines = async_to_sync(fetch)().decode().splitlines()
    assert sorted(json.loads(line)["name"] for line in lines) == [
        "Harbor Warmline",
        "Riverside Food Pantry",
    ]


# --- /service_at_locations ------------------------------------------------------------


def test_service_at_locations_lists_each_place(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    body = get(client, "hsds_service_at_locations").json()
    conforms("Page", body)
    assert body["total_items"] == 2
    first = body["contents"][0]
    conforms("compiled_service_at_location_list", first)
    assert first["service_id"] == str(directory.warmline.id)
    assert first["location"]["latitude"] == 44.05


def test_service_at_locations_near_a_postcode(client: Client, directory: SimpleNamespace) -> None:
    def services(query: dict[str, str]) -> list[str]:
        body = get(client, "hsds_service_at_locations", query).json()
        return [item["service_id"] for item in body["contents"]]

    warmline, pantry = str(directory.warmline.id), str(directory.pantry.id)
    assert services({"postcode": PROXIMITY_ORIGIN, "proximity": "5000"}) == [warmline]
    # Postcode alone: coverage only. The pantry serves Multnomah County.
    assert services({"postcode": PROXIMITY_ORIGIN}) == [warmline]
    assert services({"postcode": "97204"}) == [warmline, pantry]  # Portland, Multnomah County
    directory.pantry.service_areas.all().delete()
    # Nearest first.
    wide = {"postcode": PROXIMITY_ORIGIN, "proximity": "500000"}
    assert services(wide) == [warmline, pantry]
    assert services({"postcode": "97204", "proximity": "500000"}) == [pantry, warmline]


def test_service_at_locations_filters_by_service(
    client: Client, directory: SimpleNamespace
) -> None:
    query = {"organization_id": str(directory.harbor.id), "search": "warmline"}
    body = get(client, "hsds_service_at_locations", query).json()
    assert [item["service_id"] for item in body["contents"]] == [str(directory.warmline.id)]


def test_service_at_location_detail(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    at = directory.pantry.service_at_locations.get()
    body = get(client, "hsds_service_at_location", at_location_id=at.id).json()
    conforms("compiled_service_at_location", body)
    assert body["service"]["name"] == "Riverside Food Pantry"
    assert get(client, "hsds_service_at_location", at_location_id="x").status_code == 400
    assert get(client, "hsds_service_at_location", at_location_id=MISSING).status_code == 404


# --- /organizations -------------------------------------------------------------------


def test_organizations_lists_and_searches(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    body = get(client, "hsds_organizations").json()
    assert names(body) == ["Harbor Peer Network", "Riverside Pantry Collective"]
    for item in body["contents"]:
        conforms("compiled_organization_list", item)
    assert names(get(client, "hsds_organizations", {"search": "pantry RIVERSIDE"}).json()) == [
        "Riverside Pantry Collective"
    ]
    full = get(client, "hsds_organizations", {"full": "true", "full_service": "true"}).json()
    harbor = full["contents"][0]
    conforms("compiled_organization", harbor)
    assert {s["name"] for s in harbor["services"]} >= {"Harbor Warmline"}


@pytest.mark.parametrize("query", [*BAD_LIST_QUERIES, {"full": "maybe"}, {"full_service": "2"}])
def test_organizations_refuse_bad_parameters(
    client: Client, directory: SimpleNamespace, query: dict[str, str]
) -> None:
    response = get(client, "hsds_organizations", query)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


def test_organization_detail(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    body = get(client, "hsds_organization", organization_id=directory.harbor.id).json()
    conforms("compiled_organization", body)
    assert body["name"] == "Harbor Peer Network"
    assert get(client, "hsds_organization", organization_id="1").status_code == 400
    assert get(client, "hsds_organization", organization_id=MISSING).status_code == 404


# --- /taxonomies and /taxonomy_terms ----------------------------------------------------


def test_taxonomies_list_and_detail(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    body = get(client, "hsds_taxonomies").json()
    assert names(body) == ["Needs", "Test categories"]
    for item in body["contents"]:
        conforms("taxonomy", item)
    assert names(get(client, "hsds_taxonomies", {"search": "need"}).json()) == ["Needs"]
    one = get(client, "hsds_taxonomy", taxonomy_id=directory.needs.id).json()
    assert (one["id"], one["name"]) == (str(directory.needs.id), "Needs")
    assert get(client, "hsds_taxonomy", taxonomy_id="nope").status_code == 400
    assert get(client, "hsds_taxonomy", taxonomy_id=MISSING).status_code == 404


@pytest.mark.parametrize("query", BAD_LIST_QUERIES)
def test_taxonomies_refuse_bad_parameters(
    client: Client, directory: SimpleNamespace, query: dict[str, str]
) -> None:
    assert get(client, "hsds_taxonomies", query).status_code == 400


def test_taxonomy_terms_list_filter_and_detail(
    client: Client, directory: SimpleNamespace, conforms: Callable[[str, Any], None]
) -> None:
    body = get(client, "hsds_taxonomy_terms").json()
    assert names(body) == ["Food", "Mental health", "Peer support"]
    for item in body["contents"]:
        conforms("taxonomy_term", item)

    def term_names(**query: str) -> list[str]:
        return names(get(client, "hsds_taxonomy_terms", query).json())

    assert term_names(top_only="true") == ["Food", "Mental health"]
    assert term_names(parent_id=str(directory.health.id)) == ["Peer support"]
    assert term_names(taxonomy_id=str(directory.needs.id)) == ["Food"]
    assert term_names(search="peer") == ["Peer support"]
    one = get(client, "hsds_taxonomy_term", term_id=directory.peer.id).json()
    conforms("taxonomy_term", one)
    assert one["parent_id"] == str(directory.health.id)
    assert get(client, "hsds_taxonomy_term", term_id="12").status_code == 400
    assert get(client, "hsds_taxonomy_term", term_id=MISSING).status_code == 404


@pytest.mark.parametrize(
    "query",
    [*BAD_LIST_QUERIES, {"top_only": "top"}, {"parent_id": "x"}, {"taxonomy_id": "y"}],
)
def test_taxonomy_terms_refuse_bad_parameters(
    client: Client, directory: SimpleNamespace, query: dict[str, str]
) -> None:
    assert get(client, "hsds_taxonomy_terms", query).status_code == 400


@pytest.mark.parametrize("parameter", ["parent_id", "taxonomy_id"])
def test_taxonomy_terms_answer_404_for_a_missing_record_in_a_filter(
    client: Client, directory: SimpleNamespace, parameter: str
) -> None:
    assert get(client, "hsds_taxonomy_terms", {parameter: MISSING}).status_code == 404


def test_nothing_here_changes_the_directory(client: Client, directory: SimpleNamespace) -> None:
    before = list(Service.objects.order_by("pk").values())
    client.post(reverse("hsds_services"), {"name": "Injected"})
    client.get(reverse("hsds_services"), {"page": "0", "name": "Injected"})
    assert list(Service.objects.order_by("pk").values()) == before
