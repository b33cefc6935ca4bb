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

"Per core" is judged by the server's own CPU: user plus system time of
every server process (from ``/proc``) while wrk runs, so requests per
CPU-second, what one core would serve with nothing else on it. wrk and the
database run on the same cores and take a share of them, so total requests
per second divided by the cores (also reported) understates it. The ratio to
the bare view is judged the same way (CPU per request), and reported by
requests per second too.
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
PER_CORE_METHOD = (
    "per core = requests / CPU-seconds of the server processes (user + system time "
    "from /proc, all processes of the server's process group) while wrk runs; "
    "ratios to the bare view compare requests per CPU-second. Total requests/s "
    "divided by the cores is reported too: it is lower because wrk and the "
    "database share the same cores."
)


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
        "method": PER_CORE_METHOD,
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
    """Ratios of each real page to the bare view, and whether each goal is met.

    Goals are judged by server CPU (requests per CPU-second, see
    ``PER_CORE_METHOD``); the throughput ratios are given beside them.
    """
    bare = measured[BARE_VIEW]
    ratios = {
        label: _ratio(figures["requests_per_second"], bare["requests_per_second"])
        for label, figures in measured.items()
        if label != BARE_VIEW
    }
    cpu_ratios = {
        label: _ratio(figures["requests_per_cpu_second"], bare["requests_per_cpu_second"])
        for label, figures in measured.items()
        if label != BARE_VIEW
    }
    if quick:
        return {
            "ratio_to_bare_view": ratios,
            "ratio_to_bare_view_by_cpu": cpu_ratios,
            "goals_met": "not judged in a quick self-test",
        }
    per_cpu_second = bare["requests_per_cpu_second"] or 0.0
    return {
        "ratio_to_bare_view": ratios,
        "ratio_to_bare_view_by_cpu": cpu_ratios,
        "bare_view_requests_per_cpu_second": per_cpu_second,
        "bare_view_requests_per_second_per_core": round(bare["requests_per_second"] / cores, 1),
        "goals_met": {
            "real_pages_at_least_half_of_bare_view": all(
                ratio >= HALF_OF_BARE_VIEW for ratio in cpu_ratios.values()
            ),
            "one_query_view_per_core": per_cpu_second >= REQUESTS_PER_SECOND_PER_CORE,
        },
    }


def _ratio(page: float | None, bare: float | None) -> float:
    return round(page / bare, 2) if page and bare else 0.0
