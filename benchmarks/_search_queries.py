"""The search benchmark's fixed query mix: five kinds, drawn from a seed.

Every backend runs the same list (a JSON file the parent writes), so their
figures compare like for like. A query is a plain dict:
``{"kind", "words", "latitude", "longitude", "radius_km", "language",
"free_only", "open_at", "wheelchair", "age", "categories"}`` (absent parts
are empty), where ``open_at`` is an ISO instant in UTC and ``categories``
Open Eligibility codes.

- ``words``: what people type, one to three words ("food pantry", "rent
  assistance", "despensa de alimentos");
- ``words_radius``: the same, near a point (near a ZIP code's centre, drawn
  like the services: where people live) within 5 to 50 km;
- ``words_radius_filters``: and one to three filters (Spanish, free, open at
  a moment of the week, mostly weekday daytime in the place's zone,
  wheelchair access, an age, a category with words of that category);
- ``common_words``: words in most services ("services", "support help");
- ``rare_words``: words in a handful of services per 100,000: the rarest
  specialties and extras of the generator, and one-word names of towns with
  a single ZIP code.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peerlight.directory import synthetic

KINDS = ("words", "words_radius", "words_radius_filters", "common_words", "rare_words")

# What people type, by the Open Eligibility category a filter would pick with it.
WORDS_BY_CATEGORY = {
    "1102": ("food pantry", "free meals", "food", "snap benefits", "despensa de alimentos"),
    "1103": (
        "housing help",
        "rent assistance",
        "emergency shelter",
        "shelter",
        "sober living",
        "ayuda con la renta",
        "albergue",
    ),
    "1310": (
        "peer support",
        "support group",
        "warmline",
        "hearing voices",
        "clubhouse",
        "peer respite",
        "grupo de apoyo",
    ),
    "1101": ("crisis line", "mobile crisis", "crisis", "domestic violence"),
    "1206": (
        "counseling",
        "therapy teens",
        "mental health clinic",
        "psychiatric medication",
        "depression",
        "anxiety group",
        "bipolar",
        "salud mental",
    ),
    "1178": ("detox", "addiction treatment", "opioid", "buprenorphine", "naloxone"),
    "1111": ("legal aid", "eviction", "immigration lawyer"),
    "1108": ("grief group", "older adults", "lgbtq youth", "veterans"),
    "1110": ("job training",),
    "1105": ("bus pass",),
    "1104": ("clothing", "shower laundry"),
}
WORDS = tuple(word for words in WORDS_BY_CATEGORY.values() for word in words)
COMMON_WORDS = (
    "services",
    "support",
    "help",
    "support services",
    "help services",
    "free support",
    "community services",
    "help support",
    "services people",
)
RADII_KM = (5.0, 10.0, 25.0, 25.0, 50.0)
# Monday 2026-03-02: open-at moments are drawn in the week that starts then, in
# the local time of the query's place, mostly in the daytime as people search.
WEEK_START = date(2026, 3, 2)
AGES = (8, 15, 17, 22, 35, 67, 80)


def rare_words(seed: int) -> list[str]:
    """Words in few services: the rarest specialties and extras, and small towns' names."""
    words = synthetic.vocabulary()
    tail = [
        *words["specialties"][-len(words["specialties"]) // 3 :],
        *words["extras"][-len(words["extras"]) // 3 :],
    ]
    # Single words only, so every engine reads the same query.
    single = [word for word in tail if " " not in word and "-" not in word]
    places = synthetic.united_states().places
    cities = Counter(place.city for place in places)
    towns = sorted(
        city for city, count in cities.items() if count == 1 and city.isalpha() and len(city) > 4
    )
    rng = random.Random(f"rare:{seed}")
    return [*single, *rng.sample(towns, k=min(len(single), len(towns)))]


def query_mix(seed: int, per_kind: int) -> list[dict[str, Any]]:
    """``per_kind`` queries of each kind, in a shuffled order fixed by ``seed``."""
    rng = random.Random(f"queries:{seed}")
    region = synthetic.united_states()
    rare = rare_words(seed)
    queries: list[dict[str, Any]] = []
    for kind in KINDS:
        for _ in range(per_kind):
            query: dict[str, Any] = {"kind": kind}
            if kind == "common_words":
                query["words"] = rng.choice(COMMON_WORDS)
            elif kind == "rare_words":
                query["words"] = rng.choice(rare)
            else:
                query["words"] = rng.choice(WORDS)
            if kind in ("words_radius", "words_radius_filters"):
                place = region.pick(rng)
                query["latitude"] = round(place.latitude + rng.uniform(-0.02, 0.02), 5)
                query["longitude"] = round(place.longitude + rng.uniform(-0.02, 0.02), 5)
                query["radius_km"] = rng.choice(RADII_KM)
            if kind == "words_radius_filters":
                query.update(_filters(rng, place.time_zone))
            queries.append(query)
    rng.shuffle(queries)
    return queries


def _filters(rng: random.Random, zone: str) -> dict[str, Any]:
    """One to three filters, as someone narrowing a search would pick them."""
    chosen = rng.sample(
        ("language", "free_only", "open_at", "wheelchair", "age", "categories"),
        k=rng.randint(1, 3),
    )
    filters: dict[str, Any] = {}
    for name in chosen:
        if name == "language":
            filters["language"] = "es"
        elif name == "free_only":
            filters["free_only"] = True
        elif name == "open_at":
            filters["open_at"] = _moment(rng, zone).isoformat()
        elif name == "wheelchair":
            filters["wheelchair"] = True
        elif name == "age":
            filters["age"] = rng.choice(AGES)
        else:
            # A category, with words that belong to it.
            code = rng.choice(sorted(WORDS_BY_CATEGORY))
            filters["categories"] = [code]
            filters["words"] = rng.choice(WORDS_BY_CATEGORY[code])
    return filters


def _moment(rng: random.Random, zone: str) -> datetime:
    """A moment of the benchmark's week: 8 in 10 on a weekday between 8:00 and 20:00."""
    if rng.random() < 0.8:
        day, minute = rng.randrange(5), rng.randrange(8 * 60, 20 * 60)
    else:
        day, minute = rng.randrange(7), rng.randrange(24 * 60)
    local = datetime.combine(WEEK_START + timedelta(days=day), time(), tzinfo=ZoneInfo(zone))
    return (local + timedelta(minutes=minute)).astimezone(UTC)
