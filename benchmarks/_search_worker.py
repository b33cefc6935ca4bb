"""One backend of the search benchmark, in a process of its own.

``python -m benchmarks._search_worker SPEC.json`` reads what to do from the
spec the parent (``benchmarks/search.py``) wrote: the backend ("sqlite",
"postgresql" or "tantivy"), the number of services, the seed, the query file,
whether the data or the index must be built, and where to write the result.

A database backend runs Django on the database of ``DATABASE_URL`` (set by
the parent): migrates, writes the synthetic services when the database holds
none (Open Eligibility first), runs ``search.rebuild()`` when asked, then
times ``search.search(Query(...))`` for every query of the mix, once to warm
up and then in ``rounds`` timed rounds. The Tantivy backend builds or opens
its index and times the same mix the same way.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

PER_PAGE = 20
PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    result = run_tantivy(spec) if spec["backend"] == "tantivy" else run_database(spec)
    Path(spec["out"]).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def percentiles(timings_ms: list[float]) -> dict[str, float]:
    """Nearest-rank percentiles, in milliseconds."""
    ordered = sorted(timings_ms)
    return {
        name: round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 3)
        for name, share in PERCENTILES.items()
    }


def measure(
    queries: list[dict[str, Any]],
    run_one: Callable[[int], int | None],
    count_one: Callable[[int], int] | None = None,
    *,
    rounds: int = 1,
) -> dict[str, dict[str, Any]]:
    """Warm up on the whole mix, then time every query once per round; figures per kind.

    Other work on the machine (two shared cores) disturbs some rounds more
    than others: per kind, the round with the lowest p95 is reported, with
    every round's p95 beside it. ``run_one`` returns the query's total (exact
    or estimated), or None when ``count_one`` counts the matches apart, untimed.
    """
    for number in range(len(queries)):
        run_one(number)
    by_round: list[dict[str, list[float]]] = []
    totals: dict[str, list[int]] = {}
    for round_number in range(rounds):
        timings: dict[str, list[float]] = {}
        for number, query in enumerate(queries):
            started = time.perf_counter_ns()
            total = run_one(number)
            elapsed_ms = (time.perf_counter_ns() - started) / 1e6
            timings.setdefault(query["kind"], []).append(elapsed_ms)
            if round_number == 0:
                if total is None:
                    total = count_one(number) if count_one is not None else 0
                totals.setdefault(query["kind"], []).append(total)
        by_round.append(timings)
    figures = {}
    for kind in sorted(totals, key=_kind_order):
        each = [percentiles(timings[kind]) for timings in by_round]
        best = min(range(rounds), key=lambda number: each[number]["p95"])
        values = by_round[best][kind]
        counts = sorted(totals[kind])
        figures[kind] = {
            **each[best],
            "mean": round(sum(values) / len(values), 3),
            "queries": len(values),
            "round_p95": [figure["p95"] for figure in each],
            "median_matches": counts[len(counts) // 2],
            "no_match_share": round(sum(1 for count in counts if count == 0) / len(counts), 3),
        }
    return figures


def _kind_order(kind: str) -> int:
    from benchmarks._search_queries import KINDS

    return KINDS.index(kind) if kind in KINDS else len(KINDS)


# --- Databases ----------------------------------------------------------------------


def run_database(spec: dict[str, Any]) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from peerlight.directory import openeligibility, search, synthetic
    from peerlight.directory.models import Service

    if spec.get("reset_schema"):
        log(f"{connection.vendor}: rolling the directory's later migrations back and forward")
        call_command("migrate", "directory", "0001", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    size, seed = int(spec["size"]), int(spec["seed"])
    build: dict[str, Any] = {
        "cached_data": True,
        "cached_index": True,
        "migrations_reapplied": bool(spec.get("reset_schema")),
    }
    present = Service.objects.count()
    if present == 0:
        log(f"{connection.vendor}: writing {size:,} services (seed {seed})")
        openeligibility.load()
        if connection.vendor == "sqlite":
            # A benchmark database that can be built again: no fsync per chunk.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
        written = synthetic.write_services(
            synthetic.generate(size, seed=seed), fresh=True, chunk_size=10_000
        )
        build.update(cached_data=False, write=written)
        # Kept even if the index fails: 1,000,000 services take minutes to write.
        _mark(spec, data=spec["keys"]["data"], schema=spec["keys"]["schema"])
    elif present != size:
        raise SystemExit(
            f"The benchmark database holds {present} services, not {size}; the parent "
            "should have emptied it."
        )
    if spec["rebuild_index"] or not build["cached_data"]:
        log(f"{connection.vendor}: search.rebuild() over {size:,} services")
        started = time.perf_counter()
        indexed = search.rebuild()
        build.update(
            cached_index=False,
            indexed=indexed,
            index_seconds=round(time.perf_counter() - started, 1),
        )
        if connection.vendor == "postgresql":
            # What autovacuum does within a minute of a bulk load, done now so
            # the plans measured are the plans a running site gets.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        _mark(spec, **spec["keys"])
    build["database_bytes"] = _database_bytes(connection)

    queries = json.loads(Path(spec["queries_file"]).read_text(encoding="utf-8"))
    prepared = [_query(query, openeligibility.term_id) for query in queries]

    def run_one(number: int) -> int:
        return int(search.search(prepared[number]).total)

    rounds = int(spec.get("rounds", 1))
    log(f"{connection.vendor}: timing {len(queries)} queries, {rounds} rounds after a warm-up")
    return {"build": build, "latency": measure(queries, run_one, rounds=rounds)}


def _mark(spec: dict[str, Any], **keys: str) -> None:
    """Record what the build now holds (the parent reuses it when the keys still match)."""
    Path(spec["marker"]).write_text(json.dumps(keys), encoding="utf-8")


def _query(spec: dict[str, Any], term_id: Callable[[str], Any]) -> Any:
    from peerlight.directory.places import Point
    from peerlight.directory.search import Query

    near = None
    if spec.get("latitude") is not None:
        near = Point(spec["latitude"], spec["longitude"])
    return Query(
        words=spec.get("words", ""),
        near=near,
        radius_km=spec.get("radius_km"),
        categories=tuple(term_id(code) for code in spec.get("categories", ())),
        language=spec.get("language", ""),
        free_only=bool(spec.get("free_only")),
        open_at=datetime.fromisoformat(spec["open_at"]) if spec.get("open_at") else None,
        wheelchair_accessible=bool(spec.get("wheelchair")),
        age=spec.get("age"),
        per_page=PER_PAGE,
    )


def _database_bytes(connection: Any) -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    name = Path(str(connection.settings_dict["NAME"]))
    return sum(
        path.stat().st_size
        for path in name.parent.glob(name.name + "*")
        if path.name in (name.name, name.name + "-wal", name.name + "-shm")
    )


# --- Tantivy ------------------------------------------------------------------------


def run_tantivy(spec: dict[str, Any]) -> dict[str, Any]:
    from benchmarks import _search_tantivy
    from peerlight.directory import synthetic

    size, seed = int(spec["size"]), int(spec["seed"])
    path = Path(spec["index_path"])
    build: dict[str, Any] = {"cached_index": True}
    if spec["rebuild_index"]:
        log(f"tantivy: indexing {size:,} services (seed {seed})")
        build.update(_search_tantivy.build(path, synthetic.generate(size, seed=seed)))
        build["cached_index"] = False
        _mark(spec, **spec["keys"])
    build["index_bytes"] = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    engine = _search_tantivy.Engine(path)
    queries = json.loads(Path(spec["queries_file"]).read_text(encoding="utf-8"))

    def run_one(number: int) -> None:
        engine.search(queries[number])

    def count_one(number: int) -> int:
        return engine.count(queries[number])

    rounds = int(spec.get("rounds", 1))
    log(f"tantivy: timing {len(queries)} queries, {rounds} rounds after a warm-up")
    return {"build": build, "latency": measure(queries, run_one, count_one, rounds=rounds)}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.bench_settings")
    main()
