"""Chat: delivery rate, latency, loss and duplicates over real websockets, and idle memory.

Real websocket clients (asyncio + ``websockets``, in a process of their own,
``benchmarks/_chat_load.py``) talk through Peerlight's chat consumer served
as ``peerlight serve`` serves it, in two set-ups:

- ``embedded``: SQLite file, in-memory channel layer, one server process;
- ``scale_out``: PostgreSQL (database ``peerlight_bench_chat`` at
  127.0.0.1:5432) and Redis (``REDIS_URL``, or redis://127.0.0.1:6379/14),
  two server processes; each conversation's member is on one process and
  its peer supporter on the other. Skipped with the reason when either is
  unreachable.

Rounds in each set-up, each on fresh conversations:

- ``steady``: 200 conversations, each sending one message a second (member
  and peer take turns); latency is from send to the other participant
  receiving it;
- ``throughput``: the same conversations each send their next message as
  soon as the last is acknowledged (committed): durable messages a second;
- ``crash``: like ``steady``, but half-way one server process is killed
  with SIGKILL (one process: it is started again on the same port); clients
  reconnect, resume after their last seq and resend unacknowledged messages;
- ``idle_memory``: 10,000 idle signed-in sockets on one process; server
  RSS growth per socket (``idle_memory_uvicorn``: the same on uvicorn, for
  comparison; the goal is judged on the default server).

After sending stops every client resumes once more; ``lost`` counts messages
acknowledged to their sender that the other participant never received,
``never_acked`` sends that were never acknowledged, ``duplicated`` messages
the other participant received more than once. Clients and servers share
this machine's cores.

Goals: lost = 0, never_acked = 0 and duplicated = 0 in every round; steady
p99 <= 50 ms; >= 500 durable messages/s on SQLite and >= 1,000 on
PostgreSQL; <= 40 KB per idle socket.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks._chat_cluster import (
    Cluster,
    Server,
    fresh_postgres_database,
    redis_reachable,
)
from benchmarks._harness import machine

POSTGRES_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_DATABASE = "peerlight_bench_chat"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
LOAD_CLIENT = Path(__file__).with_name("_chat_load.py")

GOAL_P99_MS = 50.0
GOAL_MESSAGES_PER_SECOND = {"embedded": 500.0, "scale_out": 1000.0}
GOAL_KB_PER_IDLE_SOCKET = 40.0


@dataclass(frozen=True)
class Load:
    conversations: int
    steady_seconds: float
    throughput_seconds: float
    crash_seconds: float
    idle_sockets: int


FULL = Load(
    conversations=200,
    steady_seconds=20,
    throughput_seconds=10,
    crash_seconds=20,
    idle_sockets=10_000,
)
QUICK = Load(
    conversations=4, steady_seconds=2, throughput_seconds=2, crash_seconds=4, idle_sockets=40
)


def run(options: dict[str, Any]) -> dict[str, Any]:
    quick = bool(options.get("quick"))
    load = QUICK if quick else FULL
    work_dir = Path(settings.VAR_DIR) / "bench" / "chat"
    result: dict[str, Any] = {
        "measures": (
            "chat over real websockets: messages/s, send-to-receive latency, "
            "lost and duplicated messages, memory per idle socket"
        ),
        "machine": machine(),
        "load": {
            "conversations": load.conversations,
            "steady": f"each conversation sends 1 message/s for {load.steady_seconds:g} s",
            "throughput": f"next message as soon as acked, {load.throughput_seconds:g} s",
            "crash": f"as steady for {load.crash_seconds:g} s, one server killed half-way",
            "idle_sockets": load.idle_sockets,
            "clients": "asyncio + websockets in one separate process on the same cores",
        },
        "goals": {
            "no_loss_or_duplicates": "lost = never_acked = duplicated = 0 in every round",
            "steady_p99_ms": f"<= {GOAL_P99_MS:g}",
            "durable_messages_per_second": GOAL_MESSAGES_PER_SECOND,
            "kb_per_idle_socket": f"<= {GOAL_KB_PER_IDLE_SOCKET:g}",
        },
        "setups": {},
    }
    if quick:
        result["note"] = "quick self-test: tiny load, figures not meaningful"
    for name in ("embedded", "scale_out"):
        result["setups"][name] = run_setup(name, load, work_dir / name, quick)
    result["goals_met"] = "not judged in a quick self-test" if quick else judge(result["setups"])
    return result


def run_setup(name: str, load: Load, work_dir: Path, quick: bool) -> dict[str, Any]:
    work_dir.mkdir(parents=True, exist_ok=True)
    if name == "embedded":
        for leftover in work_dir.glob("chat.sqlite3*"):
            leftover.unlink()
        cluster = Cluster(work_dir, f"sqlite:///{work_dir / 'chat.sqlite3'}")
        processes = 1
    else:
        redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
        why = redis_reachable(redis_url)
        database_url, database_why = fresh_postgres_database(
            POSTGRES_SERVER_URL, POSTGRES_DATABASE
        )
        if why or database_url is None:
            return {"skipped": why or database_why}
        cluster = Cluster(work_dir, database_url, redis_url)
        processes = 2
    results: dict[str, Any] = {
        "database": "sqlite" if name == "embedded" else "postgresql",
        "channel_layer": "in-memory" if name == "embedded" else "redis",
        "server_processes": processes,
        "server": cluster.server,
    }
    try:
        cluster.migrate()
        servers = [cluster.start() for _ in range(processes)]
        results["steady"] = run_load(cluster, servers, load, "paced", load.steady_seconds)
        results["throughput"] = run_load(cluster, servers, load, "acked", load.throughput_seconds)
        results["crash"] = run_load(
            cluster, servers, load, "paced", load.crash_seconds, crash=True
        )
        results["idle_memory"] = idle_memory(cluster, cluster.servers[0], load)
        if name == "embedded":
            # The same sockets on the other server, for comparison: granian
            # keeps a fixed read buffer for each websocket.
            results["idle_memory_uvicorn"] = idle_memory_on(cluster, "uvicorn", load)
    finally:
        cluster.stop_all()
    return results


def _client_settings(
    cluster: Cluster, servers: list[Server], conversations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    first, second = servers[0], servers[-1]
    return [
        {
            **entry,
            "member_urls": [first.socket_url, second.socket_url],
            "peer_urls": [second.socket_url, first.socket_url],
        }
        for entry in conversations
    ]


def run_load(
    cluster: Cluster,
    servers: list[Server],
    load: Load,
    mode: str,
    seconds: float,
    *,
    crash: bool = False,
) -> dict[str, Any]:
    conversations = cluster.seed(load.conversations)
    client_settings = {
        "mode": mode,
        "seconds": seconds,
        "interval": 1.0,
        "origin": servers[0].base_url,
        "conversations": _client_settings(cluster, servers, conversations),
    }
    cpu_before = sum(_cpu_seconds(server) for server in cluster.servers)
    client = _start_client(client_settings)
    crash_note = ""
    try:
        _wait_for_line(client, "READY")
        if crash:
            time.sleep(seconds / 2)
            victim = cluster.servers[-1]
            port = victim.port
            cluster.kill(victim)
            if len(servers) == 1:
                restarted_at = time.monotonic()
                servers[0] = cluster.start(port)
                crash_note = (
                    "the only server process was killed with SIGKILL half-way and started "
                    f"again on the same port ({time.monotonic() - restarted_at:.1f} s to answer)"
                )
            else:
                crash_note = (
                    "the second server process was killed with SIGKILL half-way; its clients "
                    "reconnected to the first"
                )
        figures = _read_report(client)
    finally:
        if client.poll() is None:
            client.kill()
    cpu_used = sum(_cpu_seconds(server) for server in cluster.servers) - cpu_before
    if crash and len(servers) > 1:
        servers.pop()
    if not crash and figures["messages_acked"]:
        figures["server_cpu_ms_per_message"] = round(
            cpu_used * 1000 / figures["messages_acked"], 3
        )
    if crash_note:
        figures["crash"] = crash_note
    return figures


def idle_memory(cluster: Cluster, server: Server, load: Load) -> dict[str, Any]:
    conversations = cluster.seed(min(load.conversations, 200))
    before = cluster.rss_kb(server)
    client = _start_client(
        {
            "mode": "idle",
            "sockets": load.idle_sockets,
            "origin": server.base_url,
            "conversations": _client_settings(cluster, [server], conversations),
        }
    )
    try:
        line = _wait_for_line(client, "OPEN")
        opened, failed = (int(part) for part in line.split()[1:3])
        time.sleep(2.0)
        after = cluster.rss_kb(server)
        assert client.stdin is not None
        client.stdin.write("close\n")
        client.stdin.flush()
        _read_report(client)
    finally:
        if client.poll() is None:
            client.kill()
    return {
        "sockets_open": opened,
        "sockets_failed": failed,
        "server_rss_before_kb": before,
        "server_rss_after_kb": after,
        "kb_per_socket": round((after - before) / opened, 1) if opened else None,
    }


def idle_memory_on(cluster: Cluster, server_name: str, load: Load) -> dict[str, Any]:
    """``idle_memory`` on a fresh process of another server (``uvicorn``, ``granian``)."""
    default = cluster.server
    cluster.server = server_name
    try:
        server = cluster.start()
    finally:
        cluster.server = default
    return {"server": server_name, **idle_memory(cluster, server, load)}


def _start_client(client_settings: dict[str, Any]) -> subprocess.Popen[str]:
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


def _wait_for_line(client: subprocess.Popen[str], prefix: str) -> str:
    assert client.stdout is not None
    for line in client.stdout:
        if line.startswith(prefix):
            return line.strip()
    raise RuntimeError(f"The load client stopped before saying {prefix} (exit {client.wait()}).")


def _read_report(client: subprocess.Popen[str]) -> dict[str, Any]:
    line = _wait_for_line(client, "BENCH-JSON ")
    client.wait(timeout=60)
    figures: dict[str, Any] = json.loads(line.removeprefix("BENCH-JSON "))
    return figures


def _cpu_seconds(server: Server) -> float:
    from benchmarks._chat_cluster import _descendants

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in [server.process.pid, *_descendants(server.process.pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def judge(setups: dict[str, Any]) -> dict[str, Any]:
    goals: dict[str, Any] = {}
    for name, figures in setups.items():
        if "skipped" in figures:
            goals[name] = {"skipped": figures["skipped"]}
            continue
        rounds = [figures[key] for key in ("steady", "throughput", "crash")]
        p99 = figures["steady"]["p99_ms"]
        per_socket = figures["idle_memory"]["kb_per_socket"]
        goals[name] = {
            "no_loss_or_duplicates": all(
                each["lost"] == each["never_acked"] == each["duplicated"] == 0 for each in rounds
            ),
            "steady_p99_ms": p99 is not None and p99 <= GOAL_P99_MS,
            "durable_messages_per_second": figures["throughput"]["messages_per_second"]
            >= GOAL_MESSAGES_PER_SECOND[name],
            "kb_per_idle_socket": per_socket is not None and per_socket <= GOAL_KB_PER_IDLE_SOCKET,
        }
    return goals
