"""``peerlight bench rooms``: its pure parts, and a quick run end to end over real websockets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks._chat_cluster import redis_reachable
from benchmarks._rooms_load import COUNTS
from benchmarks.rooms import DEFAULT_REDIS_URL, judge, percentile, summarise, with_urls

REPORTED_KEYS = {
    "messages_sent",
    "messages_acked",
    "deliveries",
    "lost",
    "duplicated",
    "never_acked",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "ack_p50_ms",
    "ack_p99_ms",
    "server_cpu_cores",
    "server_rss_kb",
}


def client_report(latencies: list[float], **counts: int) -> dict[str, object]:
    report: dict[str, object] = dict.fromkeys(COUNTS, 0)
    report.update(counts)
    report.update(
        {
            "latencies_ms": latencies,
            "ack_latencies_ms": latencies,
            "sending_seconds": 2.0,
            "cpu_seconds": 0.1,
            "loop_lag_ms": {"p99": 1.0, "max": 2.0},
        }
    )
    return report


def test_the_reports_of_several_load_processes_merge_into_one_distribution() -> None:
    first = client_report([1.0, 3.0], messages_acked=2, deliveries=2, duplicated=1)
    second = client_report([2.0, 400.0], messages_acked=2, deliveries=2, lost=1)
    figures = summarise([first, second])
    assert figures["messages_acked"] == 4
    assert figures["deliveries"] == 4
    assert figures["lost"] == 1
    assert figures["duplicated"] == 1
    assert figures["p50_ms"] == 3.0
    assert figures["max_ms"] == 400.0
    assert figures["messages_per_second"] == 2.0


def test_a_percentile_is_a_value_that_was_measured() -> None:
    ordered = [float(value) for value in range(1, 101)]
    assert percentile(ordered, 0.50) == 51.0
    assert percentile(ordered, 0.99) == 100.0
    assert percentile([], 0.99) is None


def test_each_room_is_spread_over_every_server() -> None:
    class FakeServer:
        def __init__(self, port: int) -> None:
            self.socket_url = f"ws://127.0.0.1:{port}"

    rooms = [{"conversation": 1, "people": [{"id": n, "session": "s"} for n in range(3)]}]
    placed = with_urls(rooms, [FakeServer(1), FakeServer(2)])  # type: ignore[list-item]
    first_choices = [person["urls"][0] for person in placed[0]["people"]]
    assert first_choices == ["ws://127.0.0.1:1", "ws://127.0.0.1:2", "ws://127.0.0.1:1"]
    assert all(len(person["urls"]) == 2 for person in placed[0]["people"])


def test_goals_fail_on_any_loss_or_duplicate_and_on_a_slow_p99() -> None:
    clean = {"lost": 0, "duplicated": 0, "never_acked": 0, "p99_ms": 80.0}
    verdict = judge(
        {
            "embedded": clean,
            "scale_out": {**clean, "duplicated": 1, "p99_ms": 150.0},
            "other": {"skipped": "Redis is unreachable"},
        }
    )
    assert verdict["embedded"] == {"no_loss_or_duplicates": True, "p99_ms": True}
    assert verdict["scale_out"] == {"no_loss_or_duplicates": False, "p99_ms": False}
    assert verdict["other"] == {"skipped": "Redis is unreachable"}


def test_a_quick_run_delivers_every_message_to_every_other_person(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "PEERLIGHT_VAR_DIR": str(tmp_path),
        "PEERLIGHT_BENCH_ROOMS_DATABASE": "peerlight_bench_rooms_test",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "peerlight.cli", "bench", "rooms", "--quick", "--json"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    printed = json.loads(finished.stdout)
    assert printed == json.loads((tmp_path / "bench" / "rooms.json").read_text())
    assert printed["quick"] is True
    assert printed["load"]["rooms"] == 2
    assert printed["load"]["people"] == 3
    embedded = printed["setups"]["embedded"]
    assert set(embedded) >= REPORTED_KEYS
    assert embedded["sockets"] == 6
    assert embedded["messages_acked"] > 0
    # Each message reaches the two others of its room, once.
    assert embedded["deliveries"] == 2 * embedded["messages_acked"]
    assert embedded["lost"] == embedded["duplicated"] == embedded["never_acked"] == 0
    assert embedded["p50_ms"] <= embedded["p99_ms"] <= embedded["max_ms"]
    scale_out = printed["setups"]["scale_out"]
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if "skipped" in scale_out:
        assert redis_reachable(redis_url) or "PostgreSQL" in scale_out["skipped"]
    else:
        assert set(scale_out) >= REPORTED_KEYS
        assert scale_out["server_processes"] == 2
        assert scale_out["deliveries"] == 2 * scale_out["messages_acked"] > 0
        assert scale_out["lost"] == scale_out["duplicated"] == scale_out["never_acked"] == 0
