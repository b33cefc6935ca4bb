"""The profile form: choices from the vocabulary, in the reader's language, nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from peerlight.peers.forms import AvailabilityForm, ProfileForm
from peerlight.peers.models import PeerProfile

VALID = {
    "experiences": ["perinatal", "depression"],
    "experience_words": "After my second baby.",
    "topics": ["parenting"],
    "languages": ["es", "en"],
    "gender": "",
    "bio": "Mother of two.",
    "max_chats": "3",
}


def form(**changes: Any) -> ProfileForm:
    return ProfileForm({**VALID, **changes})


def test_a_complete_profile_is_accepted() -> None:
    valid = form()
    assert valid.is_valid(), valid.errors
    assert valid.profile_fields() == {**VALID, "max_chats": 3}


def test_gender_may_be_left_unsaid_or_chosen() -> None:
    assert form(gender="").is_valid()
    assert form(gender="nonbinary").is_valid()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"experiences": ["depression", "made_up"]}, "experiences"),
        ({"topics": ["<script>"]}, "topics"),
        ({"languages": ["de"]}, "languages"),
        ({"languages": []}, "languages"),
        ({"gender": "other"}, "gender"),
        ({"experience_words": "x" * 301}, "experience_words"),
        ({"bio": "x" * 601}, "bio"),
        ({"max_chats": "0"}, "max_chats"),
        ({"max_chats": "6"}, "max_chats"),
        ({"max_chats": "two"}, "max_chats"),
    ],
)
def test_bad_values_are_refused(changes: dict[str, Any], field: str) -> None:
    refused = form(**changes)
    assert not refused.is_valid()
    assert list(refused.errors) == [field]


def test_a_missing_language_says_so_plainly() -> None:
    refused = form(languages=[])
    refused.is_valid()
    assert refused.errors["languages"] == ["Please choose at least one language."]


def test_labels_are_in_the_readers_language() -> None:
    with translation.override("es"):
        html = str(ProfileForm())
    assert "Duelo y pérdida" in html
    assert "Inglés" in html
    with translation.override("en"):
        assert "Grief and loss" in str(ProfileForm())


def test_it_starts_from_the_saved_profile() -> None:
    profile = PeerProfile(experiences=["grief"], languages=["fr"], max_chats=4)
    initial = ProfileForm.for_profile(profile)
    assert initial["experiences"].value() == ["grief"]
    assert initial["languages"].value() == ["fr"]
    assert initial["max_chats"].value() == 4


@pytest.mark.parametrize(("value", "valid"), [("busy", True), ("asleep", False), ("", False)])
def test_availability_takes_the_three_states(value: str, valid: bool) -> None:
    assert AvailabilityForm({"availability": value}).is_valid() is valid
