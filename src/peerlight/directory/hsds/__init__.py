"""HSDS 3.0 in and out of the directory's tables.

- ``serialise``: a record → the HSDS dict of the compiled schemas (the API and
  the export use it).
- ``validate``: a dict → the errors against the official schemas.
- ``importer``: a JSON file (one record, a list, or the paged list form) or a
  tabular data package → validated, then written in one transaction.
- ``exporter`` / ``tabular``: the paged list form of full services, and the
  tabular CSV data package of every table.

This module holds what they share: the tables (``tables()``), read from the
vendored ``datapackage.json`` so the column names and their order are the
specification's own, and the conversion of one value between the database and
JSON.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import models

from peerlight.directory import models as directory

__all__ = [
    "DATA_DIR",
    "IMPORT_ORDER",
    "TIME_ZONE_TAXONOMY_ID",
    "TIME_ZONE_TERM_ID",
    "Column",
    "Table",
    "json_value",
    "table_for",
    "tables",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "hsds"

# The schedule's IANA zone travels as an attribute of the schedule whose term
# is this fixed Peerlight term (HSDS 3.0 keeps only a numeric UTC offset).
# Fixed ids, so every installation writes and recognises the same ones.
_PEERLIGHT = uuid.uuid5(uuid.NAMESPACE_URL, "https://peerlight.org/hsds")
TIME_ZONE_TAXONOMY_ID = uuid.uuid5(_PEERLIGHT, "taxonomy/iana-time-zone")
TIME_ZONE_TERM_ID = uuid.uuid5(_PEERLIGHT, "taxonomy_term/iana-time-zone")

_MODELS: dict[str, type[directory.HsdsRecord]] = {
    "organization": directory.Organization,
    "program": directory.Program,
    "service": directory.Service,
    "attribute": directory.Attribute,
    "service_at_location": directory.ServiceAtLocation,
    "location": directory.Location,
    "phone": directory.Phone,
    "contact": directory.Contact,
    "address": directory.Address,
    "schedule": directory.Schedule,
    "funding": directory.Funding,
    "service_area": directory.ServiceArea,
    "required_document": directory.RequiredDocument,
    "language": directory.Language,
    "accessibility": directory.Accessibility,
    "taxonomy_term": directory.TaxonomyTerm,
    "metadata": directory.Metadata,
    "cost_option": directory.CostOption,
    "organization_identifier": directory.OrganizationIdentifier,
    "taxonomy": directory.Taxonomy,
}

# Parents before children, so a reader of the import can follow it; the
# foreign keys are deferred to the commit, so the order is not needed for them.
IMPORT_ORDER: tuple[str, ...] = (
    "taxonomy",
    "taxonomy_term",
    "organization",
    "program",
    "service",
    "location",
    "service_at_location",
    "contact",
    "phone",
    "language",
    "address",
    "accessibility",
    "schedule",
    "funding",
    "service_area",
    "cost_option",
    "required_document",
    "organization_identifier",
    "attribute",
    "metadata",
)

# HSDS column → model attribute, where the model names it differently.
_RENAMED = {("taxonomy_term", "taxonomy_id"): "taxonomy_detail_id"}


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # as HSDS names it ("organization_id")
    attname: str  # on the model ("organization_id", "taxonomy_detail_id")
    kind: str  # "uuid", "number" or "text"
    # The table a foreign key points at ("organization"), else "".
    references: str
    required: bool  # by the tabular form (datapackage "required": true)


@dataclass(frozen=True, slots=True)
class Table:
    name: str  # the schema's name: "service_at_location"; also link_entity / resource_type
    path: str  # "service_at_location.csv"
    model: type[directory.HsdsRecord]
    columns: tuple[Column, ...]

    @property
    def references(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.references)

    def query(self) -> models.QuerySet[directory.HsdsRecord]:
        """Every row of the table (the abstract base class has no manager to name)."""
        return self.model._default_manager.all()

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _datapackage() -> dict[str, Any]:
    with (DATA_DIR / "datapackage.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@cache
def tables() -> dict[str, Table]:
    """Every HSDS table Peerlight keeps, by schema name, in the datapackage's order."""
    result: dict[str, Table] = {}
    model_table = {model: name for name, model in _MODELS.items()}
    for resource in _datapackage()["resources"]:
        name = resource["name"]
        model = _MODELS.get(name)
        if model is None:  # meta_table_description: nothing in Peerlight keeps it
            continue
        by_attname = {field.attname: field for field in model._meta.concrete_fields}
        columns = []
        for field in resource["schema"]["fields"]:
            attname = _RENAMED.get((name, field["name"]), field["name"])
            model_field = by_attname[attname]
            references = ""
            if isinstance(model_field, models.ForeignKey):
                references = model_table[model_field.related_model]  # type: ignore[index]
                kind = "uuid"
            elif isinstance(model_field, models.UUIDField):
                kind = "uuid"
            elif isinstance(model_field, models.FloatField):
                kind = "number"
            else:
                kind = "text"
            columns.append(
                Column(
                    name=field["name"],
                    attname=attname,
                    kind=kind,
                    references=references,
                    required=bool(field.get("constraints", {}).get("required")),
                )
            )
        result[name] = Table(name=name, path=resource["path"], model=model, columns=tuple(columns))
    return result


def table_for(model: type[models.Model]) -> Table:
    for table in tables().values():
        if table.model is model:
            return table
    raise KeyError(model)


def json_value(value: object) -> object:
    """A database value as HSDS JSON: UUIDs as text, whole numbers as integers."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value
