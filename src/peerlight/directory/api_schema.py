"""The OpenAPI document served at ``/api/hsds/openapi.json``.

It is built from the official HSDS 3.0 OpenAPI file vendored in
``data/hsds/openapi.json``, keeping only the operations Peerlight serves.
Every response schema is kept as HSDS wrote it; only its ``$ref``s change:
the official file points at the schemas on GitHub, and the served document
carries them under ``components/schemas`` instead (read from the vendored
copies), so a client or a test needs nothing from the internet.

What Peerlight adds, each a documented deviation a client can rely on:

- ``servers`` names this site's ``/api/hsds``; ``info`` describes this API.
- Every operation documents its ``400`` (a parameter that cannot be read)
  and ``404`` (no such record) answers: ``{"error": "..."}``.
- ``/services`` also takes ``postcode`` and ``proximity``, read as they are
  for ``/service_at_locations``.
- The list operations document ``application/x-ndjson`` beside JSON, for
  ``format=ndjson``.
- ``/service_at_locations/{id}`` answers with a service at a location, so its
  schema is the compiled ``service_at_location`` one; the official file names
  the service schema there, which contradicts its own description.
"""

from __future__ import annotations

import copy
import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

__all__ = ["IMPLEMENTED_PATHS", "document", "document_json"]

DATA = Path(__file__).resolve().parent / "data" / "hsds"
UPSTREAM = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

# The official paths Peerlight serves (all of them are GET operations).
IMPLEMENTED_PATHS = (
    "/",
    "/services",
    "/services/{id}",
    "/organizations",
    "/organizations/{id}",
    "/service_at_locations",
    "/service_at_locations/{id}",
    "/taxonomies",
    "/taxonomies/{id}",
    "/taxonomy_terms",
    "/taxonomy_terms/{id}",
)
_LISTS = ("/services", "/organizations", "/service_at_locations", "/taxonomies", "/taxonomy_terms")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "What was wrong, in words."}},
}
_ERROR_RESPONSES = {
    "400": "A parameter could not be read (the error says which).",
    "404": "There is no such record.",
}


def document(server_url: str) -> dict[str, Any]:
    """The served OpenAPI document, its ``servers`` naming ``server_url``."""
    # Shallow: only the top-level "servers" differs between requests.
    return {**_static_document(), "servers": [{"url": server_url}]}


@lru_cache(maxsize=8)
def document_json(server_url: str) -> bytes:
    """``document(server_url)`` encoded once: the compiled HSDS schemas make it
    a few megabytes (far less once gzipped), the same for every request."""
    return json.dumps(document(server_url), separators=(",", ":")).encode()


@cache
def _static_document() -> dict[str, Any]:
    official = json.loads((DATA / "openapi.json").read_text(encoding="utf-8"))
    schemas: dict[str, Any] = {
        "Page": official["components"]["schemas"]["Page"],
        "Error": ERROR_SCHEMA,
    }
    paths = {path: official["paths"][path] for path in IMPLEMENTED_PATHS}
    _fix_service_at_location_schema(paths["/service_at_locations/{id}"])
    _add_place_parameters(paths["/services"], official["paths"]["/service_at_locations"])
    for path, item in paths.items():
        operation = item["get"]
        operation["responses"].update(
            {
                status: {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
                for status, text in _ERROR_RESPONSES.items()
            }
        )
        if path in _LISTS:
            _add_ndjson(operation)
    paths = _localise_refs(paths, schemas, base=UPSTREAM)
    return {
        "openapi": official["openapi"],
        "info": {
            "title": "Peerlight HSDS API",
            "version": "1.0.0",
            "summary": "The resource directory as Human Services Data Specification 3.0.",
            "description": (
                "Read-only access to this site's resource directory in the Human Services "
                "Data Specification (HSDS) 3.0 format. Human Services Data Specification: "
                "an Open Referral resource (https://openreferral.org/), CC BY-SA 4.0."
            ),
        },
        "jsonSchemaDialect": official["jsonSchemaDialect"],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": copy.deepcopy(official["components"]["parameters"]),
        },
    }


def _fix_service_at_location_schema(item: dict[str, Any]) -> None:
    content = item["get"]["responses"]["200"]["content"]["application/json"]
    content["schema"] = {"$ref": UPSTREAM + "compiled/service_at_location.json"}


def _add_place_parameters(services: dict[str, Any], service_at_locations: dict[str, Any]) -> None:
    place = [
        parameter
        for parameter in service_at_locations["get"]["parameters"]
        if parameter.get("$ref", "").rsplit("/", 1)[-1] in ("postcode", "proximity")
    ]
    services["get"]["parameters"].extend(copy.deepcopy(place))


def _add_ndjson(operation: dict[str, Any]) -> None:
    content = operation["responses"]["200"]["content"]
    items = content["application/json"]["schema"]["properties"]["contents"]["items"]
    content["application/x-ndjson"] = {
        "schema": {
            "description": (
                "With format=ndjson: every result, one JSON object per line, without pages."
            )
        },
        "x-item-schema": copy.deepcopy(items),
    }


def _localise_refs(node: Any, schemas: dict[str, Any], *, base: str) -> Any:
    """``node`` with every ``$ref`` to an HSDS schema file turned into a local one.

    The schema files are loaded into ``schemas`` as they are met (their own
    relative ``$ref``s, such as ``metadata.json``, resolved the same way).
    """
    if isinstance(node, list):
        return [_localise_refs(item, schemas, base=base) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
            result[key] = _load_schema(value if "://" in value else base + value, schemas)
        else:
            result[key] = _localise_refs(value, schemas, base=base)
    return result


def _load_schema(url: str, schemas: dict[str, Any]) -> str:
    if not url.startswith(UPSTREAM) or not url.endswith(".json"):
        raise ValueError(f"Not an HSDS 3.0 schema: {url}")
    relative = url.removeprefix(UPSTREAM)
    # Upstream keeps the compiled schemas in schema/compiled/, the vendored copy in compiled/.
    file = (
        DATA / ("compiled" if relative.startswith("compiled/") else "schema") / Path(relative).name
    )
    name = relative.removesuffix(".json").replace("/", "_")
    if name not in schemas:
        schemas[name] = {}  # reserved first, so a schema that refers back ends
        raw = json.loads(file.read_text(encoding="utf-8"))
        folder = url.rsplit("/", 1)[0] + "/"
        schemas[name] = _localise_refs(raw, schemas, base=folder)
    return f"#/components/schemas/{name}"
