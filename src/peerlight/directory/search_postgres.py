"""The search on PostgreSQL: a tsvector with GIN over the stems, GiST over the points.

Migration 0002 adds ``directory_search_document.tsv`` (the document's stems
as lexemes, written as they are: the stemming is ``search_index``'s, the
same as on SQLite) with a GIN index; a GiST index on
``point(longitude, latitude)`` of ``directory_search_point`` (the other
places of services with several); and ``directory_search_narrow``, the
document ids with the filters' columns and the bits of the most common
stems beside them, so that the runs of ids of a box are filtered by
index-only scans, without reading the wide rows.

A rebuild drops these indexes, copies the rows in (COPY), and builds them
again: much faster than growing them row by row. A search runs in one
transaction with JIT compiling off (it costs tens of milliseconds and
pays off only for long reports).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from peerlight.directory.places import Box
from peerlight.directory.search import Plan, Row, SqlSearch, Terms
from peerlight.directory.search_index import language_bit

__all__ = ["BACKEND", "PostgresSearch", "tsquery"]

_TABLES = (
    "directory_search_document",
    "directory_search_point",
    "directory_search_category",
    "directory_search_slot",
    "directory_search_zone",
    "directory_search_term",
    "directory_search_champion",
    "directory_search_counter",
)
_INDEXES = (
    "DROP INDEX IF EXISTS directory_search_tsv",
    "DROP INDEX IF EXISTS directory_search_geo",
    "DROP INDEX IF EXISTS directory_search_narrow",
)
_REINDEXES = (
    "SET LOCAL maintenance_work_mem = '256MB'",
    "CREATE INDEX directory_search_tsv ON directory_search_document USING gin (tsv)",
    "CREATE INDEX directory_search_geo ON directory_search_point "
    "USING gist (point(longitude, latitude))",
    "CREATE INDEX directory_search_narrow ON directory_search_document (id) INCLUDE "
    "(located, active, free, wheelchair, minimum_age, maximum_age, stem_bits, stem_bits_high, "
    "language_bits)",
)


def tsquery(terms: Terms) -> str:
    """tsquery text: every term, each as any of its stems ("(a | b) & c")."""
    return " & ".join("(" + " | ".join(term) + ")" for term in terms)


class PostgresSearch(SqlSearch):
    vendor = "postgresql"
    # Without it PostgreSQL copies the distance into every expression that
    # uses it (the rank, the order, the radius) and works it out each time.
    fence = " OFFSET 0"
    # A word with a bit goes to GIN only when it is in fewer documents than
    # this many times those in the box's runs.
    gin_ratio: ClassVar[float] = 1.0

    def contains(self, column: str) -> str:
        return f"strpos({column}, %s) > 0"

    def at_most_one(self, expression: str) -> str:
        return f"LEAST(1.0, {expression})"

    def match_source(self, terms: Terms) -> tuple[str, str, list[Any]]:
        return (
            "directory_search_document d",
            "d.tsv @@ CAST(%s AS tsquery)",
            [tsquery(terms)],
        )

    def least(self, first: str, second: str) -> str:
        return f"LEAST({first}, {second})"

    @contextmanager
    def reading(self) -> Iterator[None]:
        # JIT compiling pays for itself on long reports, never on a query of
        # a few milliseconds: it would add tens to the ranked queries.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            yield

    def in_box(
        self, plan: Plan, runs: Sequence[tuple[int, int]], box: Box
    ) -> tuple[str, list[Any]]:
        in_runs = sum(last - first + 1 for first, last in runs)
        # GIN builds a bitmap of every document holding a word, whole, at about
        # the cost per document of reading one entry of the narrow index. So
        # a word with a bit is checked on the narrow index, unless it is in
        # fewer documents than the runs hold; the others by GIN, ANDed with a
        # bitmap of the runs.
        rare = tuple(
            term
            for term, count, mask in zip(plan.terms, plan.counts, plan.masks, strict=True)
            if mask is None or count < self.gin_ratio * in_runs
        )
        others = (
            "SELECT p.document_id FROM directory_search_point p "
            "WHERE point(p.longitude, p.latitude) <@ box(point(%s, %s), point(%s, %s))"
        )
        corners = [box.min_longitude, box.min_latitude, box.max_longitude, box.max_latitude]
        if rare:
            spans = " OR ".join(
                ["d.id BETWEEN %s AND %s"] * len(runs)
                + ["d.id > %s", f"d.id = ANY(ARRAY({others}))"]
            )
            params: list[Any] = [
                *(value for run in runs for value in run),
                plan.ordered,
                *corners,
                tsquery(rare),
            ]
            return f"(({spans}) AND d.tsv @@ CAST(%s AS tsquery))", params
        return self._narrow(plan, runs, others, corners)

    def _narrow(
        self,
        plan: Plan,
        runs: Sequence[tuple[int, int]],
        others: str,
        corners: list[float],
    ) -> tuple[str, list[Any]]:
        """Common words (or none): the runs, and the documents with another point
        in the box, filtered on the narrow index alone (index-only scans), the
        common words by their bits."""
        query = plan.query
        checks = ["n.located"]
        values: list[Any] = []
        if not query.include_inactive:
            checks.append("n.active")
        if query.free_only:
            checks.append("n.free")
        if query.wheelchair_accessible:
            checks.append("n.wheelchair")
        if query.age is not None:
            checks.append(
                "(n.minimum_age IS NULL OR n.minimum_age <= %s) "
                "AND (n.maximum_age IS NULL OR n.maximum_age >= %s)"
            )
            values += [query.age, query.age]
        if query.language and (bit := language_bit(query.language)) is not None:
            checks.append("(n.language_bits & CAST(%s AS bigint)) <> 0")
            values.append(1 << bit)
        for mask in plan.masks:
            if mask is not None:
                checks.append(
                    "((n.stem_bits & CAST(%s AS bigint)) <> 0 "
                    "OR (n.stem_bits_high & CAST(%s AS bigint)) <> 0)"
                )
                values += list(mask)
        where = " AND ".join(checks)
        parts: list[str] = []
        params: list[Any] = []
        for first, last in runs:
            parts.append(
                "SELECT n.id FROM directory_search_document n "  # noqa: S608
                f"WHERE n.id BETWEEN %s AND %s AND {where}"
            )
            params += [first, last, *values]
        parts.append(f"SELECT n.id FROM directory_search_document n WHERE n.id > %s AND {where}")  # noqa: S608
        params += [plan.ordered, *values]
        parts.append(
            "SELECT n.id FROM directory_search_document n "  # noqa: S608
            f"WHERE n.id = ANY(ARRAY({others})) AND {where}"
        )
        params += [*corners, *values]
        return f"d.id = ANY(ARRAY({' UNION ALL '.join(parts)}))", params

    def write_text(self, cursor: CursorWrapper, rows: Sequence[Row]) -> None:
        if rows:
            cursor.execute(
                "UPDATE directory_search_document "
                "SET tsv = CAST(title || about || body AS tsvector) WHERE id = ANY(%s)",
                [[row[0] for row in rows]],
            )

    def delete_text(self, cursor: CursorWrapper, rows: Sequence[Row]) -> None:
        # The tsvector lives in the document's own row.
        return

    def write_points(self, cursor: CursorWrapper, rows: Sequence[Row]) -> None:
        # The GiST index follows the point rows by itself.
        return

    def delete_points(self, cursor: CursorWrapper, point_ids: Sequence[int]) -> None:
        return

    def rebuild(self) -> int:
        indexed = super().rebuild()
        if not connection.in_atomic_block:
            # Marks the fresh pages all-visible, which the narrow index's
            # index-only scans need (autovacuum would, some time later).
            with connection.cursor() as cursor:
                for table in ("directory_search_document", "directory_search_point"):
                    cursor.execute(f"VACUUM (ANALYZE) {table}")
        return indexed

    def clear(self, cursor: CursorWrapper) -> None:
        cursor.execute(f"TRUNCATE {', '.join(_TABLES)}")
        for statement in _INDEXES:
            cursor.execute(statement)

    def load(
        self, cursor: CursorWrapper, table: str, columns: Sequence[str], rows: Sequence[Row]
    ) -> None:
        if not rows:
            return
        names = list(columns)
        if table == "directory_search_document":
            # The stems are written as lexemes as they are (the text form of a
            # tsvector is its lexemes between spaces).
            at = [names.index(name) for name in ("title", "about", "body")]
            names.append("tsv")
            rows = [(*row, row[at[0]] + row[at[1]] + row[at[2]]) for row in rows]
        statement = f"COPY {table} ({', '.join(names)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self, cursor: CursorWrapper) -> None:
        for statement in _REINDEXES:
            cursor.execute(statement)
        for table in _TABLES:
            cursor.execute(f"ANALYZE {table}")
        # Rows were copied with their ids; the next ones the ORM adds follow on.
        for table in (
            "directory_search_document",
            "directory_search_point",
            "directory_search_category",
            "directory_search_slot",
            "directory_search_champion",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )


BACKEND = PostgresSearch()
