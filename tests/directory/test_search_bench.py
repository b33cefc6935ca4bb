"""A smoke test of ``peerlight bench search``: a tiny directory, a few queries, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks._search_queries import KINDS, query_mix
from benchmarks.search import judge, ratios


def test_the_query_mix_is_fixed_by_its_seed() -> None:
    mix = query_mix(3, 10)
    assert mix == query_mix(3, 10)
    assert mix != query_mix(4, 10)
    assert sorted({query["kind"] for query in mix}) == sorted(KINDS)
    assert all(len([q for q in mix if q["kind"] == kind]) == 10 for kind in KINDS)
    for query in mix:
        assert query["words"]
        if query["kind"].startswith("words_radius"):
            assert query["radius_km"] > 0
        if query["kind"] == "words_radius_filters":
            filters = set(query) - {"kind", "words", "latitude", "longitude", "radius_km"}
            assert 1 <= len(filters) <= 3


def test_ratios_and_goals_are_judged_per_kind() -> None:
    results = {
        "tantivy": {"100000": {"words": {"p50": 0.5, "p95": 1.0, "p99": 2.0}}},
        "sqlite": {"100000": {"words": {"p50": 1.0, "p95": 3.0, "p99": 3.0}}},
    }
    shaped = ratios(results)
    assert shaped == {"sqlite": {"100000": {"words": {"p50": 2.0, "p95": 3.0, "p99": 1.5}}}}
    verdict = judge({"results": results, "ratio_to_tantivy": shaped})
    assert verdict["sqlite"]["100000"]["p95"] is True
    assert verdict["sqlite"]["100000"]["over_2x_of_tantivy"] == ["words"]


def test_a_quick_run_measures_every_kind_on_sqlite_and_tantivy(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "PEERLIGHT_VAR_DIR": str(tmp_path),
        "PEERLIGHT_BENCH_SEARCH_SIZES": "300",
        "PEERLIGHT_BENCH_SEARCH_BACKENDS": "sqlite,tantivy",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "peerlight.cli", "bench", "search", "--quick", "--json"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    printed = json.loads(finished.stdout)
    assert printed["failed"] == {}
    assert printed == json.loads((tmp_path / "bench" / "search.json").read_text())
    for backend in ("sqlite", "tantivy"):
        by_kind = printed["results"][backend]["300"]
        assert list(by_kind) == list(KINDS)
        for figures in by_kind.values():
            assert 0 < figures["p50"] <= figures["p95"] <= figures["p99"]
            assert figures["queries"] == 20
    assert set(printed["ratio_to_tantivy"]["sqlite"]["300"]) == set(KINDS)
    assert printed["builds"]["sqlite"]["300"]["write"]["services"] == 300
    assert printed["builds"]["tantivy"]["300"]["cached_index"] is False
