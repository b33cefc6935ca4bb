"""Consent-checked reads: who may read a story, and which campaigns may use it, right now."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.stories import access
from peerlight.stories.models import Story, StoryConsent
from tests.advocacy.factories import make_campaign
from tests.conftest import make_user
from tests.stories.factories import give_consent, make_story

pytestmark = pytest.mark.django_db

Status = Story.Status
Audience = StoryConsent.Audience
Attribution = StoryConsent.Attribution
Advocacy = StoryConsent.Advocacy
VISITOR = AnonymousUser()
TODAY = datetime.date(2026, 6, 1)


def readable_ids(viewer: User | AnonymousUser) -> set[int]:
    return {item.story.pk for item in access.readable_stories(viewer)}


def test_public_stories_are_for_everyone_members_only_for_people_signed_in(
    member: User, other_member: User
) -> None:
    public = make_story(member, audience=Audience.PUBLIC)
    members = make_story(member, audience=Audience.MEMBERS)
    assert readable_ids(VISITOR) == {public.pk}
    assert readable_ids(other_member) == {public.pk, members.pk}
    assert access.readable_story(VISITOR, members.public_id) is None
    found = access.readable_story(other_member, members.public_id)
    assert found is not None
    assert found.story == members


def test_a_deactivated_account_reads_like_a_visitor(member: User, other_member: User) -> None:
    members = make_story(member, audience=Audience.MEMBERS)
    other_member.is_active = False
    other_member.save()
    assert access.readable_story(other_member, members.public_id) is None
    assert readable_ids(other_member) == set()


@pytest.mark.parametrize(
    "status",
    [Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.WITHDRAWN],
)
def test_only_published_stories_are_read(member: User, other_member: User, status: str) -> None:
    story = make_story(member, status=status)
    # Even with a published version left from before, a story moved on is not read.
    Story.objects.filter(pk=story.pk).update(published_version=story.latest_version)
    assert readable_ids(other_member) == set()
    assert access.readable_story(other_member, story.public_id) is None


def test_a_story_held_for_safety_is_never_read(member: User, other_member: User) -> None:
    story = make_story(member)
    Story.objects.filter(pk=story.pk).update(held_for_safety=True)
    assert access.readable_story(other_member, story.public_id) is None
    assert readable_ids(other_member) == set()


def test_without_consent_in_force_a_story_is_not_read(member: User, other_member: User) -> None:
    never = make_story(member, consent=False)
    withdrawn = make_story(member)
    give_consent(withdrawn, withdrawn=True)
    assert readable_ids(other_member) == set()
    assert access.readable_story(other_member, never.public_id) is None
    assert access.readable_story(other_member, withdrawn.public_id) is None
    assert access.consent_in_force(withdrawn) is None
    latest = access.latest_consent(withdrawn)
    assert latest is not None
    assert latest.withdrawn


def test_the_latest_consent_decides_not_the_first(member: User, other_member: User) -> None:
    story = make_story(member, audience=Audience.PUBLIC)
    give_consent(story, audience=Audience.MEMBERS)
    assert access.readable_story(VISITOR, story.public_id) is None
    assert readable_ids(VISITOR) == set()
    assert access.readable_story(other_member, story.public_id) is not None


def test_consent_holds_through_its_end_date_and_not_after(member: User) -> None:
    story = make_story(member, ends_on=TODAY)
    consent = access.latest_consent(story)
    assert consent is not None
    assert access.holds(consent, TODAY)
    assert not access.holds(consent, TODAY + datetime.timedelta(days=1))
    assert access.consent_in_force(story, TODAY) == consent
    assert access.consent_in_force(story, TODAY + datetime.timedelta(days=1)) is None


def test_an_ended_consent_hides_the_story_today(member: User, other_member: User) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    story = make_story(member, ends_on=yesterday)
    assert readable_ids(other_member) == set()
    assert access.readable_story(other_member, story.public_id) is None


@pytest.mark.parametrize(
    ("attribution", "other_name", "byline"),
    [
        (Attribution.DISPLAY_NAME, "", "River"),
        (Attribution.OTHER_NAME, "Winter Bird", "Winter Bird"),
        (Attribution.OTHER_NAME, "", "Anonymous"),
        (Attribution.ANONYMOUS, "Winter Bird", "Anonymous"),
    ],
)
def test_the_byline_follows_the_consent(
    member: User, attribution: str, other_name: str, byline: str
) -> None:
    story = make_story(member, attribution=attribution, other_name=other_name)
    found = access.readable_story(VISITOR, story.public_id)
    assert found is not None
    assert found.byline == byline
    assert [item.byline for item in access.readable_stories(VISITOR)] == [byline]


def test_readers_see_the_published_version_not_a_newer_draft(member: User) -> None:
    story = make_story(member, title="The first words")
    newer = story.versions.create(number=2, title="Newer words", body="Not reviewed yet.")
    Story.objects.filter(pk=story.pk).update(latest_version=newer)
    found = access.readable_story(VISITOR, story.public_id)
    assert found is not None
    assert found.version.title == "The first words"


def test_campaigns_use_stories_only_as_their_consent_allows(member: User) -> None:
    campaign = make_campaign()
    other = make_campaign()
    anywhere = make_story(member, advocacy=Advocacy.ANY)
    chosen = make_story(member, advocacy=Advocacy.CHOSEN, campaign_ids=[campaign.pk])
    nowhere = make_story(member, advocacy=Advocacy.NONE)
    assert {item.story for item in access.stories_for_campaign(campaign.pk)} == {anywhere, chosen}
    assert {item.story for item in access.stories_for_campaign(other.pk)} == {anywhere}
    assert access.story_for_campaign(chosen.pk, campaign.pk) is not None
    assert access.story_for_campaign(chosen.pk, other.pk) is None
    assert access.story_for_campaign(nowhere.pk, campaign.pk) is None
    assert access.story_for_campaign(999999, campaign.pk) is None


def test_a_withdrawn_consent_leaves_every_campaign(member: User) -> None:
    campaign = make_campaign()
    story = make_story(member, advocacy=Advocacy.ANY)
    give_consent(story, withdrawn=True)
    assert access.stories_for_campaign(campaign.pk) == []
    assert access.story_for_campaign(story.pk, campaign.pk) is None
    assert access.own_stories_for_campaign(member, campaign.pk) == []


def test_stories_sharing_most_tags_come_first(member: User) -> None:
    campaign = make_campaign()
    one = make_story(member, tags=["loneliness"])
    two = make_story(member, tags=["loneliness", "depression"])
    make_story(member, tags=["grief"])
    found = access.stories_for_campaign(campaign.pk, tags=["loneliness", "depression"])
    assert [item.story for item in found] == [two, one]
    limited = access.stories_for_campaign(campaign.pk, tags=["loneliness"], limit=1)
    assert len(limited) == 1


def test_own_stories_are_the_authors_alone(member: User, other_member: User) -> None:
    story = make_story(member, status=Status.DRAFT)
    assert access.own_story(member, story.public_id) == story
    assert access.own_story(other_member, story.public_id) is None
    assert access.own_story(member, "no-such-story") is None
    assert list(access.own_stories(other_member)) == []


def test_own_stories_for_a_campaign_are_the_authors_published_consented_ones(
    member: User, other_member: User
) -> None:
    campaign = make_campaign()
    mine = make_story(member)
    make_story(member, status=Status.DRAFT)
    make_story(other_member)
    assert [item.story for item in access.own_stories_for_campaign(member, campaign.pk)] == [mine]


def test_the_reading_list_costs_the_same_few_queries_however_many_stories(member: User) -> None:
    for number in range(3):
        make_story(make_user(f"Writer {number}"))
    with CaptureQueriesContext(connection) as few:
        assert len(access.readable_stories(VISITOR)) == 3
    for number in range(3, 9):
        make_story(make_user(f"Writer {number}"))
    with CaptureQueriesContext(connection) as many:
        assert len(access.readable_stories(VISITOR)) == 9
    assert len(many.captured_queries) == len(few.captured_queries) <= 2


def test_is_coordinator_needs_the_role_and_an_open_account(
    member: User, coordinator: User
) -> None:
    assert access.is_coordinator(coordinator)
    assert not access.is_coordinator(member)
    assert not access.is_coordinator(VISITOR)
    coordinator.is_active = False
    assert not access.is_coordinator(coordinator)
