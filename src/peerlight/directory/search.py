"""One search interface over two backends.

``search(Query(...))`` returns ranked service ids with the distance to each,
found by the backend that matches the database: SQLite FTS5 with an R*Tree
(``search_sqlite``) or PostgreSQL full text with GIN and a GiST index over the
points (``search_postgres``). The views then fetch the page of services in one
query. The index is kept by ``reindex(service_ids)`` (called by every action
that writes a service, and by the importer) and ``rebuild()``; what it holds
per service is worked out by ``search_index``.

Ranking, the same on both databases:

- Relevance: each query word adds its weight, ln(1 + N / documents holding
  it), times 3 when it is in the name, 2 in the organisation or category
  names, 1 in the description or eligibility (BM25F with the term counts
  left out: in short listings, where a word is matters, not how often).
  Every word must match (its English or its Spanish stem).
- Distance, with a place: relevance / (1 + (km / ``PROXIMITY_KM``)^2); with a
  place and no words, nearest first. The distance is to the service's
  nearest physical location.
- Services without a physical location (phone lines, online groups) have no
  distance: with a place they come after every located one, and with a
  radius not at all. Without a place they rank like any other.
- Ties: the lower document id first, so pages never overlap.

How a query stays fast however many services it matches (top-k, never "rank
every match"): the planner reads how many documents hold each word, then
takes one of these paths.

- Few matches (up to ``exact_floor``): rank them all, with the exact total.
- Many matches and a place: a box around the place, larger until nothing
  outside it can outrank the page. A rebuild numbers the documents along a
  Z-order curve (``places.zkey``), so a box is a few runs of ids, and how
  many documents a box holds is known before any ranking (the box starts
  as large as it must be to hold a few pages of matches, given how common
  the words are and a rough guess for the filters). SQLite's FTS5 reads the
  words' lists only within those runs; PostgreSQL ANDs a bitmap of the
  runs with GIN's for rarer words, and for common ones (and the filters)
  reads a narrow index of the runs, where each of the most common stems
  is a bit. Documents written since the rebuild, and the other places of
  services with several, are read apart.
- Many matches, no place: every common stem keeps a champion list (its
  documents with the word in the name first, then in the other names, then
  the rest; ``champion_size`` in all), in rank order for that word; the
  heads of the lists are ranked, deeper while filters leave too few, then,
  failing that, the first matches in index order.
- No words and no place: by name.

"Open now" is not a condition of those queries: checking a candidate's hours
costs more than ranking it, so the best rows are checked afterwards (their
slots in one query, then ``hours.is_open`` for the few rules SQL cannot
express), reading deeper while too few are open.

Totals are exact on the first path and whenever a path saw every match;
otherwise an estimate, and ``Results.total_exact`` is False. No page reaches
past ``MAX_RESULTS``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper

from peerlight.directory import hours, places
from peerlight.directory.places import Box, Point

__all__ = [
    "MAX_PER_PAGE",
    "MAX_RADIUS_KM",
    "MAX_RESULTS",
    "Hit",
    "Point",
    "Query",
    "Results",
    "rebuild",
    "reindex",
    "search",
]

MAX_RADIUS_KM = 500.0
MAX_PER_PAGE = 100
# No page reaches past this many results: nobody reads them, and the cost of
# a query grows with how deep its page is.
MAX_RESULTS = 1000
# Distance at which a match counts half as much as one next door.
PROXIMITY_KM = 10.0


@dataclass(frozen=True, slots=True)
class Query:
    """What someone looks for. Every part is optional; empty finds everything."""

    words: str = ""
    # Where from: a point (a ZIP code is resolved to one by ``places``).
    near: Point | None = None
    # Only services within this many kilometres of ``near`` (needs ``near``).
    radius_km: float | None = None
    # Taxonomy term ids; a service matches a term or any of its descendants.
    categories: tuple[UUID, ...] = ()
    # ISO 639 code ("es" or "spa") or a name ("Spanish"): the service offers it.
    language: str = ""
    free_only: bool = False
    # Open at this moment, in each service's own time zone.
    open_at: datetime | None = None
    wheelchair_accessible: bool = False
    # The person's age: the service's minimum and maximum age allow it.
    age: int | None = None
    include_inactive: bool = False
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True, slots=True)
class Hit:
    service_id: UUID
    # Kilometres from ``Query.near`` to the nearest location; None without one.
    distance_km: float | None
    score: float


@dataclass(frozen=True, slots=True)
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20
    # False when ``total`` is an estimate (a query that matched very many).
    total_exact: bool = True


class Backend(Protocol):
    def search(self, query: Query) -> Results: ...

    def reindex(self, service_ids: Iterable[UUID]) -> None: ...

    def rebuild(self) -> int: ...


def _backend() -> Backend:
    if connection.vendor == "postgresql":
        from peerlight.directory import search_postgres

        return search_postgres.BACKEND
    from peerlight.directory import search_sqlite

    return search_sqlite.BACKEND


def search(query: Query) -> Results:
    """Ranked by relevance and distance; ``query`` is validated by the caller's form."""
    return _backend().search(query)


def reindex(service_ids: Iterable[UUID]) -> None:
    """Bring these services' index rows up to date (removed ones are dropped)."""
    _backend().reindex(service_ids)


def rebuild() -> int:
    """Index every service afresh; returns how many were indexed."""
    return _backend().rebuild()


# --- The engine both backends share ------------------------------------------------------

Terms = tuple[tuple[str, ...], ...]
Row = tuple[Any, ...]


@dataclass(slots=True)
class _Found:
    """Ranked rows, best first: (document id, service id, rank, distance)."""

    rows: list[Ranked]
    total: int
    exact: bool


# A ranked row: document id, service id, rank, kilometres away.
Ranked = tuple[int, UUID, float, float | None]


@dataclass(slots=True)
class _Batch:
    rows: list[Ranked]
    # The SELECT returned fewer rows than its limit: every candidate was read.
    complete: bool
    # Every candidate's count, or its estimate after "open now".
    total: int


@dataclass(slots=True)
class Plan:
    """One query as the planner read it (the dialects read it too)."""

    query: Query
    terms: Terms
    weights: list[float]
    documents: int
    # At most this many documents hold every word.
    estimate: int
    # How many documents hold each term (any of its stems).
    counts: list[int]
    # Per term, the bits of its stems (low, high) when all of them have one.
    masks: list[tuple[int, int] | None]
    # The last document id a rebuild numbered along the curve.
    ordered: int
    champions: list[str]
    # Rows wanted: every row up to the end of the page asked for.
    needed: int
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    # "Open now": a condition on the slots ``s``, checked on the best rows only.
    open_condition: str = ""
    open_params: list[Any] = field(default_factory=list)


class SqlSearch:
    """Planning and SQL for both databases; a subclass supplies the dialect.

    SQL text is put together only from this module's own fragments, column
    names and numbers it formats itself; every value from a query travels as
    a parameter (hence the ``noqa: S608`` on the f-strings).
    """

    vendor: ClassVar[str]
    # Tuning; class attributes so a test can send a small index down each path.
    exact_floor: ClassVar[int] = 2000
    champion_min_documents: ClassVar[int] = 2000
    champion_size: ClassVar[int] = 1000
    stream_limit: ClassVar[int] = 400
    ring_start_km: ClassVar[float] = 4.0
    ring_growth: ClassVar[float] = 2.5
    # A box is ranked once its runs should hold this many pages of matches.
    ring_fill: ClassVar[float] = 3.0
    # Ends a subquery the planner must not merge into the query around it.
    fence: ClassVar[str] = ""

    # --- dialect ---------------------------------------------------------------

    def contains(self, column: str) -> str:
        """SQL that is true when ``column`` holds the text of one parameter."""
        raise NotImplementedError

    def at_most_one(self, expression: str) -> str:
        raise NotImplementedError

    def match_source(self, terms: Terms) -> tuple[str, str, list[Any]]:
        """FROM (with the document as ``d``), WHERE and parameters of the full-text match."""
        raise NotImplementedError

    def least(self, first: str, second: str) -> str:
        raise NotImplementedError

    def in_box(
        self, plan: Plan, runs: Sequence[tuple[int, int]], box: Box
    ) -> tuple[str, list[Any]]:
        """A condition on document ``d``: its id is in one of ``runs`` or after
        ``plan.ordered`` (written since the rebuild), or it has another point in
        ``box``. It may also leave out documents that miss a term or a filter
        (the ranked query checks them all again)."""
        raise NotImplementedError

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Around the queries of one search."""
        yield

    def write_text(self, cursor: CursorWrapper, rows: Sequence[Row]) -> None:
        """Index (id, title, about, body) rows just written to the document table."""
        raise NotImplementedError

    def delete_text(self, cursor: CursorWrapper, rows: Sequence[Row]) -> None:
        """Forget (id, title, about, body) rows about to leave the document table."""
        raise NotImplementedError

    def write_points(self, cursor: CursorWrapper, rows: Sequence[Row]) -> None:
        """Index (point id, document id, latitude, longitude) rows just written."""
        raise NotImplementedError

    def delete_points(self, cursor: CursorWrapper, point_ids: Sequence[int]) -> None:
        raise NotImplementedError

    # --- searching -----------------------------------------------------------------

    def search(self, query: Query) -> Results:
        page = max(1, query.page)
        per_page = min(max(1, query.per_page), MAX_PER_PAGE)
        offset = (page - 1) * per_page
        empty = Results([], 0, page, per_page)
        with self.reading(), connection.cursor() as cursor:
            plan = self._plan(cursor, query, min(offset + per_page, MAX_RESULTS))
            if plan is None:
                return empty
            if plan.needed <= offset:
                return Results([], plan.estimate, page, per_page, total_exact=False)
            found = self._find(cursor, plan)
        hits = [
            Hit(service_id, distance, rank)
            for _, service_id, rank, distance in found.rows[offset : offset + per_page]
        ]
        if len(found.rows) < plan.needed and found.exact:
            total, exact = len(found.rows), True
        else:
            total, exact = max(found.total, offset + len(hits)), found.exact
        return Results(hits, total, page, per_page, total_exact=exact)

    def _plan(self, cursor: CursorWrapper, query: Query, needed: int) -> Plan | None:
        from peerlight.directory import search_index

        terms = search_index.query_terms(query.words)
        stems = sorted({stem for term in terms for stem in term})
        cursor.execute(
            "SELECT name, value FROM directory_search_counter "
            "WHERE name IN ('documents', 'ordered')"
        )
        counters = {name: int(value) for name, value in cursor.fetchall()}
        documents = counters.get("documents", 0)
        held: dict[str, tuple[int, bool, int | None]] = {}
        if stems:
            cursor.execute(
                "SELECT stem, documents, champion, bit FROM directory_search_term "  # noqa: S608
                f"WHERE stem IN ({_marks(stems)})",
                stems,
            )
            held = {row[0]: (int(row[1]), bool(row[2]), row[3]) for row in cursor.fetchall()}
        counts = [sum(held[stem][0] for stem in term if stem in held) for term in terms]
        if documents == 0 or any(count <= 0 for count in counts):
            return None
        plan = Plan(
            query=query,
            terms=terms,
            weights=[math.log(1 + documents / count) for count in counts],
            documents=documents,
            estimate=min(counts, default=documents),
            counts=counts,
            masks=[_mask(term, held) for term in terms],
            ordered=counters.get("ordered", 0),
            champions=[stem for stem in stems if stem in held and held[stem][1]],
            needed=needed,
        )
        if not self._filters(cursor, plan):
            return None
        return plan

    def exact_limit(self, plan: Plan) -> int:
        """Rank every match up to this many (a few milliseconds' work); beyond,
        the champion lists or the rings cost less, whatever the index's size."""
        return self.exact_floor

    def _find(self, cursor: CursorWrapper, plan: Plan) -> _Found:
        query = plan.query
        if plan.terms and plan.estimate <= self.exact_limit(plan):
            return self._exact(cursor, plan)
        if query.near is not None:
            return self._rings(cursor, plan, query.near)
        if plan.terms:
            return self._champions(cursor, plan)
        return self._by_name(cursor, plan)

    # --- filters ---------------------------------------------------------------------

    def _filters(self, cursor: CursorWrapper, plan: Plan) -> bool:
        """Add the query's filters to the plan; False when nothing can match."""
        query, where, params = plan.query, plan.where, plan.params
        if not query.include_inactive:
            where.append("d.active = %s")
            params.append(True)
        if query.free_only:
            where.append("d.free = %s")
            params.append(True)
        if query.wheelchair_accessible:
            where.append("d.wheelchair = %s")
            params.append(True)
        if query.age is not None:
            where.append(
                "(d.minimum_age IS NULL OR d.minimum_age <= %s) "
                "AND (d.maximum_age IS NULL OR d.maximum_age >= %s)"
            )
            params.extend([query.age, query.age])
        if query.language:
            from peerlight.directory.search_index import fold_language

            where.append(self.contains("d.languages"))
            params.append(f" {fold_language(query.language)} ")
        if query.categories:
            terms = self._with_descendants(cursor, query.categories)
            if not terms:
                return False
            # Checked per candidate (an index lookup), not as a list of every
            # service in the categories, which can be most of them (the fence
            # stops PostgreSQL from making it a join over that list).
            where.append(
                "EXISTS (SELECT 1 FROM directory_search_category c "  # noqa: S608
                f"WHERE c.document_id = d.id AND c.term_id IN ({_marks(terms)}){self.fence})"
            )
            params.extend(terms)
        if query.open_at is not None:
            # Not a condition of the ranked query: checking every candidate's
            # hours costs more than ranking it, so only the best rows are
            # checked, as many as it takes (``_read``).
            plan.open_condition, plan.open_params = self._open_condition(cursor, query.open_at)
            if not plan.open_condition:
                return False
        return True

    def _with_descendants(self, cursor: CursorWrapper, term_ids: Iterable[UUID]) -> list[Any]:
        """The terms and all their descendants, as database values."""
        found: list[Any] = [_db_uuid(term) for term in term_ids]
        frontier = list(found)
        seen = set(found)
        for _ in range(20):  # a taxonomy deeper than this is a loop
            if not frontier:
                break
            cursor.execute(
                f"SELECT id FROM directory_taxonomyterm WHERE parent_id IN ({_marks(frontier)})",  # noqa: S608
                frontier,
            )
            frontier = [row[0] for row in cursor if row[0] not in seen]
            seen.update(frontier)
            found.extend(frontier)
        return found

    def _open_condition(self, cursor: CursorWrapper, at: datetime) -> tuple[str, list[Any]]:
        """A condition on a slot ``s`` that is true when it is open at ``at``, in its zone."""
        cursor.execute("SELECT zone FROM directory_search_zone ORDER BY zone")
        # Zones where it is the same day and minute share one condition.
        alike: dict[tuple[Any, ...], list[str]] = {}
        for (zone,) in cursor.fetchall():
            probe = hours.slot_probe(at, zone)
            key = (probe.minute, probe.today, probe.today_keys, probe.yesterday_keys)
            alike.setdefault(key, []).append(zone)
        parts: list[str] = []
        params: list[Any] = []
        for zones in alike.values():
            probe = hours.slot_probe(at, zones[0])
            parts.append(
                f"(s.zone IN ({_marks(zones)}) AND ((s.from_previous_day = %s "
                f"AND s.day_key IN ({_marks(probe.today_keys)}) "
                "AND s.start_minute <= %s AND %s < s.end_minute "
                "AND (s.first_day IS NULL OR s.first_day <= %s) "
                "AND (s.last_day IS NULL OR s.last_day >= %s)) "
                "OR (s.from_previous_day = %s "
                f"AND s.day_key IN ({_marks(probe.yesterday_keys)}) "
                "AND %s < s.end_minute "
                "AND (s.first_day IS NULL OR s.first_day <= %s) "
                "AND (s.last_day IS NULL OR s.last_day >= %s))))"
            )
            today, yesterday = probe.today.isoformat(), probe.yesterday.isoformat()
            params.extend(
                [
                    *zones,
                    False,
                    *probe.today_keys,
                    probe.minute,
                    probe.minute,
                    today,
                    today,
                    True,
                    *probe.yesterday_keys,
                    probe.minute,
                    yesterday,
                    yesterday,
                ]
            )
        return " OR ".join(parts), params

    # --- ranking SQL -------------------------------------------------------------------

    def _scores(self, plan: Plan) -> tuple[list[str], list[Any]]:
        """One SQL expression per term: its weight times where it is found (0: nowhere)."""
        expressions: list[str] = []
        params: list[Any] = []
        for term, weight in zip(plan.terms, plan.weights, strict=True):
            cases: list[str] = []
            for column, factor in (("d.title", 3), ("d.about", 2), ("d.body", 1)):
                found = " OR ".join(self.contains(column) for _ in term)
                cases.append(f"WHEN {found} THEN {_number(weight * factor)}")
                params.extend(f" {stem} " for stem in term)
            expressions.append(f"(CASE {' '.join(cases)} ELSE 0 END)")
        return expressions, params

    def _distance(self, near: Point) -> str:
        """Kilometres to the nearest place of document ``d`` (haversine); NULL without one."""
        lat, lon = _number(near.latitude), _number(near.longitude)
        diameter = _number(2 * places.EARTH_RADIUS_KM)

        def haversine(table: str) -> str:
            inside = (
                f"POWER(SIN(RADIANS({table}.latitude - {lat}) / 2), 2) + COS(RADIANS({lat})) "
                f"* COS(RADIANS({table}.latitude)) "
                f"* POWER(SIN(RADIANS({table}.longitude - {lon}) / 2), 2)"
            )
            return f"{diameter} * ASIN(SQRT({self.at_most_one(inside)}))"

        others = (
            f"(SELECT MIN({haversine('p')}) FROM directory_search_point p "  # noqa: S608
            "WHERE p.document_id = d.id)"
        )
        return (
            f"(CASE WHEN d.latitude IS NULL THEN NULL WHEN d.spread "
            f"THEN {self.least(haversine('d'), others)} ELSE {haversine('d')} END)"
        )

    def _ranked(
        self,
        plan: Plan,
        source: str,
        where: list[str],
        params: list[Any],
        *,
        limit: int,
        all_terms: bool,
        inner_limit: int | None = None,
        count: bool = True,
    ) -> tuple[str, list[Any]]:
        """A SELECT of (id, service id, rank, distance, hours exact, hours, total)."""
        query = plan.query
        scores, score_params = self._scores(plan)
        columns = ["d.id", "d.service_id", "d.hours_exact", "d.hours"]
        columns += [f"{expression} AS s{n}" for n, expression in enumerate(scores)]
        near = query.near
        columns.append(f"{self._distance(near)} AS dist" if near else "NULL AS dist")
        inner = (
            f"SELECT {', '.join(columns)} FROM {source} "  # noqa: S608
            f"WHERE {' AND '.join(where) or '1 = 1'}"
            + (f" LIMIT {int(inner_limit)}" if inner_limit else self.fence)
        )
        outer_where: list[str] = []
        if all_terms:
            outer_where += [f"x.s{n} > 0" for n in range(len(scores))]
        if near and query.radius_km is not None:
            outer_where.append(f"x.dist <= {_number(query.radius_km)}")
        score = " + ".join(f"x.s{n}" for n in range(len(scores))) or "1.0"
        if near:
            proximity = f"1.0 / (1.0 + (x.dist / {PROXIMITY_KM}) * (x.dist / {PROXIMITY_KM}))"
            rank = (
                f"CASE WHEN x.dist IS NULL THEN {score} ELSE ({score}) * {proximity} END"
                if plan.terms
                else f"COALESCE({proximity}, 0.0)"
            )
            order = "(CASE WHEN x.dist IS NULL THEN 1 ELSE 0 END), score_rank DESC, x.id"
        else:
            rank = score
            order = "score_rank DESC, x.id"
        total = "COUNT(*) OVER ()" if count else "0"
        sql = (
            f"SELECT x.id, x.service_id, {rank} AS score_rank, x.dist, x.hours_exact, x.hours, "  # noqa: S608
            f"{total} AS total FROM ({inner}) x "
            f"WHERE {' AND '.join(outer_where) or '1 = 1'} "
            f"ORDER BY {order} LIMIT {int(limit)}"
        )
        return sql, [*score_params, *params]

    def _read(
        self,
        cursor: CursorWrapper,
        plan: Plan,
        build: Callable[[int], tuple[str, list[Any]]],
        *,
        start: int = 0,
    ) -> _Batch:
        """Run a ranked SELECT (``build(limit)``) and keep the rows open at ``open_at``;
        read deeper while too few are."""
        limit = start or (plan.needed if not plan.open_condition else 3 * plan.needed + 10)
        while True:
            sql, params = build(limit)
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
            rows = self._open_only(cursor, plan, fetched)
            complete = len(fetched) < limit
            total = int(fetched[0][6]) if fetched else 0
            if len(rows) >= plan.needed or complete:
                if plan.open_condition:
                    # The share of the rows read that are open, of all candidates.
                    total = len(rows) if complete else total * len(rows) // len(fetched)
                return _Batch(rows, complete, total)
            # Deeper: all the candidates at once when they are a few thousand.
            limit = max(4 * limit, total + 1 if total <= 4000 else 0)

    def _open_only(self, cursor: CursorWrapper, plan: Plan, fetched: list[Row]) -> list[Ranked]:
        at = plan.query.open_at
        ranked = [(int(row[0]), _uuid(row[1]), float(row[2]), _km(row[3])) for row in fetched]
        if at is None or not fetched:
            return ranked
        open_ids: set[int] = set()
        for start in range(0, len(fetched), 500):
            chunk = [row[0] for row in fetched[start : start + 500]]
            cursor.execute(
                "SELECT DISTINCT s.document_id FROM directory_search_slot s "  # noqa: S608
                f"WHERE s.document_id IN ({_marks(chunk)}) AND ({plan.open_condition})",
                [*chunk, *plan.open_params],
            )
            open_ids.update(int(row[0]) for row in cursor)
        return [
            found
            for found, row in zip(ranked, fetched, strict=True)
            if found[0] in open_ids and (row[4] or _open_exactly(row[5], at))
        ]

    # --- the four paths ------------------------------------------------------------------

    def _exact(self, cursor: CursorWrapper, plan: Plan) -> _Found:
        source, match, match_params = self.match_source(plan.terms)
        batch = self._read(
            cursor,
            plan,
            lambda limit: self._ranked(
                plan,
                source,
                [match, *plan.where],
                [*match_params, *plan.params],
                limit=limit,
                all_terms=False,
            ),
        )
        return _Found(batch.rows, batch.total, batch.complete or not plan.open_condition)

    def _champions(self, cursor: CursorWrapper, plan: Plan) -> _Found:
        """Common words without a place: rank the champion lists, else stream the matches.

        A list is in rank order for its own word (name first, then other
        names, then the rest; older first), so the first entries that pass
        the filters are the answer for one word; for several, the first of
        each list are ranked together. The lists are read deeper while the
        filters leave too few.
        """
        depth = 8 * plan.needed + 40
        while plan.champions:
            heads = " UNION ALL ".join(
                "SELECT * FROM (SELECT c.document_id FROM directory_search_champion c "  # noqa: S608
                f"WHERE c.stem = %s ORDER BY c.tier DESC, c.document_id LIMIT {depth}) h{n}"
                for n in range(len(plan.champions))
            )
            batch = self._read(
                cursor,
                plan,
                lambda limit, heads=heads: self._ranked(  # type: ignore[misc]
                    plan,
                    "directory_search_document d",
                    [f"d.id IN ({heads})", *plan.where],
                    [*plan.champions, *plan.params],
                    limit=limit,
                    all_terms=True,
                ),
            )
            if len(batch.rows) >= plan.needed:
                share = min(1.0, batch.total / (depth * len(plan.champions)))
                return _Found(batch.rows, max(batch.total, int(plan.estimate * share)), False)
            if depth >= self.champion_size:
                break
            depth *= 4
        return self._stream(cursor, plan)

    def _stream(self, cursor: CursorWrapper, plan: Plan) -> _Found:
        """The first matches in index order that pass the filters, ranked among themselves."""
        source, match, match_params = self.match_source(plan.terms)
        batch = self._read(
            cursor,
            plan,
            lambda limit: self._ranked(
                plan,
                source,
                [match, *plan.where],
                [*match_params, *plan.params],
                limit=limit,
                all_terms=False,
                inner_limit=limit,
            ),
            start=max(self.stream_limit, 4 * plan.needed),
        )
        if batch.complete:
            return _Found(batch.rows, len(batch.rows), True)
        return _Found(batch.rows, max(len(batch.rows), plan.estimate), False)

    def _runs(self, cursor: CursorWrapper, box: Box) -> list[tuple[int, int]]:
        """The runs of document ids whose first place may lie in ``box``."""
        # 64 cells cover a box with about 1.4 times its area (16: 2.2 times).
        ranges = places.key_ranges(box, max_cells=64)
        parts = [
            "SELECT (SELECT id FROM directory_search_document WHERE zkey >= %s "
            "ORDER BY zkey, id LIMIT 1), (SELECT id FROM directory_search_document "
            "WHERE zkey <= %s ORDER BY zkey DESC, id DESC LIMIT 1)"
        ] * len(ranges)
        cursor.execute(" UNION ALL ".join(parts), [key for pair in ranges for key in pair])
        runs: list[tuple[int, int]] = []
        for first, last in sorted(row for row in cursor.fetchall() if None not in row):
            if first > last:
                continue
            if runs and first <= runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], max(last, runs[-1][1]))
            else:
                runs.append((first, last))
        return runs

    def _rings(self, cursor: CursorWrapper, plan: Plan, near: Point) -> _Found:
        """Nearest first: rank the matches in a box around the place, a larger box
        each time, until nothing outside the box can rank higher."""
        query = plan.query
        best_score = sum(3 * weight for weight in plan.weights) if plan.terms else 1.0
        limit_km = query.radius_km
        radius = self.ring_start_km if limit_km is None else min(self.ring_start_km, limit_km)
        world = math.pi * places.EARTH_RADIUS_KM
        # The share of documents that hold every word and pass the filters: a
        # box of runs holding n documents should hold about n * share matches.
        share = plan.estimate / max(1, plan.documents) * _filter_share(query)
        while True:
            last = radius >= (limit_km if limit_km is not None else world)
            box = places.bounding_box(near, radius)
            runs = self._runs(cursor, box)
            expected = share * sum(end - start + 1 for start, end in runs)
            if not last and expected < self.ring_fill * plan.needed:
                # Too few for a page: a larger box before any ranking.
                radius = self._grow(radius, limit_km)
                continue
            inside, inside_params = self.in_box(plan, runs, box)
            batch = self._read(
                cursor,
                plan,
                lambda limit, inside=inside, inside_params=inside_params: (  # type: ignore[misc]
                    self._ranked(
                        plan,
                        "directory_search_document d",
                        [inside, "d.located = %s", *plan.where],
                        [*inside_params, True, *plan.params],
                        limit=limit,
                        all_terms=True,
                    )
                ),
            )
            rows = batch.rows
            if last:
                break
            if len(rows) >= plan.needed:
                # Everything outside the box is further than ``radius``.
                bound = best_score / (1.0 + (radius / PROXIMITY_KM) ** 2)
                if rows[plan.needed - 1][2] >= bound:
                    break
            radius = self._grow(radius, limit_km)
        rows = rows[: plan.needed]
        if last and limit_km is None and len(rows) < plan.needed:
            rows += self._unlocated(cursor, plan, plan.needed - len(rows))
        exact = last and (batch.complete or not plan.open_condition)
        return _Found(rows, max(batch.total, len(rows)), exact)

    def _grow(self, radius: float, limit_km: float | None) -> float:
        grown = radius * self.ring_growth
        return grown if limit_km is None else min(grown, limit_km)

    def _unlocated(self, cursor: CursorWrapper, plan: Plan, needed: int) -> list[Ranked]:
        """Services without a place, after the located ones (a place without a radius)."""
        no_place = replace(
            plan, query=replace(plan.query, near=None, radius_km=None), needed=needed
        )
        if plan.terms:
            source, match, match_params = self.match_source(plan.terms)
            where, params = [match, *plan.where], [*match_params, *plan.params]
        else:
            source, where, params = "directory_search_document d", [*plan.where], [*plan.params]
        batch = self._read(
            cursor,
            no_place,
            lambda limit: self._ranked(
                no_place,
                source,
                [*where, "d.located = %s"],
                [*params, False],
                limit=limit,
                all_terms=False,
            ),
        )
        return batch.rows[:needed]

    def _by_name(self, cursor: CursorWrapper, plan: Plan) -> _Found:
        """No words and no place: every match by name."""
        where = " AND ".join(plan.where) or "1 = 1"

        def build(limit: int) -> tuple[str, list[Any]]:
            # No count of every row: it would read them all.
            return (
                "SELECT d.id, d.service_id, 1.0, NULL, d.hours_exact, d.hours, 0 "  # noqa: S608
                f"FROM directory_search_document d WHERE {where} "
                f"ORDER BY d.sort_name, d.id LIMIT {int(limit)}",
                plan.params,
            )

        batch = self._read(cursor, plan, build)
        if batch.complete:
            return _Found(batch.rows, len(batch.rows), True)
        return _Found(batch.rows, plan.documents, False)

    # --- writing ---------------------------------------------------------------------------

    def clear(self, cursor: CursorWrapper) -> None:
        """Empty every index table (the start of a rebuild)."""
        raise NotImplementedError

    def load(
        self, cursor: CursorWrapper, table: str, columns: Sequence[str], rows: Sequence[Row]
    ) -> None:
        """Write many rows at once (a rebuild)."""
        raise NotImplementedError

    def finish(self, cursor: CursorWrapper) -> None:
        """After a rebuild's rows: build the text and place indexes over them."""
        raise NotImplementedError

    def reindex(self, service_ids: Iterable[UUID]) -> None:
        from peerlight.directory import search_index

        search_index.reindex(self, service_ids)

    def rebuild(self) -> int:
        from peerlight.directory import search_index

        return search_index.rebuild(self)


def _filter_share(query: Query) -> float:
    """A rough guess of the share of services that pass the query's filters.

    Only used to size the first box around a place: a wrong guess costs a
    query more or a larger box, never a wrong answer.
    """
    share = 1.0
    for applies, part in (
        (bool(query.categories), 0.1),
        (bool(query.language), 0.3),
        (query.open_at is not None, 0.4),
        (query.wheelchair_accessible, 0.4),
        (query.free_only, 0.7),
        (query.age is not None, 0.7),
    ):
        if applies:
            share *= part
    return share


def _mask(
    term: tuple[str, ...], held: dict[str, tuple[int, bool, int | None]]
) -> tuple[int, int] | None:
    """The bits (low, high) of a term's stems, or None when one of them has none."""
    from peerlight.directory.search_index import stem_bits

    bits: dict[str, int] = {}
    for stem in term:
        bit = held.get(stem, (0, False, None))[2]
        if bit is None:
            return None
        bits[stem] = int(bit)
    return stem_bits(term, bits)


def _open_exactly(rules_json: str, at: datetime) -> bool:
    """The exact check for hours the database can only narrow down."""
    rules = [hours.ScheduleRule(**rule) for rule in json.loads(rules_json or "[]")]
    zone = settings.PEERLIGHT_DIRECTORY_TIME_ZONE
    return bool(hours.is_open(rules, at, default_zone=zone))


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _number(value: float) -> str:
    """A float as SQL text (only ever numbers this module made)."""
    if not math.isfinite(value):
        raise ValueError("Not a finite number.")
    return repr(float(value))


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _km(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def _db_uuid(value: UUID) -> Any:
    return value if connection.vendor == "postgresql" else value.hex
