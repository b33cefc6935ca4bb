"""Why this peer: the matcher's reasons turned into plain words.

``support.matching`` returns ``Reason(kind, codes)`` values; they are stored
as JSON on the offer and the request (``[{"kind": ..., "codes": [...]}]``)
and shown to both people as one line such as "You both listed: perinatal
depression · speaks Spanish", with labels from the vocabulary in the
reader's language. Codes the vocabulary does not know are shown as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.chat.masking import mask_contact_details
from peerlight.peers.vocabulary import vocabulary
from peerlight.support.matching import Reason
from peerlight.support.models import Offer

SEPARATOR = " · "


def reasons_to_json(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    """The reasons as stored on ``Offer.reasons`` and ``SupportRequest.match_reasons``."""
    return [{"kind": reason.kind, "codes": list(reason.codes)} for reason in reasons]


def reasons_from_json(data: object) -> list[Reason]:
    """Stored reasons back as ``Reason`` values; anything malformed is skipped."""
    if not isinstance(data, list):
        return []
    reasons = []
    for item in data:
        if not isinstance(item, dict):
            continue
        kind, codes = item.get("kind"), item.get("codes", [])
        if isinstance(kind, str) and isinstance(codes, list):
            reasons.append(Reason(kind=kind, codes=tuple(str(code) for code in codes)))
    return reasons


def _labels(section: str, codes: Sequence[str], language: str | None) -> str:
    words = vocabulary()
    return ", ".join(words.label(section, code, language) for code in codes)


def _preference_labels(codes: Sequence[str], language: str | None) -> str:
    # Preference codes may be bare ("woman") or name their kind ("gender:woman").
    return ", ".join(
        vocabulary().label("genders", code.rpartition(":")[2], language) for code in codes
    )


def phrases(reasons: Iterable[Reason], language: str | None) -> list[str]:
    """One short phrase per reason, in the order the matcher gave them."""
    found = []
    for reason in reasons:
        codes = reason.codes
        if reason.kind == "experience" and codes:
            found.append(
                _("You both listed: %(labels)s")
                % {"labels": _labels("experiences", codes, language)}
            )
        elif reason.kind == "topic" and codes:
            found.append(
                _("comfortable talking about: %(labels)s")
                % {"labels": _labels("topics", codes, language)}
            )
        elif reason.kind == "language" and codes:
            found.append(
                _("speaks %(labels)s") % {"labels": _labels("languages", codes, language)}
            )
        elif reason.kind == "continuity" and "asked" in codes:
            found.append(_("you asked to talk again"))
        elif reason.kind == "continuity":
            found.append(_("you talked before and it helped"))
        elif reason.kind == "preference" and codes:
            found.append(
                _("as you asked: %(labels)s") % {"labels": _preference_labels(codes, language)}
            )
    return found


def explain(data: object, language: str | None) -> str:
    """The stored reasons as one line for people, or "" when there are none."""
    return SEPARATOR.join(phrases(reasons_from_json(data), language))


@dataclass(frozen=True)
class OfferView:
    """An offer as the peer sees it before deciding.

    The peer sees the member's display name, topics, priorities, urgency
    and words, never account details. The words are shown because a peer
    needs them to decide whether they can hold this conversation today (and
    urgent words ask for extra care); contact details in them are masked,
    as in the chat, and they are shown only to the one peer being asked.
    """

    offer: Offer
    member_name: str
    topics: list[str]
    priorities: list[str]
    urgency: str
    words: str
    message_for_later: str
    explanation: str
    seconds_left: int


def offer_views(offers: Iterable[Offer], language: str | None) -> list[OfferView]:
    """``offers`` (with ``request__member`` loaded) ready for the peer's dashboard."""
    words = vocabulary()
    now = timezone.now()
    return [
        OfferView(
            offer=offer,
            member_name=offer.request.member.display_name,
            topics=[words.label("topics", code, language) for code in offer.request.topics],
            priorities=[
                words.label("experiences", code, language) for code in offer.request.priorities
            ],
            urgency=offer.request.urgency,
            words=mask_contact_details(offer.request.words)[0],
            message_for_later=mask_contact_details(offer.request.message_for_later)[0],
            explanation=explain(offer.reasons, language),
            seconds_left=max(0, int((offer.expires_at - now).total_seconds())),
        )
        for offer in offers
    ]
