"""Advocacy follows a story whose use changed (``stories.signals.story_use_changed``).

The signal comes inside the transaction that changed the story's consent (or
withdrew or unpublished it), and everything here happens in that same
transaction, audited:

- every delivered evidence brief that contained the story (``BriefStory``),
  and every letter delivery and testimony packet whose ``story_ids`` hold
  it, is flagged for the coordinators to follow up (the archive itself is
  left exactly as it was sent);
- open testimony offers of the story are withdrawn, and letters not yet
  delivered let go of it, when its consent no longer covers their campaign.

Pages read stories through ``stories.access`` at the moment they render, so
the public brief, letters and packets built later leave the story out by
themselves. Coordinators see the flagged items on a campaign's brief page
and mark them handled (``mark_handled``), which clears the flag; the audit
log keeps both steps.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.advocacy.models import (
    BriefStory,
    Campaign,
    EvidenceBrief,
    Letter,
    LetterDelivery,
    TestimonyOffer,
    TestimonyPacket,
)
from peerlight.audit.actions import record_change
from peerlight.stories.access import story_for_campaign
from peerlight.stories.models import Story
from peerlight.stories.signals import story_use_changed

__all__ = [
    "FLAG_KINDS",
    "FlaggedItem",
    "FollowUp",
    "connect",
    "flagged_items",
    "follow_story_change",
    "mark_handled",
]

REASONS = ("consent_changed", "consent_withdrawn", "story_withdrawn", "unpublished")
BRIEF, LETTERS, TESTIMONY = "brief", "letters", "testimony"
FLAG_KINDS = (BRIEF, LETTERS, TESTIMONY)
FLAG_REASON_MAX = 200


def connect() -> None:
    """Connect the receiver (``AdvocacyConfig.ready``)."""
    story_use_changed.connect(
        _on_story_use_changed, dispatch_uid="peerlight.advocacy.story_changes"
    )


def _on_story_use_changed(sender: Any, *, story: Story, actor: User | None, **kwargs: Any) -> None:
    follow_story_change(story, actor, str(kwargs.get("reason", "")))


@dataclass(frozen=True)
class FollowUp:
    """What one change of a story did in advocacy (ids)."""

    briefs: tuple[int, ...] = ()
    letter_deliveries: tuple[int, ...] = ()
    testimony_packets: tuple[int, ...] = ()
    withdrawn_offers: tuple[int, ...] = ()
    unlinked_letters: tuple[int, ...] = ()


def _holds_story(story_ids: object, story: Story) -> bool:
    return isinstance(story_ids, list) and str(story.pk) in {str(value) for value in story_ids}


def _with_reason(current: str, note: str) -> str:
    if note in current.split("; "):
        return current
    joined = f"{current}; {note}" if current else note
    return joined if len(joined) <= FLAG_REASON_MAX else current


def _flag_briefs(story: Story, actor: User | None, code: str, now: datetime.datetime) -> list[int]:
    delivered = EvidenceBrief.objects.select_for_update().filter(
        pk__in=BriefStory.objects.filter(story=story).values("brief_id"),
        delivered_at__isnull=False,
    )
    flagged = []
    for brief in delivered.order_by("pk"):
        brief.flagged_at = brief.flagged_at or now
        brief.flag_reason = _with_reason(brief.flag_reason, f"story {story.pk}: {code}")
        brief.save(update_fields=["flagged_at", "flag_reason"])
        record_change(actor, "advocacy.brief.flag", brief, reason=code, subject=story.author)
        flagged.append(int(brief.pk))
    return flagged


def _flag_archives(
    model: type[LetterDelivery] | type[TestimonyPacket],
    verb: str,
    story: Story,
    actor: User | None,
    code: str,
    now: datetime.datetime,
) -> list[int]:
    # ``story_ids`` is a JSON list, and SQLite has no JSON containment
    # lookup: the ids are read and compared here. Deliveries and packets
    # number in the hundreds, not millions.
    ids = [
        int(pk)
        for pk, story_ids in model.objects.values_list("pk", "story_ids").iterator()
        if _holds_story(story_ids, story)
    ]
    for row in model.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if row.flagged_at is None:
            row.flagged_at = now
            row.save(update_fields=["flagged_at"])
        record_change(actor, verb, row, reason=code, subject=story.author)
    return ids


def _release_open_uses(story: Story, actor: User | None) -> tuple[list[int], list[int]]:
    """Withdraw open offers and unlink undelivered letters the story's consent no longer covers."""
    withdrawn = []
    offers = TestimonyOffer.objects.select_for_update().filter(
        story=story, status=TestimonyOffer.Status.OFFERED
    )
    for offer in offers.order_by("pk"):
        if story_for_campaign(story.pk, offer.campaign_id) is None:
            offer.status = TestimonyOffer.Status.WITHDRAWN
            offer.save(update_fields=["status"])
            record_change(actor, "advocacy.testimony.withdraw", offer, subject=offer.member)
            withdrawn.append(int(offer.pk))
    unlinked = []
    letters = (
        Letter.objects.select_for_update(of=("self",))
        .select_related("action")
        .filter(story=story, status__in=[Letter.Status.DRAFT, Letter.Status.READY])
    )
    for letter in letters.order_by("pk"):
        if story_for_campaign(story.pk, letter.action.campaign_id) is None:
            letter.story = None
            letter.save(update_fields=["story"])
            record_change(actor, "advocacy.letter.unlink_story", letter, subject=letter.writer)
            unlinked.append(int(letter.pk))
    return withdrawn, unlinked


def follow_story_change(story: Story, actor: User | None, reason: str) -> FollowUp:
    """Flag what went out with ``story`` and let go of it where its consent no longer holds.

    Runs inside the caller's transaction (a savepoint of it), so the flags
    commit or roll back with the change of the story.
    """
    code = reason if reason in REASONS else "changed"
    now = timezone.now()
    with transaction.atomic():
        briefs = _flag_briefs(story, actor, code, now)
        deliveries = _flag_archives(
            LetterDelivery, "advocacy.letter_delivery.flag", story, actor, code, now
        )
        packets = _flag_archives(
            TestimonyPacket, "advocacy.testimony_packet.flag", story, actor, code, now
        )
        withdrawn, unlinked = _release_open_uses(story, actor)
    return FollowUp(
        briefs=tuple(briefs),
        letter_deliveries=tuple(deliveries),
        testimony_packets=tuple(packets),
        withdrawn_offers=tuple(withdrawn),
        unlinked_letters=tuple(unlinked),
    )


# --- What the coordinators see ---------------------------------------------------------


@dataclass(frozen=True)
class FlaggedItem:
    """Something delivered with a story whose use changed since, to follow up."""

    kind: str
    item_id: int
    description: str
    flagged_at: datetime.datetime
    reasons: tuple[str, ...]


def _reason_words(code: str) -> str:
    words = {
        "consent_changed": _("the writer changed their consent"),
        "consent_withdrawn": _("the writer withdrew their consent"),
        "story_withdrawn": _("the story was withdrawn"),
        "unpublished": _("the story was taken down"),
    }
    return words.get(code, _("the story changed"))


def _brief_reasons(flag_reason: str) -> tuple[str, ...]:
    found = []
    for note in filter(None, flag_reason.split("; ")):
        story, _sep, code = note.partition(": ")
        number = story.removeprefix("story ")
        found.append(
            _("Story %(number)s: %(reason)s.") % {"number": number, "reason": _reason_words(code)}
        )
    return tuple(found)


def _day(moment: datetime.datetime | None) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT") if moment else ""


def flagged_items(campaign: Campaign) -> list[FlaggedItem]:
    """The campaign's flagged briefs, letter deliveries and testimony packets, oldest first."""
    general = (_("A story in it changed its consent, or was withdrawn."),)
    items = [
        FlaggedItem(
            BRIEF,
            int(brief.pk),
            _("Evidence brief version %(version)d, delivered on %(day)s")
            % {"version": brief.version, "day": _day(brief.delivered_at)},
            brief.flagged_at,
            _brief_reasons(brief.flag_reason) or general,
        )
        for brief in EvidenceBrief.objects.filter(campaign=campaign, flagged_at__isnull=False)
        .defer("html")
        .order_by("flagged_at", "pk")
        if brief.flagged_at is not None
    ]
    items += [
        FlaggedItem(
            LETTERS,
            int(delivery.pk),
            _("Letters delivered to %(target)s on %(day)s")
            % {"target": delivery.target.name, "day": _day(delivery.delivered_at)},
            delivery.flagged_at,
            general,
        )
        for delivery in LetterDelivery.objects.filter(
            action__campaign=campaign, flagged_at__isnull=False
        )
        .select_related("target")
        .defer("content")
        .order_by("flagged_at", "pk")
        if delivery.flagged_at is not None
    ]
    items += [
        FlaggedItem(
            TESTIMONY,
            int(packet.pk),
            _("Testimony for %(hearing)s") % {"hearing": packet.hearing},
            packet.flagged_at,
            general,
        )
        for packet in TestimonyPacket.objects.filter(campaign=campaign, flagged_at__isnull=False)
        .defer("content")
        .order_by("flagged_at", "pk")
        if packet.flagged_at is not None
    ]
    return sorted(items, key=lambda item: item.flagged_at)


def mark_handled(actor: User, campaign: Campaign, kind: str, item_id: int) -> bool:
    """Clear the flag of one of the campaign's items; False when there is no such flagged item."""
    with transaction.atomic():
        if kind == BRIEF:
            brief = (
                EvidenceBrief.objects.select_for_update()
                .filter(pk=item_id, campaign=campaign, flagged_at__isnull=False)
                .first()
            )
            if brief is None:
                return False
            brief.flagged_at = None
            brief.flag_reason = ""
            brief.save(update_fields=["flagged_at", "flag_reason"])
            record_change(actor, "advocacy.brief.flag_handled", brief)
            return True
        if kind == LETTERS:
            row: LetterDelivery | TestimonyPacket | None = (
                LetterDelivery.objects.select_for_update()
                .filter(pk=item_id, action__campaign=campaign, flagged_at__isnull=False)
                .first()
            )
            verb = "advocacy.letter_delivery.flag_handled"
        elif kind == TESTIMONY:
            row = (
                TestimonyPacket.objects.select_for_update()
                .filter(pk=item_id, campaign=campaign, flagged_at__isnull=False)
                .first()
            )
            verb = "advocacy.testimony_packet.flag_handled"
        else:
            return False
        if row is None:
            return False
        row.flagged_at = None
        row.save(update_fields=["flagged_at"])
        record_change(actor, verb, row)
        return True
