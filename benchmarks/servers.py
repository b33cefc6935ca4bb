"""Servers: which server and application layout serves Peerlight's pages fastest.

Measures requests per second, p50/p99 latency and server CPU per request of
the bare one-query view, the home page and the log-in page (``/help/`` while
``/login/`` does not exist) on SQLite, with 2 server processes on this
machine, for each candidate:

- uvicorn with asyncio and h11, and with uvloop and httptools (what
  ``uvicorn[standard]`` installs), serving Django's ASGI handler
  (``benchmarks/bench_asgi.py``, the layout Peerlight does not ship);
- granian serving Django's ASGI handler;
- granian serving Django's WSGI handler (HTML only: no websockets);
- uvicorn and granian serving ``peerlight.asgi`` as shipped: one ASGI
  application whose HTTP side is Django's WSGI handler on a thread pool,
  websockets through Channels.

Every candidate runs with Peerlight's own database settings (persistent
connections), so only the server and the layout differ. The load generator
(wrk) shares the 2 cores with the server. Two rounds run, the second in reverse
order, and each page keeps its best round, since other work on a shared machine
only ever slows a run down; server CPU milliseconds per request is the steadier
figure to compare.

Goal: pick the default for ``peerlight serve``, which must serve HTTP and
websockets from one command; a WSGI-only server counts as a reference for
HTML speed, with its layout proposed only if it is much faster.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks._harness import (
    QUICK_LOAD,
    LoadSettings,
    free_port,
    load_description,
    machine,
    measure_pages,
    prepare_sqlite,
    server_environment,
)
from benchmarks.pages import BARE_VIEW, pages_to_measure
from peerlight.lib.management.commands.serve import server_command

DJANGO_ASGI_APPLICATION = "benchmarks.bench_asgi:application"

SERVER_PROCESSES = 2
WSGI_THREADS = 8
ROUNDS = 2
# Shorter than the pages benchmark's runs: six candidates, two rounds each.
SERVER_LOAD = LoadSettings(warmup_seconds=2, measure_seconds=6)


@dataclass(frozen=True)
class Candidate:
    name: str
    server: str
    websockets: bool
    extra_arguments: tuple[str, ...] = ()
    application: str = "peerlight.asgi:application"
    needs: tuple[str, ...] = field(default=())

    def command(self, port: int) -> list[str]:
        if self.server == "granian-wsgi":
            return [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(SERVER_PROCESSES),
                "--blocking-threads",
                str(WSGI_THREADS),
                "--log-level",
                "warning",
                "--workers-kill-timeout",
                "5",
                self.application,
            ]
        command = server_command(
            self.server, "127.0.0.1", port, SERVER_PROCESSES, self.application
        )
        return [*command, *self.extra_arguments]


CANDIDATES = (
    Candidate(
        "uvicorn asyncio+h11, Django ASGI",
        "uvicorn",
        websockets=True,
        application=DJANGO_ASGI_APPLICATION,
        # Later options win: plain asyncio and h11 instead of uvloop and httptools.
        extra_arguments=("--loop", "asyncio", "--http", "h11"),
    ),
    Candidate(
        "uvicorn uvloop+httptools, Django ASGI",
        "uvicorn",
        websockets=True,
        application=DJANGO_ASGI_APPLICATION,
    ),
    Candidate(
        "granian ASGI, Django ASGI",
        "granian",
        websockets=True,
        application=DJANGO_ASGI_APPLICATION,
    ),
    Candidate(
        "granian WSGI, Django WSGI (no websockets)",
        "granian-wsgi",
        websockets=False,
        application="peerlight.wsgi:application",
    ),
    Candidate(
        "uvicorn uvloop+httptools, WSGI on threads in ASGI (shipped)", "uvicorn", websockets=True
    ),
    Candidate("granian ASGI, WSGI on threads in ASGI (shipped)", "granian", websockets=True),
)


def run(options: dict[str, Any]) -> dict[str, Any]:
    quick = bool(options.get("quick"))
    load = QUICK_LOAD if quick else SERVER_LOAD
    work_dir = Path(settings.VAR_DIR) / "bench"
    pages, pages_note = pages_to_measure()
    database_url = prepare_sqlite(work_dir / "servers-sqlite")
    environment = server_environment(
        database_url,
        {"PEERLIGHT_HTTP_THREADS": str(WSGI_THREADS)},
    )
    candidates = [
        candidate
        for candidate in (CANDIDATES[1:2] if quick else CANDIDATES)
        if not missing_packages(candidate)
    ]
    rounds: list[dict[str, dict[str, dict[str, Any]]]] = []
    for number in range(1 if quick else ROUNDS):
        # Every other round runs the candidates in reverse order, so a burst
        # of other work on the machine does not always hit the same one.
        ordered = candidates if number % 2 == 0 else candidates[::-1]
        measured_round = {}
        for candidate in ordered:
            port = free_port()
            measured_round[candidate.name] = measure_pages(
                candidate.command(port),
                environment,
                port,
                pages,
                load,
                work_dir / "logs" / f"servers-{CANDIDATES.index(candidate)}.log",
            )
        rounds.append(measured_round)
    results: dict[str, Any] = {
        candidate.name: {"skipped": f"not installed: {', '.join(missing_packages(candidate))}"}
        for candidate in CANDIDATES
        if missing_packages(candidate)
    }
    for candidate in candidates:
        per_round = [measured_round[candidate.name] for measured_round in rounds]
        best = best_of_rounds(per_round)
        bare = best[BARE_VIEW]["requests_per_second"]
        results[candidate.name] = {
            "websockets": candidate.websockets,
            "command": [("{port}" if part == "0" else part) for part in candidate.command(0)],
            "best": best,
            "ratio_to_bare_view": {
                label: round(figures["requests_per_second"] / bare, 2) if bare else 0.0
                for label, figures in best.items()
                if label != BARE_VIEW
            },
            "rounds": per_round,
        }
    return {
        "measures": "the same pages under each candidate server and layout, SQLite",
        "machine": machine(),
        "server_processes": SERVER_PROCESSES,
        "wsgi_threads_per_process": WSGI_THREADS,
        "database": "sqlite, Peerlight's own settings",
        "load": load_description(load),
        "rounds": len(rounds),
        "best": "per page, the round with the most requests/s (the least disturbed)",
        "pages": pages,
        "pages_note": pages_note,
        "candidates": results,
    }


def missing_packages(candidate: Candidate) -> list[str]:
    return [name for name in candidate.needs if importlib.util.find_spec(name) is None]


def best_of_rounds(per_round: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per page, the figures of the round with the highest requests/s."""
    return {
        label: max(
            (measured[label] for measured in per_round),
            key=lambda figures: figures["requests_per_second"],
        )
        for label in per_round[0]
    }
