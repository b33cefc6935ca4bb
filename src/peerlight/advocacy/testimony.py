"""Writes for testimony: members offer their stories for a hearing; coordinators build packets.

A member offers one of their own stories whose consent covers the campaign
(the same check as for letters), with a note for the coordinators and
whether they would speak in person; they can withdraw the offer at any
time. Coordinators include an offer or leave it out this time, and build a
testimony packet for a hearing: the included stories, each under the byline
its consent allows, checked against that consent at the moment of building.
A packet is archived (``TestimonyPacket``) with its exact content, SHA-256
and story ids, and is never rebuilt in place: a changed packet is a new one.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.advocacy import letters as assembly
from peerlight.advocacy import outreach_access as access
from peerlight.advocacy.models import Campaign, TestimonyOffer, TestimonyPacket
from peerlight.advocacy.outreach import OutreachError, require_coordinator, story_part
from peerlight.advocacy.outreach_models import NOTE_MAX, SUBJECT_MAX
from peerlight.audit.actions import record_change
from peerlight.stories import access as stories
from peerlight.stories.markdown import render as render_markdown

Status = TestimonyOffer.Status
# Offers a coordinator may still decide on (a withdrawn one is the member's to renew).
DECIDABLE = (Status.OFFERED, Status.INCLUDED, Status.NOT_USED)


# --- Members --------------------------------------------------------------------------


def offer_testimony(
    member: User,
    campaign: Campaign,
    *,
    story_public_id: str,
    note: str,
    willing_to_speak: bool,
) -> TestimonyOffer:
    """Offer one of the member's own stories for the campaign's hearings.

    A story offered before and withdrawn is offered again; one already on
    offer is refused.
    """
    if not access.is_active(campaign):
        raise OutreachError(_("This campaign is not gathering testimony at the moment."))
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise OutreachError(_("Please keep the note under 500 characters."))
    mine = {item.story.public_id: item for item in access.stories_to_offer(member, campaign)}
    readable = mine.get(story_public_id)
    if readable is None:
        raise OutreachError(_("Please choose one of your own stories shared for this campaign."))
    story = readable.story
    try:
        with transaction.atomic():
            offer = (
                TestimonyOffer.objects.select_for_update()
                .filter(campaign=campaign, story=story)
                .first()
            )
            if offer is not None and offer.status != Status.WITHDRAWN:
                raise OutreachError(_("You have already offered this story for this campaign."))
            if offer is None:
                offer = TestimonyOffer.objects.create(
                    campaign=campaign,
                    story=story,
                    member=member,
                    note=note,
                    willing_to_speak=willing_to_speak,
                )
            else:
                offer.note, offer.willing_to_speak = note, willing_to_speak
                offer.status, offer.created_at = Status.OFFERED, timezone.now()
                offer.save(update_fields=["note", "willing_to_speak", "status", "created_at"])
            record_change(member, "advocacy.testimony.offer", offer, subject=member)
    except IntegrityError:
        # The same story offered twice at the same instant: the other one won.
        raise OutreachError(_("You have already offered this story for this campaign.")) from None
    return offer


def withdraw_offer(member: User, offer: TestimonyOffer) -> TestimonyOffer:
    """Take an offer back; packets not yet delivered that hold it are flagged for rebuilding."""
    with transaction.atomic():
        offer = TestimonyOffer.objects.select_for_update().get(pk=offer.pk)
        if offer.member_id != member.pk:
            raise PermissionDenied
        if offer.status == Status.WITHDRAWN:
            raise OutreachError(_("You have already withdrawn this offer."))
        offer.status = Status.WITHDRAWN
        offer.save(update_fields=["status"])
        offer.packets.filter(delivered_at__isnull=True, flagged_at__isnull=True).update(
            flagged_at=timezone.now()
        )
        record_change(member, "advocacy.testimony.withdraw", offer, subject=member)
    return offer


# --- Coordinators ---------------------------------------------------------------------


def decide_offer(actor: User, offer: TestimonyOffer, *, include: bool) -> TestimonyOffer:
    """Include an offer in the next packet, or leave it out this time."""
    require_coordinator(actor)
    with transaction.atomic():
        offer = TestimonyOffer.objects.select_for_update().get(pk=offer.pk)
        if offer.status not in DECIDABLE:
            raise OutreachError(_("This offer was withdrawn by its author."))
        if include and stories.story_for_campaign(offer.story_id, offer.campaign_id) is None:
            raise OutreachError(
                _("This story's consent no longer covers this campaign, so it cannot be included.")
            )
        offer.status = Status.INCLUDED if include else Status.NOT_USED
        offer.save(update_fields=["status"])
        verb = "advocacy.testimony.include" if include else "advocacy.testimony.not_use"
        record_change(actor, verb, offer, subject=offer.member)
    return offer


def _render_packet(
    campaign: Campaign,
    hearing: str,
    hearing_on: datetime.date | None,
    parts: list[assembly.StoryPart],
) -> str:
    context = {
        "campaign": campaign,
        "hearing": hearing,
        "hearing_on": hearing_on,
        "site_name": settings.PEERLIGHT_SITE_NAME,
        "stories": [{"part": part, "html": render_markdown(part.body)} for part in parts],
    }
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("advocacy/outreach/testimony_packet.html", context).strip()


def build_packet(
    actor: User, campaign: Campaign, *, hearing: str, hearing_on: datetime.date | None
) -> tuple[TestimonyPacket, int]:
    """Build and archive a packet of the included offers; return it and how many were left out.

    Each story's consent is checked now: one that no longer covers the
    campaign is left out (and counted), never printed.
    """
    require_coordinator(actor)
    hearing = hearing.strip()
    if not hearing or len(hearing) > SUBJECT_MAX:
        raise OutreachError(_("Please name the hearing (up to 200 characters)."))
    with transaction.atomic():
        included = list(
            TestimonyOffer.objects.select_for_update()
            .filter(campaign=campaign, status=Status.INCLUDED)
            .order_by("created_at", "pk")
        )
        kept, parts = [], []
        for offer in included:
            readable = stories.story_for_campaign(offer.story_id, campaign.pk)
            if readable is not None:
                kept.append(offer)
                # In the language of the packet, not of the coordinator's page.
                with translation.override(settings.LANGUAGE_CODE):
                    parts.append(story_part(readable))
        if not kept:
            raise OutreachError(
                _("No included story may be used for this campaign now. Include one first.")
            )
        content = _render_packet(campaign, hearing, hearing_on, parts)
        packet = TestimonyPacket.objects.create(
            campaign=campaign,
            hearing=hearing,
            hearing_on=hearing_on,
            content=content,
            content_sha256=assembly.sha256_hex(content),
            story_ids=[part.story_id for part in parts],
            built_by=actor,
        )
        packet.offers.set(kept)
        record_change(actor, "advocacy.testimony_packet.build", packet)
    return packet, len(included) - len(kept)


def mark_packet_delivered(actor: User, packet: TestimonyPacket) -> TestimonyPacket:
    """Record that the packet was handed in (once)."""
    require_coordinator(actor)
    with transaction.atomic():
        packet = TestimonyPacket.objects.select_for_update().get(pk=packet.pk)
        if packet.delivered_at is not None:
            raise OutreachError(_("This packet is already marked as delivered."))
        packet.delivered_at = timezone.now()
        packet.save(update_fields=["delivered_at"])
        record_change(actor, "advocacy.testimony_packet.deliver", packet)
    return packet
