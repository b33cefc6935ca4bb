"""The search on SQLite: FTS5 over the stemmed text, an R*Tree over the points.

Both are virtual tables made by migration 0002. The FTS5 table
(``directory_search_fts``) reads its text from the document table (external
content, ``detail=none``: it only has to say which documents hold every
word; ``search`` ranks them). The R*Tree (``directory_search_rtree``) holds
one box per point with its document id beside it, and answers "which points
lie in this box" for the rings around a place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.utils import CursorWrapper

from peerlight.directory.places import Box
from peerlight.directory.search import Plan, Row, SqlSearch, Terms

__all__ = ["BACKEND", "SqliteSearch", "fts_query"]

_TABLES = (
    "directory_search_document",
    "directory_search_point",
    "directory_search_category",
    "directory_search_slot",
    "directory_search_zone",
    "directory_search_term",
    "directory_search_champion",
    "directory_search_counter",
    "directory_search_rtree",
)
# FTS5 takes commands as an insert into the column named like the table.
_COMMAND = "INSERT INTO directory_search_fts (directory_search_fts) VALUES (%s)"


def fts_query(terms: Terms) -> str:
    """FTS5 query text: every term, each as any of its stems ("a OR b" AND "c")."""
    return " AND ".join("(" + " OR ".join(f'"{stem}"' for stem in term) + ")" for term in terms)


class SqliteSearch(SqlSearch):
    vendor = "sqlite"

    def contains(self, column: str) -> str:
        return f"instr({column}, %s) > 0"

    def at_most_one(self, expression: str) -> str:
        return f"MIN(1.0, {expression})"

    def match_source(self, terms: Terms) -> tuple[str, str, list[Any]]:
        return (
            "directory_search_fts JOIN directory_search_document d "
            "ON d.id = directory_search_fts.rowid",
            "directory_search_fts MATCH %s",
            [fts_query(terms)],
        )

    def least(self, first: str, second: str) -> str:
        return f"MIN({first}, {second})"

    def in_box(
        self, plan: Plan, runs: Sequence[tuple[int, int]], box: Box
    ) -> tuple[str, list[Any]]:
        terms, after = plan.terms, plan.ordered
        parts: list[str] = []
        params: list[Any] = []
        if terms:
            # FTS5 reads a run of rowids by seeking in each word's list.
            match = fts_query(terms)
            for first, last in runs:
                parts.append(
                    "SELECT rowid FROM directory_search_fts "
                    "WHERE directory_search_fts MATCH %s AND rowid BETWEEN %s AND %s"
                )
                params += [match, first, last]
            parts.append(
                "SELECT rowid FROM directory_search_fts "
                "WHERE directory_search_fts MATCH %s AND rowid > %s"
            )
            params += [match, after]
        else:
            for first, last in runs:
                parts.append("SELECT id FROM directory_search_document WHERE id BETWEEN %s AND %s")
                params += [first, last]
            parts.append("SELECT id FROM directory_search_document WHERE id > %s")
            params.append(after)
        parts.append(
            "SELECT r.document_id FROM directory_search_rtree r "
            "WHERE r.max_latitude >= %s AND r.min_latitude <= %s "
            "AND r.max_longitude >= %s AND r.min_longitude <= %s"
        )
        params += [box.min_latitude, box.max_latitude, box.min_longitude, box.max_longitude]
        # SQLite lists these ids once, then reads each document by its id.
        return f"d.id IN ({' UNION '.join(parts)})", params

    def write_text(self, cursor: CursorWrapper, rows: Sequence[Row]) -> None:
        cursor.executemany(
            "INSERT INTO directory_search_fts (rowid, title, about, body) VALUES (%s, %s, %s, %s)",
            rows,
        )

    def delete_text(self, cursor: CursorWrapper, rows: Sequence[Row]) -> None:
        # External content: FTS5 forgets a row given the text it indexed.
        cursor.executemany(
            "INSERT INTO directory_search_fts (directory_search_fts, rowid, title, about, body) "
            "VALUES ('delete', %s, %s, %s, %s)",
            rows,
        )

    def write_points(self, cursor: CursorWrapper, rows: Sequence[Row]) -> None:
        cursor.executemany(
            "INSERT INTO directory_search_rtree "
            "(id, min_latitude, max_latitude, min_longitude, max_longitude, document_id) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(pid, lat, lat, lon, lon, doc) for pid, doc, lat, lon in rows],
        )

    def delete_points(self, cursor: CursorWrapper, point_ids: Sequence[int]) -> None:
        cursor.executemany(
            "DELETE FROM directory_search_rtree WHERE id = %s", [(pid,) for pid in point_ids]
        )

    def clear(self, cursor: CursorWrapper) -> None:
        cursor.execute(
            "INSERT INTO directory_search_fts (directory_search_fts) VALUES ('delete-all')"
        )
        for table in _TABLES:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (names from this module)

    def load(
        self, cursor: CursorWrapper, table: str, columns: Sequence[str], rows: Sequence[Row]
    ) -> None:
        if not rows:
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )
        if table == "directory_search_point":
            self.write_points(cursor, rows)

    def finish(self, cursor: CursorWrapper) -> None:
        # FTS5 reads every document's text itself, then merges its segments
        # into one b-tree per term, the fastest shape to query.
        cursor.execute(
            "INSERT INTO directory_search_fts (directory_search_fts) VALUES ('rebuild')"
        )
        cursor.execute(
            "INSERT INTO directory_search_fts (directory_search_fts) VALUES ('optimize')"
        )


BACKEND = SqliteSearch()
