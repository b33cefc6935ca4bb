"""The synthetic directory: deterministic, real geography, realistic words, valid HSDS."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache
from typing import Any

import pytest

from peerlight.directory import openeligibility, synthetic
from peerlight.directory.hsds import serialise
from peerlight.directory.hsds.validate import check
from peerlight.directory.models import (
    Attribute,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
)

WORD = re.compile(r"[a-záéíóúñü]+")


def zip_row(code: str) -> dict[str, Any]:
    """The zipcodes package's one row for a real ZIP code."""
    import zipcodes

    rows: list[dict[str, Any]] = zipcodes.matching(code)  # type: ignore[no-untyped-call]
    assert len(rows) == 1, code
    return rows[0]


@cache
def national(count: int = 3000) -> tuple[synthetic.ServiceRecord, ...]:
    return tuple(synthetic.generate(count, seed=11))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    a = (
        math.sin(math.radians(lat2 - lat1) / 2) ** 2
        + math.cos(math.radians(lat1))
        * math.cos(math.radians(lat2))
        * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def document_frequency(records: tuple[synthetic.ServiceRecord, ...]) -> Counter[str]:
    return Counter(word for record in records for word in set(WORD.findall(record.text().lower())))


# --- Determinism -------------------------------------------------------------------


def test_it_gives_the_same_records_for_the_same_seed() -> None:
    first = list(synthetic.generate(200, seed=5))
    second = list(synthetic.generate(200, seed=5))
    assert first == second
    assert len({record.id for record in first}) == 200


def test_it_gives_other_records_for_another_seed_or_region() -> None:
    ids = {record.id for record in synthetic.generate(50, seed=5)}
    other_seed = {record.id for record in synthetic.generate(50, seed=6)}
    other_region = {
        record.id for record in synthetic.generate(50, seed=5, region=synthetic.demo_region())
    }
    assert not ids & other_seed
    assert not ids & other_region


def test_a_longer_run_starts_with_the_shorter_one() -> None:
    # A benchmark of 1,000 services holds the first 100 of the same seed.
    short = list(synthetic.generate(100, seed=9))
    long = list(synthetic.generate(1000, seed=9))
    assert long[:100] == short


# --- Geography ---------------------------------------------------------------------


def test_demo_locations_are_in_the_county_near_their_real_zip_code() -> None:
    records = list(synthetic.generate(300, seed=2, region=synthetic.demo_region()))
    located = [loc for record in records for loc in record.locations if not loc.virtual]
    assert len(located) > 200
    for location in located:
        row = zip_row(location.postal_code)
        assert row["county"] == "Multnomah County"
        assert row["state"] == location.state == "OR"
        assert location.city == row["city"]
        assert location.latitude is not None
        assert location.longitude is not None
        distance = distance_km(
            float(row["lat"]), float(row["long"]), location.latitude, location.longitude
        )
        assert distance <= synthetic.MAX_JITTER_KM + 0.01
    assert {record.time_zone for record in records} == {"America/Los_Angeles"}


def test_national_records_use_real_zip_codes_and_their_time_zones() -> None:
    for record in national()[:1500]:
        for location in record.locations:
            if location.virtual:
                assert location.latitude is None
                continue
            row = zip_row(location.postal_code)
            assert record.time_zone == row["timezone"]
            assert location.latitude is not None
            assert location.longitude is not None
            assert (
                distance_km(
                    float(row["lat"]), float(row["long"]), location.latitude, location.longitude
                )
                <= synthetic.MAX_JITTER_KM + 0.01
            )


def test_crisis_lines_are_phone_only_and_always_open() -> None:
    lines = [record for record in national() if record.kind == "crisis_line"]
    assert lines
    for record in lines:
        assert all(location.virtual for location in record.locations)
        assert record.service_area
        assert [(h.byday, h.opens_at, h.closes_at) for h in record.hours] == [
            ("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00")
        ]


def test_phone_numbers_are_fictional() -> None:
    numbers = [phone.number for record in national() for phone in record.phones]
    numbers += [record.organization.phone.number for record in national()]
    assert all(re.fullmatch(r"\d{3}-555-01\d\d", number) for number in numbers)


# --- Realism -----------------------------------------------------------------------


def test_common_words_are_in_most_services_and_rare_ones_in_few() -> None:
    records = national()
    frequency = document_frequency(records)
    share = {word: count / len(records) for word, count in frequency.items()}
    for common in ("services", "support", "help"):
        assert share[common] > 0.5, common
    for kind_word in ("pantry", "shelter", "peer", "eviction"):
        assert 0.002 < share[kind_word] < 0.4, kind_word
    # The last specialties are rare words: a few per thousand services at most.
    rarest = synthetic.vocabulary()["specialties"][-10:]
    assert all(share.get(word.lower(), 0.0) < 0.003 for word in rarest if " " not in word)
    # A long tail, as in real text: a few words in most services, a third of
    # the distinct words (towns, names, specialties) in three services or fewer.
    in_most = sum(1 for count in frequency.values() if count > len(records) / 2)
    in_few = sum(1 for count in frequency.values() if count <= 3)
    assert in_most < 20
    assert in_few > len(frequency) / 3


def test_languages_costs_and_ages_are_shared_out_realistically() -> None:
    records = national()
    spanish = sum("es" in record.languages for record in records) / len(records)
    assert 0.15 < spanish < 0.35
    assert all(record.languages for record in records)
    assert any(record.text_language == "es" for record in records)
    free = [record for record in records if record.cost is not None and record.cost.amount == 0]
    assert len(free) > len(records) / 2
    for record in records:
        if record.kind == "youth_mental_health":
            assert record.maximum_age is not None
            assert record.maximum_age <= 25
        if record.kind == "older_adult":
            assert record.minimum_age is not None
            assert record.minimum_age >= 55
    assert sum(record.status != "active" for record in records) < len(records) * 0.05


def test_categories_are_open_eligibility_codes() -> None:
    known = synthetic.category_names()
    codes = {code for record in national() for code in record.categories}
    assert codes <= set(known)
    assert {"1310", "1305", "1130", "1135", "1375", "1178"} <= codes


# --- Writing -----------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Organization,
            Service,
            Location,
            ServiceAtLocation,
            Phone,
            Language,
            Schedule,
            Attribute,
        )
    }


@pytest.mark.django_db
def test_it_writes_the_records_and_a_second_write_changes_nothing() -> None:
    openeligibility.load()
    records = list(synthetic.generate(60, seed=4))
    report = synthetic.write_services(records, chunk_size=25)
    assert report["services"] == 60
    counts = table_counts()
    assert counts["Service"] == 60
    assert counts["Schedule"] == sum(len(record.hours) for record in records)
    assert counts["Language"] == sum(len(record.languages) for record in records)

    synthetic.write_services(records)
    assert table_counts() == counts

    record = next(r for r in records if len(r.locations) == 1 and not r.locations[0].virtual)
    service = Service.objects.get(id=record.id)
    assert service.name == record.name
    assert service.organization_id == record.organization.id
    location = service.service_at_locations.get().location
    assert location is not None
    assert (location.latitude, location.longitude) == (
        record.locations[0].latitude,
        record.locations[0].longitude,
    )
    assert {
        attribute.taxonomy_term.code
        for attribute in Attribute.objects.filter(link_id=record.id).select_related(
            "taxonomy_term"
        )
        if attribute.taxonomy_term is not None
    } == set(record.categories)
    assert {schedule.time_zone for schedule in service.schedules.all()} == {record.time_zone}


@pytest.mark.django_db
def test_a_fresh_write_loads_the_same_rows() -> None:
    openeligibility.load()
    records = list(synthetic.generate(40, seed=8))
    synthetic.write_services(records, fresh=True)
    assert set(Service.objects.values_list("id", flat=True)) == {r.id for r in records}


@pytest.mark.django_db
def test_it_refuses_to_write_before_the_taxonomy_is_loaded() -> None:
    with pytest.raises(LookupError, match="Open Eligibility"):
        synthetic.write_services(synthetic.generate(3, seed=1))
    assert Service.objects.count() == 0


@pytest.mark.django_db
def test_written_services_are_valid_hsds() -> None:
    openeligibility.load()
    records = list(synthetic.generate(30, seed=12))
    synthetic.write_services(records)
    services = serialise.prefetch_services(Service.objects.order_by("id"))[:12]
    for service in services:
        assert check(serialise.service(service), "service", label=str(service.id)) == []
