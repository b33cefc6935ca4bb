"""Pages: requests per second and p50/p99 latency of real pages beside a bare view.

Measures the home page (``/``) and the log-in page (``/login/``; ``/help/``
while the log-in page does not exist yet, as the result says) beside
``/_bench/one-query/``, a bare Django view that runs one query, all served
the same way by the server ``peerlight serve`` runs (2 processes), loaded by
wrk from a second process. Each database is measured: SQLite, and
PostgreSQL at 127.0.0.1:5432 (database ``peerlight_bench``), skipped with a
reason only when unreachable.

Peerlight is measured as shipped (``peerlight.asgi``, ``peerlight.settings``):
HTTP through Django's WSGI handler on a thread pool inside the ASGI
application, with persistent database connections (docs/operations.md,
"Server choice").

Goals, judged per database and reported as met or not:
- every real page reaches at least half the bare view's requests per second;
- the one-query view reaches at least 1,500 requests per second per core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks._harness import (
    ONE_QUERY_PATH,
    QUICK_LOAD,
    LoadSettings,
    free_port,
    load_description,
    machine,
    measure_pages,
    path_resolves,
    prepare_postgres,
    prepare_sqlite,
    server_environment,
)
from peerlight.lib.management.commands.serve import DEFAULT_SERVER, server_command

SERVER_PROCESSES = 2
BARE_VIEW = "bare one-query view"
HALF_OF_BARE_VIEW = 0.5
REQUESTS_PER_SECOND_PER_CORE = 1500


def run(options: dict[str, Any]) -> dict[str, Any]:
    quick = bool(options.get("quick"))
    load = QUICK_LOAD if quick else LoadSettings()
    work_dir = Path(settings.VAR_DIR) / "bench"
    pages, pages_note = pages_to_measure()
    cores = machine()["cores"]
    databases = database_urls(work_dir, quick)

    result: dict[str, Any] = {
        "measures": "requests/s and latency of real pages beside a bare one-query view",
        "machine": machine(),
        "server": DEFAULT_SERVER,
        "server_processes": SERVER_PROCESSES,
        "cores": cores,
        "load": load_description(load),
        "pages": pages,
        "pages_note": pages_note,
        "goals": {
            "real_pages_at_least_half_of_bare_view": (
                f"each real page >= {HALF_OF_BARE_VIEW:g} x the bare view's requests/s"
            ),
            "one_query_view_per_core": (
                f"bare one-query view >= {REQUESTS_PER_SECOND_PER_CORE} requests/s per core"
            ),
        },
    }
    result["databases"] = measure_configuration(
        databases, pages, load, work_dir, quick=quick, cores=cores
    )
    return result


def pages_to_measure() -> tuple[dict[str, str], str]:
    """Labels and paths to measure, and a note when the log-in page is stood in for."""
    pages = {BARE_VIEW: ONE_QUERY_PATH, "home": "/"}
    if path_resolves("/login/"):
        pages["log-in"] = "/login/"
        return pages, ""
    pages["help (for log-in)"] = "/help/"
    return pages, "/login/ does not resolve yet, so /help/ is measured in its place."


def database_urls(work_dir: Path, quick: bool) -> dict[str, tuple[str | None, str]]:
    """Each database's URL and "", or None and why it is skipped."""
    databases: dict[str, tuple[str | None, str]] = {
        "sqlite": (prepare_sqlite(work_dir / "pages-sqlite"), "")
    }
    if not quick:
        databases["postgresql"] = prepare_postgres("peerlight_bench")
    return databases


def measure_configuration(
    databases: dict[str, tuple[str | None, str]],
    pages: dict[str, str],
    load: LoadSettings,
    work_dir: Path,
    *,
    quick: bool,
    cores: int,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for database, (url, skipped_because) in databases.items():
        if url is None:
            results[database] = {"skipped": skipped_because}
            continue
        port = free_port()
        command = server_command(DEFAULT_SERVER, "127.0.0.1", port, SERVER_PROCESSES)
        measured = measure_pages(
            command,
            server_environment(url, {}),
            port,
            pages,
            load,
            work_dir / "logs" / f"pages-{database}.log",
        )
        results[database] = {
            "server_command": command,
            "pages": measured,
            **judge(measured, cores, quick),
        }
    return results


def judge(measured: dict[str, dict[str, Any]], cores: int, quick: bool) -> dict[str, Any]:
    """Ratios of each real page to the bare view, and whether each goal is met."""
    bare = measured[BARE_VIEW]["requests_per_second"]
    ratios = {
        label: round(figures["requests_per_second"] / bare, 2) if bare else 0.0
        for label, figures in measured.items()
        if label != BARE_VIEW
    }
    per_core = round(bare / cores, 1)
    if quick:
        return {"ratio_to_bare_view": ratios, "goals_met": "not judged in a quick self-test"}
    return {
        "ratio_to_bare_view": ratios,
        "bare_view_requests_per_second_per_core": per_core,
        "goals_met": {
            "real_pages_at_least_half_of_bare_view": all(
                ratio >= HALF_OF_BARE_VIEW for ratio in ratios.values()
            ),
            "one_query_view_per_core": per_core >= REQUESTS_PER_SECOND_PER_CORE,
        },
    }
