"""Safety: risk detection, reports and blocks.

``assess_message`` is the one hook every incoming chat message and support
request passes through. It imports lazily, so importing the package loads no
models and no lexicon.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    earlier: Callable[[], Sequence[str]] | None = None,
    earlier_risk: bool = False,
) -> Assessment:
    """Assess ``text`` for risk and return the ``Assessment``.

    ``source`` names where the text came from ("chat.conversation",
    "support.request") and ``source_id`` its row; ``author_id`` is the person
    who wrote it. An imminent assessment is escalated at once
    (``actions.raise_risk``: a case and an outbox row written in the
    caller's transaction, so callers must call this inside the transaction
    that saves the text; a rollback takes the escalation with it). It never
    logs the text.

    ``earlier`` gives the same person's previous messages in the same place,
    oldest first, so that risk building across messages is seen
    (``detector.assess_conversation``). It is called only when it can
    matter: this message is not already imminent, and it shows concern or
    ``earlier_risk`` says one of those messages did. The conversation's level
    replaces this message's only when it is higher than both this message's
    and the earlier messages' own: a calm message after a risky one stays
    calm, a message that tips the whole into a worse level takes that level.
    """
    from peerlight.safety.detector import LEVEL_ORDER, assess, assess_conversation

    assessment = assess(text, language)
    if (
        earlier is not None
        and assessment.level != "imminent"
        and (earlier_risk or assessment.level == "concern")
    ):
        previous = list(earlier())
        if previous:
            together = assess_conversation([*previous, text], language)
            before = assess_conversation(previous, language)
            # Only what this message adds counts: "thanks for listening" after
            # a risky message is not risky itself, but "the pills are here"
            # after "goodbye everyone" makes the whole more than either.
            floor = max(LEVEL_ORDER[assessment.level], LEVEL_ORDER[before.level])
            if LEVEL_ORDER[together.level] > floor:
                assessment = together
    if assessment.level == "imminent":
        from peerlight.safety.actions import raise_risk

        raise_risk(
            person_id=author_id,
            source=source,
            source_id=source_id,
            level=assessment.level,
            reasons=assessment.reasons,
        )
    return assessment
