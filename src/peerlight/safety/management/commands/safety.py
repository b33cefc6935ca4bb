"""Safety tools for the risk detector.

- ``peerlight safety eval FILE.jsonl [--json] [--misses]``: measure it on
  labelled texts.
- ``peerlight safety train [--out FILE] [--json] [FILE ...]``: rebuild the
  learned model (``data/risk_model.json``) from labelled files, one file per
  author, and print the cross-author figures that chose its thresholds. The
  same files always give the same model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peerlight.safety.evaluation import (
    EvaluationError,
    evaluate,
    format_table,
    misses,
    read_labelled,
)
from peerlight.safety.model import MODEL_FILE


class Command(BaseCommand):
    help = (
        "Safety tools: measure the risk detector on a labelled file (eval), "
        "rebuild its learned model (train)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        evaluation = subcommands.add_parser(
            "eval", help="Recall, precision and false alarms on a labelled JSONL file."
        )
        evaluation.add_argument("file", type=Path, help="One {text|messages, label} a line.")
        evaluation.add_argument("--json", action="store_true", help="Print one JSON object.")
        evaluation.add_argument(
            "--misses",
            action="store_true",
            help="Also list the rows rated differently from their label (test data only).",
        )
        training = subcommands.add_parser(
            "train", help="Rebuild the learned model from labelled files (one per author)."
        )
        training.add_argument(
            "files",
            nargs="*",
            type=Path,
            help="Labelled JSONL files, one per author (default: the project's training files).",
        )
        training.add_argument(
            "--out", type=Path, default=MODEL_FILE, help="Where to write the model."
        )
        training.add_argument(
            "--json", action="store_true", help="Print the figures as one JSON object."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "train":
            self.train(options["files"], out=options["out"], as_json=options["json"])
            return
        self.evaluate(options["file"], as_json=options["json"], show_misses=options["misses"])

    def train(self, files: list[Path], *, out: Path, as_json: bool) -> None:
        from peerlight.safety import training

        paths = files or [path for path in training.TRAINING_FILES if path.exists()]
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            raise CommandError(f"Cannot read {', '.join(missing)}.")
        try:
            trained = training.build(paths)
        except (training.TrainingError, ValueError, KeyError) as error:
            raise CommandError(str(error)) from error
        try:
            out.write_text(training.to_json(trained.model, MODEL_ABOUT), encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror or error}.") from error
        summary = {
            "out": str(out),
            "examples": trained.examples,
            "features": len(trained.model.weights),
            "thresholds": {
                "imminent": trained.model.imminent_at,
                "concern": trained.model.concern_at,
                "overrule": trained.model.overrule_at,
                "demote": trained.model.demote_at,
            },
            "splits": {
                split.author: {
                    "rules": split.rules,
                    "model_alone": split.model_alone,
                    "combined": split.combined,
                }
                for split in trained.splits
            },
            "training_set": trained.training_set,
        }
        if as_json:
            self.stdout.write(json.dumps(summary, sort_keys=True))
            return
        self.stdout.write(
            f"{trained.examples} labelled texts, {len(trained.model.weights)} features "
            f"kept; wrote {out}"
        )
        self.stdout.write(f"thresholds: {summary['thresholds']}")
        self.stdout.write("")
        self.stdout.write("cross-author (trained without the file, then rated on it):")
        self.stdout.write(
            f"{'left out':<22}{'stage':<13}{'n':>6}{'imminent':>10}"
            f"{'>=concern':>11}{'false al.':>11}"
        )
        for split in trained.splits:
            for stage in ("rules", "model_alone", "combined"):
                self.stdout.write(_figures_line(split.author, stage, getattr(split, stage)))
        self.stdout.write(_figures_line("all (training set)", "combined", trained.training_set))

    def evaluate(self, path: Path, *, as_json: bool, show_misses: bool) -> None:
        try:
            rows = read_labelled(path)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from error
        except EvaluationError as error:
            raise CommandError(f"{path}: {error}") from error
        result = evaluate(rows)
        if as_json:
            self.stdout.write(json.dumps(result, sort_keys=True))
            return
        for line in format_table(result):
            self.stdout.write(line)
        if show_misses:
            self.stdout.write("")
            for row, assessment in misses(rows):
                text = " | ".join(row.messages)
                reasons = ", ".join(assessment.reasons) or "-"
                self.stdout.write(f"[{row.label} -> {assessment.level}] {text}  <{reasons}>")


MODEL_ABOUT = (
    "Weights of the learned risk model (safety/model.py), written by "
    "'peerlight safety train' (safety/training.py): one row per feature, scores for "
    "none, concern, imminent. Do not edit by hand; retrain."
)


def _figures_line(author: str, stage: str, figures: dict[str, Any]) -> str:
    return (
        f"{author:<22}{stage:<13}{figures['n']:>6}{figures['imminent_recall']:>10.1%}"
        f"{figures['at_least_concern_recall']:>11.1%}{figures['false_alarm_rate']:>11.1%}"
    )
