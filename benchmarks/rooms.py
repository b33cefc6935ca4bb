"""Rooms: group-chat delivery latency, loss and duplicates over real websockets.

Fifty rooms (group conversations of the chat app, as a circle's online room
is) of fifteen people each, a facilitator and fourteen participants, every
one on a real websocket. Each person sends a message every 5 seconds for
60 seconds (their first at a random moment within the first 5 seconds, so
sends are spread out): 150 messages a second, each delivered to the 14
others of its room, 2,100 deliveries a second. Before that, two people of
each room send one message that everyone receives, so the servers are warm
(not counted). The clients (asyncio +
``websockets``, ``benchmarks/_rooms_load.py``) run in processes of their
own; the servers are started as ``peerlight serve`` starts them
(``benchmarks/_chat_cluster.py``), in two set-ups:

- ``embedded``: SQLite file, in-memory channel layer, one server process;
- ``scale_out``: PostgreSQL (database ``peerlight_bench_rooms`` at
  127.0.0.1:5432) and Redis (``REDIS_URL``, or redis://127.0.0.1:6379/13),
  two server processes; each room's people alternate between them. Skipped
  with the reason when either is unreachable.

Measured: for every message, the time from its send to its receipt by each
of the other people in its room (p50, p95, p99 and max over all
deliveries), and from send to ack; after sending stops every client
resumes once more, then ``lost`` counts acknowledged messages that some
other person of the room never received (``lost_deliveries``: the missing
receipts), ``duplicated`` seqs a person received more than once, and
``never_acked`` sends that were never acknowledged. Deliveries that only
the final resume brought count in the latencies too, as late as they were.
Also: server CPU and memory, the clients' own CPU and event-loop lag (a
busy client adds its delay to every receipt), and how busy the whole machine
was. Clients, servers and databases share this machine's cores.

Goals: lost = 0, duplicated = 0 and never_acked = 0; delivery p99 <= 100 ms
on 2 cores.

Environment, to narrow a run: ``PEERLIGHT_BENCH_ROOMS_SETUPS`` (comma-
separated set-up names), ``PEERLIGHT_BENCH_ROOMS_DATABASE`` (the PostgreSQL
database, dropped and made again), ``PEERLIGHT_BENCH_ROOMS_SECONDS`` (of
sending) and ``PEERLIGHT_BENCH_ROOMS_CLIENTS`` (load processes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks._chat_cluster import (
    Cluster,
    Server,
    _descendants,
    fresh_postgres_database,
    redis_reachable,
)
from benchmarks._harness import machine
from benchmarks._rooms_load import COUNTS

POSTGRES_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_DATABASE = "peerlight_bench_rooms"
# Not the chat benchmark's Redis database: the rate-limit counters live in
# the cache, keyed by user id, and each benchmark numbers its users from 1.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
LOAD_CLIENT = Path(__file__).with_name("_rooms_load.py")
SETUPS = ("embedded", "scale_out")

GOAL_P99_MS = 100.0


@dataclass(frozen=True)
class Load:
    rooms: int
    people: int
    seconds: float
    interval: float
    stagger: float
    # Load processes; each room's people are all in one of them.
    clients: int


FULL = Load(rooms=50, people=15, seconds=60, interval=5.0, stagger=5.0, clients=2)
QUICK = Load(rooms=2, people=3, seconds=5, interval=1.0, stagger=1.0, clients=1)


def load_for(quick: bool) -> Load:
    load = QUICK if quick else FULL
    if seconds := os.environ.get("PEERLIGHT_BENCH_ROOMS_SECONDS"):
        load = replace(load, seconds=float(seconds))
    if clients := os.environ.get("PEERLIGHT_BENCH_ROOMS_CLIENTS"):
        load = replace(load, clients=max(1, int(clients)))
    return load


def chosen_setups() -> list[str]:
    asked = os.environ.get("PEERLIGHT_BENCH_ROOMS_SETUPS", "")
    names = [name.strip() for name in asked.split(",") if name.strip()] or list(SETUPS)
    unknown = sorted(set(names) - set(SETUPS))
    if unknown:
        raise ValueError(f"Unknown set-ups {unknown}; choose from {list(SETUPS)}.")
    return names


def run(options: dict[str, Any]) -> dict[str, Any]:
    quick = bool(options.get("quick"))
    load = load_for(quick)
    work_dir = Path(settings.VAR_DIR) / "bench" / "rooms"
    result: dict[str, Any] = {
        "measures": (
            "group rooms over real websockets: send-to-receive latency to every other "
            "person of the room, acks, lost and duplicated messages"
        ),
        "machine": machine(),
        "load": {
            **asdict(load),
            "sends": (
                f"each person 1 message every {load.interval:g} s for {load.seconds:g} s, "
                f"the first within {load.stagger:g} s"
            ),
            "clients_are": "asyncio + websockets processes on the same cores as the servers",
        },
        "goals": {
            "no_loss_or_duplicates": "lost = duplicated = never_acked = 0",
            "p99_ms": f"<= {GOAL_P99_MS:g}",
        },
        "setups": {},
    }
    if quick:
        result["note"] = "quick self-test: tiny load, figures not meaningful"
    for name in chosen_setups():
        result["setups"][name] = run_setup(name, load, work_dir / name)
    result["goals_met"] = "not judged in a quick self-test" if quick else judge(result["setups"])
    return result


def _cluster_for(name: str, work_dir: Path) -> tuple[Cluster | None, str]:
    """The set-up's cluster (not started), or None and why it is skipped."""
    if name == "embedded":
        for leftover in work_dir.glob("rooms.sqlite3*"):
            leftover.unlink()
        return Cluster(work_dir, f"sqlite:///{work_dir / 'rooms.sqlite3'}"), ""
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if why := redis_reachable(redis_url):
        return None, why
    database = os.environ.get("PEERLIGHT_BENCH_ROOMS_DATABASE") or POSTGRES_DATABASE
    database_url, why = fresh_postgres_database(POSTGRES_SERVER_URL, database)
    if database_url is None:
        return None, why
    return Cluster(work_dir, database_url, redis_url), ""


def run_setup(name: str, load: Load, work_dir: Path) -> dict[str, Any]:
    work_dir.mkdir(parents=True, exist_ok=True)
    cluster, why = _cluster_for(name, work_dir)
    if cluster is None:
        return {"skipped": why}
    processes = 1 if name == "embedded" else 2
    results: dict[str, Any] = {
        "database": "sqlite" if name == "embedded" else "postgresql",
        "channel_layer": "in-memory" if name == "embedded" else "redis",
        "server_processes": processes,
        "server": cluster.server,
    }
    try:
        cluster.migrate()
        servers = [cluster.start() for _ in range(processes)]
        rooms = seed_rooms(cluster, load)
        results.update(run_rooms(cluster, servers, load, rooms, work_dir))
    finally:
        cluster.stop_all()
    return results


def seed_rooms(cluster: Cluster, load: Load) -> list[dict[str, Any]]:
    """``load.rooms`` group rooms of ``load.people``, each person with a session."""
    request = json.dumps({"rooms": load.rooms, "people": load.people})
    output = cluster.peerlight(
        "shell", "-c", "from benchmarks._rooms_seed import main; main()", input_text=request
    )
    rooms: list[dict[str, Any]] = json.loads(output.strip().splitlines()[-1])
    return rooms


def with_urls(rooms: list[dict[str, Any]], servers: list[Server]) -> list[dict[str, Any]]:
    """Each person connects to the servers in turn (person i first to server i mod n)."""
    urls = [server.socket_url for server in servers]
    return [
        {
            **room,
            "people": [
                {**person, "urls": urls[index % len(urls) :] + urls[: index % len(urls)]}
                for index, person in enumerate(room["people"])
            ],
        }
        for room in rooms
    ]


def run_rooms(
    cluster: Cluster,
    servers: list[Server],
    load: Load,
    rooms: list[dict[str, Any]],
    work_dir: Path,
) -> dict[str, Any]:
    """Open every socket, send for ``load.seconds``, and merge what the clients saw."""
    placed = with_urls(rooms, servers)
    shares = [placed[number :: load.clients] for number in range(min(load.clients, len(placed)))]
    report_paths = [work_dir / f"client-{number}.json" for number in range(len(shares))]
    clients = [
        start_client(
            {
                "seconds": load.seconds,
                "interval": load.interval,
                "stagger": load.stagger,
                "origin": servers[0].base_url,
                "uvloop": True,
                "rooms": share,
                "report": str(path),
            }
        )
        for share, path in zip(shares, report_paths, strict=True)
    ]
    try:
        for client in clients:
            wait_for_line(client, "READY")
        before = usage(cluster)
        for client in clients:
            assert client.stdin is not None
            client.stdin.write("GO\n")
            client.stdin.flush()
        for client in clients:
            wait_for_line(client, "SENT")
        after = usage(cluster)
        rss_kb = [cluster.rss_kb(server) for server in servers]
        reports = [
            read_report(client, path) for client, path in zip(clients, report_paths, strict=True)
        ]
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
    return {
        **summarise(reports),
        **cpu_figures(before, after, reports),
        "server_rss_kb": rss_kb,
    }


def start_client(client_settings: dict[str, Any]) -> subprocess.Popen[str]:
    client = subprocess.Popen(
        [sys.executable, str(LOAD_CLIENT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdin is not None
    client.stdin.write(json.dumps(client_settings) + "\n")
    client.stdin.flush()
    return client


def wait_for_line(client: subprocess.Popen[str], prefix: str) -> str:
    assert client.stdout is not None
    for line in client.stdout:
        if line.startswith(prefix):
            return line.strip()
    raise RuntimeError(f"The load client stopped before saying {prefix} (exit {client.wait()}).")


def read_report(client: subprocess.Popen[str], path: Path) -> dict[str, Any]:
    wait_for_line(client, "REPORTED")
    client.wait(timeout=60)
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def summarise(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One set of figures from the reports of every load process."""
    latencies = sorted(value for report in reports for value in report["latencies_ms"])
    acks = sorted(value for report in reports for value in report["ack_latencies_ms"])
    seconds = max(report["sending_seconds"] for report in reports)
    figures: dict[str, Any] = {key: sum(report[key] for report in reports) for key in COUNTS}
    figures.update(
        {
            "seconds": seconds,
            "messages_per_second": round(figures["messages_acked"] / seconds, 1),
            "deliveries_per_second": round(figures["deliveries"] / seconds, 1),
            "p50_ms": percentile(latencies, 0.50),
            "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99),
            "max_ms": round(latencies[-1], 2) if latencies else None,
            "ack_p50_ms": percentile(acks, 0.50),
            "ack_p99_ms": percentile(acks, 0.99),
            "client_loop_lag_p99_ms": max(
                (report["loop_lag_ms"]["p99"] or 0.0 for report in reports), default=None
            ),
            "client_loop_lag_max_ms": max(
                (report["loop_lag_ms"]["max"] or 0.0 for report in reports), default=None
            ),
        }
    )
    return figures


@dataclass(frozen=True)
class Usage:
    at: float
    server_cpu: float
    machine_busy: float


def usage(cluster: Cluster) -> Usage:
    return Usage(time.monotonic(), servers_cpu_seconds(cluster), machine_busy_seconds())


def servers_cpu_seconds(cluster: Cluster) -> float:
    """User plus system CPU time of every server process and its children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for server in cluster.servers:
        for pid in [server.process.pid, *_descendants(server.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def machine_busy_seconds() -> float:
    """CPU seconds this machine spent on anything but idling, over all cores, since boot."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_figures(before: Usage, after: Usage, reports: list[dict[str, Any]]) -> dict[str, Any]:
    """CPU over the sending window, in cores (1.0 = one core kept busy)."""
    seconds = max(after.at - before.at, 1e-9)
    server = after.server_cpu - before.server_cpu
    clients = sum(report["cpu_seconds"] for report in reports)
    busy = after.machine_busy - before.machine_busy
    messages = sum(report["messages_acked"] for report in reports)
    deliveries = sum(report["deliveries"] for report in reports)
    return {
        "server_cpu_cores": round(server / seconds, 2),
        "client_cpu_cores": round(clients / seconds, 2),
        # Everything else too: databases, Redis, other people's work.
        "machine_busy_cores": round(busy / seconds, 2),
        "server_cpu_ms_per_message": round(server * 1000 / messages, 3) if messages else None,
        "server_cpu_ms_per_delivery": round(server * 1000 / deliveries, 3) if deliveries else None,
    }


def judge(setups: dict[str, Any]) -> dict[str, Any]:
    goals: dict[str, Any] = {}
    for name, figures in setups.items():
        if "skipped" in figures:
            goals[name] = {"skipped": figures["skipped"]}
            continue
        p99 = figures["p99_ms"]
        goals[name] = {
            "no_loss_or_duplicates": figures["lost"]
            == figures["duplicated"]
            == figures["never_acked"]
            == 0,
            "p99_ms": p99 is not None and p99 <= GOAL_P99_MS,
        }
    return goals
