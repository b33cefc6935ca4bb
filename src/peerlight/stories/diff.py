"""What changed between two versions of a story, word by word (pure, no Django).

``diff_words`` splits both texts into words, runs of spaces and line breaks,
and compares them with ``difflib.SequenceMatcher``; the result is a list of
pieces, each kept, added or removed, with neighbours of the same kind joined.
A moderator's page renders added pieces as ``<ins>`` and removed ones as
``<del>`` with words for screen readers, so the change is never shown by
colour alone. ``diff_choices`` does the same for sets of codes (tags,
content notes), where order means nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# A line break, a run of other white space, or a run of anything else.
_TOKENS = re.compile(r"\n|[^\S\n]+|\S+")


class Change(StrEnum):
    SAME = "same"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Piece:
    """A run of text that was kept, added or removed."""

    change: Change
    text: str

    @property
    def added(self) -> bool:
        return self.change is Change.ADDED

    @property
    def removed(self) -> bool:
        return self.change is Change.REMOVED


@dataclass(frozen=True)
class ChoiceChanges:
    """Codes added to and removed from a set of choices, each sorted."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def tokens(text: str) -> list[str]:
    """``text`` as words, white space and line breaks; joined again they give ``text``."""
    return _TOKENS.findall(text.replace("\r\n", "\n").replace("\r", "\n"))


def _append(pieces: list[Piece], change: Change, text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1].change is change:
        pieces[-1] = Piece(change, pieces[-1].text + text)
    else:
        pieces.append(Piece(change, text))


def diff_words(before: str, after: str) -> list[Piece]:
    """The pieces that turn ``before`` into ``after``.

    Joining the kept and removed pieces gives ``before`` again; joining the
    kept and added ones gives ``after`` (line endings made ``\\n``). Where a
    passage was replaced, what was removed comes before what was added.
    """
    old, new = tokens(before), tokens(after)
    # autojunk would treat common words ("the", "and") in long stories as
    # noise and report whole paragraphs as rewritten.
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    pieces: list[Piece] = []
    for operation, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if operation == "equal":
            _append(pieces, Change.SAME, "".join(old[a_start:a_end]))
            continue
        _append(pieces, Change.REMOVED, "".join(old[a_start:a_end]))
        _append(pieces, Change.ADDED, "".join(new[b_start:b_end]))
    return pieces


def counts(pieces: Iterable[Piece]) -> tuple[int, int]:
    """How many words were added and how many removed."""
    added = removed = 0
    for piece in pieces:
        words = len(piece.text.split())
        if piece.change is Change.ADDED:
            added += words
        elif piece.change is Change.REMOVED:
            removed += words
    return added, removed


def diff_choices(before: Iterable[str], after: Iterable[str]) -> ChoiceChanges:
    """Which codes were added, removed and kept between two sets of choices."""
    old, new = set(before), set(after)
    return ChoiceChanges(
        added=tuple(sorted(new - old)),
        removed=tuple(sorted(old - new)),
        kept=tuple(sorted(old & new)),
    )
