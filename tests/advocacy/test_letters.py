"""The pure assembly of letters: ZIP codes, districts, bylines, counts and what a target gets."""

from __future__ import annotations

import hashlib

import pytest

from peerlight.advocacy import letters
from peerlight.advocacy.letters import DistrictCount, StoryPart, WrittenLetter

DISTRICTS = [("District 7", ["97201", "97202"]), ("District 3", ["97301"])]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("97201", "97201"),
        (" 97201 ", "97201"),
        ("97201-1234", "97201"),
        ("9720", None),
        ("972011", None),
        ("ABCDE", None),
        ("97201-12", None),
        ("", None),
    ],
)
def test_it_reads_five_digit_zip_codes(raw: str, expected: str | None) -> None:
    assert letters.normalise_zip(raw) == expected


def test_a_zip_code_finds_its_district() -> None:
    assert letters.district_for("97202", DISTRICTS) == "District 7"
    assert letters.district_for("97301", DISTRICTS) == "District 3"
    assert letters.district_for("10001", DISTRICTS) == ""
    assert letters.district_for("", DISTRICTS) == ""
    # A target without a district name counts for nobody.
    assert letters.district_for("99999", [("", ["99999"])]) == ""


@pytest.mark.parametrize(
    ("attribution", "other_name", "expected"),
    [
        ("display_name", "", "River"),
        ("other_name", "  Robin  ", "Robin"),
        ("other_name", "   ", "A member of Peerlight"),
        ("anonymous", "Robin", "A member of Peerlight"),
        ("something new", "", "A member of Peerlight"),
    ],
)
def test_a_byline_is_what_the_consent_allows_and_never_more(
    attribution: str, other_name: str, expected: str
) -> None:
    byline = letters.byline_for(
        attribution, display_name="River", other_name=other_name, unnamed="A member of Peerlight"
    )
    assert byline == expected


def test_counts_go_most_first_and_letters_without_a_district_last() -> None:
    counts = letters.counts_by_district(["B", "", "A", "B", "", "C", "A", "B"])
    assert counts == (
        DistrictCount("B", 3),
        DistrictCount("A", 2),
        DistrictCount("C", 1),
        DistrictCount("", 2),
    )
    assert letters.counts_by_district([]) == ()


def _story(story_id: int) -> StoryPart:
    return StoryPart(story_id, f"Title {story_id}", "Body", "A member of Peerlight")


def test_a_delivery_carries_names_only_where_writers_chose_to_sign() -> None:
    written = [
        WrittenLetter("  First words ", share_name=True, signed_name="Ana Ruiz", district="D7"),
        # A name typed and then unticked does not go.
        WrittenLetter("Second words", share_name=False, signed_name="Hidden", district="D7"),
        WrittenLetter("Third words", share_name=False, signed_name="", district=""),
    ]
    delivery = letters.assemble_delivery(
        target_name="Sen. Rivera",
        target_district="D7",
        subject="Fund it",
        template="Dear Senator",
        letters=written,
        stories={},
    )
    assert [part.signed_name for part in delivery.letters] == ["Ana Ruiz", "", ""]
    assert delivery.letters[0].own_words == "First words"
    assert delivery.total == 3
    assert delivery.from_target_district == 2
    assert delivery.counts_dict() == {"D7": 2, "": 1}


def test_stories_missing_from_the_allowed_ones_are_left_out_and_each_goes_once() -> None:
    written = [
        WrittenLetter("a", share_name=False, signed_name="", district="", story_id=1),
        WrittenLetter("b", share_name=False, signed_name="", district="", story_id=2),
        WrittenLetter("c", share_name=False, signed_name="", district="", story_id=1),
        WrittenLetter("d", share_name=False, signed_name="", district="", story_id=None),
    ]
    delivery = letters.assemble_delivery(
        target_name="Board",
        target_district="",
        subject="s",
        template="t",
        letters=written,
        stories={1: _story(1), 3: _story(3)},
    )
    assert delivery.story_ids == [1]
    assert delivery.from_target_district == 0


def test_a_message_splits_back_into_its_subject_and_body() -> None:
    message = letters.join_message("Fund peer respite", "Dear Senator,\n\nPlease.\n")
    assert message.startswith("Subject: Fund peer respite\n\n")
    assert letters.split_message(message) == ("Fund peer respite", "Dear Senator,\n\nPlease.\n")


def test_the_hash_is_sha256_of_the_utf8_text() -> None:
    assert letters.sha256_hex("café") == hashlib.sha256("café".encode()).hexdigest()
