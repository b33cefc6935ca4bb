"""Nested HSDS records and tabular rows → one row per record per table.

A record may appear more than once in a file (the examples give the same
phone under the service, its contact and its location): its occurrences are
merged into one row, each occurrence adding the links it states, and two
occurrences that give a field different values are a problem.

What a JSON record states:

- every field that is not a link to another record; an absent one is None;
- the links it names (``organization_id``) or that its place implies (a phone
  under ``service.phones`` belongs to that service; a nested ``organization``
  is the service's). A link left unstated is left as the directory has it;
- for every nested list that is present, the complete set of those children:
  the importer removes the children no longer there. A list that is absent
  leaves them alone. An organization's ``services`` and ``programs`` are
  added to, never removed from (they are records in their own right); its
  ``locations`` no longer listed lose the link, not their existence.

Nested attributes take ``link_id`` / ``link_entity`` from their parent and
nested metadata ``resource_id`` / ``resource_type``. An attribute whose term is
Peerlight's time zone term sets its schedule's ``time_zone`` and is not kept;
a schedule without one gets the configured zone when its UTC offset fits it
(or it has none), else ``Etc/GMT±N`` for a whole-hour offset, else "".

A tabular row states every column; a row of the tabular form never removes.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peerlight.directory.hsds import TIME_ZONE_TAXONOMY_ID, TIME_ZONE_TERM_ID, Column, tables
from peerlight.directory.hsds.validate import Problem, nested_schema, schema_of

__all__ = ["NESTED", "TO_ONE", "Flattened", "Row", "flatten", "zone_for_offset"]

# A list in a record → (child table, the child's column that links it to the record).
NESTED: dict[str, dict[str, tuple[str, str]]] = {
    "service": {
        "phones": ("phone", "service_id"),
        "schedules": ("schedule", "service_id"),
        "service_areas": ("service_area", "service_id"),
        "service_at_locations": ("service_at_location", "service_id"),
        "languages": ("language", "service_id"),
        "funding": ("funding", "service_id"),
        "cost_options": ("cost_option", "service_id"),
        "required_documents": ("required_document", "service_id"),
        "contacts": ("contact", "service_id"),
    },
    "organization": {
        "funding": ("funding", "organization_id"),
        "contacts": ("contact", "organization_id"),
        "phones": ("phone", "organization_id"),
        "locations": ("location", "organization_id"),
        "programs": ("program", "organization_id"),
        "organization_identifiers": ("organization_identifier", "organization_id"),
        "services": ("service", "organization_id"),
    },
    "service_at_location": {
        "contacts": ("contact", "service_at_location_id"),
        "phones": ("phone", "service_at_location_id"),
        "schedules": ("schedule", "service_at_location_id"),
    },
    "location": {
        "languages": ("language", "location_id"),
        "addresses": ("address", "location_id"),
        "contacts": ("contact", "location_id"),
        "accessibility": ("accessibility", "location_id"),
        "phones": ("phone", "location_id"),
        "schedules": ("schedule", "location_id"),
    },
    "contact": {"phones": ("phone", "contact_id")},
    "phone": {"languages": ("language", "phone_id")},
}

# A nested object → (its table, the record's column that links to it).
TO_ONE: dict[str, dict[str, tuple[str, str]]] = {
    "service": {
        "organization": ("organization", "organization_id"),
        "program": ("program", "program_id"),
    },
    "service_at_location": {
        "location": ("location", "location_id"),
        "service": ("service", "service_id"),
    },
    "taxonomy_term": {"taxonomy_detail": ("taxonomy", "taxonomy_id")},
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
}

# Lists whose children are never removed by an import (see the module's docstring).
KEPT = frozenset({("service", "organization_id"), ("program", "organization_id")})

# Rows never stored: Peerlight's own time zone term, written by every export.
_NOT_STORED = {
    "taxonomy": TIME_ZONE_TAXONOMY_ID,
    "taxonomy_term": TIME_ZONE_TERM_ID,
}

_MISSING = object()


@dataclass(slots=True)
class Row:
    table: str
    # HSDS column → value (UUID, float or str; None when absent). Links not
    # stated by the file are missing from the dict.
    values: dict[str, Any]
    label: str  # the top-level record it came from
    path: str  # where in that record: "$.service_at_locations[0].location"
    where: str = ""
    order: int = 0  # its place among the rows, in the order the file gives them


@dataclass(slots=True)
class Flattened:
    rows: dict[str, dict[uuid.UUID, Row]] = field(default_factory=lambda: defaultdict(dict))
    # (child table, link column) → parent id → the ids of every child listed.
    listed: dict[tuple[str, str], dict[uuid.UUID, set[uuid.UUID]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    time_zones: dict[uuid.UUID, str] = field(default_factory=dict)
    # program id → the services it is nested in (the importer gives a program
    # that names no organization the organization of its services).
    service_programs: dict[uuid.UUID, set[uuid.UUID]] = field(
        default_factory=lambda: defaultdict(set)
    )
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0  # rows of Peerlight's own time zone term and taxonomy

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def flatten(
    documents: list[tuple[str, Any, str]],
    rows: list[tuple[str, dict[str, Any], str, str]],
    *,
    default_zone: str,
    now: datetime,
) -> Flattened:
    """``documents``: (kind, JSON record, label); ``rows``: (table, tabular row, label, where).

    Both are already valid against their schemas.
    """
    flattener = _Flattener()
    for kind, record, label in documents:
        flattener.record(kind, record, schema_of(kind), label, "$", None)
    for table, row, label, where in rows:
        flattener.tabular_row(table, row, label, where)
    flattener.finish(default_zone, now)
    return flattener.result


class _Flattener:
    def __init__(self) -> None:
        self.result = Flattened()
        self._order = 0
        self._zone_sources: dict[uuid.UUID, tuple[str, str]] = {}

    def problem(self, label: str, path: str, message: str, where: str = "") -> None:
        self.result.problems.append(Problem(label, path, message, where))

    def record(
        self,
        table: str,
        record: dict[str, Any],
        schema: dict[str, Any],
        label: str,
        path: str,
        parent: tuple[str, str, uuid.UUID] | None,
    ) -> uuid.UUID:
        """Add one record and its nested ones; ``parent`` is (table, link column, id).

        Only the nested records that ``schema`` describes are read: the rest
        was not validated.
        """
        ident = uuid.UUID(record["id"])
        values: dict[str, Any] = {}
        for column in tables()[table].columns:
            if column.name in record:
                values[column.name] = _value(column, record[column.name])
            elif not column.references and column.kind != "uuid":
                values[column.name] = None
        self._check_text(values, label, path)
        if parent is not None:
            self._link_to_parent(table, values, parent, label, path)
        for key, (child_table, link) in TO_ONE.get(table, {}).items():
            nested = record.get(key)
            child_schema = nested_schema(schema, key)
            if isinstance(nested, dict) and child_schema is not None:
                if table == "attribute" and _is_time_zone_term(nested):
                    continue
                child = self.record(
                    child_table, nested, child_schema, label, f"{path}.{key}", None
                )
                stated = values.get(link)
                if stated is not None and stated != child:
                    self.problem(label, f"{path}.{link}", f"differs from the id of {key}")
                values[link] = child
                if (table, key) == ("service", "program"):
                    self.result.service_programs[child].add(ident)
        lists = [
            *NESTED.get(table, {}).items(),
            ("attributes", ("attribute", "link_id")),
            ("metadata", ("metadata", "resource_id")),
        ]
        for key, (child_table, link) in lists:
            child_schema = nested_schema(schema, key)
            if child_schema is not None:
                self._children(
                    record, key, child_table, link, child_schema, (table, ident), label, path
                )
        self.add(table, ident, values, label, path)
        return ident

    def _children(
        self,
        record: dict[str, Any],
        key: str,
        child_table: str,
        column: str,
        schema: dict[str, Any],
        parent: tuple[str, uuid.UUID],
        label: str,
        path: str,
    ) -> None:
        items = record.get(key)
        if not isinstance(items, list):
            return
        listed = self.result.listed[(child_table, column)][parent[1]]
        for position, item in enumerate(items):
            item_path = f"{path}.{key}[{position}]"
            if child_table == "attribute" and _is_time_zone_attribute(item):
                self._time_zone(parent, item.get("value"), label, item_path)
                continue
            link = (parent[0], column, parent[1])
            listed.add(self.record(child_table, item, schema, label, item_path, link))

    def _link_to_parent(
        self,
        table: str,
        values: dict[str, Any],
        parent: tuple[str, str, uuid.UUID],
        label: str,
        path: str,
    ) -> None:
        parent_table, column, parent_id = parent
        if table == "attribute":
            values["link_id"] = parent_id
            values["link_entity"] = parent_table
            return
        if table == "metadata":
            values["resource_id"] = parent_id
            values["resource_type"] = parent_table
            return
        stated = values.get(column)
        if stated is not None and stated != parent_id:
            self.problem(label, f"{path}.{column}", f"differs from the {parent_table} it is in")
        values[column] = parent_id

    def _time_zone(
        self, parent: tuple[str, uuid.UUID], value: object, label: str, path: str, where: str = ""
    ) -> None:
        table, ident = parent
        if table != "schedule":
            self.problem(label, path, "a time zone attribute belongs to a schedule", where)
            return
        if not isinstance(value, str) or not _is_zone(value):
            self.problem(label, f"{path}.value", "is not an IANA time zone", where)
            return
        known = self.result.time_zones.get(ident)
        if known is not None and known != value:
            self.problem(
                label, f"{path}.value", "differs from the schedule's other time zone", where
            )
            return
        self.result.time_zones[ident] = value
        self._zone_sources[ident] = (label, path)

    def tabular_row(self, table: str, row: dict[str, Any], label: str, where: str) -> None:
        ident = uuid.UUID(row["id"])
        if _NOT_STORED.get(table) == ident:
            self.result.skipped += 1
            return
        if table == "attribute" and _same_id(row.get("taxonomy_term_id"), TIME_ZONE_TERM_ID):
            self.result.skipped += 1
            link = row.get("link_id")
            if row.get("link_entity") != "schedule" or link is None:
                self.problem(label, "$", "a time zone attribute belongs to a schedule", where)
                return
            self._time_zone(("schedule", uuid.UUID(link)), row.get("value"), label, "$", where)
            return
        values = {
            column.name: _value(column, row[column.name]) if column.name in row else None
            for column in tables()[table].columns
        }
        self._check_text(values, label, "$", where)
        self.add(table, ident, values, label, "$", where)

    def _check_text(self, values: dict[str, Any], label: str, path: str, where: str = "") -> None:
        # No database keeps a NUL character in text (PostgreSQL refuses it).
        for name, value in values.items():
            if isinstance(value, str) and "\x00" in value:
                self.problem(label, f"{path}.{name}", "contains a NUL character", where)

    def add(
        self,
        table: str,
        ident: uuid.UUID,
        values: dict[str, Any],
        label: str,
        path: str,
        where: str = "",
    ) -> None:
        if _NOT_STORED.get(table) == ident:
            self.result.skipped += 1
            return
        rows = self.result.rows[table]
        found = rows.get(ident)
        if found is None:
            self._order += 1
            rows[ident] = Row(table, values, label, path, where, self._order)
            return
        for name, value in values.items():
            known = found.values.get(name, _MISSING)
            if known is _MISSING or known is None:
                found.values[name] = value
            elif value is not None and value != known:
                self.problem(
                    label,
                    f"{path}.{name}",
                    f"differs from the same {table} at {found.label} {found.path}",
                    where,
                )

    def finish(self, default_zone: str, now: datetime) -> None:
        schedules = self.result.rows.get("schedule", {})
        for ident, (label, path) in self._zone_sources.items():
            if ident not in schedules:
                self.problem(label, path, "the schedule of this time zone is not in the file")
        for ident, row in schedules.items():
            zone = self.result.time_zones.get(ident)
            if zone is None:
                zone = zone_for_offset(row.values.get("timezone"), default_zone, now)
            row.values["time_zone"] = zone


def zone_for_offset(offset: object, default_zone: str, now: datetime) -> str:
    """The IANA zone for a schedule that gives only HSDS's UTC offset (hours)."""
    if offset is None:
        return default_zone
    if not isinstance(offset, (int, float)):
        return ""
    try:
        zone = zoneinfo.ZoneInfo(default_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is not None:
        # Standard and daylight offsets: one of January and July is each,
        # in either hemisphere.
        seen = set()
        for month in (1, 7):
            moment = datetime(now.year, month, 1, 12, tzinfo=zone)
            delta = moment.utcoffset()
            if delta is not None:
                seen.add(delta.total_seconds() / 3600)
        if float(offset) in seen:
            return default_zone
    hours = float(offset)
    if hours.is_integer() and -12 <= hours <= 14:
        # POSIX signs: Etc/GMT-3 is three hours ahead of UTC.
        return "Etc/GMT" if hours == 0 else f"Etc/GMT{-int(hours):+d}"
    return ""


def _value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "uuid":
        return uuid.UUID(value)
    if column.kind == "number":
        return float(value)
    return value


def _is_zone(value: str) -> bool:
    if not value or len(value) > 64:
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _same_id(value: object, ident: uuid.UUID) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return uuid.UUID(value) == ident
    except ValueError:
        return False


def _is_time_zone_term(term: dict[str, Any]) -> bool:
    return _same_id(term.get("id"), TIME_ZONE_TERM_ID)


def _is_time_zone_attribute(attribute: object) -> bool:
    if not isinstance(attribute, dict):
        return False
    term = attribute.get("taxonomy_term")
    if isinstance(term, dict) and _is_time_zone_term(term):
        return True
    return _same_id(attribute.get("taxonomy_term_id"), TIME_ZONE_TERM_ID)
