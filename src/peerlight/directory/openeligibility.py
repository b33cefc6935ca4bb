"""Open Eligibility, the taxonomy of human services, as an HSDS taxonomy.

``load()`` puts the vendored services tree (``data/openeligibility``, 289
terms) into the directory as one taxonomy, "Open Eligibility", and its terms
with their codes, names and parents. Ids are UUID 5 of the taxonomy's address
and of each code, so every installation gives a term the same id and loading
again changes nothing. It goes through the HSDS importer, so the terms are
validated, written in one transaction and audited like any import.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from peerlight.directory.hsds import importer
from peerlight.directory.models import TaxonomyTerm

__all__ = ["NAME", "TAXONOMY_ID", "URL", "VERSION", "load", "term_by_code", "term_id"]

DATA_FILE = Path(__file__).resolve().parent / "data" / "openeligibility" / "taxonomy.json"
NAME = "Open Eligibility"
URL = "https://github.com/openreferral/openeligibility"
# The upstream commit the vendored file comes from (data/openeligibility/SOURCE.md).
VERSION = "2019-05-01 (a5417863b8b2aa55d833939c19e80f13c5f02008)"
TAXONOMY_ID = uuid.uuid5(uuid.NAMESPACE_URL, URL)


def term_id(code: str) -> uuid.UUID:
    return uuid.uuid5(TAXONOMY_ID, code)


def term_by_code(code: str) -> TaxonomyTerm | None:
    """The loaded Open Eligibility term with this code ("1310"), or None."""
    return TaxonomyTerm.objects.filter(id=term_id(code)).first()


def records() -> list[dict[str, Any]]:
    """The taxonomy and its terms as HSDS records, parents before children."""
    with DATA_FILE.open(encoding="utf-8") as handle:
        rows = json.load(handle)
    result: list[dict[str, Any]] = [
        {
            "id": str(TAXONOMY_ID),
            "name": NAME,
            "description": (
                "A shared way to name human services, by Open Referral "
                "(a derivative of Aunt Bertha's Human Services Taxonomy, CC BY-SA 3.0)."
            ),
            "uri": URL,
            "version": VERSION,
        }
    ]
    for row in rows:
        code = str(row["id"])
        term: dict[str, Any] = {
            "id": str(term_id(code)),
            "code": code,
            "name": str(row["name"]),
            "description": "",
            "taxonomy": NAME,
            "taxonomy_id": str(TAXONOMY_ID),
            "language": "en",
        }
        parent = str(row.get("parent_id") or "0")
        if parent != "0":
            term["parent_id"] = str(term_id(parent))
        result.append(term)
    return result


def load() -> importer.Summary:
    """Create or bring up to date the taxonomy and its terms; returns the counts."""
    items = records()
    source = importer.Source(
        documents=[("taxonomy", items[0], items[0]["id"])]
        + [("taxonomy_term", item, item["id"]) for item in items[1:]]
    )
    return importer.import_source(source)
