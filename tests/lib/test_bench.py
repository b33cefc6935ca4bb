from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from peerlight.lib.management.commands.bench import available_benchmarks, benchmarks_dir


def test_it_finds_the_benchmarks_and_leaves_out_their_helpers() -> None:
    names = available_benchmarks(benchmarks_dir())
    assert {"pages", "servers"} <= set(names)
    assert not [name for name in names if name.startswith(("_", "bench_"))]


def test_it_lists_the_available_benchmarks_for_an_unknown_name() -> None:
    with pytest.raises(CommandError) as refused:
        call_command("bench", "no-such-benchmark")
    message = str(refused.value)
    assert "no-such-benchmark" in message
    assert "pages" in message
    assert "servers" in message


def test_it_needs_a_name() -> None:
    with pytest.raises(CommandError):
        call_command("bench")


def test_a_quick_run_prints_and_writes_the_same_json(tmp_path: Path) -> None:
    environment = {**os.environ, "PEERLIGHT_VAR_DIR": str(tmp_path)}
    finished = subprocess.run(
        [sys.executable, "-m", "peerlight.cli", "bench", "pages", "--quick", "--json"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    printed = json.loads(finished.stdout)
    written = json.loads((tmp_path / "bench" / "pages.json").read_text(encoding="utf-8"))
    assert printed == written
    assert printed["benchmark"] == "pages"
    assert printed["quick"] is True
    sqlite_pages = printed["databases"]["sqlite"]["pages"]
    assert set(sqlite_pages) == set(printed["pages"])
    for figures in sqlite_pages.values():
        assert figures["requests"] > 0
        assert figures["errors"] == 0
        assert figures["p50_ms"] <= figures["p99_ms"]
