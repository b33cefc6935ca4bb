"""Contact details typed into a chat are hidden; ordinary numbers and crisis lines are not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerlight.chat.masking import MARKER, mask_contact_details

EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]*[A-Za-z0-9]")


@pytest.mark.parametrize(
    "text",
    [
        "call me on +44 7700 900123",
        "my number is (555) 123-4567",
        "555.123.4567",
        "555-123-4567",
        "+1 555 123 4567",
        "0044 20 7946 0958",
        "5 5 5 1 2 3 4 5 6 7",
        "five five five one two three four",
        "five-five-five, one two three four",
    ],
)
def test_it_hides_phone_numbers(text: str) -> None:
    masked, kinds = mask_contact_details(text)
    assert MARKER in masked
    assert "phone" in kinds
    assert not re.search(r"\d{3}", masked.replace("0044", ""))


@pytest.mark.parametrize(
    "text",
    [
        "write to jo.smith+tag@example.com please",
        "(jo@example.org)",
        "jo at example dot com",
        "jo [at] example [dot] org",
        "jo (at) example (dot) co (dot) uk",
        "jo at gmail",
        "sam at example.com",
    ],
)
def test_it_hides_email_addresses(text: str) -> None:
    masked, kinds = mask_contact_details(text)
    assert MARKER in masked
    assert kinds == ("email",)
    assert "example" not in masked
    assert "gmail" not in masked


def test_it_keeps_the_punctuation_around_an_address() -> None:
    assert mask_contact_details("mail jo@example.com.") == (f"mail {MARKER}.", ("email",))


@pytest.mark.parametrize(
    "text",
    [
        "insta: sunny_day",
        "my insta is sunny_day",
        "snap: bob12",
        "ig bob_12",
        "follow @sunny.day",
        "discord bob#1234",
        "add me on snapchat",
        "find me on discord",
        "telegram - @night_owl",
        "whatsapp: sunny",
        "snap - sunny_day",
    ],
)
def test_it_hides_social_handles(text: str) -> None:
    masked, kinds = mask_contact_details(text)
    assert MARKER in masked, masked
    assert "handle" in kinds or "phone" in kinds or "link" in kinds


@pytest.mark.parametrize(
    "text",
    [
        "wa.me/15551234567",
        "https://t.me/someone",
        "www.instagram.com/sunny",
        "https://discord.gg/abc123",
        "look at snapchat.com/add/bob",
    ],
)
def test_it_hides_links_to_social_and_messaging_sites(text: str) -> None:
    masked, kinds = mask_contact_details(text)
    assert kinds == ("link",)
    assert MARKER in masked
    assert "/" not in masked


@pytest.mark.parametrize(
    "text",
    [
        "let's talk at 5:30 tomorrow",
        "it has been 3 weeks",
        "since 1990 I have felt this way",
        "2019-2021 was a hard time",
        "on 2024-01-15 I started",
        "I slept 10 hours, then 12 hours",
        "call 988 or 911 if you are in danger",
        "text HOME to 741741",
        "the old line was 1-800-273-8255",
        "I posted on insta yesterday",
        "oh snap, that is a lot",
        "the line at the shop was long",
        "I am at home",
        "email is scary for me",
        "see https://988lifeline.org/chat/ for help",
        "I owe $1,250,000 in my dreams",
        "@ 5 tomorrow?",
        "our line is 0800 free",
        "my signal is weak",
    ],
)
def test_it_leaves_ordinary_words_numbers_and_crisis_lines_alone(text: str) -> None:
    assert mask_contact_details(text) == (text, ())


def test_numbers_allowed_by_the_caller_stay_readable() -> None:
    text = "our local line is 0800 123 4567"
    assert mask_contact_details(text, allowed_numbers=["0800-123-4567"]) == (text, ())
    assert mask_contact_details(text)[1] == ("phone",)


def test_the_kinds_are_listed_once_each_in_a_fixed_order() -> None:
    text = "call 555 123 4567 or 555 765 4321, mail a@b.org, insta: sunny_day, t.me/x"
    masked, kinds = mask_contact_details(text)
    assert kinds == ("link", "email", "handle", "phone")
    assert masked.count(MARKER) == 5


def test_line_breaks_survive() -> None:
    masked, _kinds = mask_contact_details("hello\ncall 555 123 4567\nbye")
    assert masked == f"hello\ncall {MARKER}\nbye"


@given(st.text(max_size=60), st.emails(), st.text(max_size=60))
def test_output_never_contains_an_email_address(before: str, email: str, after: str) -> None:
    masked, kinds = mask_contact_details(f"{before} {email} {after}")
    assert email not in masked
    assert not EMAIL_LIKE.search(masked)
    assert "email" in kinds


@given(st.text(max_size=200))
def test_masking_twice_changes_nothing_more(text: str) -> None:
    once, _kinds = mask_contact_details(text)
    assert mask_contact_details(once) == (once, ())


@given(st.from_regex(r"(\+?1[ .-]?)?\(?[2-9]\d{2}\)?[ .-]?\d{3}[ .-]?\d{4}", fullmatch=True))
def test_us_phone_numbers_in_any_layout_are_hidden(number: str) -> None:
    masked, kinds = mask_contact_details(f"call me {number} ok")
    assert kinds == ("phone",)
    assert masked == f"call me {MARKER} ok"
