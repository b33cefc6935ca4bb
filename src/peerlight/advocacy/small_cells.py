"""Small-cell suppression for the counts advocacy publishes.

A count under the minimum (``PEERLIGHT_SMALL_CELL_MINIMUM``, 11 by default)
can point at a person, so it is never shown, and nothing shown beside it
may give it back. Two rules do that:

- ``release_count``: a single count is shown exactly at or above the
  minimum, and otherwise only as "fewer than N" (zero included: "none" is a
  count too).
- ``release_split``: a count split into parts (signers in a district and
  elsewhere) is shown part by part only when no part is small. Small parts
  are pooled; while the pool is still under the minimum the smallest shown
  part joins it; a pool left under the minimum means the whole split is
  "fewer than N". So a published split never has a hidden part beside a
  total or beside the other parts: its total is always the sum of what is
  shown, and subtracting anything shown from anything else gives no cell
  that is under the minimum.

Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ReleasedSplit", "release_count", "release_split"]


def release_count(count: int, minimum: int) -> int | None:
    """``count`` if it may be shown, else None (show "fewer than ``minimum``")."""
    return count if count >= minimum else None


@dataclass(frozen=True)
class ReleasedSplit:
    """A split as it may be published.

    ``parts`` are (key, count) shown exactly, largest first; ``pooled`` is
    the exact count of the parts put together ("the rest"), or None when
    nothing was pooled; ``total`` is the sum of what is shown, or None when
    everything is suppressed (then ``parts`` is empty and ``pooled`` None).
    """

    parts: tuple[tuple[str, int], ...]
    pooled: int | None
    pooled_keys: tuple[str, ...]
    total: int | None

    @property
    def suppressed(self) -> bool:
        return self.total is None


def release_split(parts: Mapping[str, int], minimum: int) -> ReleasedSplit:
    """Publish the parts of a count without revealing any part under ``minimum``.

    Parts of zero are left out: they name nobody and take nothing from the
    pool. Keys in ``pooled_keys`` are those whose counts went into ``pooled``.
    """
    if minimum < 1:
        raise ValueError("The minimum cell size must be at least 1.")
    present = sorted(
        ((key, count) for key, count in parts.items() if count > 0),
        key=lambda part: (-part[1], part[0]),
    )
    total = sum(count for _key, count in present)
    shown = [part for part in present if part[1] >= minimum]
    pooled = [part for part in present if part[1] < minimum]
    pool = sum(count for _key, count in pooled)
    # A small pool would be the total minus the parts shown: pool the
    # smallest shown parts with it until it is big enough (or all is pooled).
    while pooled and pool < minimum and shown:
        smallest = shown.pop()
        pooled.append(smallest)
        pool += smallest[1]
    if total < minimum or (pooled and pool < minimum):
        return ReleasedSplit(parts=(), pooled=None, pooled_keys=(), total=None)
    return ReleasedSplit(
        parts=tuple(shown),
        pooled=pool if pooled else None,
        pooled_keys=tuple(sorted(key for key, _count in pooled)),
        total=total,
    )
