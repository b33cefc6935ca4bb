"""Reads for letters, calls and testimony, with who may see what.

A campaign being prepared (a draft) is there only for coordinators past
their second factor; for everyone else it is not there at all (404), like a
campaign that does not exist. A member sees their own letters and offers;
anything of someone else's is a 404 as well. Target counts and tallies are
public; who wrote, called or offered is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest

from peerlight.accounts.models import User
from peerlight.advocacy import letters as assembly

# Campaigns are read as every advocacy page reads them (drafts only for
# coordinators past their second factor).
from peerlight.advocacy.models import (
    CallAction,
    CallRecord,
    Campaign,
    Letter,
    LetterAction,
    LetterDelivery,
    Target,
    TestimonyOffer,
    TestimonyPacket,
)
from peerlight.audit.models import AuditEntry
from peerlight.stories import access as stories
from peerlight.stories.access import Readable
from peerlight.stories.markdown import render as render_markdown
from peerlight.stories.models import Story


def signed_in(request: HttpRequest) -> User | None:
    """The person of ``request``, or None for a visitor."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated and user.is_active else None


def is_coordinator(user: User | None) -> bool:
    return user is not None and stories.is_coordinator(user)


def is_active(campaign: Campaign) -> bool:
    return campaign.status == Campaign.Status.ACTIVE


def active_targets(campaign: Campaign) -> QuerySet[Target]:
    return campaign.targets.filter(is_active=True).order_by("name", "pk")


def district_table(campaign: Campaign) -> list[tuple[str, list[str]]]:
    """(district, ZIP codes) of the campaign's targets, in a fixed order."""
    return [
        (target.district, list(target.district_zip_codes or []))
        for target in active_targets(campaign)
        if target.district
    ]


# --- Letters ---------------------------------------------------------------------------


def letter_action_of(campaign: Campaign) -> LetterAction | None:
    return LetterAction.objects.filter(campaign=campaign).first()


def taking_letters(campaign: Campaign, action: LetterAction | None) -> bool:
    return action is not None and action.is_open and is_active(campaign)


def stories_to_offer(user: User, campaign: Campaign) -> list[Readable]:
    """The person's own published stories whose consent allows this campaign now."""
    return stories.own_stories_for_campaign(user, campaign.pk)


@dataclass(frozen=True)
class MyLetter:
    """One of the person's letters on their letter page."""

    letter: Letter
    story_title: str
    # The story cannot go (any more): its consent does not cover the campaign.
    story_left_out: bool
    # The story was taken off the letter when its consent changed (its title
    # is no longer known to the letter).
    story_taken_off: bool = False


def _story_titles(story_ids: set[int]) -> dict[int, str]:
    """Titles of the writer's own stories, as they last wrote them."""
    rows = Story.objects.select_related("published_version", "latest_version").in_bulk(story_ids)
    titles = {}
    for pk, story in rows.items():
        version = story.published_version or story.latest_version
        titles[pk] = version.title if version is not None else ""
    return titles


def letters_of(writer: User, action: LetterAction) -> list[MyLetter]:
    """The person's letters of ``action``, newest first, with what became of their story.

    A delivered letter's story was left out when no delivery carried it; a
    waiting letter's story will be left out if its consent no longer covers
    the campaign now.
    """
    rows = list(
        Letter.objects.filter(action=action, writer=writer)
        .prefetch_related("deliveries")
        .order_by("-created_at", "-pk")
    )
    titles = _story_titles({row.story_id for row in rows if row.story_id is not None})
    taken_off = _stories_taken_off([row.pk for row in rows])
    found = []
    for letter in rows:
        left_out = False
        if letter.story_id is not None:
            if letter.status == Letter.Status.DELIVERED:
                carried = {
                    story_id
                    for delivery in letter.deliveries.all()
                    for story_id in delivery.story_ids
                }
                left_out = letter.story_id not in carried
            elif letter.status == Letter.Status.READY:
                left_out = stories.story_for_campaign(letter.story_id, action.campaign_id) is None
        title = titles.get(letter.story_id or 0, "")
        found.append(MyLetter(letter, title, left_out, letter.pk in taken_off))
    return found


# Written by ``advocacy.story_changes`` when a story's consent stopped
# covering the campaign of a letter not yet delivered, which then lets go
# of the story. The audit entry is the only trace left of the link, and the
# writer is owed the news that their story will not go.
STORY_TAKEN_OFF_VERB = "advocacy.letter.unlink_story"


def _stories_taken_off(letter_ids: list[int]) -> set[int]:
    """Which of ``letter_ids`` had their story taken off, in one query."""
    if not letter_ids:
        return set()
    found = AuditEntry.objects.filter(
        verb=STORY_TAKEN_OFF_VERB,
        target_type=Letter._meta.label_lower,
        target_id__in=[str(pk) for pk in letter_ids],
    ).values_list("target_id", flat=True)
    return {int(pk) for pk in found}


def own_letter(writer: User, action: LetterAction, letter_id: int) -> Letter:
    """The person's own letter; 404 for someone else's and for none at all."""
    letter = Letter.objects.filter(pk=letter_id, action=action, writer=writer).first()
    if letter is None:
        raise Http404
    return letter


def waiting_letters(action: LetterAction) -> QuerySet[Letter]:
    return Letter.objects.filter(action=action, status=Letter.Status.READY).order_by(
        "created_at", "pk"
    )


def waiting_counts(action: LetterAction) -> tuple[assembly.DistrictCount, ...]:
    """Letters waiting for delivery, counted by district (never who wrote them)."""
    return assembly.counts_by_district(waiting_letters(action).values_list("district", flat=True))


def letters_sent_count(action: LetterAction) -> int:
    """Letters written and not withdrawn: the figure shown on the campaign."""
    return (
        Letter.objects.filter(action=action)
        .exclude(status__in=[Letter.Status.WITHDRAWN, Letter.Status.DRAFT])
        .count()
    )


def deliveries_of(action: LetterAction) -> QuerySet[LetterDelivery]:
    return (
        LetterDelivery.objects.filter(action=action)
        .select_related("target")
        .annotate(letter_count=Count("letters"))
        .order_by("-delivered_at", "-pk")
    )


def delivery_of(action: LetterAction, delivery_id: int) -> LetterDelivery:
    delivery = (
        LetterDelivery.objects.select_related("target")
        .filter(pk=delivery_id, action=action)
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


# --- Calls -----------------------------------------------------------------------------


def call_action_of(campaign: Campaign) -> CallAction | None:
    return CallAction.objects.filter(campaign=campaign).first()


def taking_calls(campaign: Campaign, action: CallAction | None) -> bool:
    return action is not None and action.is_open and is_active(campaign)


@dataclass(frozen=True)
class CallLine:
    """A target on the call page: who, their number, and the calls made to them."""

    target: Target
    calls: int


def call_lines(action: CallAction) -> list[CallLine]:
    """The campaign's active targets with their tallies, in one query for the counts."""
    targets = list(active_targets(action.campaign))
    tallies = dict(
        CallRecord.objects.filter(action=action)
        .values_list("target_id")
        .annotate(n=Count("pk"))
        .values_list("target_id", "n")
    )
    return [CallLine(target, tallies.get(target.pk, 0)) for target in targets]


def call_total(action: CallAction) -> int:
    return CallRecord.objects.filter(action=action).count()


def callable_target(action: CallAction, target_id: int) -> Target | None:
    """One of the campaign's active targets with a phone number, or None."""
    return active_targets(action.campaign).exclude(phone="").filter(pk=target_id).first()


# --- Testimony -------------------------------------------------------------------------


def offers_of(member: User, campaign: Campaign) -> QuerySet[TestimonyOffer]:
    return (
        TestimonyOffer.objects.filter(campaign=campaign, member=member)
        .select_related("story__published_version")
        .order_by("-created_at", "-pk")
    )


def own_offer(member: User, campaign: Campaign, offer_id: int) -> TestimonyOffer:
    offer = TestimonyOffer.objects.filter(pk=offer_id, campaign=campaign, member=member).first()
    if offer is None:
        raise Http404
    return offer


@dataclass(frozen=True)
class OfferLine:
    """An offer as a coordinator sees it, with the story as its consent allows now."""

    offer: TestimonyOffer
    # None when the story may no longer be used for this campaign.
    readable: Readable | None
    # The story's text through the stories' sanitiser ("" without ``readable``).
    html: str = ""


def offers_for_staff(campaign: Campaign) -> list[OfferLine]:
    """Every offer of the campaign except withdrawn ones, oldest first."""
    rows = (
        TestimonyOffer.objects.filter(campaign=campaign)
        .exclude(status=TestimonyOffer.Status.WITHDRAWN)
        .select_related("member")
        .order_by("created_at", "pk")
    )
    # One read of every story the campaign may use, rather than one per offer.
    usable = {item.story.pk: item for item in stories.stories_for_campaign(campaign.pk)}
    lines = []
    for row in rows:
        readable = usable.get(row.story_id)
        html = render_markdown(readable.version.body) if readable is not None else ""
        lines.append(OfferLine(row, readable, html))
    return lines


def offer_for_staff(campaign: Campaign, offer_id: int) -> TestimonyOffer:
    offer = (
        TestimonyOffer.objects.filter(pk=offer_id, campaign=campaign)
        .exclude(status=TestimonyOffer.Status.WITHDRAWN)
        .first()
    )
    if offer is None:
        raise Http404
    return offer


def packets_of(campaign: Campaign) -> QuerySet[TestimonyPacket]:
    return TestimonyPacket.objects.filter(campaign=campaign).order_by("-built_at", "-pk")


def packet_of(campaign: Campaign, packet_id: int) -> TestimonyPacket:
    packet = TestimonyPacket.objects.filter(pk=packet_id, campaign=campaign).first()
    if packet is None:
        raise Http404
    return packet
