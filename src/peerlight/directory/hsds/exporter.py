"""Exporting the directory as HSDS 3.0.

``export_path(path)``: a ``.json`` path gets the paged list form (one page,
every service in full under ``contents``); a folder or a ``.zip`` gets the
tabular data package of every table (``tabular.write_package``), the lossless
form. Every record is validated against the official schema before it is
written; a record that fails stops the export, and no file is left behind.

Services are read and written a chunk at a time, so a large directory never
needs to be in memory at once.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from tqdm import tqdm

from peerlight.audit.actions import record_change
from peerlight.directory.hsds import serialise
from peerlight.directory.hsds.importer import PROGRESS_FROM
from peerlight.directory.hsds.tabular import ExportFailed, SourceError, write_package
from peerlight.directory.hsds.validate import check
from peerlight.directory.models import Service

__all__ = ["CHUNK", "ExportFailed", "Exported", "SourceError", "export_json", "export_path"]

# Services serialised per batch of queries.
CHUNK = 200


@dataclass(frozen=True, slots=True)
class Exported:
    form: str  # "json" or "tabular"
    records: int  # services (json) or rows of every table (tabular)

    def __str__(self) -> str:
        if self.form == "json":
            return f"{self.records} services"
        return f"{self.records} rows in the tabular package"


def export_path(path: Path, *, progress: bool | None = None) -> Exported:
    """Export to ``path``; ``progress`` None shows bars for a large directory on a terminal."""
    if progress is None:
        progress = Service.objects.count() > PROGRESS_FROM and sys.stderr.isatty()
    if path.suffix.lower() == ".json":
        exported = Exported("json", export_json(path, progress=progress))
    else:
        counts = write_package(path, progress=progress)
        exported = Exported("tabular", sum(counts.values()))
    with transaction.atomic():
        record_change(None, "directory.export", ("directory.hsds", ""), reason=str(exported))
    return exported


def export_json(path: Path, *, progress: bool = False) -> int:
    """Write every service, in full, as one page of the paged list form."""
    ids = list(Service.objects.order_by("id").values_list("id", flat=True))
    total = len(ids)
    page = {
        "total_items": total,
        "total_pages": 1,
        "page_number": 1,
        "size": total,
        "first_page": True,
        "last_page": True,
        "empty": total == 0,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".json")
    scratch = Path(temporary)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(page, indent=1)[:-2] + ',\n "contents": [')
            bar = tqdm(
                total=total,
                desc="exporting",
                unit="service",
                disable=not progress,
                file=sys.stderr,
            )
            with bar:
                first = True
                for start in range(0, total, CHUNK):
                    chunk = ids[start : start + CHUNK]
                    query = Service.objects.filter(id__in=chunk).order_by("id")
                    for body in serialise.services(serialise.prefetch_services(query)):
                        problems = check(body, "service", label=body["id"])
                        if problems:
                            raise ExportFailed(problems)
                        out.write("\n  " if first else ",\n  ")
                        out.write(json.dumps(body, ensure_ascii=False))
                        first = False
                    bar.update(len(chunk))
            out.write("\n ]\n}\n")
        scratch.replace(path)
    finally:
        scratch.unlink(missing_ok=True)
    return total
