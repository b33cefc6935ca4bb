"""Rows of the authorisation matrix for letters, calls and testimony (see ``tests/matrix.py``)."""

from __future__ import annotations

from typing import Any

from peerlight.accounts.models import User
from peerlight.advocacy.models import (
    CallAction,
    Campaign,
    Letter,
    LetterAction,
    LetterDelivery,
    TestimonyOffer,
    TestimonyPacket,
)
from tests.advocacy.factories import make_campaign
from tests.matrix import LOGIN, NOT_ALLOWED, NOT_FOUND, OK, Expect
from tests.stories.factories import make_story

SLUG = "matrix-outreach"


def _campaign(people: dict[str, User]) -> Campaign:
    """An active campaign with a letter, a call script, a delivery and a packet (made once)."""
    found = Campaign.objects.filter(slug=SLUG).first()
    if found is not None:
        return found
    campaign = make_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(slug=SLUG)
    campaign.refresh_from_db()
    action = LetterAction.objects.create(campaign=campaign, subject="Fund it", template="Please.")
    CallAction.objects.create(campaign=campaign, script="Hello, I am calling about...")
    letter = Letter.objects.create(action=action, writer=people["member"], own_words="Yes.")
    delivery = LetterDelivery.objects.create(
        action=action,
        target=campaign.targets.get(),
        method="packet",
        content="<article>Letters</article>",
        content_sha256="0" * 64,
    )
    delivery.letters.add(letter)
    story = make_story(people["member"])
    offer = TestimonyOffer.objects.create(campaign=campaign, story=story, member=people["member"])
    packet = TestimonyPacket.objects.create(
        campaign=campaign, hearing="Budget hearing", content="<article/>", content_sha256="0" * 64
    )
    packet.offers.add(offer)
    return campaign


def _slug(people: dict[str, User]) -> dict[str, Any]:
    return {"slug": _campaign(people).slug}


def _letter(people: dict[str, User]) -> dict[str, Any]:
    campaign = _campaign(people)
    return {"slug": campaign.slug, "letter_id": Letter.objects.get(action__campaign=campaign).pk}


def _delivery(people: dict[str, User]) -> dict[str, Any]:
    campaign = _campaign(people)
    delivery = LetterDelivery.objects.get(action__campaign=campaign)
    return {"slug": campaign.slug, "delivery_id": delivery.pk}


def _offer(people: dict[str, User]) -> dict[str, Any]:
    campaign = _campaign(people)
    return {"slug": campaign.slug, "offer_id": TestimonyOffer.objects.get(campaign=campaign).pk}


def _packet(people: dict[str, User]) -> dict[str, Any]:
    campaign = _campaign(people)
    packet = TestimonyPacket.objects.get(campaign=campaign)
    return {"slug": campaign.slug, "packet_id": packet.pk}


def _coordinators(kwargs: Any) -> Expect:
    # Coordinators' pages: staff behind the second factor; everyone else (the
    # administrator too, who holds no coordinator role) is told nothing is there.
    return Expect(anonymous=LOGIN, member=NOT_FOUND, coordinator=OK, kwargs=kwargs)


def _post_only(kwargs: Any) -> Expect:
    return Expect(anonymous=NOT_ALLOWED, member=NOT_ALLOWED, kwargs=kwargs)


ENTRIES: dict[str, Expect] = {
    "advocacy:letter_write": Expect(anonymous=LOGIN, member=OK, kwargs=_slug),
    "advocacy:letter_withdraw": _post_only(_letter),
    "advocacy:letter_setup": _coordinators(_slug),
    "advocacy:letter_deliveries": _coordinators(_slug),
    "advocacy:letter_deliver": _post_only(_slug),
    "advocacy:letter_delivery": _coordinators(_delivery),
    "advocacy:call": Expect(anonymous=OK, member=OK, kwargs=_slug),
    "advocacy:call_made": _post_only(_slug),
    "advocacy:call_setup": _coordinators(_slug),
    "advocacy:testimony_offer": Expect(anonymous=LOGIN, member=OK, kwargs=_slug),
    "advocacy:testimony_withdraw": _post_only(_offer),
    "advocacy:testimony_offers": _coordinators(_slug),
    "advocacy:testimony_decide": _post_only(_offer),
    "advocacy:testimony_build": _post_only(_slug),
    "advocacy:testimony_packet": _coordinators(_packet),
    "advocacy:testimony_delivered": _post_only(_packet),
}
