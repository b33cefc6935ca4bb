"""Directory search: p50/p95/p99 per query kind at 100,000 and 1,000,000 services.

Realistic synthetic services (``directory.synthetic``: organisations and
services of 29 kinds over every active US ZIP code, descriptions with real
word frequencies, hours, languages, costs, ages) are written to

- SQLite: a database file of its own, ``var/bench/search/sqlite-SIZE-seedSEED.sqlite3``;
- PostgreSQL: database ``peerlight_bench_search_SIZE`` at 127.0.0.1:5432
  (skipped with the reason when the server does not answer);

indexed with ``search.rebuild()``, and the same services are indexed in
Tantivy (``benchmarks/_search_tantivy.py``, the reference engine). A fixed
query mix (``benchmarks/_search_queries.py``; 250 queries of each kind:
words, words + radius, words + radius + filters, common words, rare words)
runs once to warm up, then five times timed, each backend in a process of
its own with nothing else of the benchmark running; per kind the round with
the lowest p95 is reported (the least disturbed by other work on the
machine), every round's p95 beside it. Times are of ``search.search``
(ranked ids and distances of the first page of 20, and the total), or of
building and running the Tantivy query and reading the page's ids.

Builds are cached under ``var/bench/search/`` by size and seed: the data is
written again when the generator or the HSDS tables' migration change; when
the directory's later migrations change they are rolled back and applied
again over the same data, and the index is rebuilt when they or the search
modules change. A cached build whose run fails is built afresh once.
``builds`` says what was reused and how long the rest took.

Result: ``results``: backend -> services -> query kind -> ``p50``, ``p95``,
``p99`` (ms) with the mean, the median number of matches and the share of
queries without any; ``ratio_to_tantivy`` the same shape for the two
databases (their percentile over Tantivy's); ``builds``; ``skipped``
(PostgreSQL unreachable) and ``failed`` (a backend that broke, with the end
of its log: the others still run).

Goals: p95 <= 10 ms at 100,000 services and <= 25 ms at 1,000,000, on both
databases, for every kind; and within 2x of Tantivy's p95.

Options (``run(options)``; the same from ``PEERLIGHT_BENCH_SEARCH_SIZES`` and
``PEERLIGHT_BENCH_SEARCH_BACKENDS`` in the environment): ``sizes``
("100000,1000000"), ``backends`` ("sqlite,postgresql,tantivy"), ``seed``,
``queries_per_kind``; ``quick``: 10,000 services and 20 queries per kind, a
smoke test whose figures mean nothing.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks._harness import (
    PROJECT_DIR,
    BenchmarkError,
    machine,
    migrate,
    server_environment,
)
from benchmarks._search_queries import KINDS, query_mix
from peerlight.directory import synthetic

SIZES = (100_000, 1_000_000)
QUICK_SIZE = 10_000
BACKENDS = ("sqlite", "postgresql", "tantivy")
SEED = 7
QUERIES_PER_KIND = 250
QUICK_QUERIES_PER_KIND = 20
ROUNDS = 5
GOAL_P95_MS = {100_000: 10.0, 1_000_000: 25.0}
GOAL_RATIO_TO_TANTIVY = 2.0
POSTGRES_SERVER = "127.0.0.1:5432"
POSTGRES_DATABASE = "peerlight_bench_search"
SOURCE_DIR = PROJECT_DIR / "src" / "peerlight" / "directory"
# The HSDS tables and what fills them; the search modules; the directory's
# later migrations (search tables and others), which can be rolled back and
# applied again over the same data.
DATA_SOURCES = ("synthetic.py", "data/synthetic/*.json", "migrations/0001_initial.py")
INDEX_SOURCES = ("search*.py", "hours.py", "places.py")
SCHEMA_SOURCES = ("migrations/0*.py",)
TANTIVY_SOURCES = (PROJECT_DIR / "benchmarks" / "_search_tantivy.py",)


def run(options: dict[str, Any]) -> dict[str, Any]:
    quick = bool(options.get("quick"))
    sizes = _numbers(
        options.get("sizes") or os.environ.get("PEERLIGHT_BENCH_SEARCH_SIZES"),
        (QUICK_SIZE,) if quick else SIZES,
    )
    backends = _names(
        options.get("backends") or os.environ.get("PEERLIGHT_BENCH_SEARCH_BACKENDS"), BACKENDS
    )
    seed = int(options.get("seed") or SEED)
    per_kind = int(
        options.get("queries_per_kind") or (QUICK_QUERIES_PER_KIND if quick else QUERIES_PER_KIND)
    )
    rounds = 1 if quick else ROUNDS
    work_dir = Path(settings.VAR_DIR) / "bench" / "search"
    work_dir.mkdir(parents=True, exist_ok=True)
    queries_file = work_dir / f"queries-seed{seed}-{per_kind}.json"
    queries_file.write_text(json.dumps(query_mix(seed, per_kind)), encoding="utf-8")

    result: dict[str, Any] = {
        "measures": (
            "search.search() latency per query kind on SQLite and PostgreSQL, and the "
            "same queries on an in-process Tantivy index"
        ),
        "machine": machine(),
        "seed": seed,
        "sizes": list(sizes),
        "backends": list(backends),
        "query_kinds": list(KINDS),
        "queries_per_kind": per_kind,
        "rounds": rounds,
        "page_size": 20,
        "goals": {
            "p95_ms": {str(size): goal for size, goal in GOAL_P95_MS.items()},
            "ratio_to_tantivy_p95": f"<= {GOAL_RATIO_TO_TANTIVY:g}",
        },
        "results": {},
        "ratio_to_tantivy": {},
        "builds": {},
        "skipped": {},
        "failed": {},
    }
    if quick:
        result["note"] = "quick self-test: small directory, few queries; figures not meaningful"
    # Tantivy first: the ratios need it, and it builds fastest.
    for backend in sorted(backends, key=lambda name: name != "tantivy"):
        for size in sizes:
            _progress(f"search bench: {backend}, {size:,} services")
            try:
                outcome = run_backend(backend, size, seed, queries_file, work_dir, rounds)
            except BenchmarkError as error:
                # The other backends still run; the failure is in the result.
                result["failed"][backend] = {str(size): str(error)[-3000:]}
                break
            if "skipped" in outcome:
                result["skipped"][backend] = outcome["skipped"]
                break
            result["results"].setdefault(backend, {})[str(size)] = outcome["latency"]
            result["builds"].setdefault(backend, {})[str(size)] = outcome["build"]
    result["ratio_to_tantivy"] = ratios(result["results"])
    result["goals_met"] = "not judged in a quick self-test" if quick else judge(result)
    return result


def _numbers(value: Any, default: tuple[int, ...]) -> tuple[int, ...]:
    if not value:
        return default
    items = value.split(",") if isinstance(value, str) else value
    return tuple(int(str(item).replace("_", "")) for item in items)


def _names(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        return default
    items = value.split(",") if isinstance(value, str) else value
    names = tuple(str(item).strip() for item in items)
    unknown = sorted(set(names) - set(BACKENDS))
    if unknown:
        raise BenchmarkError(f"Unknown search backends {unknown}; choose from {list(BACKENDS)}.")
    return names


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- Caches -------------------------------------------------------------------------


def _digest(paths: Iterable[Path], *extra: str) -> str:
    """A key for these files' content; Python by its code only, so that comments,
    docstrings and formatting do not throw a build of 1,000,000 services away."""
    digest = hashlib.sha256("\n".join(extra).encode())
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(_code(path) if path.suffix == ".py" else path.read_bytes())
    return digest.hexdigest()[:16]


def _code(path: Path) -> bytes:
    tree = ast.parse(path.read_bytes())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            del body[0]
    return ast.dump(tree).encode()


def data_key(seed: int) -> str:
    paths = [path for pattern in DATA_SOURCES for path in SOURCE_DIR.glob(pattern)]
    return _digest(paths, str(synthetic.GENERATOR_VERSION), str(seed))


def index_key() -> str:
    return _digest(path for pattern in INDEX_SOURCES for path in SOURCE_DIR.glob(pattern))


def schema_key() -> str:
    return _digest(
        path
        for pattern in SCHEMA_SOURCES
        for path in SOURCE_DIR.glob(pattern)
        if path.name != "0001_initial.py"
    )


def tantivy_key(seed: int) -> str:
    import tantivy

    paths = [*TANTIVY_SOURCES, SOURCE_DIR / "synthetic.py", *SOURCE_DIR.glob("data/synthetic/*")]
    return _digest(
        paths,
        str(synthetic.GENERATOR_VERSION),
        str(seed),
        str(getattr(tantivy, "__version__", "")),
    )


def _read_marker(path: Path) -> dict[str, Any]:
    try:
        marker: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return marker


# --- Backends -----------------------------------------------------------------------


def run_backend(
    backend: str, size: int, seed: int, queries_file: Path, work_dir: Path, rounds: int = 1
) -> dict[str, Any]:
    """Prepare (or reuse) the backend's build of ``size`` services and time the mix.

    A cached database whose run fails is built afresh once: a build left
    half-way, or migrations edited in place, must not stop the benchmark.
    """
    try:
        return _run_backend(backend, size, seed, queries_file, work_dir, rounds, afresh=False)
    except BenchmarkError:
        if backend == "tantivy":
            raise
        _progress(f"search bench: {backend} at {size:,} failed on its cached build; afresh")
        return _run_backend(backend, size, seed, queries_file, work_dir, rounds, afresh=True)


def _run_backend(
    backend: str,
    size: int,
    seed: int,
    queries_file: Path,
    work_dir: Path,
    rounds: int,
    *,
    afresh: bool,
) -> dict[str, Any]:
    marker_path = work_dir / f"{backend}-{size}-seed{seed}.json"
    marker = {} if afresh else _read_marker(marker_path)
    spec: dict[str, Any] = {
        "backend": backend,
        "size": size,
        "seed": seed,
        "queries_file": str(queries_file),
        "out": str(work_dir / f"{backend}-{size}-seed{seed}.result.json"),
        "marker": str(marker_path),
        "rounds": rounds,
    }
    if backend == "tantivy":
        keys = {"tantivy": tantivy_key(seed)}
        path = work_dir / f"tantivy-{size}-seed{seed}"
        spec["index_path"] = str(path)
        spec["rebuild_index"] = marker != keys or not path.exists()
        if spec["rebuild_index"]:
            marker_path.unlink(missing_ok=True)
        database_url = ""
    else:
        keys = {"data": data_key(seed), "schema": schema_key(), "index": index_key()}
        fresh = marker.get("data") != keys["data"]
        if fresh:
            marker_path.unlink(missing_ok=True)
        if backend == "sqlite":
            database_url = _sqlite_database(work_dir, size, seed, fresh=fresh)
        else:
            url, why = _postgres_database(f"{POSTGRES_DATABASE}_{size}", fresh=fresh)
            if url is None:
                return {"skipped": why}
            database_url = url
        # Later migrations edited since the build: roll them back and apply them again.
        spec["reset_schema"] = not fresh and marker.get("schema") != keys["schema"]
        spec["rebuild_index"] = (
            fresh or spec["reset_schema"] or marker.get("index") != keys["index"]
        )
        if fresh:
            # Migrations run in the parent once, so a failure reads plainly.
            migrate(database_url)
    spec["keys"] = keys
    spec_path = work_dir / f"{backend}-{size}-seed{seed}.spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    log_path = work_dir / f"{backend}-{size}-seed{seed}.log"
    environment = server_environment(database_url) if database_url else dict(os.environ)
    environment.setdefault("PYTHONPATH", str(PROJECT_DIR))
    with log_path.open("w", encoding="utf-8") as log:
        finished = subprocess.run(
            [sys.executable, "-m", "benchmarks._search_worker", str(spec_path)],
            cwd=PROJECT_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if finished.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchmarkError(f"The {backend} search benchmark at {size:,} failed:\n{tail}")
    outcome: dict[str, Any] = json.loads(Path(spec["out"]).read_text(encoding="utf-8"))
    return outcome


def _sqlite_database(work_dir: Path, size: int, seed: int, *, fresh: bool) -> str:
    path = work_dir / f"sqlite-{size}-seed{seed}.sqlite3"
    if fresh:
        for leftover in work_dir.glob(path.name + "*"):
            leftover.unlink()
    return f"sqlite:///{path}"


def _postgres_database(name: str, *, fresh: bool) -> tuple[str | None, str]:
    """The URL of database ``name`` (emptied when ``fresh``), or None and why not."""
    import psycopg
    from psycopg import sql

    admin_url = f"postgresql://postgres@{POSTGRES_SERVER}/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            database = sql.Identifier(name)
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if fresh and exists:
                admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(database))
            if fresh or not exists:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    except psycopg.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        return None, f"PostgreSQL at {POSTGRES_SERVER} is unreachable: {first}"
    return f"postgresql://postgres@{POSTGRES_SERVER}/{name}", ""


# --- Judging ------------------------------------------------------------------------


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Each database's percentiles over Tantivy's, per size and kind."""
    reference = results.get("tantivy", {})
    shaped: dict[str, Any] = {}
    for backend, by_size in results.items():
        if backend == "tantivy":
            continue
        for size, by_kind in by_size.items():
            for kind, figures in by_kind.items():
                base = reference.get(size, {}).get(kind)
                if not base:
                    continue
                shaped.setdefault(backend, {}).setdefault(size, {})[kind] = {
                    name: round(figures[name] / base[name], 2) if base[name] else None
                    for name in ("p50", "p95", "p99")
                }
    return shaped


def judge(result: dict[str, Any]) -> dict[str, Any]:
    """Per database and size: are p95 and the ratio to Tantivy within the goals?"""
    verdicts: dict[str, Any] = dict.fromkeys(result.get("failed", {}), "failed: see failed")
    for backend in ("sqlite", "postgresql"):
        for size_text, by_kind in result["results"].get(backend, {}).items():
            goal = GOAL_P95_MS.get(int(size_text))
            slow = sorted(
                kind for kind, figures in by_kind.items() if goal and figures["p95"] > goal
            )
            ratio_by_kind = result["ratio_to_tantivy"].get(backend, {}).get(size_text, {})
            far = sorted(
                kind
                for kind, ratio in ratio_by_kind.items()
                if ratio["p95"] is not None and ratio["p95"] > GOAL_RATIO_TO_TANTIVY
            )
            verdicts.setdefault(backend, {})[size_text] = {
                "p95": "no goal at this size" if goal is None else not slow,
                "p95_over_goal": slow,
                "within_2x_of_tantivy": not far if ratio_by_kind else "no Tantivy figures",
                "over_2x_of_tantivy": far,
            }
    return verdicts
