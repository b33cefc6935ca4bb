"""What the HTTP benchmarks share: databases, servers, and the load generator.

Not a benchmark itself (its name starts with ``_``). A benchmark prepares a
database with ``prepare_sqlite`` or ``prepare_postgres``, starts a server in
its own process group with ``running_server``, and measures one URL at a time
with ``measure``: ``wrk`` from a second process for real runs, or a small
Python client for the quick self-test, whose figures mean nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.core.management.base import CommandError
from psycopg import sql

PROJECT_DIR = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_SETTINGS = "benchmarks.bench_settings"
ONE_QUERY_PATH = "/_bench/one-query/"

# wrk reports its own summary as text; this script adds one JSON line that
# holds the exact counts and latency percentiles (microseconds).
WRK_REPORT_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH-JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"errors\\": %d, "
    .. "\\"non_2xx_or_3xx\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d, \\"max_us\\": %d}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


class BenchmarkError(CommandError):
    """A benchmark cannot run here; the message says why and what to do."""


@dataclass(frozen=True)
class LoadSettings:
    """How hard and how long each URL is measured."""

    warmup_seconds: float = 3.0
    measure_seconds: float = 10.0
    connections: int = 32
    quick: bool = False


QUICK_LOAD = LoadSettings(warmup_seconds=0.3, measure_seconds=1.0, connections=2, quick=True)


def machine() -> dict[str, Any]:
    """Cores and load on this machine, recorded beside every result."""
    return {
        "cores": os.cpu_count() or 1,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
    }


def ensure_wrk() -> str:
    """Path to ``wrk``, installed from Debian's packages when missing and allowed."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=environment)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=False,
            env=environment,
            stdout=subprocess.DEVNULL,
        )
        found = shutil.which("wrk")
        if found:
            return found
    raise BenchmarkError(
        "The load generator wrk is missing. Install it with: apt-get install -y wrk"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peerlight_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "peerlight.cli", *args]


def server_environment(
    database_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for a benchmark server: bench settings, quiet logs, the given database."""
    python_path = [str(PROJECT_DIR), *filter(None, [os.environ.get("PYTHONPATH", "")])]
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS,
        "PYTHONPATH": os.pathsep.join(python_path),
        "DATABASE_URL": database_url,
        "PEERLIGHT_LOG_LEVEL": "WARNING",
        # Measured as deployed: no debug mode, so templates come from the
        # cached loader, whatever the shell running the benchmark has set.
        "PEERLIGHT_DEBUG": "false",
        **(extra or {}),
    }


def migrate(database_url: str) -> None:
    result = subprocess.run(
        peerlight_command("migrate", "--no-input"),
        env=server_environment(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchmarkError(f"Migrating the benchmark database failed:\n{result.stderr[-2000:]}")


def prepare_sqlite(folder: Path) -> str:
    """A fresh, migrated SQLite database in ``folder``; returns its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("bench.sqlite3*"):
        leftover.unlink()
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    migrate(url)
    return url


def prepare_postgres(name: str) -> tuple[str | None, str]:
    """A migrated PostgreSQL database ``name``: (URL, "") or (None, why it was skipped)."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        return None, f"PostgreSQL at 127.0.0.1:5432 is unreachable: {first_line}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    migrate(url)
    return url, ""


def path_resolves(path: str) -> bool:
    """Whether Peerlight's URLs serve ``path`` (checked in this process)."""
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _process_group_cpu_seconds(group: int) -> float:
    """User plus system CPU time of every live process in ``group``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, ... utime (12th), stime (13th).
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def cpu_seconds(self) -> float:
        return _process_group_cpu_seconds(self.process.pid)

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""


def _get_status(url: str) -> int:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@contextmanager
def running_server(
    command: Sequence[str], environment: Mapping[str, str], port: int, log_path: Path
) -> Iterator[RunningServer]:
    """Run ``command`` in its own process group until the block ends.

    Waits until the server answers on ``port``; on the way out sends SIGINT,
    then SIGKILL to the whole group if it has not stopped within 10 seconds.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command),
            env=dict(environment),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=PROJECT_DIR,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_until_answering(server)
        yield server
    finally:
        _stop_group(process)


def _wait_until_answering(server: RunningServer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkError(f"The server exited at start:\n{server.log_tail()}")
        try:
            _get_status(server.base_url + ONE_QUERY_PATH)
        except OSError:
            time.sleep(0.2)
            continue
        return
    raise BenchmarkError(f"The server did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    group = process.pid
    try:
        os.killpg(group, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        process.poll()
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    # Some servers' workers do not always stop on SIGINT; the benchmark
    # must not leave them behind.
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    process.wait(timeout=10)


def measure(server: RunningServer, path: str, load: LoadSettings) -> dict[str, Any]:
    """Load ``path`` from a second process; throughput, latency, errors and server CPU."""
    url = server.base_url + path
    status = _get_status(url)
    if status != 200:
        raise BenchmarkError(f"{path} answered {status}, not 200:\n{server.log_tail()}")
    run_load = _run_python_load if load.quick else _run_wrk
    run_load(url, load.warmup_seconds, load.connections)
    cpu_before = server.cpu_seconds()
    report = run_load(url, load.measure_seconds, load.connections)
    cpu_used = server.cpu_seconds() - cpu_before
    # Other work on the machine lowers throughput; this shows when it did.
    load_after = round(os.getloadavg()[0], 2)
    seconds = report["duration_us"] / 1e6
    requests = report["requests"]
    return {
        "requests_per_second": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": round(report["p50_us"] / 1000, 2),
        "p99_ms": round(report["p99_us"] / 1000, 2),
        "errors": report["errors"] + report["non_2xx_or_3xx"],
        "requests": requests,
        "server_cpu_ms_per_request": round(cpu_used * 1000 / requests, 3) if requests else None,
        # Requests per second of server CPU: what one core would serve if the
        # server had it to itself (wrk and the database share the cores).
        "requests_per_cpu_second": round(requests / cpu_used, 1) if cpu_used else None,
        "load_average_1m_after": load_after,
    }


def _run_wrk(url: str, seconds: float, connections: int) -> dict[str, Any]:
    from django.conf import settings

    script = Path(settings.VAR_DIR) / "bench" / "wrk-report.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(WRK_REPORT_SCRIPT, encoding="utf-8")
    command = [
        ensure_wrk(),
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "--script",
        str(script),
        # Browsers ask for compressed pages, so the server's GZip work counts.
        "--header",
        "Accept-Encoding: gzip",
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return _parse_report(result, "wrk")


def _run_python_load(url: str, seconds: float, connections: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).with_name("_pyload.py")),
        url,
        str(seconds),
        str(connections),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return _parse_report(result, "the Python load generator")


def _parse_report(result: subprocess.CompletedProcess[str], tool: str) -> dict[str, Any]:
    for line in result.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            report: dict[str, Any] = json.loads(line.removeprefix("BENCH-JSON "))
            return report
    raise BenchmarkError(f"{tool} gave no report:\n{result.stdout[-1000:]}{result.stderr[-1000:]}")


def measure_pages(
    command: Sequence[str],
    environment: Mapping[str, str],
    port: int,
    pages: Mapping[str, str],
    load: LoadSettings,
    log_path: Path,
) -> dict[str, dict[str, Any]]:
    """Start one server and measure each of ``pages`` (label to path) in turn."""
    with running_server(command, environment, port, log_path) as server:
        return {label: measure(server, path, load) for label, path in pages.items()}


def load_description(load: LoadSettings) -> str:
    if load.quick:
        return (
            f"quick self-test: Python client, {load.connections} connections, "
            f"{load.measure_seconds:g} s per page; figures not meaningful"
        )
    return (
        f"wrk, 1 thread, {load.connections} keep-alive connections, "
        f"{load.warmup_seconds:g} s warm-up then {load.measure_seconds:g} s measured per page, "
        "Accept-Encoding: gzip; wrk runs on the same cores as the server"
    )
