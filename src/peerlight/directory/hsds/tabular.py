"""The HSDS tabular form: a data package of CSV files, one per table.

``read_package(path)`` reads a folder holding ``datapackage.json`` (or a .zip
of one) into rows of JSON values, using the package's field types ("number"
cells become numbers); the importer validates each row against its table's
schema. ``write_package(path)`` writes every table of the directory, each row
validated first, into a folder or a .zip, with the vendored
``datapackage.json``.

An empty cell is an absent value and a quoted empty cell (``""``) an empty
text, so text that is empty survives the round trip (``csv.QUOTE_NOTNULL``).
Peerlight's schedule time zones travel as attribute rows of a fixed term
(see ``serialise.time_zone_attribute``), whose term and taxonomy rows the
package carries as well.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import IO, Any

from tqdm import tqdm

from peerlight.directory.hsds import DATA_DIR, Table, json_value, tables
from peerlight.directory.hsds.validate import Problem, check_row, record_label
from peerlight.directory.models import Schedule

__all__ = ["ExportFailed", "SourceError", "read_package", "write_package"]

_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
# Field formats whose empty text can only mean "absent".
_FORMATTED = frozenset({"uuid", "email", "uri"})


class SourceError(Exception):
    """The input cannot be read at all (as opposed to a problem in one record)."""


class ExportFailed(Exception):
    """A record does not validate; no file was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was exported")
        self.problems = problems


# --- Reading ---------------------------------------------------------------------------------


def read_package(path: Path) -> tuple[list[tuple[str, dict[str, Any], str, str]], list[str]]:
    """(table, row, label, where) for every row of the package, and notes for the reader."""
    with ExitStack() as stack:
        if path.is_dir():
            folder = path

            def open_member(name: str) -> IO[bytes] | None:
                member = folder / _safe(name)
                return member.open("rb") if member.is_file() else None

        else:
            try:
                archive = stack.enter_context(zipfile.ZipFile(path))
            except (OSError, zipfile.BadZipFile) as error:
                raise SourceError(f"cannot read {path} as a .zip: {error}") from error
            prefix = _package_prefix(archive, path)

            def open_member(name: str) -> IO[bytes] | None:
                try:
                    return archive.open(prefix + _safe(name))
                except KeyError:
                    return None

        descriptor_file = open_member("datapackage.json")
        if descriptor_file is None:
            raise SourceError(f"{path} holds no datapackage.json")
        with descriptor_file:
            try:
                descriptor = json.loads(descriptor_file.read().decode("utf-8"))
                resources = list(descriptor["resources"])
            except (UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
                raise SourceError(f"{path}: datapackage.json is not a data package") from error
        rows: list[tuple[str, dict[str, Any], str, str]] = []
        notes: list[str] = []
        for resource in resources:
            handle = open_member(str(resource.get("path", "")))
            if handle is None:
                continue
            with handle:
                _read_resource(resource, handle, rows, notes)
    return rows, notes


def _package_prefix(archive: zipfile.ZipFile, path: Path) -> str:
    """Where datapackage.json sits in the archive: at its root or in one folder."""
    names = archive.namelist()
    if "datapackage.json" in names:
        return ""
    found = [name for name in names if PurePosixPath(name).name == "datapackage.json"]
    if len(found) == 1 and len(PurePosixPath(found[0]).parts) == 2:
        return found[0].removesuffix("datapackage.json")
    raise SourceError(f"{path} holds no datapackage.json at its top")


def _safe(name: str) -> str:
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts:
        raise SourceError(f"the package names a file outside itself: {name!r}")
    return name


def _read_resource(
    resource: dict[str, Any],
    handle: IO[bytes],
    rows: list[tuple[str, dict[str, Any], str, str]],
    notes: list[str],
) -> None:
    name = str(resource.get("name", ""))
    path = str(resource.get("path", ""))
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text, quoting=csv.QUOTE_NOTNULL)
    try:
        header = reader.fieldnames or []
    except (UnicodeDecodeError, csv.Error) as error:
        raise SourceError(f"{path} is not CSV in UTF-8: {error}") from error
    if name not in tables():
        count = sum(1 for _ in reader)
        if count:
            notes.append(f"{path}: {count} row(s) skipped; Peerlight does not keep {name!r}")
        return
    fields = {field["name"]: field for field in resource.get("schema", {}).get("fields", [])} or {
        column.name: {"type": "string"} for column in tables()[name].columns
    }
    unknown = [column for column in header if column not in fields]
    if unknown:
        notes.append(f"{path}: column(s) {', '.join(unknown)} not in HSDS, left out")
    try:
        for number, raw in enumerate(reader, start=1):
            row: dict[str, Any] = {}
            for column, cell in raw.items():
                if column is None or column not in fields or cell is None:
                    continue
                value = _cell(cell, fields[column])
                if value is not None:
                    row[column] = value
            where = f"{path}, row {number}"
            rows.append((name, row, record_label(row, number - 1), where))
    except (UnicodeDecodeError, csv.Error) as error:
        raise SourceError(f"{path} is not CSV in UTF-8: {error}") from error


def _cell(cell: str, field: dict[str, Any]) -> Any:
    kind = field.get("type", "string")
    if kind == "string":
        if cell == "" and field.get("format") in _FORMATTED:
            return None
        return cell
    if cell == "":
        return None
    if kind in ("number", "integer"):
        if _NUMBER.fullmatch(cell):
            number = float(cell)
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        return cell  # the schema check says it is not a number
    if kind == "boolean":
        return {"true": True, "false": False}.get(cell.lower(), cell)
    return cell  # date, time, datetime: HSDS keeps them as text


# --- Writing ---------------------------------------------------------------------------------


def write_package(destination: Path, *, progress: bool = False) -> dict[str, int]:
    """Every table into a folder (new or empty) or a .zip; returns rows per file."""
    zipped = destination.suffix.lower() == ".zip"
    if not zipped and destination.exists() and any(destination.iterdir()):
        raise SourceError(f"{destination} is not empty")
    parent = destination.parent
    parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    if zipped:
        handle, temporary = tempfile.mkstemp(dir=parent, prefix=".export-", suffix=".zip")
        scratch = Path(temporary)
        try:
            with (
                open(handle, "wb") as raw,
                zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            ):
                archive.writestr("datapackage.json", _descriptor())
                for path, table in _resources():
                    with archive.open(path, "w") as member:
                        counts[path] = _write_table(member, table, progress)
            scratch.replace(destination)
        finally:
            scratch.unlink(missing_ok=True)
        return counts
    scratch = Path(tempfile.mkdtemp(dir=parent, prefix=".export-"))
    try:
        (scratch / "datapackage.json").write_bytes(_descriptor())
        for path, table in _resources():
            with (scratch / path).open("wb") as member:
                counts[path] = _write_table(member, table, progress)
        if destination.exists():
            destination.rmdir()
        scratch.rename(destination)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return counts


def _descriptor() -> bytes:
    return (DATA_DIR / "datapackage.json").read_bytes()


def _resources() -> Iterator[tuple[str, Table | None]]:
    descriptor = json.loads(_descriptor())
    for resource in descriptor["resources"]:
        yield resource["path"], tables().get(resource["name"])


def _write_table(member: IO[bytes], table: Table | None, progress: bool) -> int:
    from peerlight.directory.hsds import serialise

    text = io.TextIOWrapper(member, encoding="utf-8", newline="")
    if table is None:  # meta_table_descriptions.csv: Peerlight keeps none
        text.write("id,name,language,character_set\r\n")
        text.flush()
        text.detach()
        return 0
    writer = csv.writer(text, quoting=csv.QUOTE_NOTNULL)
    names = [column.name for column in table.columns]
    writer.writerow(names)
    count = 0
    records = table.query().order_by("id").iterator(chunk_size=2000)
    bar = tqdm(records, desc=table.path, unit="row", disable=not progress, file=sys.stderr)
    for obj in bar:
        row = {
            column.name: json_value(getattr(obj, column.attname))
            for column in table.columns
            if getattr(obj, column.attname) is not None
        }
        count += _write_row(writer, table.name, row, names)
    if table.name == "attribute":
        zones = Schedule.objects.exclude(time_zone="").order_by("id")
        for ident, zone in zones.values_list("id", "time_zone").iterator(chunk_size=2000):
            count += _write_row(
                writer, "attribute", serialise.time_zone_attribute(ident, zone), names
            )
    elif table.name in ("taxonomy_term", "taxonomy") and _any_zone():
        extra = (
            serialise.time_zone_term()
            if table.name == "taxonomy_term"
            else serialise.time_zone_taxonomy()
        )
        count += _write_row(writer, table.name, extra, names)
    text.flush()
    text.detach()
    return count


def _any_zone() -> bool:
    return Schedule.objects.exclude(time_zone="").exists()


def _write_row(writer: Any, table: str, row: dict[str, Any], names: list[str]) -> int:
    problems = check_row(row, table, label=str(row.get("id")), where=f"{table} export")
    if problems:
        raise ExportFailed(problems)
    writer.writerow([_text(row.get(name)) for name in names])
    return 1


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)
