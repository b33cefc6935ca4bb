"""Realistic, fictional directory records made from a seed, and a fast writer for them.

``generate(count, seed=..., region=...)`` yields ``ServiceRecord``s: the same
seed, region and count always give the same records with the same ids
(uuid5 of the region, seed and position), so a demo can be seeded twice and
a benchmark can cache a build. What makes them realistic:

- organisations of ten types (community mental health, peer-run, crisis,
  housing, food, faith, legal, recovery, family, multi-service) with 1-8
  services each, named from the place they are in;
- services of 29 kinds (``data/synthetic/kinds.json``), each with its Open
  Eligibility categories, English descriptions (about 3 % in Spanish, most in
  Puerto Rico), eligibility, how to apply, fees and cost options (free for
  most), ages for youth and older-adult services, and weekly or monthly hours
  kept in the IANA zone of their ZIP code (crisis lines and shelters around
  the clock, warmlines in the evening, some past midnight);
- places from the ``zipcodes`` package: real ZIP codes and centroids, each
  location within 3 km of its ZIP's centre; crisis and warm lines, and some
  groups, are phone or online only (a virtual location and a service area);
- languages: English, Spanish for about a quarter, a dozen others for a few;
- phones in the fictional 555-01xx range of the ZIP's area code;
- word frequencies as in real directories: "services", "support" and "help"
  in most descriptions, kind words ("pantry", "shelter") in a few per cent,
  and a long tail (specialties and extras drawn with Zipf weights, town
  names) where the rarest words are in a handful of services per 100,000.

``united_states()`` spreads services over every active standard ZIP code,
each weighted by (the square root of) how many ZIP codes have their centre
within about 10 km (``DENSITY_CELL_DEGREES``): ZIP codes are small where people live close
together, so this stands in for population, which the ``zipcodes`` package
does not have. Services then crowd into cities as they do, and the
benchmark's query points, drawn the same way, fall where people are.
``demo_region()`` is one county (``data/demo_region.json``), uniformly.

``write_services(records)`` writes them to the HSDS tables with plain SQL in
chunks (COPY on PostgreSQL when the tables hold none of them yet), about ten
rows per service; it leaves the search index to ``search.rebuild()``.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "GENERATOR_VERSION",
    "CostRecord",
    "HoursRecord",
    "LocationRecord",
    "OrganizationRecord",
    "PhoneRecord",
    "Place",
    "Region",
    "ServiceRecord",
    "category_names",
    "demo_region",
    "generate",
    "united_states",
    "vocabulary",
    "write_services",
]

# Bump when the same seed would give different records (benchmark caches use it).
GENERATOR_VERSION = 2
NAMESPACE = uuid.UUID("5f0a4e0c-7d1b-5a57-9c1e-2f2a3b9d8e61")
DATA_DIR = Path(__file__).resolve().parent / "data"
REGION_FILE = DATA_DIR / "demo_region.json"
SYNTHETIC_DIR = DATA_DIR / "synthetic"

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WORKDAYS = "MO,TU,WE,TH,FR"
EVERY_DAY = ",".join(WEEKDAYS)
# Locations stay within this distance of their ZIP code's centre.
MAX_JITTER_KM = 3.0
KM_PER_DEGREE = 111.32
SPANISH_DESCRIBED_SHARE = 0.05
SPANISH_DESCRIBED_SHARE_PR = 0.7
INACTIVE_SHARE = 0.02
# Specialties and extras: the n-th is drawn 1/n**1.5 times as often as the first.
ZIPF_EXPONENT = 1.5
# Grid cells of 0.1 degree (about 11 km north-south) for the population stand-in.
DENSITY_CELL_DEGREES = 0.1


# --- Places -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """A real ZIP code area and what addresses in it are made of."""

    zip_code: str
    city: str
    state: str
    county: str
    latitude: float
    longitude: float
    time_zone: str
    area_code: str
    neighbourhoods: tuple[str, ...]
    streets: tuple[str, ...]
    transport: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Region:
    # Part of every id: the same seed in two regions gives different records.
    key: str
    name: str
    places: tuple[Place, ...]
    # The name a county-wide service is named after ("Multnomah County"); ""
    # to use each place's county.
    area: str = ""
    # Cumulative weights of ``places`` for ``random.choices``; () is uniform.
    cumulative_weights: tuple[float, ...] = ()

    def pick(self, rng: random.Random) -> Place:
        """A place, drawn by weight."""
        if not self.cumulative_weights:
            return self.places[int(rng.random() * len(self.places))]
        return rng.choices(self.places, cum_weights=self.cumulative_weights)[0]


def _zip_rows() -> dict[str, dict[str, Any]]:
    import zipcodes

    rows: list[dict[str, Any]] = zipcodes.list_all()  # type: ignore[no-untyped-call]
    return {row["zip_code"]: row for row in rows}


@cache
def united_states() -> Region:
    """Every active standard US ZIP code with a centre, a zone and an area code."""
    words = vocabulary()
    streets = tuple(words["streets"])
    neighbourhoods = tuple(words["neighbourhoods"])
    places = tuple(
        Place(
            zip_code=row["zip_code"],
            city=row["city"],
            state=row["state"],
            county=row["county"],
            latitude=float(row["lat"]),
            longitude=float(row["long"]),
            time_zone=row["timezone"],
            area_code=row["area_codes"][0],
            neighbourhoods=(row["city"], *neighbourhoods),
            streets=streets,
        )
        for row in sorted(_zip_rows().values(), key=lambda row: str(row["zip_code"]))
        if row["active"]
        and row["zip_code_type"] == "STANDARD"
        and row["lat"]
        and row["long"]
        and row["area_codes"]
        and row["timezone"]
    )
    return Region(
        key="us",
        name="United States",
        places=places,
        cumulative_weights=tuple(accumulate(_density(places))),
    )


def _density(places: Sequence[Place]) -> list[float]:
    """The square root of the number of places whose centres share the place's grid
    cell or a neighbouring one (the square root, as ZIP codes are also small where
    offices, not people, crowd: Manhattan would otherwise get 5 % of everything)."""
    cells: dict[tuple[int, int], int] = {}

    def cell(place: Place) -> tuple[int, int]:
        return (
            math.floor(place.latitude / DENSITY_CELL_DEGREES),
            math.floor(place.longitude / DENSITY_CELL_DEGREES),
        )

    for place in places:
        key = cell(place)
        cells[key] = cells.get(key, 0) + 1
    weights = []
    for place in places:
        row, column = cell(place)
        nearby = sum(
            cells.get((row + down, column + across), 0)
            for down in (-1, 0, 1)
            for across in (-1, 0, 1)
        )
        weights.append(math.sqrt(nearby))
    return weights


@cache
def demo_region() -> Region:
    """The demo's county: its ZIP codes (centres from ``zipcodes``), streets and neighbourhoods."""
    data = json.loads(REGION_FILE.read_text(encoding="utf-8"))
    rows = _zip_rows()
    places = []
    for code, area in data["zip_areas"].items():
        row = rows[code]
        city = row["city"]
        streets = tuple(data["streets"][city])
        prefixes = tuple(area.get("street_prefixes", ()))
        if prefixes:
            streets = tuple(s for s in streets if s.split(" ", 1)[0] in prefixes) or streets
        places.append(
            Place(
                zip_code=code,
                city=city,
                state=data["state"],
                county=data["county"],
                latitude=float(row["lat"]),
                longitude=float(row["long"]),
                time_zone=data["time_zone"],
                area_code=data["area_code"],
                neighbourhoods=tuple(area["neighbourhoods"]),
                streets=streets,
                transport=tuple(data["transport"]),
            )
        )
    return Region(key="demo", name=data["name"], places=tuple(places), area=data["county"])


# --- Vocabulary -------------------------------------------------------------------


@cache
def vocabulary() -> dict[str, Any]:
    """The word lists (``words.json``) with the kinds (``kinds.json``) under "kinds"."""
    words: dict[str, Any] = json.loads((SYNTHETIC_DIR / "words.json").read_text(encoding="utf-8"))
    kinds = json.loads((SYNTHETIC_DIR / "kinds.json").read_text(encoding="utf-8"))["kinds"]
    words["kinds"] = {kind["key"]: kind for kind in kinds}
    return words


def category_names() -> dict[str, tuple[str, str | None]]:
    """Open Eligibility code -> (name, parent code) for every code the kinds use."""
    return {
        code: (term["name"], term["parent"]) for code, term in vocabulary()["categories"].items()
    }


# --- Records ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhoneRecord:
    number: str
    type: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class OrganizationRecord:
    id: uuid.UUID
    name: str
    description: str
    website: str
    email: str
    year_incorporated: int
    phone: PhoneRecord


@dataclass(frozen=True, slots=True)
class LocationRecord:
    id: uuid.UUID
    name: str
    # None for a virtual location (a phone line, a website).
    latitude: float | None
    longitude: float | None
    address_1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    transportation: str | None = None
    accessibility: tuple[str, ...] = ()
    url: str | None = None

    @property
    def virtual(self) -> bool:
        return self.latitude is None


@dataclass(frozen=True, slots=True)
class HoursRecord:
    byday: str
    opens_at: str
    closes_at: str
    freq: str = "WEEKLY"
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CostRecord:
    option: str
    amount: float | None
    amount_description: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    id: uuid.UUID
    kind: str
    organization: OrganizationRecord
    name: str
    description: str
    # The language the texts are written in ("en" or "es").
    text_language: str
    languages: tuple[str, ...]
    categories: tuple[str, ...]
    locations: tuple[LocationRecord, ...]
    phones: tuple[PhoneRecord, ...]
    hours: tuple[HoursRecord, ...]
    time_zone: str
    alternate_name: str | None = None
    eligibility: str | None = None
    application_process: str | None = None
    fees_description: str | None = None
    cost: CostRecord | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    url: str | None = None
    email: str | None = None
    status: str = "active"
    assured_date: str | None = None
    wait_time: str | None = None
    service_area: str | None = None
    peer_run: bool = False

    def text(self) -> str:
        """Every searchable text of the service, as one string (for word counts)."""
        terms = category_names()
        parts = [
            self.name,
            self.alternate_name or "",
            self.description,
            self.eligibility or "",
            self.organization.name,
            *(terms[code][0] for code in self.categories if code in terms),
        ]
        return " ".join(part for part in parts if part)


# --- Generation -------------------------------------------------------------------


class _Draw:
    """Weighted draws over the vocabulary, prepared once per ``generate`` call."""

    def __init__(self, rng: random.Random) -> None:
        words = vocabulary()
        self.rng = rng
        self.words = words
        self.kinds: dict[str, dict[str, Any]] = words["kinds"]
        self.org_types: list[dict[str, Any]] = words["organization_types"]
        self.org_type_weights = list(accumulate(t["weight"] for t in self.org_types))
        self.kind_weights = {
            t["key"]: list(accumulate(self.kinds[k]["weight"] for k in t["kinds"]))
            for t in self.org_types
        }
        self.specialties: list[str] = words["specialties"]
        self.specialty_weights = _zipf(len(self.specialties))
        self.extras: list[str] = words["extras"]
        self.extra_weights = _zipf(len(self.extras))
        self.languages: list[dict[str, Any]] = words["languages"]

    def choice(self, items: Sequence[str]) -> str:
        return items[int(self.rng.random() * len(items))]

    def org_type(self) -> dict[str, Any]:
        return self.rng.choices(self.org_types, cum_weights=self.org_type_weights)[0]

    def kind(self, org_type: dict[str, Any]) -> dict[str, Any]:
        key = self.rng.choices(org_type["kinds"], cum_weights=self.kind_weights[org_type["key"]])
        return self.kinds[key[0]]

    def specialty(self) -> str:
        return self.rng.choices(self.specialties, cum_weights=self.specialty_weights)[0]

    def extra(self) -> str:
        return self.rng.choices(self.extras, cum_weights=self.extra_weights)[0]


def _zipf(n: int) -> list[float]:
    return list(accumulate(1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(n)))


def generate(
    count: int,
    *,
    seed: int = 1,
    region: Region | None = None,
    as_of: date = date(2026, 1, 15),
) -> Iterator[ServiceRecord]:
    """``count`` services, organisation by organisation; deterministic for the arguments.

    ``as_of`` is the day "last verified" dates count back from (up to 18
    months; a few services were never verified).
    """
    region = region or united_states()
    rng = random.Random(f"{region.key}:{seed}")  # noqa: S311 (made-up data, not secrets)
    draw = _Draw(rng)
    made = 0
    org_number = 0
    while made < count:
        place = region.pick(rng)
        org_type = draw.org_type()
        key = f"{region.key}:{seed}:{org_number}"
        spanish = rng.random() < (
            SPANISH_DESCRIBED_SHARE_PR if place.state == "PR" else SPANISH_DESCRIBED_SHARE
        )
        organization = _organization(draw, key, org_type, place, region, spanish)
        locations = _locations(draw, key, organization, place)
        services = min(count - made, 1 + min(7, int(rng.expovariate(0.6))))
        for number in range(services):
            yield _service(
                draw,
                f"{key}:{number}",
                org_type,
                organization,
                locations,
                place,
                region,
                as_of,
                spanish and rng.random() < 0.8,
            )
        made += services
        org_number += 1


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format_map(values)


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:40].strip("-") or "service"


def _phone(draw: _Draw, place: Place) -> str:
    # 555-0100 to 555-0199 are reserved for fiction in every area code.
    return f"{place.area_code}-555-01{int(draw.rng.random() * 100):02d}"


def _organization(
    draw: _Draw,
    key: str,
    org_type: dict[str, Any],
    place: Place,
    region: Region,
    spanish: bool,
) -> OrganizationRecord:
    rng = draw.rng
    area = region.area or place.county
    values = {
        "place": draw.choice(place.neighbourhoods) if rng.random() < 0.4 else place.city,
        "area": area,
        "nature": draw.choice(draw.words["nature"]),
        "surname": draw.choice(draw.words["surnames"]),
        "saint": draw.choice(draw.words["saints"]),
        "denomination": draw.choice(draw.words["denominations"]),
        "year": str(1950 + int(rng.random() * 72)),
    }
    names: list[str] = (org_type.get("names_es") if spanish else None) or org_type["names"]
    name = _fill(draw.choice(names), values)
    slug = _slug(name)
    return OrganizationRecord(
        id=uuid.uuid5(NAMESPACE, f"{key}:organization"),
        name=name,
        description=_fill(draw.choice(org_type["description"]), values),
        website=f"https://{slug}.example.org",
        email=f"info@{slug}.example.org",
        year_incorporated=int(values["year"]),
        phone=PhoneRecord(_phone(draw, place), "voice", "Main office"),
    )


def _locations(
    draw: _Draw, key: str, organization: OrganizationRecord, place: Place
) -> list[LocationRecord]:
    rng = draw.rng
    accessibility = draw.words["accessibility"]
    locations = []
    for number in range(1 + int(rng.random() < 0.3) + int(rng.random() < 0.1)):
        # Jitter within MAX_JITTER_KM of the centre: people cluster in towns.
        distance = min(MAX_JITTER_KM, abs(rng.gauss(0.0, 1.2)))
        bearing = rng.random() * 2 * math.pi
        latitude = place.latitude + distance * math.cos(bearing) / KM_PER_DEGREE
        longitude = place.longitude + distance * math.sin(bearing) / (
            KM_PER_DEGREE * math.cos(math.radians(place.latitude))
        )
        features: list[str] = []
        if rng.random() < 0.6:
            features.append(draw.choice(accessibility["wheelchair"]))
        if rng.random() < 0.3:
            features.append(draw.choice(accessibility["other"]))
        neighbourhood = draw.choice(place.neighbourhoods)
        suite = f", Suite {100 * (1 + int(rng.random() * 4))}" if rng.random() < 0.25 else ""
        locations.append(
            LocationRecord(
                id=uuid.uuid5(NAMESPACE, f"{key}:location:{number}"),
                name=organization.name if number == 0 else f"{organization.name}, {neighbourhood}",
                latitude=round(latitude, 6),
                longitude=round(longitude, 6),
                address_1=f"{100 + int(rng.random() * 19800)} {draw.choice(place.streets)}{suite}",
                city=place.city,
                state=place.state,
                postal_code=place.zip_code,
                transportation=draw.choice(place.transport) if place.transport else None,
                accessibility=tuple(features),
            )
        )
    return locations


def _service(
    draw: _Draw,
    key: str,
    org_type: dict[str, Any],
    organization: OrganizationRecord,
    org_locations: list[LocationRecord],
    place: Place,
    region: Region,
    as_of: date,
    spanish: bool,
) -> ServiceRecord:
    rng = draw.rng
    words = draw.words
    kind = draw.kind(org_type)
    spanish = spanish and "names_es" in kind and "opening_es" in kind
    area = region.area or place.county
    populations = words["populations_es"] if spanish else words["populations"]
    values = {
        "place": draw.choice(place.neighbourhoods) if rng.random() < 0.5 else place.city,
        "city": place.city,
        "area": area,
        "population": draw.choice(populations),
        "org": organization.name,
    }
    suffix = "_es" if spanish else ""
    name = _fill(draw.choice(kind["names" + suffix]), values)
    sentences = [_fill(draw.choice(kind["opening" + suffix]), values)]
    details = kind.get("details" + suffix) or []
    for _ in range(int(rng.random() * 3)):
        if details:
            sentences.append(draw.choice(details))
    if not spanish:
        if kind.get("specialties") and rng.random() < 0.4:
            specialty = draw.specialty()
            sentences.append(
                _fill(draw.choice(words["specialty_sentences"]), {"specialty": specialty})
            )
        if rng.random() < 0.25:
            sentences.append(_fill(draw.choice(words["extra_sentences"]), {"extra": draw.extra()}))
    if rng.random() < 0.9:
        sentences.append(draw.choice(words["closings" + suffix]))
    description = " ".join(dict.fromkeys(sentences))

    eligibility = _fill(draw.choice(kind["eligibility"]), values)
    eligibility = eligibility[0].upper() + eligibility[1:]
    minimum_age, maximum_age = _ages(rng, kind, eligibility)

    virtual = rng.random() < kind.get("virtual", 0.0)
    if virtual:
        locations: tuple[LocationRecord, ...] = (
            LocationRecord(
                id=uuid.uuid5(NAMESPACE, f"{key}:virtual"),
                name=f"{name} (phone and online)"
                if not spanish
                else f"{name} (teléfono y en línea)",
                latitude=None,
                longitude=None,
                url=organization.website,
            ),
        )
    else:
        first = int(rng.random() * len(org_locations))
        locations = (org_locations[first],)
        if len(org_locations) > 1 and rng.random() < 0.3:
            locations = tuple(org_locations)

    languages = _languages(draw, spanish, place)
    phones = [PhoneRecord(_phone(draw, place), "voice")]
    if kind["key"] in ("crisis_line", "warmline", "domestic_violence") or rng.random() < 0.1:
        phones.append(PhoneRecord(_phone(draw, place), "text", "Text line"))
    cost, fees = _cost(rng, kind, spanish)
    verified = None if rng.random() < 0.05 else as_of - timedelta(days=int(rng.random() * 540))
    slug = _slug(name)
    return ServiceRecord(
        id=uuid.uuid5(NAMESPACE, f"{key}:service"),
        kind=kind["key"],
        organization=organization,
        name=name,
        alternate_name=None,
        description=description,
        text_language="es" if spanish else "en",
        languages=languages,
        categories=tuple(kind["categories"]),
        locations=locations,
        phones=tuple(phones),
        hours=_hours(rng, kind["schedule"]),
        time_zone=place.time_zone,
        eligibility=eligibility,
        application_process=draw.choice(kind["application"]),
        fees_description=fees,
        cost=cost,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        url=f"{organization.website}/{slug}" if rng.random() < 0.5 else None,
        email=f"{slug[:20].strip('-')}@{organization.website.removeprefix('https://')}"
        if rng.random() < 0.3
        else None,
        status=_status(rng),
        assured_date=verified.isoformat() if verified else None,
        wait_time=None if rng.random() < 0.8 else draw.choice(("None", "1-2 weeks", "2-4 weeks")),
        service_area=area if virtual or rng.random() < 0.2 else None,
        peer_run=bool(kind.get("peer_run")) or org_type["key"] == "peer_run",
    )


def _status(rng: random.Random) -> str:
    if rng.random() >= INACTIVE_SHARE:
        return "active"
    return "inactive" if rng.random() < 0.5 else "temporarily closed"


def _ages(
    rng: random.Random, kind: dict[str, Any], eligibility: str
) -> tuple[float | None, float | None]:
    ages = kind.get("ages")
    if ages:
        low, high = ages
        if kind["key"] == "youth_mental_health":
            low, high = rng.choice(((12, 24), (12, 17), (14, 24), (16, 25)))
        elif kind["key"] == "older_adult":
            low = rng.choice((55, 60, 60, 65))
        return (float(low) if low is not None else None, float(high) if high is not None else None)
    if "18 and older" in eligibility:
        return 18.0, None
    if "14 and older" in eligibility:
        return 14.0, None
    return None, None


def _languages(draw: _Draw, spanish: bool, place: Place) -> tuple[str, ...]:
    rng = draw.rng
    codes = []
    if not spanish or rng.random() < 0.7:
        codes.append("en")
    spanish_share = 0.95 if place.state == "PR" else 0.2
    if spanish or rng.random() < spanish_share:
        codes.append("es")
    for language in draw.languages:
        if language["code"] != "es" and rng.random() < language["share"]:
            codes.append(language["code"])
    return tuple(codes)


def _cost(
    rng: random.Random, kind: dict[str, Any], spanish: bool
) -> tuple[CostRecord | None, str | None]:
    cost = kind["cost"]
    if cost == "mostly_free":
        cost = "free" if rng.random() < 0.85 else "sliding"
    elif cost == "insurance" and rng.random() < 0.25:
        cost = "free"
    if cost == "free":
        if rng.random() < 0.15:
            # Real listings often say so only in words.
            return None, "Gratis." if spanish else "Free."
        return CostRecord("Free", 0.0), "Gratis." if spanish else "Free of charge."
    if cost == "sliding":
        amount = float(5 * (2 + int(rng.random() * 20)))
        return (
            CostRecord("Sliding scale", amount, "Per visit or week, based on income"),
            "Sliding scale fees based on income; no one is turned away for inability to pay.",
        )
    return (
        CostRecord("Insurance", None, "Medicaid, Medicare and most private insurance"),
        "Accepts Medicaid, Medicare and most private insurance; sliding scale for people "
        "without insurance.",
    )


_SCHEDULES: dict[str, tuple[tuple[tuple[str, str, str], ...], ...]] = {
    "office": (
        ((WORKDAYS, "09:00", "17:00"),),
        ((WORKDAYS, "08:30", "16:30"),),
        (("MO,TU,WE,TH", "08:00", "18:00"), ("FR", "08:00", "12:00")),
        ((WORKDAYS, "10:00", "18:00"),),
        (("MO,WE,FR", "09:00", "16:00"),),
    ),
    "extended": (
        (("MO,TU,WE,TH", "08:00", "20:00"), ("FR", "08:00", "17:00"), ("SA", "09:00", "13:00")),
        ((WORKDAYS, "07:30", "19:00"),),
    ),
    "evenings": (
        ((EVERY_DAY, "17:00", "23:00"),),
        ((WORKDAYS, "12:00", "21:00"), ("SA,SU", "15:00", "21:00")),
        ((EVERY_DAY, "18:00", "02:00"),),
    ),
    "always": (((EVERY_DAY, "00:00", "24:00"),),),
    "pantry": (
        (("TU,TH", "10:00", "14:00"),),
        (("WE", "15:00", "18:00"), ("SA", "09:00", "12:00")),
        ((WORKDAYS, "09:00", "12:00"),),
        (("MO", "13:00", "16:00"),),
    ),
    "meals": (
        (("SA", "08:00", "10:00"),),
        (("MO,WE,FR", "11:30", "13:00"),),
        (("SU", "17:00", "19:00"),),
        ((EVERY_DAY, "17:30", "18:30"),),
    ),
}


def _hours(rng: random.Random, profile: str) -> tuple[HoursRecord, ...]:
    if profile == "weekly_group":
        day = WEEKDAYS[int(rng.random() * 7)]
        start = rng.choice((10, 12, 17, 18, 18, 19))
        half = rng.random() < 0.3
        opens = f"{start:02d}:{30 if half else 0:02d}"
        closes = f"{start + 1 + int(half):02d}:{0 if half else 30:02d}"
        if rng.random() < 0.15:
            # A monthly group: the first or third weekday of the month.
            occurrence = rng.choice(("1", "3", "-1"))
            return (HoursRecord(f"{occurrence}{day}", opens, closes, freq="MONTHLY"),)
        return (HoursRecord(day, opens, closes),)
    rows = rng.choice(_SCHEDULES[profile])
    return tuple(HoursRecord(days, opens, closes) for days, opens, closes in rows)


# --- Writing ----------------------------------------------------------------------


@cache
def standard_offset(zone: str) -> float:
    """The zone's standard UTC offset in hours (HSDS's numeric ``timezone``)."""
    offset = datetime(2026, 1, 15, 12, tzinfo=ZoneInfo(zone)).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


_LANGUAGE_NAMES = {"en": "English"}


def language_name(code: str) -> str:
    if not _LANGUAGE_NAMES.get("es"):
        _LANGUAGE_NAMES.update({row["code"]: row["name"] for row in vocabulary()["languages"]})
    return _LANGUAGE_NAMES.get(code, code)


# Columns written per table, in the order ``_Rows`` gives the values.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "Organization": ("id", "name", "description", "email", "website", "tax_status",
                     "year_incorporated"),
    "Location": ("id", "location_type", "organization", "name", "url", "latitude", "longitude",
                 "transportation"),
    "Address": ("id", "location", "address_1", "city", "state_province", "postal_code",
                "country", "address_type"),
    "Accessibility": ("id", "location", "description"),
    "Service": ("id", "organization", "name", "alternate_name", "description", "url", "email",
                "status", "application_process", "fees_description", "wait_time",
                "eligibility_description", "minimum_age", "maximum_age", "assured_date",
                "last_modified"),
    "ServiceAtLocation": ("id", "service", "location"),
    "Phone": ("id", "organization", "service", "number", "type", "description"),
    "Language": ("id", "service", "name", "code"),
    "Schedule": ("id", "service", "timezone", "time_zone", "freq", "byday", "opens_at",
                 "closes_at", "description"),
    "CostOption": ("id", "service", "option", "currency", "amount", "amount_description"),
    "ServiceArea": ("id", "service", "name", "extent_type"),
    "Attribute": ("id", "link_id", "taxonomy_term", "link_type", "link_entity", "value"),
}  # fmt: skip
# Parents before children, so foreign keys hold at every insert.
_TABLE_ORDER = tuple(_COLUMNS)

# The id of a row that belongs to a parent is the parent's id with its low
# bits turned by a number per role: as deterministic as uuid5 and ten times
# cheaper (1M services have 10M rows). Two parents' ids, uuid5 hashes, differ
# in their high bits, so their children cannot meet.
ROLE_ORGANIZATION_PHONE = 0x0100
ROLE_ADDRESS = 0x0200
ROLE_ACCESSIBILITY = 0x0300
ROLE_SERVICE_AT_LOCATION = 0x0400
ROLE_PHONE = 0x0500
ROLE_LANGUAGE = 0x0600
ROLE_SCHEDULE = 0x0700
ROLE_COST = 0x0800
ROLE_AREA = 0x0900
ROLE_TERM = 0x10000


def child_id(parent: uuid.UUID, role: int) -> uuid.UUID:
    """The id of the row of ``role`` (``ROLE_PHONE + 1``: the second phone) of ``parent``."""
    return uuid.UUID(int=parent.int ^ role)


class _Rows:
    """The rows of one chunk of services, per table, as database values."""

    def __init__(self, as_uuid: Callable[[int], str], term_ids: dict[str, uuid.UUID]) -> None:
        self.u = as_uuid
        self.term_ids = {code: as_uuid(term.int) for code, term in term_ids.items()}
        self.tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _TABLE_ORDER}

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def add_organization(self, org: OrganizationRecord) -> None:
        u, key = self.u, org.id.int
        phone = org.phone
        self.tables["Organization"].append(
            (u(key), org.name, org.description, org.email, org.website, "501(c)(3)",
             float(org.year_incorporated))
        )  # fmt: skip
        self.tables["Phone"].append(
            (u(key ^ ROLE_ORGANIZATION_PHONE), u(key), None, phone.number, phone.type,
             phone.description)
        )  # fmt: skip

    def add_location(self, location: LocationRecord, organization_id: uuid.UUID) -> None:
        u, key = self.u, location.id.int
        location_id = u(key)
        self.tables["Location"].append(
            (location_id, "virtual" if location.virtual else "physical", u(organization_id.int),
             location.name, location.url, location.latitude, location.longitude,
             location.transportation)
        )  # fmt: skip
        if location.virtual:
            return
        self.tables["Address"].append(
            (u(key ^ ROLE_ADDRESS), location_id, location.address_1, location.city,
             location.state, location.postal_code, "US", "physical")
        )  # fmt: skip
        for number, text in enumerate(location.accessibility):
            self.tables["Accessibility"].append(
                (u(key ^ (ROLE_ACCESSIBILITY + number)), location_id, text)
            )

    def add_service(self, record: ServiceRecord) -> None:
        u, key, tables = self.u, record.id.int, self.tables
        service_id = u(key)
        tables["Service"].append(
            (service_id, u(record.organization.id.int), record.name, record.alternate_name,
             record.description, record.url, record.email, record.status,
             record.application_process, record.fees_description, record.wait_time,
             record.eligibility, record.minimum_age, record.maximum_age, record.assured_date,
             record.assured_date)
        )  # fmt: skip
        for number, location in enumerate(record.locations):
            tables["ServiceAtLocation"].append(
                (u(key ^ (ROLE_SERVICE_AT_LOCATION + number)), service_id, u(location.id.int))
            )
        for number, phone in enumerate(record.phones):
            tables["Phone"].append(
                (u(key ^ (ROLE_PHONE + number)), None, service_id, phone.number, phone.type,
                 phone.description)
            )  # fmt: skip
        for number, code in enumerate(record.languages):
            tables["Language"].append(
                (u(key ^ (ROLE_LANGUAGE + number)), service_id, language_name(code), code)
            )
        offset = standard_offset(record.time_zone)
        for number, hours in enumerate(record.hours):
            tables["Schedule"].append(
                (u(key ^ (ROLE_SCHEDULE + number)), service_id, offset, record.time_zone,
                 hours.freq, hours.byday, hours.opens_at, hours.closes_at, hours.description)
            )  # fmt: skip
        if record.cost is not None:
            cost = record.cost
            tables["CostOption"].append(
                (u(key ^ ROLE_COST), service_id, cost.option, "USD", cost.amount,
                 cost.amount_description)
            )  # fmt: skip
        if record.service_area:
            tables["ServiceArea"].append(
                (u(key ^ ROLE_AREA), service_id, record.service_area, None)
            )
        for code in record.categories:
            tables["Attribute"].append(
                (u(key ^ (ROLE_TERM + int(code))), service_id, self.term_ids[code], "category",
                 "service", None)
            )  # fmt: skip


def _term_ids(codes: Iterable[str]) -> dict[str, uuid.UUID]:
    from peerlight.directory.models import TaxonomyTerm

    wanted = set(codes)
    found = {
        code: term_id
        for code, term_id in TaxonomyTerm.objects.filter(code__in=wanted)
        .order_by("code", "id")
        .values_list("code", "id")
        if code is not None
    }
    missing = sorted(wanted - set(found))
    if missing:
        raise LookupError(
            "Open Eligibility terms are missing (load them first with "
            f"openeligibility.load()): {', '.join(missing)}"
        )
    return found


def write_services(
    records: Iterable[ServiceRecord],
    *,
    chunk_size: int = 5000,
    fresh: bool = False,
    progress: Callable[[int], object] | None = None,
) -> dict[str, Any]:
    """Write the records' rows; return counts and timing.

    Each chunk is one transaction. Rows whose id exists are left as they are
    (``INSERT ... ON CONFLICT DO NOTHING``), so writing the same records twice
    changes nothing. ``fresh=True`` promises that none of the records is in the
    database yet: PostgreSQL then loads with COPY, several times faster.
    Organisations and locations are written with their first service (the
    generator yields an organisation's services together).
    """
    from django.db import connection, transaction

    from peerlight.directory import models

    vendor = connection.vendor
    native_uuid = vendor == "postgresql"

    def as_uuid(value: int) -> str:
        # 32 hex digits: how Django keeps a UUID where the database has no uuid
        # type, and text PostgreSQL reads as a uuid (cheaper than UUID objects).
        return f"{value:032x}"

    term_ids = _term_ids(vocabulary()["categories"])
    tables = {name: getattr(models, name) for name in _TABLE_ORDER}
    statements = {
        name: _insert_statement(vendor, tables[name], columns, copy=fresh and native_uuid)
        for name, columns in _COLUMNS.items()
    }
    started = time.perf_counter()
    services = rows_written = 0
    seen_organizations: set[uuid.UUID] = set()
    seen_locations: set[uuid.UUID] = set()
    chunk = _Rows(as_uuid, term_ids)
    pending = 0

    def flush() -> None:
        nonlocal chunk, pending, rows_written
        with transaction.atomic(), connection.cursor() as cursor:
            for name in _TABLE_ORDER:
                rows = chunk.tables[name]
                if rows:
                    _insert(cursor, statements[name], rows, copy=fresh and native_uuid)
        rows_written += chunk.count()
        if progress is not None:
            progress(pending)
        chunk = _Rows(as_uuid, term_ids)
        pending = 0

    for record in records:
        org = record.organization
        if org.id not in seen_organizations:
            # An organisation's services come together: older ones are done.
            seen_organizations = {org.id}
            seen_locations = set()
            chunk.add_organization(org)
        for location in record.locations:
            if location.id not in seen_locations:
                seen_locations.add(location.id)
                chunk.add_location(location, org.id)
        chunk.add_service(record)
        services += 1
        pending += 1
        if pending >= chunk_size:
            flush()
    if pending:
        flush()
    seconds = time.perf_counter() - started
    return {
        "services": services,
        "rows": rows_written,
        "seconds": round(seconds, 2),
        "services_per_second": round(services / seconds) if seconds else None,
        "method": "copy" if fresh and native_uuid else "executemany",
    }


def _insert_statement(
    vendor: str, model: type[Any], columns: tuple[str, ...], *, copy: bool
) -> str:
    table = model._meta.db_table
    names = ", ".join(model._meta.get_field(column).column for column in columns)
    if copy:
        return f"COPY {table} ({names}) FROM STDIN"
    placeholders = ", ".join(["%s"] * len(columns))
    if vendor == "sqlite":
        return f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
    return f"INSERT INTO {table} ({names}) VALUES ({placeholders}) ON CONFLICT DO NOTHING"  # noqa: S608


def _insert(cursor: Any, statement: str, rows: list[tuple[Any, ...]], *, copy: bool) -> None:
    if copy:
        # Django's cursor wraps psycopg's, whose COPY takes Python values as they are.
        with cursor.cursor.copy(statement) as loader:
            for row in rows:
                loader.write_row(row)
        return
    cursor.executemany(statement, rows)
