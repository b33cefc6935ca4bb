"""Schemathesis against the live API: every answer must match the served OpenAPI document.

The document is loaded from the app itself (``/api/hsds/openapi.json``,
through Django's WSGI handler), a small directory is seeded, and each
operation gets a fixed, small number of generated requests (valid and
invalid ones), each checked for server errors, documented status codes,
documented content types and the response schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from peerlight.directory import api_schema
from peerlight.directory.models import Service, ServiceArea, Taxonomy, TaxonomyTerm
from tests.directory.factories import make_organization, make_service, make_term

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 10
# The WSGI test transport hands over the body as sent: no gzip, please.
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture
def wsgi_requests_share_the_test_transaction() -> Iterator[None]:
    """As Django's test client does: a request must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded_directory(db: None) -> None:
    health = make_term("Mental health")
    peer = make_term("Peer support", parent=health)
    harbor = make_organization("Harbor Peer Network", website="https://harbor.example.org")
    make_service(
        "Harbor Warmline",
        organization=harbor,
        terms=[peer],
        lat=44.05,
        lon=-123.02,
        languages=("en", "es"),
        last_modified="2026-01-10T12:00:00Z",
        email="warmline@harbor.example.org",
    )
    pantry = make_service(
        "Riverside Food Pantry",
        description="Groceries every week.",
        terms=[health],
        lat=45.52,
        lon=-122.68,
    )
    ServiceArea.objects.create(service=pantry, name="Multnomah County", extent_type="text")
    make_service("Old Drop-in Centre", organization=harbor, status="defunct")


@pytest.fixture
def hsds_api(seeded_directory: None, wsgi_requests_share_the_test_transaction: None) -> Any:
    return schemathesis.openapi.from_wsgi("/api/hsds/openapi.json", get_wsgi_application())


# Invalid requests for every operation that has a parameter whose type can be
# broken (a path id is any text, so only its query parameters count).
NEGATED = {"/services", "/organizations", "/organizations/{id}", "/service_at_locations"}
NEGATED |= {"/taxonomies", "/taxonomy_terms"}
RUNS = [(path, GenerationMode.POSITIVE) for path in api_schema.IMPLEMENTED_PATHS] + [
    (path, GenerationMode.NEGATIVE) for path in api_schema.IMPLEMENTED_PATHS if path in NEGATED
]


@pytest.mark.parametrize(("path", "mode"), RUNS)
def test_every_answer_matches_the_openapi_document(
    hsds_api: Any, path: str, mode: GenerationMode
) -> None:
    operation = hsds_api[path]["GET"]

    # Driven by Hypothesis directly: a fixed number of examples per operation
    # and mode, the same ones on every run.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(checks=CHECKS, headers=PLAIN)

    answers_as_documented()


def _ids() -> dict[str, str]:
    warmline = Service.objects.get(name="Harbor Warmline")
    return {
        "service": str(warmline.pk),
        "organization": str(warmline.organization_id),
        "at_location": str(warmline.service_at_locations.get().pk),
        "term": str(TaxonomyTerm.objects.get(name="Mental health").pk),
        "taxonomy": str(Taxonomy.objects.get().pk),
    }


# Requests that reach real records (generated ids are almost never real ones).
REAL_REQUESTS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("/services", {}, {"full": "true"}),
    ("/services", {}, {"minimal": "true", "per_page": "1000"}),
    ("/services", {}, {"taxonomy_term_id": "term", "modified_after": "2026-01-01"}),
    ("/services", {}, {"postcode": "97477", "proximity": "5000", "full": "true"}),
    ("/services", {}, {"search": "groceries"}),
    ("/services", {}, {"format": "ndjson"}),
    ("/services/{id}", {"id": "service"}, {}),
    ("/organizations", {}, {"full": "true"}),
    ("/organizations", {}, {"full_service": "true"}),
    ("/organizations/{id}", {"id": "organization"}, {"full_service": "true"}),
    ("/organizations/{id}", {"id": "organization"}, {}),
    ("/service_at_locations", {}, {"full": "true"}),
    ("/service_at_locations", {}, {"postcode": "97477", "proximity": "5000"}),
    ("/service_at_locations", {}, {"postcode": "97204", "organization_id": "organization"}),
    ("/service_at_locations/{id}", {"id": "at_location"}, {}),
    ("/taxonomies", {}, {"search": "categories"}),
    ("/taxonomies/{id}", {"id": "taxonomy"}, {}),
    ("/taxonomy_terms", {}, {"top_only": "true", "taxonomy_id": "taxonomy"}),
    ("/taxonomy_terms/{id}", {"id": "term"}, {}),
]


@pytest.mark.parametrize(("path", "path_parameters", "query"), REAL_REQUESTS)
def test_answers_about_real_records_match_the_document(
    hsds_api: Any, path: str, path_parameters: dict[str, str], query: dict[str, str]
) -> None:
    ids = _ids()
    case = hsds_api[path]["GET"].Case(
        path_parameters={name: ids[kind] for name, kind in path_parameters.items()},
        query={name: ids.get(value, value) for name, value in query.items()},
    )
    response = case.call_and_validate(checks=CHECKS, headers=PLAIN)
    assert response.status_code == 200
    if query.get("format") == "ndjson":
        assert response.content.count(b"\n") == 2
    elif "{id}" in path:
        assert response.json()["id"] == ids[path_parameters["id"]]
    else:
        assert response.json()["contents"]
