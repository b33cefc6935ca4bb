"""Safety: risk detection, reports and blocks.

``assess_message`` is the one hook every incoming chat message and support
request passes through. It imports lazily, so importing the package loads no
models and no lexicon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peerlight.safety.detector import Assessment

__all__ = ["assess_message"]


def assess_message(
    text: str,
    *,
    language: str | None = None,
    source: str,
    source_id: int | None = None,
    author_id: int | None = None,
) -> Assessment:
    """Assess ``text`` for risk and return the ``Assessment``.

    ``source`` names where the text came from ("chat.message",
    "support.request") and ``source_id`` its row; ``author_id`` is the person
    who wrote it. In this version the hook only runs the detector; the safety
    issue adds escalation here (an outbox row in the caller's transaction,
    then the on-call coordinator is told), so callers must already call it
    inside the transaction that saves the text. It never logs the text.
    """
    from peerlight.safety.detector import assess

    return assess(text, language)
