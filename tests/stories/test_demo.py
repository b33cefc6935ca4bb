"""Demo stories: made through the authors' and moderators' actions, safe to read, seeded once."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from peerlight.accounts import demo as accounts_demo
from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.stories import access, demo, moderation, safe_messaging
from peerlight.stories.models import Story, StoryConsent, StoryVersion, sha256_of

pytestmark = pytest.mark.django_db

PUBLISHED = {spec.public_id for spec in demo.DEMO_STORIES if spec.published}
WAITING = {spec.public_id for spec in demo.DEMO_STORIES if not spec.published}


@pytest.fixture
def demo_people() -> None:
    accounts_demo.seed(StringIO())


def seeded() -> str:
    out = StringIO()
    demo.seed(out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    return {
        "stories": list(Story.objects.order_by("pk").values()),
        "versions": list(StoryVersion.objects.order_by("pk").values("pk", "text_sha256")),
        "consents": list(StoryConsent.objects.order_by("pk").values("pk", "document_sha256")),
        "audit": AuditEntry.objects.count(),
    }


def test_seeding_twice_creates_nothing_the_second_time(demo_people: None) -> None:
    assert seeded() == "Stories: 6 created, 0 already there.\n"
    first = snapshot()
    assert seeded() == "Stories: 0 created, 6 already there.\n"
    assert snapshot() == first


def test_five_are_published_by_the_coordinator_and_one_waits_for_review(
    demo_people: None,
) -> None:
    seeded()
    coordinator = User.objects.get(display_name=demo.COORDINATOR)
    published = Story.objects.filter(status=Story.Status.PUBLISHED)
    assert set(published.values_list("public_id", flat=True)) == PUBLISHED
    assert len(PUBLISHED) == 5
    assert all(story.reviewer_id == coordinator.pk for story in published)
    queue = [story.public_id for story in moderation.review_queue()]
    assert queue == sorted(WAITING)
    # Every step was an action of a person, written to the audit log.
    publications = AuditEntry.objects.filter(verb="stories.story.publish")
    assert set(publications.values_list("actor_id", flat=True)) == {coordinator.pk}
    assert publications.count() == 5
    assert AuditEntry.objects.filter(verb="stories.story.submit").count() == 6
    assert AuditEntry.objects.filter(verb="stories.consent.change").count() == 6


def test_the_seeded_stories_pass_the_safe_messaging_check(demo_people: None) -> None:
    seeded()
    for story in Story.objects.select_related("author", "latest_version"):
        version = story.latest_version
        assert version is not None
        verdict = safe_messaging.check(version.title, version.body, story.author.language)
        assert verdict.outcome == "clear", story.public_id
        assert version.safety_level == "none"
        assert not story.held_for_safety


def test_they_use_the_prompts_tags_and_notes_of_the_vocabulary(demo_people: None) -> None:
    seeded()
    versions = StoryVersion.objects.all()
    assert {version.prompt for version in versions} >= {"connection", "hope", "meaning"}
    assert all(version.tags for version in versions)
    assert any(version.content_notes for version in versions)
    spanish = Story.objects.get(public_id="demo-story-3")
    assert spanish.author.language == "es"
    consent = access.consent_in_force(spanish)
    assert consent is not None
    assert consent.language == "es"


def test_consent_varies_and_carries_the_words_agreed_to(demo_people: None) -> None:
    seeded()
    consents = list(StoryConsent.objects.all())
    assert {row.audience for row in consents} == set(StoryConsent.Audience.values)
    assert {row.attribution for row in consents} == set(StoryConsent.Attribution.values)
    assert {row.advocacy for row in consents} == {
        StoryConsent.Advocacy.ANY,
        StoryConsent.Advocacy.NONE,
    }
    for row in consents:
        assert row.document
        assert row.document_sha256 == sha256_of(row.document)


def test_readers_see_public_stories_and_members_the_rest(demo_people: None) -> None:
    seeded()
    nightowl = User.objects.get(display_name="nightowl")
    public = {item.story.public_id for item in access.readable_stories(AnonymousUser())}
    members = {item.story.public_id for item in access.readable_stories(nightowl)}
    assert public == {"demo-story-1", "demo-story-2", "demo-story-5"}
    assert members == PUBLISHED
    bylines = {item.story.public_id: item.byline for item in access.readable_stories(nightowl)}
    assert bylines["demo-story-1"] == "Dev"
    assert bylines["demo-story-2"] == "Fern"
    assert bylines["demo-story-5"] == "Anonymous"


def test_without_the_demo_people_no_story_is_made(db: None) -> None:
    assert seeded() == "Stories: 0 created, 0 already there, 6 skipped (no demo people).\n"
    assert not Story.objects.exists()


def test_a_refused_demo_story_leaves_nothing_behind(demo_people: None) -> None:
    spec = demo.DemoStory(
        public_id="demo-story-x",
        author="Dev",
        title="Tonight",
        body="I am going to kill myself tonight. I have the pills ready.",
        prompt="",
        tags=("loneliness",),
    )
    author = User.objects.get(display_name="Dev")
    coordinator = User.objects.get(display_name=demo.COORDINATOR)
    before = snapshot()
    with pytest.raises(demo.DemoStoryRefused):
        demo.make_story(spec, author, coordinator)
    assert snapshot() == before
