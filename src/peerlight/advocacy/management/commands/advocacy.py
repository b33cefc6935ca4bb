"""Advocacy's data tools.

- ``peerlight advocacy export-osdi --out FILE``: the OSDI-shaped export of
  campaigns, outreaches, petitions, signatures, events and people (see
  ``peerlight.advocacy.osdi`` for what it holds and what it never holds),
  written to FILE (readable by its owner only: it can hold signers' names),
  or to standard output for ``--out -``. Each run is an audited read,
  recorded without an actor (it comes from the server's shell).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peerlight.advocacy import osdi
from peerlight.audit.actions import record_read


class Command(BaseCommand):
    help = "Advocacy data: export campaigns and actions in the shape of OSDI."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        exporting = subcommands.add_parser(
            "export-osdi",
            help="Write campaigns, outreaches, petitions, signatures and people as OSDI JSON.",
        )
        exporting.add_argument(
            "--out", required=True, help="The file to write (- for standard output)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "export-osdi":
            self.export_osdi(str(options["out"]))

    def export_osdi(self, out: str) -> None:
        record_read(None, osdi.AUDIT_VERB, osdi.AUDIT_TARGET, reason="command line")
        document = osdi.build_export()
        text = osdi.dumps(document) + "\n"
        if out == "-":
            self.stdout.write(text, ending="")
            return
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"There is no folder {path.parent} to write {path.name} in.")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        totals = document["peerlight:total_records"]
        summary = ", ".join(f"{count} {name}" for name, count in totals.items())
        self.stdout.write(f"Exported {summary} to {path}.")
