"""Sets of codes as rows of bits, for the matcher's vectorised scoring (numpy only).

``CodeMasks(rows)`` gives each code seen in ``rows`` one bit; ``has(code)``
and ``overlap(codes)`` answer for every row at once, and ``dense()`` gives a
0/1 matrix for weighted sums. Part of ``support.matching``, split out by topic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

WORD_BITS = 64
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
_WordArray = npt.NDArray[np.uint64]


class CodeMasks:
    """Sets of codes as rows of 64-bit words, one bit per code seen in the pool."""

    def __init__(self, rows: Sequence[frozenset[str]]) -> None:
        codes = sorted(set().union(*rows)) if rows else []
        self.bit_of = {code: bit for bit, code in enumerate(codes)}
        words = max(1, math.ceil(len(codes) / WORD_BITS))
        self.words: _WordArray = np.zeros((len(rows), words), dtype=np.uint64)
        for row, row_codes in enumerate(rows):
            mask = 0
            for code in row_codes:
                mask |= 1 << self.bit_of[code]
            for word in range(words):
                self.words[row, word] = (mask >> (word * WORD_BITS)) & 0xFFFFFFFFFFFFFFFF
        self._dense: FloatArray | None = None

    def dense(self) -> FloatArray:
        """One row per set, one column per code (1.0 where the set holds it); built once."""
        if self._dense is None:
            bits = np.arange(len(self.bit_of))
            words = self.words[:, bits // WORD_BITS]
            shifts = (bits % WORD_BITS).astype(np.uint64)
            self._dense = ((words >> shifts) & np.uint64(1)).astype(np.float64)
        return self._dense

    def rows_holding(self, rows: BoolArray) -> npt.NDArray[np.int64]:
        """For each code (by bit), how many of the chosen ``rows`` hold it."""
        counts: npt.NDArray[np.int64] = self.dense()[rows].sum(axis=0).astype(np.int64)
        return counts

    def has(self, code: str) -> BoolArray | None:
        """Which rows hold ``code``; None when no row does."""
        bit = self.bit_of.get(code)
        if bit is None:
            return None
        word, offset = divmod(bit, WORD_BITS)
        hits: BoolArray = (self.words[:, word] & np.uint64(1 << offset)) != 0
        return hits

    def overlap(self, codes: Iterable[str]) -> npt.NDArray[np.int64] | None:
        """How many of ``codes`` each row holds; None when no row holds any."""
        mask = 0
        for code in codes:
            bit = self.bit_of.get(code)
            if bit is not None:
                mask |= 1 << bit
        if not mask:
            return None
        total = np.zeros(self.words.shape[0], dtype=np.int64)
        for word in range(self.words.shape[1]):
            part = (mask >> (word * WORD_BITS)) & 0xFFFFFFFFFFFFFFFF
            if part:
                total += np.bitwise_count(self.words[:, word] & np.uint64(part))
        return total
