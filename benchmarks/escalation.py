"""Escalations: from a risky message's commit to the on-call coordinator's screen, through crashes.

Each database (SQLite file; PostgreSQL at 127.0.0.1:5432 when reachable,
database ``peerlight_bench_escalation``) runs two rounds in a separate
process (``benchmarks/_escalation_round.py``):

- **kill**: N imminent-risk messages (one chat each, so one case each) sent
  through ``chat.actions.send_message`` at a steady rate while the real
  ``peerlight worker`` process is killed with SIGKILL at random moments
  (first within 1 s, then every 0.5 to 2.5 s) and started again at once;
- **healthy**: the same with a worker left alone.

What is measured, per case: from the moment ``send_message`` returned (the
message and its outbox row committed) to the moment the console's own query
(``escalations.open_cases`` for the on-call coordinator, which the console
fragment runs every 2 s) first returns the case as notified (``notified_at``
set by the dispatcher when it alerted the coordinator), polled every 20 ms.
The console's own 2 s polling interval is not added. ``lost``: messages whose
case was never seen notified (the rounds wait up to 30 s after the last
message). Goals: lost = 0 in every round; p99 <= 5 s in the healthy round.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks._harness import (
    PROJECT_DIR,
    BenchmarkError,
    machine,
    prepare_postgres,
    prepare_sqlite,
    server_environment,
)

FULL = {"count": 300, "rate": 20.0}
QUICK = {"count": 20, "rate": 10.0}
P99_GOAL_MS = 5000


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(share * len(values)) - 1))
    return round(sorted(values)[index], 1)


def _round(database_url: str, *, kill: bool, count: int, rate: float, log: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks._escalation_round",
        "--count",
        str(count),
        "--rate",
        str(rate),
        "--log",
        str(log),
    ]
    if kill:
        command.append("--kill")
    result = subprocess.run(
        command,
        env=server_environment(database_url),
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
        timeout=count / rate + 180,
    )
    if result.returncode != 0:
        raise BenchmarkError(f"The escalation round failed:\n{result.stderr[-2000:]}")
    raw = json.loads(result.stdout.strip().splitlines()[-1])
    latencies: list[float] = raw.pop("latencies_ms")
    return {
        **raw,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": round(max(latencies), 1) if latencies else None,
    }


def _database(url: str, sizes: dict[str, float], work_dir: Path, name: str) -> dict[str, Any]:
    count, rate = int(sizes["count"]), float(sizes["rate"])
    kill = _round(url, kill=True, count=count, rate=rate, log=work_dir / f"{name}-kill.log")
    healthy = _round(url, kill=False, count=count, rate=rate, log=work_dir / f"{name}-ok.log")
    return {
        "kill": kill,
        "healthy": healthy,
        "lost": kill["lost"] + healthy["lost"],
        "goals_met": {
            "lost_is_zero": kill["lost"] + healthy["lost"] == 0,
            "healthy_p99_within_5s": healthy["p99_ms"] is not None
            and healthy["p99_ms"] <= P99_GOAL_MS,
        },
    }


def run(options: dict[str, Any]) -> dict[str, Any]:
    quick = bool(options.get("quick"))
    sizes = QUICK if quick else FULL
    work_dir = Path(settings.VAR_DIR) / "bench" / "escalation"
    work_dir.mkdir(parents=True, exist_ok=True)
    databases: dict[str, Any] = {}
    sqlite_url = prepare_sqlite(work_dir / "sqlite")
    databases["sqlite"] = _database(sqlite_url, sizes, work_dir, "sqlite")
    if not quick:
        postgres_url, why = prepare_postgres("peerlight_bench_escalation")
        databases["postgresql"] = (
            _database(postgres_url, sizes, work_dir, "postgresql")
            if postgres_url
            else {"skipped": why}
        )
    lost = sum(int(result.get("lost", 0)) for result in databases.values())
    return {
        "measures": (
            "ms from a risky message's commit to the console query returning its case as "
            "notified; lost cases; with the worker killed (SIGKILL) at random, and healthy"
        ),
        "machine": machine(),
        "messages_per_round": sizes["count"],
        "rate_per_second": sizes["rate"],
        "lost": lost,
        "goals": {"lost": "0", "healthy_p99_ms": f"<= {P99_GOAL_MS}"},
        "databases": databases,
    }
