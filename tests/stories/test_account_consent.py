"""The account-wide "use of my stories in advocacy" consent overrides each story's own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts import consent
from peerlight.accounts.models import ConsentPurpose, User
from peerlight.advocacy import briefs
from peerlight.advocacy.models import EvidenceBrief
from peerlight.stories import access
from tests.advocacy.factories import make_campaign, make_target
from tests.stories.factories import make_story

pytestmark = pytest.mark.django_db

# Two entries of the evidence library to cite.
PICK = ["smit-2023", "white-2020"]


def grant_advocacy(user: User) -> None:
    document = consent.current_document(ConsentPurpose.STORY_ADVOCACY, "en")
    assert document is not None
    consent.grant(user, document)


def test_a_story_with_its_own_consent_is_used_when_the_account_never_answered(
    member: User,
) -> None:
    campaign = make_campaign()
    story = make_story(member)
    assert [item.story for item in access.stories_for_campaign(campaign.pk)] == [story]
    assert access.story_for_campaign(story.pk, campaign.pk) is not None


def test_withdrawing_the_account_consent_takes_every_story_out_of_campaigns(
    member: User, other_member: User
) -> None:
    campaign = make_campaign()
    first = make_story(member, title="First")
    second = make_story(member, title="Second")
    someone_else = make_story(other_member, title="Someone else's")
    grant_advocacy(member)
    assert {item.story for item in access.stories_for_campaign(campaign.pk)} == {
        first,
        second,
        someone_else,
    }

    consent.withdraw(member, ConsentPurpose.STORY_ADVOCACY)

    assert [item.story for item in access.stories_for_campaign(campaign.pk)] == [someone_else]
    assert access.story_for_campaign(first.pk, campaign.pk) is None
    # Readers still see the stories: only their use in campaigns ended.
    assert access.readable_story(other_member, first.public_id) is not None


def test_granting_again_brings_the_stories_back(member: User) -> None:
    campaign = make_campaign()
    story = make_story(member)
    grant_advocacy(member)
    consent.withdraw(member, ConsentPurpose.STORY_ADVOCACY)
    assert access.story_for_campaign(story.pk, campaign.pk) is None
    grant_advocacy(member)
    assert access.story_for_campaign(story.pk, campaign.pk) is not None


def test_the_withdrawal_flags_a_delivered_brief_and_empties_the_public_one(
    member: User, coordinator: User
) -> None:
    target = make_target()
    campaign = make_campaign(tags=["loneliness"], targets=[target])
    make_story(member, title="The winter I found my people", tags=["loneliness"])
    grant_advocacy(member)
    page = reverse("advocacy:brief", args=[campaign.slug])
    assert "The winter I found my people" in Client().get(page).content.decode()
    version = briefs.build_version(coordinator, campaign, PICK)
    sent = briefs.deliver_version(coordinator, version, [target], briefs.HAND)

    consent.withdraw(member, ConsentPurpose.STORY_ADVOCACY)

    assert "The winter I found my people" not in Client().get(page).content.decode()
    sent = EvidenceBrief.objects.get(pk=sent.pk)
    assert sent.flagged_at is not None
    assert "consent_withdrawn" in sent.flag_reason


def test_withdrawing_the_research_consent_changes_nothing_for_stories(member: User) -> None:
    campaign = make_campaign()
    story = make_story(member)
    document = consent.current_document(ConsentPurpose.RESEARCH, "en")
    assert document is not None
    consent.grant(member, document)
    consent.withdraw(member, ConsentPurpose.RESEARCH)
    assert access.story_for_campaign(story.pk, campaign.pk) is not None
