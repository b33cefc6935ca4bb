"""Importing HSDS 3.0 into the directory: all of a file, or nothing.

``import_path(path)`` reads a JSON file (one record, a JSON list of records,
or the paged list form with ``contents``) or a tabular data package (a folder
with ``datapackage.json``, or a .zip of one), then:

1. validates every record against the official schema of its kind (every row
   of a package against its table's schema);
2. flattens the records into one row per record (``flatten``), merging the
   occurrences of a record that appears more than once;
3. in one transaction: checks what the schemas allow but the directory cannot
   hold (a column the tabular form requires, one id given to records of two
   kinds, a link to a record of another kind than the link names), writes
   only the rows that differ from the directory's (``bulk_create`` /
   ``bulk_update``), removes the children that a complete nested list no
   longer holds, brings the search index up to date and writes one audit
   entry.

Any problem at any step raises ``ImportRefused`` with every problem found, and
nothing is written. Importing the same file twice changes nothing the second
time.

A link to a record that is neither in the file nor in the directory is not a
problem: HSDS data often names parents it does not hold (the official examples
do: an organization's ``parent_organization_id``, a term's ``parent_id``). The
link is kept as given (the database holds the id without a constraint, so the
record can arrive later) and ``Summary.warnings`` says so, one warning per
link the file states. A program nested in a service that names no organization
is given the service's organization: HSDS requires one, and a service is
delivered by the organization whose program it is under.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from peerlight.audit.actions import record_change
from peerlight.directory import search
from peerlight.directory.hsds import IMPORT_ORDER, tables
from peerlight.directory.hsds.flatten import KEPT, Flattened, Row, flatten
from peerlight.directory.hsds.tabular import SourceError, read_package
from peerlight.directory.hsds.validate import Problem, check, check_row, record_label
from peerlight.directory.models import (
    Attribute,
    HsdsRecord,
    Metadata,
    Service,
    ServiceAtLocation,
)

__all__ = [
    "KINDS",
    "ImportRefused",
    "Source",
    "SourceError",
    "Summary",
    "detect_kind",
    "import_path",
    "import_source",
    "read",
]

# What a JSON record can be, and the schema each is validated against.
KINDS = ("service", "organization", "service_at_location", "location", "taxonomy", "taxonomy_term")

# Show a progress bar by default from this many records (when stderr is a terminal).
PROGRESS_FROM = 1000

_CHUNK = 5000
_BATCH = 500


class ImportRefused(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
        self.problems = list(problems)


@dataclass(slots=True)
class Source:
    # (kind, record, label) of each JSON record; (table, row, label, where) of each tabular row.
    documents: list[tuple[str, Any, str]] = field(default_factory=list)
    rows: list[tuple[str, dict[str, Any], str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.documents) + len(self.rows)


@dataclass(slots=True)
class Summary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    by_table: dict[str, dict[str, int]] = field(default_factory=dict)
    # Links kept to records that are neither in the file nor in the directory.
    warnings: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )


# --- Reading ---------------------------------------------------------------------------------


def read(path: Path, *, kind: str | None = None) -> Source:
    """The records of a JSON file or tabular package; ``SourceError`` when unreadable."""
    if path.is_dir() or path.suffix.lower() == ".zip" or path.name == "datapackage.json":
        source = Source()
        package = path.parent if path.name == "datapackage.json" else path
        source.rows, source.notes = read_package(package)
        return source
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror or error}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceError(f"{path} is not JSON in UTF-8: {error}") from error
    if isinstance(data, dict) and "contents" in data:
        items = data["contents"]
        if not isinstance(items, list):
            raise SourceError(f"{path}: 'contents' is not a list")
    elif isinstance(data, list):
        items = data
    else:
        items = [data]
    return Source(documents=_kinds(items, kind, path))


def _kinds(items: list[Any], kind: str | None, path: Path) -> list[tuple[str, Any, str]]:
    if kind is not None:
        return [(kind, item, record_label(item, i)) for i, item in enumerate(items)]
    detected = [detect_kind(item) for item in items]
    decided = {found for found in detected if found not in (None, "organization|taxonomy")}
    result = []
    for position, (item, found) in enumerate(zip(items, detected, strict=True)):
        if found == "organization|taxonomy" and len(decided) == 1:
            found = next(iter(decided))
        if found == "organization|taxonomy":
            found = None
        if found is None:
            raise SourceError(
                f"{path}: cannot tell what record {record_label(item, position)} is; give --type"
            )
        result.append((found, item, record_label(item, position)))
    return result


def detect_kind(record: object) -> str | None:
    """The HSDS kind a record's keys show; "organization|taxonomy" when they could be either."""
    if not isinstance(record, dict):
        return None
    keys = set(record)
    if keys & {"status", "service_at_locations", "service_areas", "cost_options", "program"}:
        return "service"
    if keys & {"required_documents", "program_id", "eligibility_description"}:
        return "service"
    if keys & {
        "locations",
        "programs",
        "organization_identifiers",
        "services",
        "website",
        "tax_status",
        "tax_id",
        "year_incorporated",
        "legal_status",
        "logo",
        "parent_organization_id",
    }:
        return "organization"
    if "location_type" in keys or keys & {"addresses", "accessibility", "latitude", "longitude"}:
        return "location"
    if keys & {"location", "service", "service_id", "location_id"}:
        return "service_at_location"
    if keys & {"code", "parent_id", "taxonomy", "taxonomy_detail", "taxonomy_id", "term_uri"}:
        return "taxonomy_term"
    if keys & {"version"}:
        return "taxonomy"
    if {"id", "name", "description"} <= keys:
        return "organization|taxonomy"
    return None


# --- Importing -------------------------------------------------------------------------------


def import_path(
    path: Path,
    *,
    kind: str | None = None,
    progress: bool | None = None,
    note: Callable[[str], None] | None = None,
) -> Summary:
    """Import a file or package; ``progress`` None shows a bar for large files on a terminal."""
    source = read(path, kind=kind)
    for line in source.notes:
        if note is not None:
            note(line)
    if progress is None:
        progress = len(source) > PROGRESS_FROM and sys.stderr.isatty()
    return import_source(source, progress=progress)


def import_source(source: Source, *, progress: bool = False) -> Summary:
    problems = _validate(source, progress)
    if problems:
        raise ImportRefused(problems)
    flat = flatten(
        source.documents,
        source.rows,
        default_zone=settings.PEERLIGHT_DIRECTORY_TIME_ZONE,
        now=timezone.now(),
    )
    if flat.problems:
        raise ImportRefused(flat.problems)
    with transaction.atomic():
        writer = _Writer(flat, progress)
        problems, warnings = writer.check()
        if problems:
            raise ImportRefused(problems)
        summary = writer.write()
        summary.warnings = warnings
        summary.removed = writer.remove_unlisted(summary)
        if summary.changed:
            search.reindex(writer.affected_services())
        record_change(None, "directory.import", ("directory.hsds", ""), reason=str(summary))
    return summary


def _validate(source: Source, progress: bool) -> list[Problem]:
    problems: list[Problem] = []
    documents = tqdm(
        source.documents, desc="validating", unit="record", disable=not progress, file=sys.stderr
    )
    for kind, record, label in documents:
        if kind not in KINDS:
            problems.append(Problem(label, "$", f"is of an unknown kind {kind!r}"))
            continue
        problems.extend(check(record, kind, label=label))
    rows = tqdm(source.rows, desc="validating", unit="row", disable=not progress, file=sys.stderr)
    for table, row, label, where in rows:
        problems.extend(check_row(row, table, label=label, where=where))
    return problems


class _Writer:
    def __init__(self, flat: Flattened, progress: bool) -> None:
        self.flat = flat
        self.progress = progress
        self.existing: dict[str, dict[uuid.UUID, HsdsRecord]] = {}
        self.changed: dict[str, set[uuid.UUID]] = defaultdict(set)
        for name in IMPORT_ORDER:
            table = tables()[name]
            ids = list(flat.rows.get(name, {}))
            self.existing[name] = {
                obj.pk: obj for chunk in _chunks(ids) for obj in table.query().filter(id__in=chunk)
            }

    # --- What the directory cannot hold ---

    def check(self) -> tuple[list[Problem], list[Problem]]:
        """(problems, warnings), each in the order of the file.

        Problems refuse the file; warnings name the links kept to records that
        are nowhere.
        """
        self._imply_program_organizations()
        problems: list[tuple[int, Problem]] = []
        warnings: list[tuple[int, Problem]] = []
        # target table ("" for any) → id → the rows and columns that refer to it
        wanted: dict[str, dict[uuid.UUID, list[tuple[Row, str]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for name, rows in self.flat.rows.items():
            table = tables()[name]
            for ident, row in rows.items():
                for column in table.columns:
                    value = self._final(name, ident, row, column.name, column.attname)
                    if column.required and value is None:
                        message = f"'{column.name}' is required by HSDS's tabular form"
                        problems.append((row.order, _problem(row, message)))
                    # A link the file does not state is the directory's, checked before.
                    if value is None or column.name not in row.values:
                        continue
                    target = column.references or _linked_table(name, column.name, row)
                    if target is None or self._in_file(target, value):
                        continue
                    wanted[target][value].append((row, column.name))
        problems.extend(self._clashes())
        for target, refs in wanted.items():
            found = self._in_directory(target, list(refs))
            absent = [value for value in refs if value not in found]
            elsewhere = self._kinds_elsewhere(target, absent)
            for value in absent:
                other = elsewhere.get(value)
                if other is None:
                    message = (
                        f"refers to {_a(target)} that is not in this file or the directory; "
                        "the link is kept"
                    )
                else:
                    message = f"refers to {_a(target)}, but the record with that id is {_a(other)}"
                for row, name in refs[value]:
                    kept = problems if other is not None else warnings
                    kept.append((row.order, _problem(row, message, name)))
        return _in_file_order(problems), _in_file_order(warnings)

    def _imply_program_organizations(self) -> None:
        """A program nested in services that names no organization gets theirs."""
        programs = self.flat.rows.get("program", {})
        services = self.flat.rows.get("service", {})
        for program_id, service_ids in self.flat.service_programs.items():
            row = programs.get(program_id)
            if row is None:
                continue
            if self._final("program", program_id, row, "organization_id", "organization_id"):
                continue
            organizations = {
                self._final(
                    "service", ident, services[ident], "organization_id", "organization_id"
                )
                for ident in service_ids
            } - {None}
            if len(organizations) == 1:
                row.values["organization_id"] = organizations.pop()

    def _clashes(self) -> list[tuple[int, Problem]]:
        """Rows whose id is that of a record of another kind, in the file or the directory."""
        problems: list[tuple[int, Problem]] = []
        first: dict[uuid.UUID, Row] = {}
        new: dict[uuid.UUID, Row] = {}
        for name in IMPORT_ORDER:
            for ident, row in self.flat.rows.get(name, {}).items():
                seen = first.setdefault(ident, row)
                if seen is not row:
                    place = seen.where or f"{seen.label} {seen.path}"
                    message = f"has the same id as the {_words(seen.table)} at {place}"
                    problems.append((row.order, _problem(row, message)))
                if ident not in self.existing[name]:
                    new[ident] = row
        for name in IMPORT_ORDER:
            query = tables()[name].query()
            for chunk in _chunks(list(new)):
                for ident in query.filter(id__in=chunk).values_list("id", flat=True):
                    row = new[ident]
                    if row.table != name:
                        message = f"has the same id as {_a(name)} in the directory"
                        problems.append((row.order, _problem(row, message)))
        return problems

    def _kinds_elsewhere(self, target: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The table other than ``target`` that holds each id, in the file or the directory."""
        if not target or not ids:
            return {}
        found: dict[uuid.UUID, str] = {}
        for name in IMPORT_ORDER:
            if name == target:
                continue
            rows = self.flat.rows.get(name, {})
            found.update((ident, name) for ident in ids if ident in rows)
            for chunk in _chunks(ids):
                query = tables()[name].query().filter(id__in=chunk)
                found.update((ident, name) for ident in query.values_list("id", flat=True))
        return found

    def _final(self, name: str, ident: uuid.UUID, row: Row, column: str, attname: str) -> Any:
        if column in row.values:
            return row.values[column]
        existing = self.existing[name].get(ident)
        return None if existing is None else getattr(existing, attname)

    def _in_file(self, target: str, value: uuid.UUID) -> bool:
        if target:
            return value in self.flat.rows.get(target, {})
        return any(value in rows for rows in self.flat.rows.values())

    def _in_directory(self, target: str, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        names = [target] if target else list(IMPORT_ORDER)
        found: set[uuid.UUID] = set()
        for name in names:
            table = tables()[name]
            for chunk in _chunks(ids):
                found.update(table.query().filter(id__in=chunk).values_list("id", flat=True))
        return found

    # --- Writing ---

    def write(self) -> Summary:
        summary = Summary()
        total = self.flat.count()
        with tqdm(
            total=total, desc="writing", unit="row", disable=not self.progress, file=sys.stderr
        ) as bar:
            for name in IMPORT_ORDER:
                rows = self.flat.rows.get(name, {})
                counts = self._write_table(name, rows)
                summary.by_table[name] = counts
                summary.created += counts["created"]
                summary.updated += counts["updated"]
                summary.unchanged += counts["unchanged"]
                bar.update(len(rows))
        return summary

    def _write_table(self, name: str, rows: dict[uuid.UUID, Row]) -> dict[str, int]:
        table = tables()[name]
        attnames = {column.name: column.attname for column in table.columns if column.name != "id"}
        if name == "schedule":
            attnames["time_zone"] = "time_zone"
        created: list[HsdsRecord] = []
        updated: list[HsdsRecord] = []
        for ident, row in rows.items():
            values = {attnames[key]: value for key, value in row.values.items() if key != "id"}
            obj = self.existing[name].get(ident)
            if obj is None:
                created.append(table.model(id=ident, **values))
                continue
            if any(getattr(obj, attname) != value for attname, value in values.items()):
                for attname, value in values.items():
                    setattr(obj, attname, value)
                updated.append(obj)
        table.query().bulk_create(created, batch_size=_BATCH)
        if updated:
            table.query().bulk_update(
                updated,
                fields=list(attnames.values()),
                batch_size=_BATCH,
            )
        self.changed[name].update(obj.pk for obj in created)
        self.changed[name].update(obj.pk for obj in updated)
        return {
            "created": len(created),
            "updated": len(updated),
            "unchanged": len(rows) - len(created) - len(updated),
        }

    # --- Removing what complete lists no longer hold ---

    def remove_unlisted(self, summary: Summary) -> int:
        removed = 0
        for (child, column), parents in self.flat.listed.items():
            if (child, column) in KEPT or not parents:
                continue
            table = tables()[child]
            attname = table.column(column).attname
            stale: list[uuid.UUID] = []
            for chunk in _chunks(list(parents)):
                pairs = (
                    table.query().filter(**{f"{attname}__in": chunk}).values_list("id", attname)
                )
                stale.extend(ident for ident, parent in pairs if ident not in parents[parent])
            if not stale:
                continue
            if child in ("attribute", "metadata"):
                removed += self._remove(child, stale)
                continue
            for chunk in _chunks(stale):
                table.query().filter(id__in=chunk).update(**{attname: None})
            unlinked = set(stale) - self.changed[child]
            summary.updated += len(unlinked)
            summary.unchanged -= len(unlinked & set(self.flat.rows.get(child, {})))
            self.changed[child].update(stale)
            if child != "location":
                removed += self._remove_orphans(child, stale)
        return removed

    def _remove_orphans(self, name: str, ids: list[uuid.UUID]) -> int:
        table = tables()[name]
        if name == "service_at_location":
            links = ["service_id"]  # without its service, it means nothing
        else:
            links = [column.attname for column in table.references]
        orphans: list[uuid.UUID] = []
        for chunk in _chunks(ids):
            query = table.query().filter(
                id__in=chunk, **{f"{link}__isnull": True for link in links}
            )
            orphans.extend(query.values_list("id", flat=True))
        return self._remove(name, orphans)

    def _remove(self, name: str, ids: list[uuid.UUID]) -> int:
        """Delete these rows; their children that have another parent lose only this link."""
        if not ids:
            return 0
        removed = 0
        for child, column in _referrers(name):
            table = tables()[child]
            attname = table.column(column).attname
            affected: list[uuid.UUID] = []
            for chunk in _chunks(ids):
                query = table.query().filter(**{f"{attname}__in": chunk})
                affected.extend(query.values_list("id", flat=True))
            for chunk in _chunks(affected):
                table.query().filter(id__in=chunk).update(**{attname: None})
            self.changed[child].update(affected)
            removed += self._remove_orphans(child, affected)
        for chunk in _chunks(ids):
            if name not in ("attribute", "metadata"):
                removed += Attribute.objects.filter(link_id__in=chunk).delete()[0]
            removed += Metadata.objects.filter(resource_id__in=chunk).delete()[0]
            removed += tables()[name].query().filter(id__in=chunk).delete()[0]
        return removed

    # --- The search index ---

    def affected_services(self) -> set[uuid.UUID]:
        """The services whose index rows may read something this import changed."""
        services: set[uuid.UUID] = set(self.flat.rows.get("service", {}))
        for rows in self.flat.rows.values():
            for row in rows.values():
                value = row.values.get("service_id")
                if isinstance(value, uuid.UUID):
                    services.add(value)
                if row.values.get("link_entity") == "service":
                    services.add(row.values["link_id"])
        locations = list(self.flat.rows.get("location", {}))
        organizations = list(self.flat.rows.get("organization", {}))
        for chunk in _chunks(locations):
            at = ServiceAtLocation.objects.filter(location_id__in=chunk)
            services.update(x for x in at.values_list("service_id", flat=True) if x)
        for chunk in _chunks(organizations):
            provided = Service.objects.filter(organization_id__in=chunk)
            services.update(provided.values_list("id", flat=True))
        return services


def _linked_table(name: str, column: str, row: Row) -> str | None:
    """The table an attribute's link_id or a metadata's resource_id points at ("" for any)."""
    if (name, column) == ("attribute", "link_id"):
        entity = row.values.get("link_entity")
    elif (name, column) == ("metadata", "resource_id"):
        entity = row.values.get("resource_type")
    else:
        return None
    return entity if entity in tables() else ""


def _referrers(name: str) -> list[tuple[str, str]]:
    """(table, column) of the rows that belong to a row of ``name`` through a link."""
    result = []
    for table in tables().values():
        for column in table.references:
            if column.references == name and table.name != name:
                result.append((table.name, column.name))
    return result


def _words(table: str) -> str:
    return table.replace("_", " ")


def _a(table: str) -> str:
    """A table in words with its article ("an organization"); "a record" for any table."""
    if not table:
        return "a record"
    words = _words(table)
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def _in_file_order(problems: list[tuple[int, Problem]]) -> list[Problem]:
    problems.sort(key=lambda item: (item[0], item[1].path))
    return [problem for _order, problem in problems]


def _problem(row: Row, message: str, column: str = "") -> Problem:
    path = f"{row.path}.{column}" if column else row.path
    return Problem(row.label, path, message, row.where)


def _chunks[T](items: Sequence[T] | Iterable[T]) -> Iterator[list[T]]:
    items = list(items)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
