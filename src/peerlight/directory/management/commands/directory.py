"""The directory's data tools.

- ``peerlight directory import PATH [--type KIND] [--progress/--no-progress]``:
  HSDS 3.0 JSON (one record, a list, or the paged list form) or a tabular data
  package (a folder with datapackage.json, or a .zip of one). Every record is
  validated first; any problem is printed as ``record <id>: <path>: <message>``
  and nothing is imported. A link to a record that is neither in the file nor
  in the directory is kept, with one ``WARNING: record <id>: <path>: ...``
  line each; warnings do not stop the import.
- ``peerlight directory export PATH``: ``.json`` gets the paged list form of
  every service in full; a folder or ``.zip`` the tabular package of every
  table (lossless).
- ``peerlight directory load-open-eligibility``: the Open Eligibility taxonomy.
- ``peerlight directory reindex``: rebuild the search index.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peerlight.directory.hsds import exporter, importer
from peerlight.directory.hsds.validate import Problem


class Command(BaseCommand):
    help = (
        "Directory data: import and export HSDS 3.0, load the Open Eligibility taxonomy, "
        "rebuild the search index."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        importing = subcommands.add_parser(
            "import", help="Import HSDS 3.0 JSON or a tabular data package, all or nothing."
        )
        importing.add_argument("path", type=Path, help="A .json file, a folder or a .zip.")
        importing.add_argument(
            "--type",
            choices=importer.KINDS,
            help="What the JSON records are (found from their fields when left out).",
        )
        importing.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Show a progress bar (default: for large files on a terminal).",
        )
        exporting = subcommands.add_parser(
            "export", help="Export every service (.json) or every table (folder or .zip)."
        )
        exporting.add_argument("path", type=Path, help="A .json file, a new folder or a .zip.")
        exporting.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
        subcommands.add_parser(
            "load-open-eligibility", help="Load or update the Open Eligibility taxonomy."
        )
        subcommands.add_parser("reindex", help="Rebuild the search index of every service.")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "import":
            self.import_(options["path"], kind=options["type"], progress=options["progress"])
        elif subcommand == "export":
            self.export(options["path"], progress=options["progress"])
        elif subcommand == "load-open-eligibility":
            from peerlight.directory import openeligibility

            try:
                summary = openeligibility.load()
            except importer.ImportRefused as error:
                self._refused(error.problems, "nothing was loaded")
            self.stdout.write(f"Open Eligibility: {summary}.")
        else:
            from peerlight.directory import search

            self.stdout.write(f"{search.rebuild()} services indexed.")

    def import_(self, path: Path, *, kind: str | None, progress: bool | None) -> None:
        try:
            summary = importer.import_path(
                path, kind=kind, progress=progress, note=self.stderr.write
            )
        except importer.SourceError as error:
            raise CommandError(str(error)) from error
        except importer.ImportRefused as error:
            self._refused(error.problems, "nothing was imported")
        for warning in summary.warnings:
            self.stderr.write(f"WARNING: {warning}", self.style.WARNING)
        warned = f"; {len(summary.warnings)} warning(s)" if summary.warnings else ""
        self.stdout.write(f"Imported {path}: {summary}{warned}.")

    def export(self, path: Path, *, progress: bool | None) -> None:
        try:
            exported = exporter.export_path(path, progress=progress)
        except exporter.SourceError as error:
            raise CommandError(str(error)) from error
        except exporter.ExportFailed as error:
            self._refused(error.problems, "nothing was exported")
        self.stdout.write(f"Exported {exported} to {path}.")

    def _refused(self, problems: list[Problem], outcome: str) -> None:
        for problem in problems:
            self.stderr.write(str(problem))
        raise CommandError(f"{len(problems)} problem(s); {outcome}.")
