"""Demo peer profiles: every code is in the vocabulary, and seeding twice changes nothing."""

from __future__ import annotations

import io

import pytest

from peerlight.accounts import demo as accounts_demo
from peerlight.peers import demo
from peerlight.peers.models import Availability, PeerProfile
from peerlight.peers.vocabulary import vocabulary


def seed_both() -> str:
    out = io.StringIO()
    accounts_demo.seed(out)
    demo.seed(out)
    return out.getvalue()


def test_every_demo_code_is_in_the_vocabulary() -> None:
    words = vocabulary()
    for person in demo.demo_peer_people():
        fields = demo.profile_fields(person)
        assert set(fields["experiences"]) <= words.codes("experiences")
        assert set(fields["languages"]) <= words.codes("languages")
        assert set(fields["topics"]) <= words.codes("topics")
        gender = fields["gender"]
        assert gender == "" or gender in words.codes("genders")


def test_every_demo_peer_has_chosen_topics() -> None:
    names = {person.display_name for person in demo.demo_peer_people()}
    assert names == set(demo.DEMO_PEERS)


def test_an_unknown_code_is_refused() -> None:
    person = demo.demo_peer_people()[0]
    broken = type(person)(**{**vars(person), "lived_experience": ("made_up",)})
    with pytest.raises(ValueError, match="made_up"):
        demo.profile_fields(broken)


@pytest.mark.django_db
def test_it_seeds_profiles_once() -> None:
    first = seed_both()
    peers = demo.demo_peer_people()
    assert f"Peer profiles: {len(peers)} created, 0 already there." in first
    before = list(PeerProfile.objects.order_by("pk").values())
    second = seed_both()
    assert f"Peer profiles: 0 created, {len(peers)} already there." in second
    assert list(PeerProfile.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_marisol_and_dev_are_available_and_the_others_are_not() -> None:
    seed_both()
    available = set(
        PeerProfile.objects.filter(availability=Availability.AVAILABLE).values_list(
            "user__display_name", flat=True
        )
    )
    assert available == {"Marisol", "Dev"}
    marisol = PeerProfile.objects.get(user__display_name="Marisol")
    assert marisol.languages == ["es", "en"]
    assert "perinatal" in marisol.experiences
    assert marisol.bio.startswith("Mother of two.")
