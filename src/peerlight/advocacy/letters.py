"""Letters to decision makers, put together from plain values (no Django here).

A letter is the campaign's template, the writer's own words and, when the
writer chose one, one of their stories. What one target receives
(``assemble_delivery``) is every letter waiting, counted by district, with
the stories that still may go, each under the byline its consent allows.

Privacy by default: a letter carries a name only when its writer chose to
sign (``share_name``); ZIP codes, accounts and addresses never leave. The
stories travel in their own section, not under the letter they came with,
so an unsigned letter is not tied to the name on a story.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Five digits, optionally followed by the ZIP+4 suffix (which is dropped).
ZIP_PATTERN = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")

# Attribution codes of a story's consent (``stories.StoryConsent.Attribution``).
DISPLAY_NAME = "display_name"
OTHER_NAME = "other_name"


def normalise_zip(raw: str) -> str | None:
    """The five-digit ZIP code in ``raw`` ("97201" or "97201-1234"); None if it is not one."""
    found = ZIP_PATTERN.match(raw)
    return found.group(1) if found else None


def district_for(zip_code: str, districts: Sequence[tuple[str, Iterable[str]]]) -> str:
    """The first district (in the order given) whose ZIP codes contain ``zip_code``.

    ``districts`` pairs a district's name with its ZIP codes. An empty ZIP
    code, or one in no district, gives "".
    """
    if not zip_code:
        return ""
    for name, codes in districts:
        if name and zip_code in set(codes):
            return name
    return ""


def byline_for(attribution: str, *, display_name: str, other_name: str, unnamed: str) -> str:
    """The name a story goes under, as its consent allows and never more.

    ``unnamed`` (such as "A member of Peerlight") stands in for an anonymous
    story, and for "another name" left empty, so the reader always sees
    whose kind of voice it is rather than a silent gap.
    """
    if attribution == DISPLAY_NAME and display_name:
        return display_name
    if attribution == OTHER_NAME and other_name.strip():
        return other_name.strip()
    return unnamed


@dataclass(frozen=True)
class StoryPart:
    """A story as a target receives it."""

    story_id: int
    title: str
    body: str
    byline: str


@dataclass(frozen=True)
class WrittenLetter:
    """A letter waiting for delivery, as its writer left it."""

    own_words: str
    share_name: bool
    signed_name: str
    district: str
    story_id: int | None = None


@dataclass(frozen=True)
class LetterPart:
    """One letter as a target receives it: the writer's words and, if they chose, a name."""

    own_words: str
    signed_name: str


@dataclass(frozen=True)
class DistrictCount:
    """How many letters came from one district ("" for no ZIP or none of the districts)."""

    district: str
    letters: int


@dataclass(frozen=True)
class Delivery:
    """Everything one target receives in one delivery."""

    target_name: str
    target_district: str
    subject: str
    template: str
    letters: tuple[LetterPart, ...]
    stories: tuple[StoryPart, ...]
    counts: tuple[DistrictCount, ...]

    @property
    def total(self) -> int:
        return len(self.letters)

    @property
    def from_target_district(self) -> int:
        """Letters from the target's own district (0 when it has none)."""
        if not self.target_district:
            return 0
        return sum(row.letters for row in self.counts if row.district == self.target_district)

    @property
    def story_ids(self) -> list[int]:
        return [story.story_id for story in self.stories]

    def counts_dict(self) -> dict[str, int]:
        return {row.district: row.letters for row in self.counts}


def signature(letter: WrittenLetter) -> str:
    """The name under a letter: only the one its writer chose to sign with."""
    return letter.signed_name.strip() if letter.share_name else ""


def counts_by_district(districts: Iterable[str]) -> tuple[DistrictCount, ...]:
    """Letters per district, most first (then by name); letters with no district last."""
    tally = Counter(districts)
    named = sorted(
        (DistrictCount(name, count) for name, count in tally.items() if name),
        key=lambda row: (-row.letters, row.district),
    )
    unplaced = [DistrictCount("", tally[""])] if tally.get("") else []
    return (*named, *unplaced)


def assemble_delivery(
    *,
    target_name: str,
    target_district: str,
    subject: str,
    template: str,
    letters: Sequence[WrittenLetter],
    stories: Mapping[int, StoryPart],
) -> Delivery:
    """What one target receives for ``letters``.

    ``stories`` holds the stories that may still go, by id (the caller checks
    each one's consent at this moment): a letter's story missing from it is
    left out. A story sent with several letters appears once, in the order
    the letters came.
    """
    carried: dict[int, StoryPart] = {}
    for letter in letters:
        if letter.story_id is not None and letter.story_id in stories:
            carried.setdefault(letter.story_id, stories[letter.story_id])
    return Delivery(
        target_name=target_name,
        target_district=target_district,
        subject=subject,
        template=template,
        letters=tuple(
            LetterPart(letter.own_words.strip(), signature(letter)) for letter in letters
        ),
        stories=tuple(carried.values()),
        counts=counts_by_district(letter.district for letter in letters),
    )


def sha256_hex(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


SUBJECT_PREFIX = "Subject: "


def join_message(subject: str, body: str) -> str:
    """An e-mail as one archived text: a subject line, a blank line, the body."""
    return f"{SUBJECT_PREFIX}{subject}\n\n{body}"


def split_message(message: str) -> tuple[str, str]:
    """The subject and body of a message made by ``join_message``."""
    head, _, body = message.partition("\n\n")
    return head.removeprefix(SUBJECT_PREFIX), body
