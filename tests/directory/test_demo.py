"""The demo directory: a few hundred services in one county, seeded twice without change."""

from __future__ import annotations

from io import StringIO

import pytest

from peerlight.accounts import demo as accounts_demo
from peerlight.audit.models import AuditEntry
from peerlight.directory import demo, openeligibility, search
from peerlight.directory.models import (
    Attribute,
    Location,
    Organization,
    PeerNote,
    Phone,
    Schedule,
    Service,
)
from peerlight.directory.places import zip_point

pytestmark = pytest.mark.django_db

# Open Eligibility codes (or their parents) each part of the demo must have.
REQUIRED = {
    "crisis": ("1126", "1305"),
    "peer support": ("1310",),
    "housing": ("1103",),
    "food": ("1102",),
    "legal": ("1111",),
    "substance use": ("1178",),
    "mental health clinics": ("1220",),
}


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Organization,
            Service,
            Location,
            Phone,
            Schedule,
            Attribute,
            PeerNote,
            AuditEntry,
        )
    }


def seed() -> str:
    out = StringIO()
    demo.seed(out)
    return out.getvalue()


def services_under(*codes: str) -> int:
    """Services with a term of one of ``codes`` or of any of their descendants."""
    terms = {openeligibility.term_id(code) for code in codes}
    from peerlight.directory.models import TaxonomyTerm

    while True:
        children = set(
            TaxonomyTerm.objects.filter(parent_id__in=terms).values_list("id", flat=True)
        )
        if children <= terms:
            break
        terms |= children
    return (
        Attribute.objects.filter(link_entity="service", taxonomy_term_id__in=terms)
        .values("link_id")
        .distinct()
        .count()
    )


def test_it_seeds_a_few_hundred_services_and_a_second_run_changes_nothing() -> None:
    first = seed()
    after_first = counts()
    assert 250 <= after_first["Service"] <= 400
    assert f"{after_first['Service']} services added" in first

    second = seed()
    assert counts() == after_first
    assert "0 services added" in second
    assert f"{after_first['Service']} already there" in second


def test_it_covers_every_part_of_the_directory_people_need() -> None:
    seed()
    for part, codes in REQUIRED.items():
        assert services_under(*codes) >= 3, part


def test_the_real_crisis_line_is_listed_and_found_by_search() -> None:
    seed()
    lifeline = Service.objects.get(name="988 Suicide & Crisis Lifeline")
    assert {phone.number for phone in lifeline.phones.all()} == {"988"}
    found = search.search(search.Query(words="suicide crisis lifeline"))
    assert lifeline.id in [hit.service_id for hit in found.hits]


def test_a_search_near_a_demo_zip_code_finds_food_nearby() -> None:
    seed()
    near = zip_point("97266")
    assert near is not None
    found = search.search(search.Query(words="food", near=near, radius_km=10))
    assert found.total > 0
    assert all(hit.distance_km is not None and hit.distance_km <= 10 for hit in found.hits)


def test_every_other_phone_number_is_fictional() -> None:
    seed()
    numbers = set(Phone.objects.values_list("number", flat=True)) - {"988"}
    assert numbers
    assert all(number.startswith("503-555-01") for number in numbers)


def test_peer_notes_are_published_only_when_the_demo_people_exist() -> None:
    seed()
    assert PeerNote.objects.count() == 0

    accounts_demo.seed(StringIO())
    seed()
    notes = PeerNote.objects.all()
    assert notes.count() == len(demo.PEER_NOTES)
    assert {note.status for note in notes} == {PeerNote.Status.PUBLISHED}
    assert all(len(note.body) <= 280 for note in notes)

    seed()
    assert PeerNote.objects.count() == len(demo.PEER_NOTES)
