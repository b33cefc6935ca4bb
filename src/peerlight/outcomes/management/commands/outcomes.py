"""Outcome measure tools.

- ``peerlight outcomes score-fhir FILE.json``: read a FHIR R4B
  QuestionnaireResponse, identify the instrument, recompute the total from the
  answers (never trusting a stored total) and print one JSON object:
  ``instrument``, ``stored_total``, ``recomputed_total``, ``band``,
  ``safety_item_fired`` and ``agree``. A file that cannot be scored gives one
  line on standard error and exit status 2, and nothing on standard output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peerlight.outcomes import fhir


class Command(BaseCommand):
    help = "Outcome measures: recompute the score of a FHIR QuestionnaireResponse."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        score_fhir = subcommands.add_parser(
            "score-fhir", help="Recompute the score of a QuestionnaireResponse (R4B JSON)."
        )
        score_fhir.add_argument("path", type=Path, help="A QuestionnaireResponse .json file.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read ({error})", returncode=2) from error
        try:
            result = fhir.recompute_text(text)
        except fhir.FhirError as error:
            raise CommandError(f"{path}: {error}", returncode=2) from error
        self.stdout.write(json.dumps(result.as_json(), sort_keys=True))
