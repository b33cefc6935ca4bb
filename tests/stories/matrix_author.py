"""Rows of the authorisation matrix for one part of the app (see ``tests/matrix.py``)."""

from tests.matrix import Expect

ENTRIES: dict[str, Expect] = {}
