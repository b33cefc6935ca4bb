"""``peerlight bench NAME [--json]``: run ``benchmarks/NAME.py`` and keep its result.

A benchmark is a module in the project's ``benchmarks/`` folder with a
``run(options) -> dict`` function and a docstring that says what it measures
and what it aims for. Modules whose names start with ``_`` or ``bench_`` are
its helpers, not benchmarks. ``peerlight bench all`` runs every benchmark.

Each result is written to ``var/bench/NAME.json``; ``--json`` also prints it
(one JSON object, or one object keyed by name for ``all``) on stdout.
``--quick`` runs a tiny version that only checks the benchmark works: its
figures mean nothing.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def benchmarks_dir() -> Path:
    return Path(settings.PROJECT_DIR) / "benchmarks"


def available_benchmarks(folder: Path) -> list[str]:
    """Names of the benchmark modules in ``folder``, sorted."""
    return sorted(
        path.stem
        for path in folder.glob("*.py")
        if not path.stem.startswith(("_", "bench_")) and path.stem != "__init__"
    )


def run_benchmark(folder: Path, name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Import ``benchmarks.NAME`` and return what its ``run(options)`` returns."""
    # The benchmarks folder is a package of the project, importable from the
    # project directory (the benchmark servers import its settings too).
    project_dir = str(folder.parent)
    if project_dir not in sys.path:
        sys.path.insert(0, project_dir)
    module = importlib.import_module(f"{folder.name}.{name}")
    run = getattr(module, "run", None)
    if not callable(run):
        raise CommandError(f"benchmarks/{name}.py has no run(options) function.")
    result = run(options)
    if not isinstance(result, dict):
        raise CommandError(f"benchmarks/{name}.py returned {type(result).__name__}, not a dict.")
    return result


class Command(BaseCommand):
    help = "Run a benchmark from benchmarks/ (or all of them) and write var/bench/NAME.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help='A benchmark in benchmarks/, or "all".')
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
        parser.add_argument(
            "--quick",
            action="store_true",
            help="A tiny run that checks the benchmark works; its figures mean nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = benchmarks_dir()
        available = available_benchmarks(folder)
        name = options["name"]
        if name == "all":
            names = available
        elif name in available:
            names = [name]
        else:
            listing = ", ".join(available) if available else "none found"
            raise CommandError(
                f"There is no benchmark called {name!r}. Available: {listing} (or all)."
            )
        output_dir = Path(settings.VAR_DIR) / "bench"
        output_dir.mkdir(parents=True, exist_ok=True)
        results: dict[str, Any] = {}
        for each in names:
            if not options["json"]:
                self.stdout.write(f"Running {each}...")
            results[each] = self._run_one(folder, each, options["quick"], output_dir)
            if not options["json"]:
                self.stdout.write(f"Wrote {output_dir / (each + '.json')}")
        if options["json"]:
            printed = results[names[0]] if name != "all" else results
            self.stdout.write(json.dumps(printed, indent=2))

    def _run_one(self, folder: Path, name: str, quick: bool, output_dir: Path) -> dict[str, Any]:
        started = time.monotonic()
        result = {
            "benchmark": name,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": quick,
            **run_benchmark(folder, name, {"quick": quick}),
        }
        result["took_seconds"] = round(time.monotonic() - started, 1)
        (output_dir / f"{name}.json").write_text(
            json.dumps(result, indent=2) + "\n", encoding="utf-8"
        )
        return result
