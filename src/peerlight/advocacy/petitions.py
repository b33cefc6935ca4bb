"""Petition arithmetic and the district check, with no Django: easy to test alone.

- ``current_goal(count, first_goal)``: the goal a petition shows. It starts at
  the coordinator's first goal; once the count reaches it, it rises by steps
  of 1.5 to 2 times, each landing on a friendly number (150, 250, 400, 1,000,
  1,500...), so the goal is always above the count.
- ``districts_holding(zip_code, districts)``: which targets' districts hold a
  ZIP code, from each target's list of ZIP codes.
- ``counts_by_district``: signatures per target's district, from counts per
  ZIP code (online and on paper alike).

ZIP codes are checked offline against the ``zipcodes`` package's data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

import zipcodes

__all__ = [
    "DistrictCount",
    "DistrictCounts",
    "counts_by_district",
    "current_goal",
    "districts_holding",
    "friendly_at_least",
    "is_known_zip",
    "is_zip",
    "next_goal",
    "normalise_email",
    "split_zip_codes",
]

# ``zipcodes`` has no type hints; this is its signature.
_is_real_zip: Callable[[str], bool] = zipcodes.is_real
_FIVE_DIGITS = re.compile(r"[0-9]{5}")
# Friendly goals are these mantissas (in tenths: 1, 1.2, 1.5 ... 8) times a
# power of ten. Neighbours are at most 4/3 apart, so the smallest friendly
# number above 1.5 times a goal is never more than twice the goal.
_MANTISSA_TENTHS = (10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 80)


# --- The goal -------------------------------------------------------------------------


def friendly_at_least(value: int) -> int:
    """The smallest friendly whole number that is at least ``value`` (1 for values below 1)."""
    scale = 1
    while True:
        for tenths in _MANTISSA_TENTHS:
            candidate, rest = divmod(tenths * scale, 10)
            if rest == 0 and candidate >= value:
                return candidate
        scale *= 10


def next_goal(goal: int) -> int:
    """The goal after ``goal`` is reached: a friendly number 1.5 to 2 times as high."""
    at_least = (3 * max(1, goal) + 1) // 2
    return friendly_at_least(at_least)


def current_goal(count: int, first_goal: int) -> int:
    """The goal to show for ``count`` signatures: the first goal, raised past every reached one.

    Always above ``count``, never below ``first_goal`` (at least 1), and never
    lower for a higher count.
    """
    goal = max(1, first_goal)
    while goal <= count:
        goal = next_goal(goal)
    return goal


# --- E-mail addresses and ZIP codes ---------------------------------------------------


def normalise_email(address: str) -> str:
    """The form of an address that decides "the same signer": trimmed, in lower case."""
    return address.strip().lower()


def is_zip(value: str) -> bool:
    """Five digits, as a US ZIP code is written."""
    return _FIVE_DIGITS.fullmatch(value) is not None


def is_known_zip(value: str) -> bool:
    """A five-digit ZIP code that the ``zipcodes`` data knows."""
    return is_zip(value) and bool(_is_real_zip(value))


def split_zip_codes(text: str) -> tuple[list[str], list[str]]:
    """The ZIP codes written in ``text`` (separated by spaces, commas, semicolons or lines).

    Returns (known codes, everything else), each in the order written and
    without repeats.
    """
    known: list[str] = []
    other: list[str] = []
    for word in dict.fromkeys(re.split(r"[\s,;]+", text.strip())):
        if not word:
            continue
        (known if is_known_zip(word) else other).append(word)
    return known, other


# --- Districts ------------------------------------------------------------------------


def districts_holding(
    zip_code: str, districts: Iterable[tuple[str, Collection[str]]]
) -> list[str]:
    """The names of the districts (name, ZIP codes) whose ZIP codes include ``zip_code``."""
    if not zip_code:
        return []
    return [name for name, codes in districts if zip_code in codes]


@dataclass(frozen=True)
class DistrictCount:
    name: str
    count: int


@dataclass(frozen=True)
class DistrictCounts:
    """Signatures per district; one signature may lie in several targets' districts."""

    districts: tuple[DistrictCount, ...]
    # Signatures with a ZIP code outside every district, and without one.
    outside: int
    no_zip: int


def counts_by_district(
    per_zip: Mapping[str, int], districts: Iterable[tuple[str, Collection[str]]]
) -> DistrictCounts:
    """Add up ``per_zip`` (ZIP code, or "" for none, to a count) by district."""
    named = list(districts)
    inside: set[str] = set()
    for _name, codes in named:
        inside.update(codes)
    return DistrictCounts(
        districts=tuple(
            DistrictCount(name, sum(per_zip.get(code, 0) for code in set(codes)))
            for name, codes in named
        ),
        outside=sum(n for code, n in per_zip.items() if code and code not in inside),
        no_zip=per_zip.get("", 0),
    )
