"""The consent follow-up: what advocacy does when a story's use changes."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.advocacy import briefs, story_changes
from peerlight.advocacy.models import (
    Campaign,
    EvidenceBrief,
    Letter,
    LetterDelivery,
    Target,
)
from peerlight.advocacy.models import TestimonyOffer as Offer
from peerlight.advocacy.models import TestimonyPacket as Packet
from peerlight.audit.models import AuditEntry
from peerlight.stories import actions as story_actions
from peerlight.stories.models import Story, StoryConsent
from peerlight.stories.signals import story_use_changed
from tests.advocacy.brief_factories import (
    make_letter,
    make_letter_delivery,
    make_offer,
    make_packet,
)
from tests.advocacy.factories import make_campaign, make_target
from tests.stories.factories import give_consent, make_story

PICK = ["smit-2023", "white-2020"]


@pytest.fixture
def target(db: None) -> Target:
    return make_target()


@pytest.fixture
def campaign(target: Target) -> Campaign:
    return make_campaign(tags=["loneliness"], targets=[target])


@pytest.fixture
def story(member: User) -> Story:
    return make_story(member, title="The winter I found my people")


def delivered_brief(campaign: Campaign, coordinator: User, target: Target) -> EvidenceBrief:
    version = briefs.build_version(coordinator, campaign, PICK)
    return briefs.deliver_version(coordinator, version, [target], briefs.HAND)


def changed(story: Story, actor: User, reason: str = "consent_changed") -> None:
    with transaction.atomic():
        story_use_changed.send(sender=Story, story=story, actor=actor, reason=reason)


def test_withdrawing_consent_takes_the_story_out_and_flags_what_was_sent(
    campaign: Campaign, coordinator: User, target: Target, member: User, story: Story
) -> None:
    public_page = reverse("advocacy:brief", args=[campaign.slug])
    assert "The winter I found my people" in Client().get(public_page).content.decode()
    sent = delivered_brief(campaign, coordinator, target)
    archived = EvidenceBrief.objects.values("html", "content_sha256", "story_ids").get(pk=sent.pk)

    story_actions.withdraw_consent(member, story, language="en")

    assert "The winter I found my people" not in Client().get(public_page).content.decode()
    sent.refresh_from_db()
    assert sent.flagged_at is not None
    assert sent.flag_reason == f"story {story.pk}: consent_withdrawn"
    # The archive is exactly what was sent, story and all.
    assert (
        EvidenceBrief.objects.values("html", "content_sha256", "story_ids").get(pk=sent.pk)
        == archived
    )
    assert "The winter I found my people" in archived["html"]
    entry = AuditEntry.objects.get(verb="advocacy.brief.flag")
    assert (entry.actor_id, entry.subject_id, entry.reason) == (
        member.pk,
        member.pk,
        "consent_withdrawn",
    )


def test_only_delivered_briefs_with_the_story_are_flagged(
    campaign: Campaign, coordinator: User, target: Target, member: User, story: Story
) -> None:
    sent = delivered_brief(campaign, coordinator, target)
    draft = briefs.build_version(coordinator, campaign, PICK)
    other_campaign = make_campaign(tags=["sleep"], targets=[target])
    without_story = delivered_brief(other_campaign, coordinator, target)
    changed(story, member)
    flagged = set(
        EvidenceBrief.objects.filter(flagged_at__isnull=False).values_list("pk", flat=True)
    )
    assert flagged == {sent.pk}
    assert draft.pk not in flagged
    assert without_story.pk not in flagged


def test_a_second_change_keeps_the_first_date_and_adds_its_reason(
    campaign: Campaign, coordinator: User, target: Target, member: User, story: Story
) -> None:
    sent = delivered_brief(campaign, coordinator, target)
    changed(story, member, "consent_changed")
    first = EvidenceBrief.objects.get(pk=sent.pk).flagged_at
    changed(story, member, "story_withdrawn")
    changed(story, member, "story_withdrawn")
    again = EvidenceBrief.objects.get(pk=sent.pk)
    assert again.flagged_at == first
    assert again.flag_reason == (
        f"story {story.pk}: consent_changed; story {story.pk}: story_withdrawn"
    )


def test_letter_deliveries_and_testimony_packets_with_the_story_are_flagged(
    campaign: Campaign, target: Target, member: User, story: Story
) -> None:
    other = make_story(member)
    with_story = make_letter_delivery(campaign, target, [other.pk, story.pk])
    without = make_letter_delivery(campaign, target, [other.pk])
    packet = make_packet(campaign, [story.pk])
    other_packet = make_packet(campaign, [])
    changed(story, member, "unpublished")
    assert set(
        LetterDelivery.objects.filter(flagged_at__isnull=False).values_list("pk", flat=True)
    ) == {with_story.pk}
    assert set(Packet.objects.filter(flagged_at__isnull=False).values_list("pk", flat=True)) == {
        packet.pk
    }
    assert without.pk != with_story.pk
    assert other_packet.pk != packet.pk
    verbs = sorted(AuditEntry.objects.values_list("verb", flat=True))
    assert verbs == ["advocacy.letter_delivery.flag", "advocacy.testimony_packet.flag"]


def test_open_uses_let_go_of_a_story_only_where_consent_no_longer_covers(
    campaign: Campaign, target: Target, member: User, story: Story
) -> None:
    kept_campaign = make_campaign(targets=[target])
    lost_offer = make_offer(campaign, story, member)
    kept_offer = make_offer(kept_campaign, story, member)
    included = make_offer(
        make_campaign(targets=[target]), story, member, status=Offer.Status.INCLUDED
    )
    lost_letter = make_letter(campaign, member, story=story)
    kept_letter = make_letter(kept_campaign, member, story=story)
    delivered_letter = make_letter(campaign, member, story=story, status=Letter.Status.DELIVERED)
    # The writer now allows only the other campaign.
    give_consent(story, advocacy=StoryConsent.Advocacy.CHOSEN, campaign_ids=[kept_campaign.pk])
    changed(story, member)
    statuses = dict(Offer.objects.values_list("pk", "status"))
    assert statuses[lost_offer.pk] == Offer.Status.WITHDRAWN
    assert statuses[kept_offer.pk] == Offer.Status.OFFERED
    assert statuses[included.pk] == Offer.Status.INCLUDED, "its packet is flagged instead"
    stories = dict(Letter.objects.values_list("pk", "story_id"))
    assert stories[lost_letter.pk] is None
    assert stories[kept_letter.pk] == story.pk
    assert stories[delivered_letter.pk] == story.pk, "a delivered letter is an archive"
    assert Letter.objects.get(pk=lost_letter.pk).own_words == "It matters to me."
    verbs = sorted(AuditEntry.objects.values_list("verb", flat=True))
    assert verbs == ["advocacy.letter.unlink_story", "advocacy.testimony.withdraw"]


def test_the_follow_up_rolls_back_with_the_change(
    campaign: Campaign, coordinator: User, target: Target, member: User, story: Story
) -> None:
    sent = delivered_brief(campaign, coordinator, target)
    offer = make_offer(campaign, story, member)

    def withdraw_then_fail() -> None:
        with transaction.atomic():
            give_consent(story, withdrawn=True)
            story_use_changed.send(sender=Story, story=story, actor=member, reason="x")
            raise RuntimeError("the change of the story failed")

    with pytest.raises(RuntimeError):
        withdraw_then_fail()
    assert EvidenceBrief.objects.get(pk=sent.pk).flagged_at is None
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.OFFERED
    assert not AuditEntry.objects.filter(verb="advocacy.brief.flag").exists()


# --- Following up ----------------------------------------------------------------------


def test_coordinators_see_flagged_items_and_mark_them_handled(
    campaign: Campaign, coordinator: User, target: Target, member: User, story: Story
) -> None:
    sent = delivered_brief(campaign, coordinator, target)
    delivery = make_letter_delivery(campaign, target, [story.pk])
    packet = make_packet(campaign, [story.pk])
    elsewhere = make_letter_delivery(make_campaign(targets=[target]), target, [story.pk])
    changed(story, member, "consent_withdrawn")
    items = story_changes.flagged_items(campaign)
    assert [(item.kind, item.item_id) for item in items] == [
        ("brief", sent.pk),
        ("letters", delivery.pk),
        ("testimony", packet.pk),
    ]
    assert items[0].reasons == (f"Story {story.pk}: the writer withdrew their consent.",)
    assert "Letters delivered to Sen. Alex Rivera" in items[1].description
    # Another campaign's item cannot be handled from this one.
    assert not story_changes.mark_handled(coordinator, campaign, "letters", elsewhere.pk)
    assert story_changes.mark_handled(coordinator, campaign, "brief", sent.pk)
    assert story_changes.mark_handled(coordinator, campaign, "letters", delivery.pk)
    assert story_changes.mark_handled(coordinator, campaign, "testimony", packet.pk)
    assert not story_changes.mark_handled(coordinator, campaign, "brief", sent.pk)
    assert not story_changes.mark_handled(coordinator, campaign, "poster", sent.pk)
    assert story_changes.flagged_items(campaign) == []
    assert LetterDelivery.objects.get(pk=elsewhere.pk).flagged_at is not None
    assert AuditEntry.objects.filter(verb__endswith=".flag_handled").count() == 3
