"""Petition: signatures a second when a campaign goes viral, and none lost or counted twice.

One open petition (``benchmarks/_petition_seed.py``: a visitor's signature
counts at once, no district check) is signed for 60 seconds, after 5 seconds
of warm-up, as fast as a second process can send (``benchmarks/_petition_load.py``):
8 workers, each a keep-alive connection that opens the campaign page once,
like a browser, for the CSRF cookie and token, then posts
``/act/<slug>/sign/`` back to back, every signature from a new visitor (a new
e-mail address, and a new client address in ``X-Forwarded-For``, which the
server trusts from 127.0.0.1 as behind a reverse proxy, so a per-address rate
limit counts visitors as in production). About 2 % of requests are retries of
an already-accepted e-mail address, half sent again later and half sent on
two connections at once (a phone that resends while the first is still on
its way); a retry must be accepted (303 to ``/act/<slug>/signed/``) and
change nothing. The redirect is not followed: the sign request alone is
measured.

The server runs as ``peerlight serve`` runs it (granian, 2 processes) with
the benchmark servers' settings, on each database: SQLite, and PostgreSQL at
127.0.0.1:5432 (database ``peerlight_bench_petition``, dropped and made
again), skipped with the reason when unreachable. Client, server and
database share this machine's cores.

Reported per database: ``signatures_per_second`` (new signatures accepted
in the measured window), ``p50_ms``/``p99_ms``/``max_ms`` of every sign
request finished in it (retries included), ``accepted`` (distinct e-mail
addresses the client saw accepted, warm-up included), ``retries``,
``errors`` (any other answer, or none), and from the database afterwards
``rows`` (confirmed signatures) and ``counter`` (``Petition.signature_count``):

- ``lost`` = accepted addresses with no confirmed row + the signatures the
  counter is short of (every distinct stored or accepted address should be
  counted once);
- ``duplicated`` = rows beyond one per address + the counter's excess over
  the rows.

Goal: lost = 0 and duplicated = 0 on every database.

Environment, to narrow a run: ``PEERLIGHT_BENCH_PETITION_SECONDS`` (measured
seconds), ``PEERLIGHT_BENCH_PETITION_WORKERS``,
``PEERLIGHT_BENCH_PETITION_DATABASES`` (``sqlite``, ``postgresql``, comma-
separated; ``--quick`` runs SQLite only unless this says otherwise) and
``PEERLIGHT_BENCH_PETITION_DATABASE`` (the PostgreSQL database's name).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks._chat_cluster import fresh_postgres_database
from benchmarks._harness import (
    PROJECT_DIR,
    BenchmarkError,
    RunningServer,
    free_port,
    machine,
    migrate,
    peerlight_command,
    prepare_sqlite,
    running_server,
    server_environment,
)
from peerlight.lib.management.commands.serve import DEFAULT_SERVER, server_command

POSTGRES_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_DATABASE = "peerlight_bench_petition"
LOAD_CLIENT = Path(__file__).with_name("_petition_load.py")
SEED = "benchmarks._petition_seed"
DATABASES = ("sqlite", "postgresql")
SERVER_PROCESSES = 2
# The longest a run may take beyond its planned seconds before it is stopped.
CLIENT_GRACE_SECONDS = 120


@dataclass(frozen=True)
class Load:
    seconds: float
    warmup_seconds: float
    # Threads of the load process, each with its own keep-alive connection.
    workers: int
    # One retry after every this many accepted signatures (50: about 2 %).
    retry_every: int


# Eight connections keep both server processes busy on 2 cores; more only
# queue at the database's one writer and lengthen every request.
FULL = Load(seconds=60, warmup_seconds=5, workers=8, retry_every=50)
QUICK = Load(seconds=3, warmup_seconds=0.5, workers=2, retry_every=10)


def load_for(quick: bool) -> Load:
    load = QUICK if quick else FULL
    if seconds := os.environ.get("PEERLIGHT_BENCH_PETITION_SECONDS"):
        load = replace(load, seconds=max(0.5, float(seconds)))
    if workers := os.environ.get("PEERLIGHT_BENCH_PETITION_WORKERS"):
        load = replace(load, workers=max(1, int(workers)))
    return load


def chosen_databases(quick: bool) -> list[str]:
    asked = os.environ.get("PEERLIGHT_BENCH_PETITION_DATABASES", "")
    names = [name.strip() for name in asked.split(",") if name.strip()]
    unknown = sorted(set(names) - set(DATABASES))
    if unknown:
        raise BenchmarkError(f"Unknown databases {unknown}; choose from {list(DATABASES)}.")
    return names or (["sqlite"] if quick else list(DATABASES))


def run(options: dict[str, Any]) -> dict[str, Any]:
    quick = bool(options.get("quick"))
    load = load_for(quick)
    work_dir = Path(settings.VAR_DIR) / "bench" / "petition"
    result: dict[str, Any] = {
        "measures": (
            "petition signatures posted back to back: signatures/s, latency, and the "
            "counter and rows against the signatures the client saw accepted"
        ),
        "machine": machine(),
        "server": f"{DEFAULT_SERVER}, {SERVER_PROCESSES} processes",
        "load": {
            **asdict(load),
            "requests": (
                f"{load.workers} keep-alive connections posting signatures back to back; "
                f"one retry of an accepted e-mail after every {load.retry_every} accepted "
                "(alternately later, and at once on a second connection)"
            ),
            "client_is": "Python threads in one process on the same cores as the server",
        },
        "goals": {"no_loss_or_duplicates": "lost = duplicated = 0"},
        "databases": {},
    }
    if quick:
        result["note"] = "quick self-test: short run, figures not meaningful"
    for name in chosen_databases(quick):
        result["databases"][name] = run_database(name, load, work_dir / name)
    result["goals_met"] = judge(result["databases"])
    return result


def prepare(name: str, work_dir: Path) -> tuple[str | None, str]:
    """A fresh, migrated database: (URL, "") or (None, why it is skipped)."""
    if name == "sqlite":
        return prepare_sqlite(work_dir), ""
    database = os.environ.get("PEERLIGHT_BENCH_PETITION_DATABASE") or POSTGRES_DATABASE
    url, why = fresh_postgres_database(POSTGRES_SERVER_URL, database)
    if url is not None:
        migrate(url)
    return url, why


def run_database(name: str, load: Load, work_dir: Path) -> dict[str, Any]:
    work_dir.mkdir(parents=True, exist_ok=True)
    url, why = prepare(name, work_dir)
    if url is None:
        return {"skipped": why}
    environment = server_environment(url)
    campaign = json.loads(in_shell(environment, f"from {SEED} import main; main()"))
    port = free_port()
    command = server_command(DEFAULT_SERVER, "127.0.0.1", port, SERVER_PROCESSES)
    with running_server(command, environment, port, work_dir / "server.log") as server:
        cpu_before = server.cpu_seconds()
        report = run_client(server, campaign["slug"], load, work_dir / "client.json")
        server_cpu = server.cpu_seconds() - cpu_before
    stored = json.loads(
        in_shell(
            environment,
            f"from {SEED} import stored; stored()",
            json.dumps({"petition": campaign["petition"]}),
        )
    )
    requests = report["requests"]
    return {
        **figures(report),
        **reconcile(report["accepted"], stored["confirmed_emails"], stored["counter"]),
        "pending_rows": stored["pending_rows"],
        "server_cpu_ms_per_request": round(server_cpu * 1000 / requests, 3) if requests else None,
        "client_cpu_seconds": report["cpu_seconds"],
    }


def in_shell(environment: Mapping[str, str], code: str, input_text: str = "") -> str:
    """The last line ``peerlight shell -c CODE`` prints, run against the benchmark's database."""
    finished = subprocess.run(
        peerlight_command("shell", "-c", code),
        env=dict(environment),
        input=input_text,
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
    )
    if finished.returncode != 0:
        raise BenchmarkError(f"peerlight shell -c {code!r} failed:\n{finished.stderr[-3000:]}")
    return finished.stdout.strip().splitlines()[-1]


def run_client(server: RunningServer, slug: str, load: Load, report_path: Path) -> dict[str, Any]:
    """Run the load process against ``server`` and return its report."""
    client_settings = {
        "base_url": server.base_url,
        "slug": slug,
        "workers": load.workers,
        "warmup_seconds": load.warmup_seconds,
        "seconds": load.seconds,
        "retry_every": load.retry_every,
        "run": slug.rsplit("-", 1)[-1],
        "report": str(report_path),
    }
    try:
        finished = subprocess.run(
            [sys.executable, str(LOAD_CLIENT)],
            input=json.dumps(client_settings) + "\n",
            capture_output=True,
            text=True,
            timeout=load.warmup_seconds + load.seconds + CLIENT_GRACE_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchmarkError(f"The load client did not finish:\n{server.log_tail()}") from error
    if "REPORTED" not in finished.stdout:
        raise BenchmarkError(
            f"The load client stopped without a report:\n{finished.stderr[-2000:]}"
        )
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    if "page_error" in report:
        raise BenchmarkError(
            f"The load client could not sign: {report['page_error']}\n{server.log_tail()}"
        )
    return report


def percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """Speed and errors, from the load client's report."""
    latencies = sorted(report["latencies_ms"])
    seconds = report["measured_seconds"]
    retries = report["retries"]
    return {
        "signatures_per_second": (
            round(report["measured_signatures"] / seconds, 1) if seconds else 0.0
        ),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "measured_seconds": seconds,
        "measured_signatures": report["measured_signatures"],
        "requests": report["requests"],
        "retries": sum(retries.values()),
        "retries_by_kind": retries,
        "retries_accepted": report["retries_accepted"],
        "errors": sum(report["errors"].values()),
        "errors_by_kind": report["errors"],
        "unanswered": len(report["unanswered"]),
    }


def reconcile(accepted: Iterable[str], stored: list[str], counter: int) -> dict[str, Any]:
    """``lost`` and ``duplicated`` from what the client saw and what the database holds.

    ``accepted`` are the e-mail addresses the client saw accepted (repeats
    allowed: retries), ``stored`` the address of every confirmed row,
    ``counter`` the petition's counter. The counter should equal the number of
    distinct addresses accepted or stored: a signature whose answer never came
    may still have been stored, and must then be counted too.
    """
    accepted_addresses = {address.strip().casefold() for address in accepted}
    stored_addresses = set(stored)
    rows = len(stored)
    without_row = len(accepted_addresses - stored_addresses)
    uncounted = max(0, len(accepted_addresses | stored_addresses) - counter)
    extra_rows = rows - len(stored_addresses)
    overcounted = max(0, counter - rows)
    return {
        "accepted": len(accepted_addresses),
        "rows": rows,
        "counter": counter,
        "lost": without_row + uncounted,
        "duplicated": extra_rows + overcounted,
        "lost_detail": {"accepted_without_row": without_row, "not_counted": uncounted},
        "duplicated_detail": {
            "rows_beyond_one_per_address": extra_rows,
            "overcounted": overcounted,
        },
    }


def judge(databases: dict[str, Any]) -> dict[str, Any]:
    goals: dict[str, Any] = {}
    for name, measured in databases.items():
        if "skipped" in measured:
            goals[name] = {"skipped": measured["skipped"]}
            continue
        goals[name] = {
            "no_loss_or_duplicates": measured["lost"] == 0 and measured["duplicated"] == 0
        }
    return goals
