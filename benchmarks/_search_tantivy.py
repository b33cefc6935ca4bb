"""The reference engine of the search benchmark: the same services in a Tantivy index.

One document per active service (the database backends leave inactive ones
out by default too), built from the same ``synthetic.generate`` records the
databases hold:

- text: exactly the stems Peerlight's index holds (``search_index``: words
  folded, stop words dropped, each word's Snowball English and Spanish
  stems), so both engines match the same documents; Tantivy reads them with
  its whitespace tokenizer into one field, where the title stems (name,
  alternate name) appear three times and the about stems (organisation,
  categories) twice, Tantivy's way of weighting them over the body
  (description, eligibility). A query is built from ``query_terms``: every
  word must match, through either of its stems; BM25 ranks. One field keeps
  Tantivy at its fastest (a one-word query is a single term, ranked top-k
  with block-max WAND);
- place: every location's latitude and longitude as fast fields, filtered
  by the bounding box of a radius query, and the first location's for the
  exact distance; the top ``RERANK`` hits in the box are ranked again by
  score / (1 + (km / 10)^2), the formula of ``search``, and cut at the radius;
- filters as indexed terms: language codes, free of cost, wheelchair access,
  minimum and maximum age, category codes with their ancestors, and "open"
  as the half-hours of the week (in UTC, at the offsets of the benchmark's
  week) the service is open.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import tantivy

from peerlight.directory import synthetic
from peerlight.directory.places import Point, bounding_box, distance_km
from peerlight.directory.search_index import query_terms, stem_field

SLOT_MINUTES = 30
SLOTS_PER_WEEK = 7 * 24 * 60 // SLOT_MINUTES
PER_PAGE = 20
RERANK = 50
PROXIMITY_KM = 10.0
NO_MINIMUM_AGE = 0
NO_MAXIMUM_AGE = 200
# How many times the title's and the about field's stems are written.
TITLE_REPEAT = 3
ABOUT_REPEAT = 2
# Offsets are taken in the middle of the benchmark's week (before US daylight time).
OFFSET_AT = datetime(2026, 3, 4, 12)
STEMS_TOKENIZER = "peerlight_stems"


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", tokenizer_name=STEMS_TOKENIZER)
    # Fast fields: a range over the column beats the inverted index here.
    builder.add_float_field("latitude", fast=True)
    builder.add_float_field("longitude", fast=True)
    builder.add_float_field("first_latitude", fast=True)
    builder.add_float_field("first_longitude", fast=True)
    builder.add_text_field("language", tokenizer_name="raw")
    builder.add_text_field("category", tokenizer_name="raw")
    builder.add_unsigned_field("free", indexed=True)
    builder.add_unsigned_field("wheelchair", indexed=True)
    builder.add_integer_field("minimum_age", fast=True)
    builder.add_integer_field("maximum_age", fast=True)
    builder.add_unsigned_field("open", indexed=True)
    return builder.build()


def open_index(path: Path) -> tantivy.Index:
    index = tantivy.Index(schema(), path=str(path), reuse=True)
    index.register_tokenizer(
        STEMS_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    )
    return index


def build(path: Path, records: Iterable[synthetic.ServiceRecord]) -> dict[str, Any]:
    """A fresh index of ``records`` at ``path``; its size and how long it took."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    index = open_index(path)
    started = time.perf_counter()
    writer = index.writer(heap_size=256_000_000)
    ancestors = _ancestors()
    indexed = 0
    for record in records:
        if record.status != "active":
            continue
        writer.add_document(_document(record, ancestors))
        indexed += 1
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - started
    return {
        "documents": indexed,
        "index_seconds": round(seconds, 1),
        "index_bytes": sum(f.stat().st_size for f in path.rglob("*") if f.is_file()),
    }


def _ancestors() -> dict[str, tuple[str, ...]]:
    names = synthetic.category_names()
    result = {}
    for code in names:
        chain = [code]
        parent = names[code][1]
        while parent:
            chain.append(parent)
            parent = names[parent][1]
        result[code] = tuple(chain)
    return result


def _document(
    record: synthetic.ServiceRecord, ancestors: dict[str, tuple[str, ...]]
) -> tantivy.Document:
    terms = synthetic.category_names()
    title = stem_field(record.name, record.alternate_name)
    about = stem_field(record.organization.name, *(terms[code][0] for code in record.categories))
    body = stem_field(record.description, record.eligibility)
    document = tantivy.Document()
    document.add_text("id", str(record.id))
    document.add_text("text", title * TITLE_REPEAT + about * ABOUT_REPEAT + body)
    located = [location for location in record.locations if not location.virtual]
    for location in located:
        document.add_float("latitude", location.latitude or 0.0)
        document.add_float("longitude", location.longitude or 0.0)
    if located:
        document.add_float("first_latitude", located[0].latitude or 0.0)
        document.add_float("first_longitude", located[0].longitude or 0.0)
    for code in record.languages:
        document.add_text("language", code)
    for code in {code for term in record.categories for code in ancestors[term]}:
        document.add_text("category", code)
    fees = (record.fees_description or "").lower()
    if record.cost is not None:
        free = record.cost.amount == 0
    else:
        free = fees.startswith(("free", "grat"))
    document.add_unsigned("free", int(free))
    wheelchair = any("wheelchair" in text.lower() for loc in located for text in loc.accessibility)
    document.add_unsigned("wheelchair", int(wheelchair))
    minimum = record.minimum_age
    maximum = record.maximum_age
    document.add_integer("minimum_age", int(minimum) if minimum is not None else NO_MINIMUM_AGE)
    document.add_integer("maximum_age", int(maximum) if maximum is not None else NO_MAXIMUM_AGE)
    for slot in open_slots(record):
        document.add_unsigned("open", slot)
    return document


def open_slots(record: synthetic.ServiceRecord) -> set[int]:
    """The half-hours of the week (0 = Monday 00:00 UTC) in which the service is open.

    A monthly rule ("1TU") counts as weekly: the reference answers "could be
    open at this time of the week", a superset of the exact answer.
    """
    offset = ZoneInfo(record.time_zone).utcoffset(OFFSET_AT)
    shift = int(offset.total_seconds() // 60) if offset else 0
    slots: set[int] = set()
    for hours in record.hours:
        opens = _minutes(hours.opens_at)
        closes = _minutes(hours.closes_at)
        if closes <= opens:
            closes += 24 * 60
        for day in hours.byday.split(","):
            weekday = synthetic.WEEKDAYS.index(day[-2:])
            start = weekday * 24 * 60 + opens - shift
            end = weekday * 24 * 60 + closes - shift
            for minute in range(start - start % SLOT_MINUTES, end, SLOT_MINUTES):
                slots.add((minute // SLOT_MINUTES) % SLOTS_PER_WEEK)
    return slots


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")[:2]
    return int(hours) * 60 + int(minutes)


class Engine:
    """Queries of the benchmark's mix against one built index."""

    def __init__(self, path: Path) -> None:
        self.index = open_index(path)
        self.index.reload()
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    def search(self, query: dict[str, Any]) -> list[str]:
        """Ids of the first page, found top-k: Tantivy skips what cannot make the page."""
        combined, near = self._query(query)
        limit = RERANK if near else PER_PAGE
        hits = self.searcher.search(combined, limit=limit, count=False).hits
        if near is not None and hits:
            hits = self._by_distance(hits, near, query["radius_km"])
        return [self.searcher.doc(address)["id"][0] for _score, address in hits[:PER_PAGE]]

    def count(self, query: dict[str, Any]) -> int:
        """How many documents match (in the box, with a place): reported, not timed.

        Counting visits every match, which the top-k search above does not;
        ``search`` estimates large totals instead, so the timed Tantivy query
        does not count either.
        """
        combined, _near = self._query(query)
        result = self.searcher.search(combined, limit=1, count=True)
        # The type stub leaves out SearchResult.count, which the library has.
        return int(result.count or 0)  # type: ignore[attr-defined]

    def _query(self, query: dict[str, Any]) -> tuple[tantivy.Query, Point | None]:
        must: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for stems in query_terms(query.get("words", "")):
            options = [tantivy.Query.term_query(self.schema, "text", stem) for stem in stems]
            either = (
                options[0]
                if len(options) == 1
                else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in options])
            )
            must.append((tantivy.Occur.Must, either))
        near = None
        if query.get("radius_km"):
            near = Point(query["latitude"], query["longitude"])
            box = bounding_box(near, query["radius_km"])
            must.append(self._range("latitude", box.min_latitude, box.max_latitude))
            must.append(self._range("longitude", box.min_longitude, box.max_longitude))
        must.extend((tantivy.Occur.Must, part) for part in self._filters(query))
        combined = tantivy.Query.boolean_query(must) if must else tantivy.Query.all_query()
        return combined, near

    def _range(self, field: str, low: float, high: float) -> tuple[tantivy.Occur, tantivy.Query]:
        return (
            tantivy.Occur.Must,
            tantivy.Query.range_query(self.schema, field, tantivy.FieldType.Float, low, high),
        )

    def _filters(self, query: dict[str, Any]) -> list[tantivy.Query]:
        schema = self.schema
        parts = []
        if query.get("language"):
            parts.append(tantivy.Query.term_query(schema, "language", query["language"]))
        if query.get("free_only"):
            parts.append(tantivy.Query.term_query(schema, "free", 1))
        if query.get("wheelchair"):
            parts.append(tantivy.Query.term_query(schema, "wheelchair", 1))
        if query.get("age") is not None:
            age = int(query["age"])
            integer = tantivy.FieldType.Integer
            parts.append(tantivy.Query.range_query(schema, "minimum_age", integer, None, age))
            parts.append(tantivy.Query.range_query(schema, "maximum_age", integer, age, None))
        for code in query.get("categories", ()):
            parts.append(tantivy.Query.term_query(schema, "category", code))
        if query.get("open_at"):
            moment = datetime.fromisoformat(query["open_at"])
            minute = moment.weekday() * 24 * 60 + moment.hour * 60 + moment.minute
            parts.append(tantivy.Query.term_query(schema, "open", minute // SLOT_MINUTES))
        return parts

    def _by_distance(
        self, hits: list[tuple[Any, tantivy.DocAddress]], near: Point, radius_km: float
    ) -> list[tuple[Any, tantivy.DocAddress]]:
        addresses = [address for _score, address in hits]
        latitudes = self.searcher.fast_field_values("first_latitude", addresses)
        longitudes = self.searcher.fast_field_values("first_longitude", addresses)
        ranked = []
        for (score, address), latitude, longitude in zip(hits, latitudes, longitudes, strict=True):
            if not isinstance(latitude, float) or not isinstance(longitude, float):
                continue
            distance = distance_km(near, Point(latitude, longitude))
            if distance <= radius_km:
                ranked.append((float(score) / (1.0 + (distance / PROXIMITY_KM) ** 2), address))
        ranked.sort(key=lambda pair: -pair[0])
        return ranked
