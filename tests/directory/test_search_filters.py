"""The search's filters: categories, language, cost, opening hours, access, age.

The rules themselves (``search_index``) are tested without a database first;
then each filter through ``search.search``, on the exact path and on the paths
for many matches.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from peerlight.directory import search, search_index
from peerlight.directory.models import (
    Accessibility,
    Attribute,
    CostOption,
    Language,
    Location,
    Schedule,
    Service,
)
from peerlight.directory.search import Point, Query, SqlSearch
from tests.directory.factories import make_service, make_term, weekly

PORTLAND = Point(45.5152, -122.6784)
# Monday 2 March 2026, 10:00 in Los Angeles (18:00 UTC).
MONDAY_MORNING = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
# Saturday 7 March 2026, 01:00 in Los Angeles.
SATURDAY_NIGHT = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)


def ids(results: search.Results) -> set[UUID]:
    return {hit.service_id for hit in results.hits}


# --- The rules, without a database ------------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "texts", "free"),
    [
        ([0.0], [], True),
        ([0.0, 0.0], ["Free"], True),
        ([], ["Free of charge."], True),
        ([], ["Gratis."], True),
        ([None], ["No cost to you"], True),
        ([], ["Sin costo para familias"], True),
        ([25.0], ["Free for children"], False),
        ([0.0, 10.0], [], False),
        ([0.0], ["Sliding scale fees based on income"], False),
        ([], ["Free intake, then $20 a visit"], False),
        ([None], ["Medicaid, Medicare and most private insurance"], False),
        ([], [], False),
        ([], [None, ""], False),
    ],
)
def test_what_counts_as_free(
    amounts: list[float | None], texts: list[str | None], free: bool
) -> None:
    assert search_index.is_free(amounts, texts) is free


@pytest.mark.parametrize(
    ("text", "accessible"),
    [
        ("Wheelchair accessible entrance, restrooms and parking.", True),
        ("Step-free, wheelchair accessible entrance and an elevator.", True),
        ("Accesible en silla de ruedas", True),
        ("Not wheelchair accessible", False),
        ("The building is inaccessible to wheelchairs", False),
        ("Wheelchair accessible: no", False),
        ("Hearing loop in the group room.", False),
        ("", False),
        (None, False),
    ],
)
def test_what_counts_as_wheelchair_accessible(text: str | None, accessible: bool) -> None:
    assert search_index.says_wheelchair_accessible(text) is accessible


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("es", "es"),
        ("spa", "es"),
        ("Spanish", "es"),
        ("Español", "es"),
        ("es-MX", "es"),
        ("ENG", "en"),
        ("zh-Hant", "zh"),
        ("American Sign Language", "ase"),
        ("asl", "ase"),
        ("Klingon", "klingon"),
        ("", ""),
        (None, ""),
    ],
)
def test_languages_fold_to_one_code(written: str | None, code: str) -> None:
    assert search_index.fold_language(written) == code


def test_query_terms_drop_little_words_and_keep_both_stems() -> None:
    assert search_index.query_terms("The Abogados and the lawyers") == (
        ("abogado", "abog"),
        ("lawyer", "lawyers"),
    )
    assert search_index.query_terms("food food FOOD") == (("food",),)
    assert search_index.query_terms("  ") == ()
    assert len(search_index.query_terms(" ".join(f"word{n}" for n in range(20)))) == 8


# --- Through the search -----------------------------------------------------------------


@pytest.fixture(params=["exact", "many"])
def every_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "many":
        monkeypatch.setattr(SqlSearch, "exact_limit", lambda self, plan: 0)
        monkeypatch.setattr(SqlSearch, "champion_min_documents", 1)
        monkeypatch.setattr(SqlSearch, "ring_start_km", 1.0)
    return str(request.param)


def search_ids(every_path: str, **filters: object) -> set[UUID]:
    """The same filters alone, with words, with words and a place, with a place alone."""
    found = [
        ids(search.search(Query(**filters))),  # type: ignore[arg-type]
        ids(search.search(Query(words="clinic", **filters))),  # type: ignore[arg-type]
        ids(search.search(Query(words="clinic", near=PORTLAND, **filters))),  # type: ignore[arg-type]
        ids(search.search(Query(near=PORTLAND, radius_km=50, **filters))),  # type: ignore[arg-type]
    ]
    if every_path == "many":
        search.rebuild()
        found.append(ids(search.search(Query(words="clinic", **filters))))  # type: ignore[arg-type]
    assert all(answer == found[0] for answer in found), found
    return found[0]


def clinic(name: str, **fields: object) -> Service:
    fields.setdefault("lat", PORTLAND.latitude + 0.01)
    fields.setdefault("lon", PORTLAND.longitude)
    return make_service(f"{name} clinic", **fields)  # type: ignore[arg-type]


@pytest.mark.django_db
class TestFilters:
    def test_a_category_finds_its_services_and_those_of_its_descendants(
        self, every_path: str
    ) -> None:
        health = make_term("Health")
        mental = make_term("Mental health", parent=health)
        peer = make_term("Peer support", parent=mental)
        food = make_term("Food")
        general = clinic("General", terms=[health])
        counselling = clinic("Counselling", terms=[peer])
        clinic("Pantry", terms=[food])
        clinic("Uncategorised")
        assert search_ids(every_path, categories=(health.id,)) == {general.id, counselling.id}
        assert search_ids(every_path, categories=(mental.id,)) == {counselling.id}
        assert search_ids(every_path, categories=(mental.id, food.id)) != set()
        assert search_ids(every_path, categories=(make_term("Legal").id,)) == set()

    def test_a_language_however_it_is_written(self, every_path: str) -> None:
        spanish = clinic("Spanish", languages=("spa",))
        at_location = clinic("Location", languages=())
        location = Location.objects.get(service_at_locations__service=at_location)
        Language.objects.create(location=location, name="Español")
        search.reindex([at_location.id])
        clinic("English", languages=("en",))
        for written in ("es", "spa", "Spanish", "español"):
            assert search_ids(every_path, language=written) == {spanish.id, at_location.id}
        assert search_ids(every_path, language="vi") == set()

    def test_free_of_cost(self, every_path: str) -> None:
        free = clinic("Free", cost=0)
        said_free = clinic("Said free", cost=None, fees_description="Free of charge.")
        clinic("Sliding", cost=None, fees_description="Sliding scale fees")
        clinic("Paid", cost=40)
        insured = clinic("Insurance", cost=None)
        CostOption.objects.create(service=insured, option="Insurance", amount=None)
        search.reindex([insured.id])
        assert search_ids(every_path, free_only=True) == {free.id, said_free.id}

    def test_wheelchair_access_from_accessibility_rows_or_attributes(
        self, every_path: str
    ) -> None:
        ramp = clinic("Ramp", wheelchair=True)
        stairs = clinic("Stairs")
        location = Location.objects.get(service_at_locations__service=stairs)
        Accessibility.objects.create(location=location, description="Not wheelchair accessible")
        search.reindex([stairs.id])
        tagged = clinic("Tagged")
        place = Location.objects.get(service_at_locations__service=tagged)
        Attribute.objects.create(
            link_id=place.id,
            link_entity="location",
            taxonomy_term=make_term("Wheelchair accessible"),
        )
        search.reindex([tagged.id])
        assert search_ids(every_path, wheelchair_accessible=True) == {ramp.id, tagged.id}

    def test_age_within_the_services_bounds(self, every_path: str) -> None:
        youth = clinic("Youth", minimum_age=12, maximum_age=24)
        adults = clinic("Adults", minimum_age=18)
        anyone = clinic("Anyone")
        assert search_ids(every_path, age=12) == {youth.id, anyone.id}
        assert search_ids(every_path, age=30) == {adults.id, anyone.id}
        assert search_ids(every_path, age=18) == {youth.id, adults.id, anyone.id}

    def test_inactive_services_are_left_out(self, every_path: str) -> None:
        open_one = clinic("Open")
        clinic("Closed", status="defunct")
        assert search_ids(every_path) == {open_one.id}

    def test_filters_combine(self, every_path: str) -> None:
        both = clinic("Both", cost=0, languages=("es",))
        clinic("Only free", cost=0)
        clinic("Only Spanish", cost=10, languages=("es",))
        assert search_ids(every_path, free_only=True, language="es") == {both.id}


LA = "America/Los_Angeles"


@pytest.mark.django_db
class TestOpenNow:
    def test_open_in_each_services_own_zone(self, every_path: str) -> None:
        here = clinic("Weekday", schedules=[weekly(time_zone=LA)])
        # 10:00 in Los Angeles is 13:00 in New York: closed there at 12:00.
        clinic(
            "Morning",
            schedules=[weekly(opens="08:00", closes="12:00", time_zone="America/New_York")],
        )
        clinic("No hours")
        assert search_ids(every_path, open_at=MONDAY_MORNING) == {here.id}
        assert search_ids(every_path, open_at=SATURDAY_NIGHT) == set()

    def test_late_and_monthly_openings(self, every_path: str) -> None:
        late = clinic("Late", schedules=[weekly("FR", "22:00", "02:00", time_zone=LA)])
        monthly = clinic(
            "Monthly",
            schedules=[{**weekly("1MO", time_zone=LA), "freq": "MONTHLY"}],
        )
        assert search_ids(every_path, open_at=SATURDAY_NIGHT) == {late.id}
        assert search_ids(every_path, open_at=MONDAY_MORNING) == {monthly.id}
        second_monday = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
        assert search_ids(every_path, open_at=second_monday) == set()

    def test_hours_the_database_cannot_tell_are_checked_exactly(self, every_path: str) -> None:
        fortnightly = clinic(
            "Fortnightly",
            schedules=[weekly("MO", time_zone=LA, interval=2, dtstart="2026-03-02")],
        )
        assert search_ids(every_path, open_at=MONDAY_MORNING) == {fortnightly.id}
        next_monday = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
        assert search_ids(every_path, open_at=next_monday) == set()

    def test_hours_of_the_place_count_when_the_service_has_none(self, every_path: str) -> None:
        placed = clinic("Placed")
        location = Location.objects.get(service_at_locations__service=placed)
        Schedule.objects.create(location=location, **weekly(time_zone=LA))
        search.reindex([placed.id])
        assert search_ids(every_path, open_at=MONDAY_MORNING) == {placed.id}

    def test_many_open_services_page_like_any_other_query(self) -> None:
        made = {clinic(f"Open {n}", schedules=[weekly(time_zone=LA)]).id for n in range(5)}
        clinic("Shut", schedules=[weekly("SA", time_zone=LA)])
        seen: set[UUID] = set()
        for page in (1, 2, 3):
            results = search.search(
                Query(words="clinic", open_at=MONDAY_MORNING, page=page, per_page=2)
            )
            seen |= ids(results)
        assert seen == made
        assert search.search(Query(words="clinic", open_at=MONDAY_MORNING)).total == 5
