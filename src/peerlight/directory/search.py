"""One search interface over two backends.

``search(Query(...))`` returns ranked service ids with the distance to each,
found by the backend that matches the database: SQLite FTS5 with an R*Tree
(``search_sqlite``) or PostgreSQL full text with GIN and a bounding box
(``search_postgres``). The views then fetch the page of services in one query.

The index is kept by ``reindex(service_ids)`` (called by every action that
writes a service, and by the importer) and ``rebuild()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from django.db import connection

__all__ = ["Hit", "Point", "Query", "Results", "rebuild", "reindex", "search"]

MAX_RADIUS_KM = 500.0
MAX_PER_PAGE = 100


@dataclass(frozen=True, slots=True)
class Point:
    latitude: float
    longitude: float


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
    # ISO 639 code ("es" or "spa"): the service offers this language.
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


class Backend(Protocol):
    def search(self, query: Query) -> Results: ...

    def reindex(self, service_ids: Iterable[UUID]) -> None: ...

    def rebuild(self) -> int: ...


def _backend() -> Backend:
    if connection.vendor == "postgresql":
        from peerlight.directory.search_postgres import BACKEND
    else:
        from peerlight.directory.search_sqlite import BACKEND
    return BACKEND


def search(query: Query) -> Results:
    """Ranked by relevance and distance; ``query`` is validated by the caller's form."""
    return _backend().search(query)


def reindex(service_ids: Iterable[UUID]) -> None:
    """Bring these services' index rows up to date (removed ones are dropped)."""
    _backend().reindex(service_ids)


def rebuild() -> int:
    """Index every service afresh; returns how many were indexed."""
    return _backend().rebuild()
