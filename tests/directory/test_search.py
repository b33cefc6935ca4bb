"""The directory search (``directory.search``): words, places, ranking, paging, upkeep.

Every test runs on the database of the run (SQLite by default, PostgreSQL
with ``DATABASE_URL``): the two backends must give the same answers.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID, uuid4

import pytest

from peerlight.directory import places, search, search_index
from peerlight.directory.models import Location, SearchDocument, Service, ServiceAtLocation
from peerlight.directory.search import MAX_RESULTS, Point, Query, SqlSearch
from peerlight.directory.search_postgres import PostgresSearch
from tests.directory.factories import make_organization, make_service, make_term

pytestmark = pytest.mark.django_db

PORTLAND = Point(45.5152, -122.6784)
GRESHAM = Point(45.4985, -122.4302)  # about 19 km east
SALEM = Point(44.9429, -123.0351)  # about 71 km south


def ids(results: search.Results) -> list[UUID]:
    return [hit.service_id for hit in results.hits]


@pytest.fixture
def every_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once per path: few matches ranked exactly, and the paths for many."""
    if request.param == "many":
        monkeypatch.setattr(SqlSearch, "exact_limit", lambda self, plan: 0)
        monkeypatch.setattr(SqlSearch, "ring_start_km", 1.0)
        monkeypatch.setattr(SqlSearch, "champion_min_documents", 1)
    return str(request.param)


paths = pytest.mark.parametrize("every_path", ["exact", "many"], indirect=True)


class TestWords:
    def test_it_finds_words_in_every_field_it_indexes(self) -> None:
        organization = make_organization("Riverbend Collective")
        term = make_term("Hoarding support")
        by_name = make_service("Harbor Warmline")
        by_alternate = make_service("Line A", alternate_name="Nightowl line")
        by_description = make_service("Line B", description="Talk about gardening.")
        by_organization = make_service("Line C", organization=organization)
        by_category = make_service("Line D", terms=[term])
        by_eligibility = make_service("Line E", eligibility_description="Veterans only.")
        for words, expected in [
            ("warmline", by_name),
            ("nightowl", by_alternate),
            ("gardening", by_description),
            ("riverbend", by_organization),
            ("hoarding", by_category),
            ("veterans", by_eligibility),
        ]:
            assert ids(search.search(Query(words=words))) == [expected.id], words

    def test_it_stems_english_and_spanish_and_folds_accents(self) -> None:
        counselling = make_service("Counselling for families")
        lawyers = make_service("Abogados para inquilinos")
        children = make_service("Grupo de niños")
        assert ids(search.search(Query(words="counseling"))) == [counselling.id]
        assert ids(search.search(Query(words="abogado"))) == [lawyers.id]
        assert ids(search.search(Query(words="ninos"))) == [children.id]
        assert ids(search.search(Query(words="NIÑO"))) == [children.id]

    def test_every_word_must_match(self) -> None:
        pantry = make_service("Harbor Food Pantry")
        make_service("Harbor Legal Aid")
        assert ids(search.search(Query(words="harbor pantry"))) == [pantry.id]
        assert search.search(Query(words="food legal")).hits == []

    def test_a_word_no_service_holds_finds_nothing(self) -> None:
        make_service("Harbor Food Pantry")
        results = search.search(Query(words="zeppelin"))
        assert (results.hits, results.total, results.total_exact) == ([], 0, True)

    def test_only_common_little_words_find_everything(self) -> None:
        make_service("Harbor Food Pantry")
        make_service("Harbor Legal Aid")
        assert search.search(Query(words="the and of")).total == 2

    @paths
    def test_a_word_in_the_name_ranks_above_one_in_the_description(self, every_path: str) -> None:
        in_description = make_service("Meal program", description="Shelter beds and meals.")
        in_name = make_service("Family shelter", description="A place to stay.")
        in_organization = make_service(
            "Night beds", organization=make_organization("Shelter Alliance")
        )
        results = search.search(Query(words="shelter"))
        assert ids(results) == [in_name.id, in_organization.id, in_description.id]
        assert results.hits[0].score > results.hits[1].score > results.hits[2].score

    @paths
    def test_rarer_words_weigh_more(self, every_path: str) -> None:
        # "crisis" is in four services, "peer" in two: the one with "peer" in
        # its name wins over the one with "crisis" in its name.
        network = make_organization("Harbor Network")
        peer = make_service("Peer line", description="Crisis support.", organization=network)
        crisis = make_service("Crisis line", description="Peer support.", organization=network)
        for name in ("Crisis team", "Crisis text"):
            make_service(name, organization=network)
        results = search.search(Query(words="crisis peer"))
        assert ids(results) == [peer.id, crisis.id]


class TestPlaces:
    def test_without_words_the_nearest_come_first_with_their_distance(self) -> None:
        salem = make_service("Salem office", lat=SALEM.latitude, lon=SALEM.longitude)
        portland = make_service("Portland office", lat=PORTLAND.latitude, lon=PORTLAND.longitude)
        gresham = make_service("Gresham office", lat=GRESHAM.latitude, lon=GRESHAM.longitude)
        results = search.search(Query(near=PORTLAND))
        assert ids(results) == [portland.id, gresham.id, salem.id]
        distances = [hit.distance_km for hit in results.hits]
        assert distances[0] == pytest.approx(0, abs=0.01)
        assert distances[1] == pytest.approx(places.distance_km(PORTLAND, GRESHAM), abs=0.01)
        assert distances[2] == pytest.approx(places.distance_km(PORTLAND, SALEM), abs=0.01)

    @paths
    def test_a_radius_keeps_only_what_is_within_it(self, every_path: str) -> None:
        make_service("Salem clinic", lat=SALEM.latitude, lon=SALEM.longitude)
        gresham = make_service("Gresham clinic", lat=GRESHAM.latitude, lon=GRESHAM.longitude)
        make_service("Clinic by phone")
        results = search.search(Query(words="clinic", near=PORTLAND, radius_km=25))
        assert ids(results) == [gresham.id]
        assert (results.total, results.total_exact) == (1, True)

    @paths
    def test_without_a_radius_services_without_a_place_come_after_the_located_ones(
        self, every_path: str
    ) -> None:
        phone = make_service("Clinic by phone", description="Clinic clinic.")
        salem = make_service("Salem clinic", lat=SALEM.latitude, lon=SALEM.longitude)
        results = search.search(Query(words="clinic", near=PORTLAND))
        assert ids(results) == [salem.id, phone.id]
        assert results.hits[1].distance_km is None

    @paths
    def test_the_distance_is_to_the_nearest_of_a_services_places(self, every_path: str) -> None:
        service = make_service("Two-site clinic", lat=SALEM.latitude, lon=SALEM.longitude)
        near = Location.objects.create(latitude=GRESHAM.latitude, longitude=GRESHAM.longitude)
        ServiceAtLocation.objects.create(service=service, location=near)
        virtual = Location.objects.create(
            latitude=PORTLAND.latitude, longitude=PORTLAND.longitude, location_type="virtual"
        )
        ServiceAtLocation.objects.create(service=service, location=virtual)
        search.reindex([service.id])
        for query in (Query(words="clinic", near=PORTLAND), Query(near=PORTLAND, radius_km=30)):
            hit = search.search(query).hits[0]
            expected = places.distance_km(PORTLAND, GRESHAM)
            assert hit.distance_km == pytest.approx(expected, abs=0.01)

    @paths
    def test_relevance_and_distance_combine(self, every_path: str) -> None:
        # In the name 19 km away (3 / (1 + 1.9²) ≈ 0.65 of a weight) loses to
        # the description next door (1 / (1 + 0.0) of a weight)...
        near = make_service(
            "Drop-in", description="Shelter.", lat=PORTLAND.latitude, lon=PORTLAND.longitude
        )
        far = make_service("Shelter house", lat=GRESHAM.latitude, lon=GRESHAM.longitude)
        results = search.search(Query(words="shelter", near=PORTLAND))
        assert ids(results) == [near.id, far.id]
        # ...and wins from 5 km away (3 / 1.25 = 2.4 against 1 / (1 + 1.9²)).
        results = search.search(Query(words="shelter", near=Point(45.52, -122.49)))
        assert ids(results) == [far.id, near.id]


class TestPaging:
    @paths
    def test_pages_follow_each_other_without_overlap(self, every_path: str) -> None:
        made = [make_service(f"Peer group {n}", lat=45.5 + n / 100, lon=-122.6) for n in range(7)]
        for query in (Query(words="peer group"), Query(near=Point(45.5, -122.6))):
            seen = []
            for page in (1, 2, 3):
                results = search.search(replace(query, page=page, per_page=3))
                assert (results.page, results.per_page) == (page, 3)
                seen += ids(results)
            assert sorted(seen, key=str) == sorted((s.id for s in made), key=str)
            assert len(seen) == 7

    def test_the_exact_total_counts_every_match(self) -> None:
        for n in range(5):
            make_service(f"Peer group {n}")
        results = search.search(Query(words="peer", per_page=2))
        assert (len(results.hits), results.total, results.total_exact) == (2, 5, True)

    def test_no_page_reaches_past_the_results_limit(self) -> None:
        make_service("Peer group")
        results = search.search(Query(page=MAX_RESULTS + 1, per_page=1))
        assert results.hits == []

    def test_inactive_services_only_when_asked(self) -> None:
        active = make_service("Peer group one")
        closed = make_service("Peer group two", status="temporarily closed")
        assert ids(search.search(Query(words="peer"))) == [active.id]
        everything = search.search(Query(words="peer", include_inactive=True))
        assert set(ids(everything)) == {active.id, closed.id}


class TestIndexUpkeep:
    def test_reindex_follows_a_change_of_name(self) -> None:
        service = make_service("Harbor Food Pantry")
        Service.objects.filter(id=service.id).update(name="Harbor Clothing Closet")
        search.reindex([service.id])
        assert search.search(Query(words="pantry")).hits == []
        assert ids(search.search(Query(words="clothing"))) == [service.id]

    def test_reindex_drops_a_deleted_service_and_adds_a_new_one(self) -> None:
        gone = make_service("Harbor Food Pantry")
        gone_id = gone.id
        gone.delete()
        fresh = make_service("Harbor Food Bank", index=False)
        search.reindex([gone_id, fresh.id, uuid4()])
        assert ids(search.search(Query(words="harbor"))) == [fresh.id]
        assert SearchDocument.objects.filter(service_id=gone_id).count() == 0
        assert search.search(Query()).total == 1

    def test_rebuild_indexes_everything_again(self) -> None:
        made = [make_service(f"Peer group {n}", index=False) for n in range(3)]
        assert search.search(Query(words="peer")).hits == []
        assert search.rebuild() == 3
        assert set(ids(search.search(Query(words="peer")))) == {s.id for s in made}
        assert search.rebuild() == 3
        assert search.search(Query(words="peer")).total == 3

    @paths
    def test_a_service_that_moves_after_a_rebuild_is_found_at_its_new_place(
        self, every_path: str
    ) -> None:
        moving = make_service("Mobile clinic", lat=SALEM.latitude, lon=SALEM.longitude)
        make_service("Salem clinic", lat=SALEM.latitude + 0.01, lon=SALEM.longitude)
        search.rebuild()
        Location.objects.filter(service_at_locations__service=moving).update(
            latitude=GRESHAM.latitude, longitude=GRESHAM.longitude
        )
        search.reindex([moving.id])
        near_portland = search.search(Query(words="clinic", near=PORTLAND, radius_km=30))
        assert ids(near_portland) == [moving.id]
        near_salem = search.search(Query(near=SALEM, radius_km=5))
        assert moving.id not in ids(near_salem)
        added = make_service("Portland clinic", lat=PORTLAND.latitude, lon=PORTLAND.longitude)
        assert ids(search.search(Query(near=PORTLAND, radius_km=30))) == [added.id, moving.id]

    def test_the_document_counts_words_once_per_field(self) -> None:
        service = make_service("Food food FOOD", description="Food for all.")
        (doc,) = search_index.documents([service.id], default_zone="UTC")
        assert doc.title == " food "
        assert doc.body == " food all "


class TestCommonWordsNearAPlace:
    """Common words near a place: on PostgreSQL the box's runs of ids are read
    on the narrow index alone, with the words' bits (``search_postgres``)."""

    def test_the_bits_of_common_words_find_the_same_services(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Every word counts as common: the narrow path whatever the sizes.
        monkeypatch.setattr(PostgresSearch, "gin_ratio", 0)
        near = [
            make_service(f"Drop-in {n}", lat=PORTLAND.latitude + n / 1000, lon=-122.68)
            for n in range(3)
        ]
        far = [make_service(f"Drop-in far {n}", lat=SALEM.latitude, lon=-123.0) for n in range(9)]
        make_service("Clinic", lat=PORTLAND.latitude, lon=-122.68)
        make_service("Drop-in closed", status="defunct", lat=PORTLAND.latitude, lon=-122.68)
        search.rebuild()
        doc = SearchDocument.objects.get(service_id=far[0].id)
        assert doc.stem_bits != 0
        results = search.search(Query(words="drop in", near=PORTLAND, radius_km=5))
        assert {hit.service_id for hit in results.hits} == {s.id for s in near}
        inactive = search.search(
            Query(words="drop-in", near=PORTLAND, radius_km=5, include_inactive=True)
        )
        assert len(inactive.hits) == 4
        spanish = make_service("Drop-in en español", languages=("es",), lat=45.5, lon=-122.68)
        for language in ("es", "Spanish", "spa"):
            found = search.search(Query(words="drop", near=PORTLAND, language=language))
            assert ids(found) == [spanish.id]


class TestManyMatches:
    """The paths for very many matches, on a small index with low thresholds."""

    @pytest.fixture(autouse=True)
    def _low_thresholds(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(SqlSearch, "exact_limit", lambda self, plan: 0)
        monkeypatch.setattr(SqlSearch, "champion_min_documents", 2)
        monkeypatch.setattr(SqlSearch, "champion_size", 3)
        monkeypatch.setattr(SqlSearch, "stream_limit", 2)

    def test_common_words_are_ranked_from_the_champion_lists(self) -> None:
        in_name = [make_service(f"Support group {n}", index=False) for n in range(2)]
        others = [
            make_service(f"Circle {n}", description="Support.", index=False) for n in range(4)
        ]
        search.rebuild()
        results = search.search(Query(words="support", per_page=2))
        assert set(ids(results)) == {s.id for s in in_name}
        assert results.total_exact is False
        assert results.total >= 2
        rest = search.search(Query(words="support", per_page=2, page=2))
        assert set(ids(rest)) <= {s.id for s in others}

    def test_when_filters_leave_too_few_champions_the_matches_are_read(self) -> None:
        for n in range(4):
            make_service(f"Support group {n}", index=False)
        spanish = make_service("Circle", description="Support.", languages=("es",), index=False)
        search.rebuild()
        results = search.search(Query(words="support", language="es"))
        assert ids(results) == [spanish.id]

    def test_a_service_added_since_the_rebuild_joins_a_list_with_room(self) -> None:
        for n in range(2):
            make_service(f"Support group {n}", index=False)
        search.rebuild()
        added = make_service("Support circle")
        assert added.id in ids(search.search(Query(words="support")))
