"""One search document per service: the words, folded and stemmed, and the filters.

``documents(service_ids)`` reads the HSDS rows of those services in a few
queries and returns an ``IndexDocument`` for each that still exists; the
backends write them (``search_sqlite``, ``search_postgres``). Everything a
query filters on is worked out here, once, so that a query is plain SQL over
precomputed columns:

- Words: lower case, accents folded ("niños" → "ninos"), common English and
  Spanish words dropped, and each word kept as its English and its Spanish
  Snowball stem (one stream for both languages, since a listing often mixes
  them). Three weighted fields: the name and alternate name (``title``); the
  organisation's name and the service's category names (``about``); the
  description and the eligibility (``body``). A query word matches a
  document holding either of its stems; ``query_terms`` does the same to
  what someone types.
- Free of cost (``is_free``): no cost option with an amount above zero, no
  price or "sliding scale" in the cost texts or fees, and either a cost
  option of amount 0 or words that say free ("free", "no cost", "gratis",
  "sin costo"...). Insurance-only or unknown costs are not free.
- Wheelchair accessible (``says_wheelchair_accessible``): an accessibility
  row of one of its physical locations says so ("wheelchair accessible",
  "step-free", "silla de ruedas") and does not say the opposite ("not
  wheelchair accessible"), or an attribute on the service or a location
  names a wheelchair-access term.
- Languages: the service's, then its locations', folded to one code
  (``fold_language``: "es", "spa", "Spanish" and "Español" are all "es").
- Places: the coordinates of its physical locations (not postal or virtual
  ones). A service without any is "not located": it has no distance.
- Categories: the taxonomy terms of its ``attribute`` rows; a query for a
  term also finds its descendants (expanded when the query runs).
- Hours: the service's own schedules and those of its service-at-locations,
  or else those of its locations, as ``hours.index_slots``.
- Active: HSDS status "active".

Writing (``reindex`` and ``rebuild``, with the database's ``search.SqlSearch``
keeping its own text and place indexes in step):

- ``rebuild()`` numbers the documents along a Z-order curve of their first
  place (services without one first), so that the documents in any box are
  a few runs of ids; it picks the most common stems (from a sample spread
  along the curve) for the bit fields of the narrow index, counts each
  stem's documents, and keeps champion lists for stems in at least
  ``champion_min_documents`` of them. One transaction, bulk writes in chunks
  of ``CHUNK`` services. On SQLite it holds the write lock throughout; on
  PostgreSQL it truncates the tables and rebuilds their indexes, so searches
  wait for it: run it when a big import is done, not while people search.
- ``reindex(ids)`` rewrites those services' documents in place and keeps the
  counts up to date; a service that is gone loses its document; a new one,
  or one whose first place moved, gets a new id after the curve's, which
  queries near a place read apart. Champion lists and the choice of stems
  with bits stay as the last rebuild left them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

import snowballstemmer  # type: ignore[import-untyped]

from peerlight.directory import hours

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

    from peerlight.directory.search import SqlSearch

__all__ = [
    "IndexDocument",
    "documents",
    "fold",
    "fold_language",
    "is_free",
    "language_bit",
    "query_terms",
    "rebuild",
    "reindex",
    "says_wheelchair_accessible",
    "service_id_chunks",
    "stem_field",
    "words",
]

# Longer words are cut: nobody searches for them, and the index stays tidy.
MAX_WORD = 40
MAX_QUERY_TERMS = 8

# Function words of English and Spanish that would match nearly every
# listing. Words that are also content words in the other language ("son",
# "sin", "he", "red", "once") are kept.
_STOPWORDS = (
    "a an and are as at be been but by can do does for from had has have how i if in into "
    "is it its may me my not of on or our so than that the their them then there these "
    "they this those to us was we were what when where which who will with you your "
    "al algo como con cual de del desde donde el ella ellas ellos en entre era es esa esas "
    "ese eso esos esta estan estas este esto estos fue hay la las le les lo los mas muy nos "
    "o para pero por porque que quien se ser si su sus tambien te tu un una uno unos y ya"
)
STOPWORDS = frozenset(_STOPWORDS.split())

_WORD = re.compile(r"[a-z0-9]+")
_ENGLISH = snowballstemmer.stemmer("english")
_SPANISH = snowballstemmer.stemmer("spanish")


def fold(text: str) -> str:
    """Lower case without accents: "Niños Café" → "ninos cafe"."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The words of ``text`` worth indexing, folded, in order."""
    return [
        word[:MAX_WORD]
        for word in _WORD.findall(fold(text))
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit())
    ]


@lru_cache(maxsize=200_000)
def word_stems(word: str) -> tuple[str, ...]:
    """The English and the Spanish stem of a folded word (one when they agree)."""
    english = str(_ENGLISH.stemWord(word))
    spanish = str(_SPANISH.stemWord(word))
    return (english,) if english == spanish else (english, spanish)


def stem_field(*texts: str | None) -> str:
    """The stems of some texts, each once, between single spaces: " help hous "."""
    seen: dict[str, None] = {}
    for text in texts:
        if text:
            for word in words(text):
                for stem in word_stems(word):
                    seen[stem] = None
    return " " + " ".join(seen) + " " if seen else " "


def query_terms(text: str) -> tuple[tuple[str, ...], ...]:
    """What someone typed, as terms that must all match; each term is its stems.

    At most ``MAX_QUERY_TERMS`` terms; repeated words count once.
    """
    terms: dict[tuple[str, ...], None] = {}
    for word in words(text[:500]):
        terms[word_stems(word)] = None
        if len(terms) == MAX_QUERY_TERMS:
            break
    return tuple(terms)


# --- Languages ----------------------------------------------------------------------

# One code per language (ISO 639-1 where there is one), then the other codes
# and names the data may use for it.
_LANGUAGES = (
    ("en", "eng", "english", "ingles"),
    ("es", "spa", "spanish", "espanol", "castellano"),
    ("zh", "zho", "chi", "chinese", "mandarin", "cantonese", "yue", "cmn", "chino"),
    ("vi", "vie", "vietnamese", "tieng viet", "vietnamita"),
    ("tl", "tgl", "fil", "tagalog", "filipino"),
    ("ko", "kor", "korean", "coreano"),
    ("ru", "rus", "russian", "ruso"),
    ("ar", "ara", "arabic", "arabe"),
    ("fr", "fra", "fre", "french", "frances"),
    ("ht", "hat", "haitian creole", "haitian", "kreyol", "creole"),
    ("pt", "por", "portuguese", "portugues"),
    ("de", "deu", "ger", "german", "aleman"),
    ("it", "ita", "italian", "italiano"),
    ("ja", "jpn", "japanese", "japones"),
    ("fa", "fas", "per", "persian", "farsi", "dari", "prs"),
    ("hi", "hin", "hindi"),
    ("ur", "urd", "urdu"),
    ("pa", "pan", "punjabi", "panjabi"),
    ("bn", "ben", "bengali", "bangla"),
    ("pl", "pol", "polish", "polaco"),
    ("uk", "ukr", "ukrainian", "ucraniano"),
    ("so", "som", "somali"),
    ("am", "amh", "amharic"),
    ("ti", "tir", "tigrinya"),
    ("sw", "swa", "swahili"),
    ("km", "khm", "khmer", "cambodian"),
    ("lo", "lao", "laotian"),
    ("th", "tha", "thai"),
    ("hy", "hye", "arm", "armenian"),
    ("he", "heb", "hebrew"),
    ("el", "ell", "gre", "greek"),
    ("ne", "nep", "nepali"),
    ("my", "mya", "bur", "burmese"),
    ("ps", "pus", "pashto"),
    ("hmn", "hmong"),
    ("ase", "asl", "american sign language", "sign language", "lengua de senas"),
    ("nv", "nav", "navajo"),
    ("sm", "smo", "samoan"),
    ("to", "ton", "tongan"),
    ("mh", "mah", "marshallese"),
    ("chk", "chuukese"),
)
_LANGUAGE_CODES = {alias: aliases[0] for aliases in _LANGUAGES for alias in aliases}
# Each known language's bit in ``SearchDocument.language_bits``: its place above.
_LANGUAGE_BITS = {aliases[0]: bit for bit, aliases in enumerate(_LANGUAGES)}


def language_bit(text: str | None) -> int | None:
    """The bit of a language in ``language_bits``, or None for one it does not know."""
    return _LANGUAGE_BITS.get(fold_language(text))


def fold_language(text: str | None) -> str:
    """One code for a language however the data or a person writes it ("" if none)."""
    folded = " ".join(_WORD.findall(fold(text or "")))
    if not folded:
        return ""
    if folded in _LANGUAGE_CODES:
        return _LANGUAGE_CODES[folded]
    # A tag with a region or script ("es-MX", "zh-Hant"): its language.
    first = folded.split(" ", 1)[0]
    if first in _LANGUAGE_CODES and len(first) <= 3:
        return _LANGUAGE_CODES[first]
    return folded.replace(" ", "_")[:24]


# --- Cost and access ------------------------------------------------------------------

_SAYS_FREE = re.compile(
    r"\b(free|no cost|no charge|no fee|no fees|without charge|at no cost|gratis|gratuit[oa]s?|"
    r"sin costo|sin cargo|sin costa)\b"
)
_SAYS_CHARGE = re.compile(
    r"[$€£]\s*\d|\b\d+(?:\.\d+)?\s*(?:dollars|usd|dolares)\b|\bsliding\b|\bescala\b|\bcopay"
)
_SAYS_WHEELCHAIR = re.compile(
    r"\b(wheel\s?chairs?|step[- ]free|silla de ruedas|sillas de ruedas|ada accessible)\b"
)
_SAYS_NOT_WHEELCHAIR = re.compile(
    r"\b(not|no|isnt|without)\s+(wheel\s?chair|step[- ]free|accessible|ada)|\binaccessible\b|"
    r"\bno es accesible\b|\bsin acceso\b|\bwheelchair accessible:\s*no\b"
)


def _plain(text: str | None) -> str:
    return " ".join(fold(text or "").replace("'", "").split())


def is_free(amounts: Iterable[float | None], texts: Iterable[str | None]) -> bool:
    """Free of cost, from the cost options' amounts and the cost and fee texts.

    ``texts``: the cost options' option and amount descriptions, and the
    service's ``fees_description`` and ``fees``.
    """
    known = [amount for amount in amounts if amount is not None]
    if any(amount > 0 for amount in known):
        return False
    plain = [_plain(text) for text in texts if text]
    if any(_SAYS_CHARGE.search(text) for text in plain):
        return False
    return bool(known) or any(_SAYS_FREE.search(text) for text in plain)


def says_wheelchair_accessible(text: str | None) -> bool:
    plain = _plain(text)
    return bool(_SAYS_WHEELCHAIR.search(plain)) and not _SAYS_NOT_WHEELCHAIR.search(plain)


def _names_wheelchair_term(name: str | None, value: str | None) -> bool:
    return says_wheelchair_accessible(name) and _plain(value) not in ("false", "no", "0")


# --- Documents --------------------------------------------------------------------------


@dataclass(slots=True)
class IndexDocument:
    service_id: UUID
    title: str
    about: str
    body: str
    sort_name: str
    active: bool
    free: bool
    wheelchair: bool
    minimum_age: float | None
    maximum_age: float | None
    languages: str
    points: list[tuple[float, float]] = field(default_factory=list)
    categories: list[UUID] = field(default_factory=list)
    slots: list[hours.Slot] = field(default_factory=list)
    hours_exact: bool = True
    hours: str = ""

    @property
    def located(self) -> bool:
        return bool(self.points)

    def stems(self) -> set[str]:
        return set((self.title + self.about + self.body).split())


def service_id_chunks(size: int) -> Iterator[list[UUID]]:
    """Every service id, in id order, ``size`` at a time (keyset paging)."""
    from peerlight.directory.models import Service

    last: UUID | None = None
    while True:
        ids = Service.objects.order_by("id")
        if last is not None:
            ids = ids.filter(id__gt=last)
        chunk = list(ids.values_list("id", flat=True)[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def documents(service_ids: Sequence[UUID], *, default_zone: str) -> list[IndexDocument]:
    """The documents of these services (missing ones are left out), in a few queries.

    Plain SQL with the database's own id values (a rebuild reads a million
    services this way); ids become ``UUID`` only on the way out.
    """
    from django.db import connection

    native = connection.vendor == "postgresql"
    wanted = [service_id if native else service_id.hex for service_id in service_ids]
    with connection.cursor() as cursor:

        def rows(sql: str, *id_lists: Sequence[Any]) -> list[tuple[Any, ...]]:
            values = [value for ids in id_lists for value in ids]
            if not values:
                return []
            marks = [", ".join(["%s"] * len(ids)) or "NULL" for ids in id_lists]
            cursor.execute(sql.format(*marks), values)
            fetched: list[tuple[Any, ...]] = cursor.fetchall()
            return fetched

        services = rows(
            "SELECT s.id, s.name, s.alternate_name, s.description, s.eligibility_description, "
            "s.status, s.fees, s.fees_description, s.minimum_age, s.maximum_age, o.name "
            "FROM directory_service s "
            "LEFT JOIN directory_organization o ON o.id = s.organization_id "
            "WHERE s.id IN ({})",
            wanted,
        )
        if not services:
            return []
        ids = [row[0] for row in services]

        # Places: service → its locations (through service_at_location).
        at_locations: dict[Any, list[Any]] = defaultdict(list)
        locations_of: dict[Any, list[Any]] = defaultdict(list)
        for sal_id, service_id, location_id in rows(
            "SELECT id, service_id, location_id FROM directory_serviceatlocation "
            "WHERE service_id IN ({})",
            ids,
        ):
            at_locations[service_id].append(sal_id)
            if location_id is not None:
                locations_of[service_id].append(location_id)
        location_ids = list({lid for found in locations_of.values() for lid in found})
        physical: dict[Any, tuple[float, float] | None] = {}
        for lid, kind, latitude, longitude in rows(
            "SELECT id, location_type, latitude, longitude FROM directory_location "
            "WHERE id IN ({})",
            location_ids,
        ):
            if (kind or "physical").strip().lower() != "physical":
                continue
            if latitude is None or longitude is None:
                physical[lid] = None
            elif -90 <= latitude <= 90 and -180 <= longitude <= 180:
                physical[lid] = (latitude, longitude)
        places = list(physical)
        wheelchair_places = {
            lid
            for lid, description, details in rows(
                "SELECT location_id, description, details FROM directory_accessibility "
                "WHERE location_id IN ({})",
                places,
            )
            if says_wheelchair_accessible(description) or says_wheelchair_accessible(details)
        }

        # Attributes: categories of the service; wheelchair terms on it or its places.
        id_set = set(ids)
        categories: dict[Any, list[UUID]] = defaultdict(list)
        category_names: dict[Any, list[str]] = defaultdict(list)
        wheelchair_links: set[Any] = set()
        for link_id, entity, term_id, term_name, term_code, value in rows(
            "SELECT a.link_id, a.link_entity, a.taxonomy_term_id, t.name, t.code, a.value "
            "FROM directory_attribute a "
            "JOIN directory_taxonomyterm t ON t.id = a.taxonomy_term_id "
            "WHERE a.link_id IN ({})",
            [*ids, *places],
        ):
            if _names_wheelchair_term(term_name, value) or _names_wheelchair_term(
                term_code, value
            ):
                wheelchair_links.add(link_id)
            if link_id in id_set and (entity or "service").strip().lower() == "service":
                categories[link_id].append(_as_uuid(term_id))
                category_names[link_id].append(term_name or "")

        languages: dict[Any, list[str]] = defaultdict(list)
        for owner, code, name in rows(
            "SELECT service_id, code, name FROM directory_language WHERE service_id IN ({}) "
            "UNION ALL SELECT location_id, code, name FROM directory_language "
            "WHERE location_id IN ({}) AND service_id IS NULL",
            ids,
            location_ids,
        ):
            languages[owner].append(fold_language(code) or fold_language(name))

        amounts: dict[Any, list[float | None]] = defaultdict(list)
        cost_texts: dict[Any, list[str | None]] = defaultdict(list)
        for service_id, amount, option, described in rows(
            "SELECT service_id, amount, option, amount_description FROM directory_costoption "
            "WHERE service_id IN ({})",
            ids,
        ):
            amounts[service_id].append(amount)
            cost_texts[service_id].extend((option, described))

        service_of_sal = {sal: sid for sid, sals in at_locations.items() for sal in sals}
        own_rules: dict[Any, list[hours.ScheduleRule]] = defaultdict(list)
        place_rules: dict[Any, list[hours.ScheduleRule]] = defaultdict(list)
        for service_id, sal_id, location_id, *fields in rows(
            f"SELECT service_id, service_at_location_id, location_id, {', '.join(_RULE_FIELDS)} "  # noqa: S608
            "FROM directory_schedule WHERE service_id IN ({}) "
            "OR service_at_location_id IN ({}) OR location_id IN ({})",
            ids,
            list(service_of_sal),
            location_ids,
        ):
            rule = _rule(fields)
            if service_id in id_set:
                own_rules[service_id].append(rule)
            elif sal_id in service_of_sal:
                own_rules[service_of_sal[sal_id]].append(rule)
            elif service_id is None and sal_id is None and location_id is not None:
                # The location's own hours (a row with a service is that service's).
                place_rules[location_id].append(rule)

    found: list[IndexDocument] = []
    for (
        service_id,
        name,
        alternate_name,
        description,
        eligibility,
        status,
        fees,
        fees_description,
        minimum_age,
        maximum_age,
        organization,
    ) in services:
        own = locations_of.get(service_id, [])
        points = sorted({p for lid in own if (p := physical.get(lid)) is not None})
        codes = [*languages.get(service_id, [])]
        for lid in own:
            codes.extend(languages.get(lid, []))
        rules = own_rules.get(service_id) or [
            rule for lid in own for rule in place_rules.get(lid, [])
        ]
        slots = hours.index_slots(rules, default_zone)
        exact = all(slot.exact for slot in slots)
        found.append(
            IndexDocument(
                service_id=_as_uuid(service_id),
                title=stem_field(name, alternate_name),
                about=stem_field(organization, *category_names.get(service_id, [])),
                body=stem_field(description, eligibility),
                sort_name=fold(name or "")[:200],
                active=(status or "").strip().lower() == "active",
                free=is_free(
                    amounts.get(service_id, []),
                    [*cost_texts.get(service_id, []), fees_description, fees],
                ),
                wheelchair=service_id in wheelchair_links
                or any(lid in wheelchair_places or lid in wheelchair_links for lid in own),
                minimum_age=minimum_age,
                maximum_age=maximum_age,
                languages=" " + " ".join(dict.fromkeys(c for c in codes if c)) + " ",
                points=points,
                categories=sorted(set(categories.get(service_id, [])), key=str),
                slots=slots,
                hours_exact=exact,
                hours="" if exact else json.dumps([asdict(rule) for rule in rules]),
            )
        )
    return found


def _as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


# The schedule columns a ``hours.ScheduleRule`` reads, in its field order.
_RULE_FIELDS = (
    "opens_at",
    "closes_at",
    "freq",
    "byday",
    "bymonthday",
    "byweekno",
    "interval",
    "count",
    "wkst",
    "dtstart",
    "until",
    "valid_from",
    "valid_to",
    "time_zone",
    "timezone",
)


def _rule(values: Sequence[Any]) -> hours.ScheduleRule:
    (
        opens_at,
        closes_at,
        freq,
        byday,
        bymonthday,
        byweekno,
        interval,
        count,
        wkst,
        dtstart,
        until,
        valid_from,
        valid_to,
        time_zone,
        utc_offset,
    ) = values
    return hours.ScheduleRule(
        opens_at=opens_at,
        closes_at=closes_at,
        freq=freq,
        byday=byday,
        bymonthday=bymonthday,
        byweekno=byweekno,
        interval=interval,
        count=count,
        wkst=wkst,
        dtstart=dtstart,
        until=until,
        valid_from=valid_from,
        valid_to=valid_to,
        time_zone=time_zone or "",
        utc_offset=utc_offset,
    )


# --- Writing the index ----------------------------------------------------------------
#
# ``backend`` is the database's ``search.SqlSearch``: it keeps its own text and
# place indexes in step with the rows written here.

CHUNK = 2000
DOCUMENT_COLUMNS = (
    "id",
    "service_id",
    "title",
    "about",
    "body",
    "sort_name",
    "active",
    "free",
    "wheelchair",
    "minimum_age",
    "maximum_age",
    "languages",
    "located",
    "latitude",
    "longitude",
    "spread",
    "zkey",
    "stem_bits",
    "stem_bits_high",
    "language_bits",
    "hours_exact",
    "hours",
)
SLOT_COLUMNS = (
    "document_id",
    "zone",
    "day_key",
    "start_minute",
    "end_minute",
    "from_previous_day",
    "first_day",
    "last_day",
)


def reindex(backend: SqlSearch, service_ids: Iterable[UUID]) -> None:
    """Rewrite these services' documents; a service that is gone loses its document."""
    from django.conf import settings
    from django.db import connection, transaction

    ids = list(dict.fromkeys(service_ids))
    zone = settings.PEERLIGHT_DIRECTORY_TIME_ZONE
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        with transaction.atomic(), connection.cursor() as cursor:
            _replace(backend, cursor, chunk, documents(chunk, default_zone=zone))


def _replace(
    backend: SqlSearch,
    cursor: CursorWrapper,
    service_ids: Sequence[UUID],
    docs: Sequence[IndexDocument],
) -> None:
    """Rewrite some services' documents.

    A document keeps its id while its first place stays where it was;
    otherwise (a new service, or one that moved) it gets a new id after
    every id the last rebuild numbered along the curve, where queries near a
    place read it apart from the runs of ids.
    """
    from peerlight.directory import search_models as sm

    ordered = _counter(cursor, "ordered")
    bits = _bits(cursor)
    old = list(
        sm.SearchDocument.objects.filter(service_id__in=service_ids).values_list(
            "id", "service_id", "title", "about", "body", "latitude", "longitude"
        )
    )
    delta: dict[str, int] = defaultdict(int)
    for row in old:
        for stem in set((row[2] + row[3] + row[4]).split()):
            delta[stem] -= 1
    if old:
        old_ids = [row[0] for row in old]
        backend.delete_text(cursor, [(row[0], row[2], row[3], row[4]) for row in old])
        backend.delete_points(
            cursor,
            list(
                sm.SearchPoint.objects.filter(document_id__in=old_ids).values_list("id", flat=True)
            ),
        )
        for model in (sm.SearchPoint, sm.SearchCategory, sm.SearchSlot, sm.SearchChampion):
            model.objects.filter(document_id__in=old_ids).delete()
    new_docs = {doc.service_id: doc for doc in docs}
    kept: dict[UUID, int] = {}
    for doc_id, service_id, *_text, latitude, longitude in old:
        doc = new_docs.get(service_id)
        place = (doc.points[0] if doc.points else (None, None)) if doc else None
        if doc is not None and (doc_id > ordered or place == (latitude, longitude)):
            kept[service_id] = doc_id
    sm.SearchDocument.objects.filter(service_id__in=service_ids).exclude(
        id__in=kept.values()
    ).delete()
    rows: list[tuple[int, IndexDocument]] = []
    for doc in docs:
        fields = _document_fields(doc, bits)
        known = kept.get(doc.service_id)
        if known is None:
            doc_id = sm.SearchDocument.objects.create(**fields).id
        else:
            doc_id = known
            sm.SearchDocument.objects.filter(id=doc_id).update(**fields)
        rows.append((doc_id, doc))
        for stem in doc.stems():
            delta[stem] += 1
    backend.write_text(cursor, [(i, d.title, d.about, d.body) for i, d in rows])
    _write_children(backend, cursor, rows)
    _count_terms(cursor, delta)
    _add_champions(backend, rows)
    if len(docs) != len(old):
        _bump(cursor, "documents", len(docs) - len(old))


def _counter(cursor: CursorWrapper, name: str) -> int:
    cursor.execute("SELECT value FROM directory_search_counter WHERE name = %s", [name])
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def _write_children(
    backend: SqlSearch, cursor: CursorWrapper, rows: Sequence[tuple[int, IndexDocument]]
) -> None:
    from peerlight.directory import search_models as sm

    points = sm.SearchPoint.objects.bulk_create(
        sm.SearchPoint(document_id=doc_id, latitude=lat, longitude=lon)
        for doc_id, doc in rows
        for lat, lon in doc.points[1:]
    )
    backend.write_points(cursor, [(p.id, p.document_id, p.latitude, p.longitude) for p in points])
    sm.SearchCategory.objects.bulk_create(
        sm.SearchCategory(document_id=doc_id, term_id=term)
        for doc_id, doc in rows
        for term in doc.categories
    )
    slots = [(doc_id, slot) for doc_id, doc in rows for slot in doc.slots]
    sm.SearchSlot.objects.bulk_create(
        sm.SearchSlot(**dict(zip(SLOT_COLUMNS, _slot_row(doc_id, slot), strict=True)))
        for doc_id, slot in slots
    )
    sm.SearchZone.objects.bulk_create(
        [sm.SearchZone(zone=zone) for zone in sorted({slot.zone for _, slot in slots})],
        ignore_conflicts=True,
    )


def _count_terms(cursor: CursorWrapper, delta: dict[str, int]) -> None:
    changes = [(stem, change, False) for stem, change in sorted(delta.items()) if change]
    if changes:
        cursor.executemany(
            "INSERT INTO directory_search_term (stem, documents, champion) "
            "VALUES (%s, %s, %s) ON CONFLICT (stem) DO UPDATE "
            "SET documents = directory_search_term.documents + excluded.documents",
            changes,
        )


def _add_champions(backend: SqlSearch, rows: Sequence[tuple[int, IndexDocument]]) -> None:
    """A document joins a common stem's list while the list has room at its tier.

    Lists are only trimmed by a rebuild, so they may grow a little past
    ``champion_size`` between rebuilds; a stem that became common since the
    last rebuild has no list yet (its queries read the matches instead).
    """
    from django.db.models import Count

    from peerlight.directory import search_models as sm

    stems = sorted({stem for _, doc in rows for stem in doc.stems()})
    champions = set(
        sm.SearchTerm.objects.filter(stem__in=stems, champion=True).values_list("stem", flat=True)
    )
    if not champions:
        return
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for stem, tier, count in (
        sm.SearchChampion.objects.filter(stem__in=champions)
        .values_list("stem", "tier")
        .annotate(count=Count("id"))
    ):
        sizes[stem][tier] = count
    new = []
    for doc_id, doc in rows:
        for stem, tier in _tiers(doc).items():
            if stem in champions and sum(sizes[stem][tier:]) < backend.champion_size:
                new.append(sm.SearchChampion(stem=stem, tier=tier, document_id=doc_id))
                sizes[stem][tier] += 1
    sm.SearchChampion.objects.bulk_create(new)


def _tiers(doc: IndexDocument) -> dict[str, int]:
    """Each stem with its tier: 3 in the name, 2 in the other names, 1 elsewhere."""
    found: dict[str, int] = {}
    for tier, text in ((1, doc.body), (2, doc.about), (3, doc.title)):
        for stem in text.split():
            found[stem] = tier
    return found


# How many of the most common stems get a bit; and how common a stem must be.
BITS = 126
BIT_SHARE = 0.02
_LOW_BITS = 63


def stem_bits(stems: Iterable[str], bits: dict[str, int]) -> tuple[int, int]:
    """The two bit fields of a document holding ``stems``."""
    low = high = 0
    for stem in stems:
        bit = bits.get(stem)
        if bit is None:
            continue
        if bit < _LOW_BITS:
            low |= 1 << bit
        else:
            high |= 1 << (bit - _LOW_BITS)
    return low, high


def _bits(cursor: CursorWrapper) -> dict[str, int]:
    cursor.execute("SELECT stem, bit FROM directory_search_term WHERE bit IS NOT NULL")
    return {stem: int(bit) for stem, bit in cursor.fetchall()}


def _document_fields(doc: IndexDocument, bits: dict[str, int]) -> dict[str, Any]:
    low, high = stem_bits(doc.stems(), bits)
    return {
        "service_id": doc.service_id,
        "title": doc.title,
        "about": doc.about,
        "body": doc.body,
        "sort_name": doc.sort_name,
        "active": doc.active,
        "free": doc.free,
        "wheelchair": doc.wheelchair,
        "minimum_age": doc.minimum_age,
        "maximum_age": doc.maximum_age,
        "languages": doc.languages,
        "located": doc.located,
        "latitude": doc.points[0][0] if doc.points else None,
        "longitude": doc.points[0][1] if doc.points else None,
        "spread": len(doc.points) > 1,
        "stem_bits": low,
        "stem_bits_high": high,
        "language_bits": sum(
            1 << _LANGUAGE_BITS[code] for code in doc.languages.split() if code in _LANGUAGE_BITS
        ),
        "hours_exact": doc.hours_exact,
        "hours": doc.hours,
    }


def _slot_row(doc_id: int, slot: hours.Slot) -> tuple[Any, ...]:
    return (
        doc_id,
        slot.zone,
        slot.key,
        slot.start,
        slot.end,
        slot.from_previous_day,
        slot.first,
        slot.last,
    )


def _bump(cursor: CursorWrapper, name: str, change: int) -> None:
    cursor.execute(
        "INSERT INTO directory_search_counter (name, value) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE "
        "SET value = directory_search_counter.value + excluded.value",
        [name, change],
    )


def _primary_places(service_ids: Sequence[UUID]) -> dict[UUID, tuple[float, float]]:
    """Each service's first physical place, as ``documents`` picks it."""
    from django.db import connection

    native = connection.vendor == "postgresql"
    wanted = [service_id if native else service_id.hex for service_id in service_ids]
    found: dict[UUID, tuple[float, float]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sal.service_id, l.location_type, l.latitude, l.longitude "  # noqa: S608
            "FROM directory_serviceatlocation sal "
            "JOIN directory_location l ON l.id = sal.location_id "
            f"WHERE sal.service_id IN ({', '.join(['%s'] * len(wanted))}) "
            "AND l.latitude IS NOT NULL AND l.longitude IS NOT NULL",
            wanted,
        )
        for service_id, kind, latitude, longitude in cursor.fetchall():
            if (kind or "physical").strip().lower() != "physical":
                continue
            if -90 <= latitude <= 90 and -180 <= longitude <= 180:
                point = (latitude, longitude)
                key = _as_uuid(service_id)
                found[key] = min(found.get(key, point), point)
    return found


def _curve_order() -> list[int]:
    """Every service as one number that sorts services without a place first,
    then along the Z-order curve: (zkey + 1) << 128 | the service's UUID."""
    from peerlight.directory.places import Point, zkey

    order: list[int] = []
    for chunk in service_id_chunks(CHUNK):
        primary = _primary_places(chunk)
        for service_id in chunk:
            point = primary.get(service_id)
            key = zkey(Point(*point)) + 1 if point else 0
            order.append((key << 128) | service_id.int)
    order.sort()
    return order


def _common_stems(order: Sequence[int], zone: str) -> dict[str, int]:
    """Bits for the most common stems, judged on up to 20,000 services spread
    along the curve (so over every region): stems in at least ``BIT_SHARE``
    of them, the most common first."""
    step = max(1, len(order) // 20_000)
    mask = (1 << 128) - 1
    sample = [UUID(int=key & mask) for key in order[::step]]
    counts: dict[str, int] = defaultdict(int)
    for start in range(0, len(sample), CHUNK):
        for doc in documents(sample[start : start + CHUNK], default_zone=zone):
            for stem in doc.stems():
                counts[stem] += 1
    least = max(1.0, BIT_SHARE * len(sample))
    common = sorted(
        (stem for stem, count in counts.items() if count >= least),
        key=lambda stem: (-counts[stem], stem),
    )
    return {stem: bit for bit, stem in enumerate(common[:BITS])}


def rebuild(backend: SqlSearch) -> int:
    """Index every service afresh, in chunks, with bulk writes; returns how many.

    Documents are numbered in curve order (services without a place first),
    so the documents near any place are a few runs of ids.
    """
    from django.conf import settings
    from django.db import connection, transaction

    zone = settings.PEERLIGHT_DIRECTORY_TIME_ZONE
    vendor_uuid = connection.vendor == "postgresql"
    counts: dict[str, int] = defaultdict(int)
    # Per stem and tier, the first documents (in id order) holding it there.
    firsts: dict[str, tuple[array[int], array[int], array[int]]] = {}
    size = backend.champion_size
    zones: set[str] = set()
    doc_id = point_id = 0
    mask = (1 << 128) - 1
    with transaction.atomic(), connection.cursor() as cursor:
        backend.clear(cursor)
        order = _curve_order()
        bits = _common_stems(order, zone)
        for start in range(0, len(order), CHUNK):
            keys = {UUID(int=key & mask): (key >> 128) - 1 for key in order[start : start + CHUNK]}
            docs = documents(list(keys), default_zone=zone)
            position = {service_id: n for n, service_id in enumerate(keys)}
            docs.sort(key=lambda doc: position[doc.service_id])
            doc_rows: list[tuple[Any, ...]] = []
            point_rows: list[tuple[Any, ...]] = []
            category_rows: list[tuple[Any, ...]] = []
            slot_rows: list[tuple[Any, ...]] = []
            for doc in docs:
                doc_id += 1
                fields = _document_fields(doc, bits)
                fields["id"] = doc_id
                fields["service_id"] = doc.service_id if vendor_uuid else doc.service_id.hex
                curve = keys[doc.service_id]
                fields["zkey"] = curve if curve >= 0 and doc.points else None
                doc_rows.append(tuple(fields[name] for name in DOCUMENT_COLUMNS))
                for lat, lon in doc.points[1:]:
                    point_id += 1
                    point_rows.append((point_id, doc_id, lat, lon))
                category_rows.extend(
                    (doc_id, term if vendor_uuid else term.hex) for term in doc.categories
                )
                slot_rows.extend(_slot_row(doc_id, slot) for slot in doc.slots)
                zones.update(slot.zone for slot in doc.slots)
                for stem, tier in _tiers(doc).items():
                    counts[stem] += 1
                    lists = firsts.get(stem)
                    if lists is None:
                        lists = firsts[stem] = (array("q"), array("q"), array("q"))
                    if len(lists[tier - 1]) < size:
                        lists[tier - 1].append(doc_id)
            backend.load(cursor, "directory_search_document", DOCUMENT_COLUMNS, doc_rows)
            backend.load(
                cursor,
                "directory_search_point",
                ("id", "document_id", "latitude", "longitude"),
                point_rows,
            )
            backend.load(
                cursor, "directory_search_category", ("document_id", "term_id"), category_rows
            )
            backend.load(cursor, "directory_search_slot", SLOT_COLUMNS, slot_rows)
        least = backend.champion_min_documents
        common = {stem for stem, count in counts.items() if count >= least}
        backend.load(
            cursor,
            "directory_search_term",
            ("stem", "documents", "champion", "bit"),
            [(stem, count, stem in common, bits.get(stem)) for stem, count in counts.items()],
        )
        champion_rows: list[tuple[Any, ...]] = []
        for stem in sorted(common):
            left = size
            for tier in (3, 2, 1):
                taken = firsts[stem][tier - 1][:left]
                champion_rows.extend((stem, tier, taken_id) for taken_id in taken)
                left -= len(taken)
        backend.load(
            cursor, "directory_search_champion", ("stem", "tier", "document_id"), champion_rows
        )
        backend.load(cursor, "directory_search_zone", ("zone",), [(z,) for z in sorted(zones)])
        backend.load(
            cursor,
            "directory_search_counter",
            ("name", "value"),
            [("documents", doc_id), ("ordered", doc_id)],
        )
        backend.finish(cursor)
    return doc_id
