"""Stories in "Download my data" and account deletion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.stories import actions
from peerlight.stories.models import (
    HelpedMark,
    ReadingFilter,
    Reply,
    Story,
    StoryConsent,
    StoryVersion,
)
from peerlight.stories.signals import story_use_changed
from tests.stories.factories import make_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced() -> Iterator[list[tuple[str, int, bool]]]:
    """(reason, story id, whether the story still existed) for every signal sent."""
    received: list[tuple[str, int, bool]] = []

    def receiver(sender: type[Story], story: Story, reason: str, **kwargs: Any) -> None:
        received.append((reason, story.pk, Story.objects.filter(pk=story.pk).exists()))

    story_use_changed.connect(receiver, dispatch_uid="test-privacy")
    yield received
    story_use_changed.disconnect(dispatch_uid="test-privacy")


def section(user: User, label: str) -> Any:
    return privacy.build_export(user)["sections"][label]["records"]


def test_an_author_gets_every_version_and_consent_word_for_word(member: User) -> None:
    story = actions.start_story(member, actions.Draft("First title", "First words."))
    actions.save_story(member, story, actions.Draft("Second title", "Second words."))
    actions.change_consent(
        member, story, actions.ConsentChoices("public", "anonymous"), language="en"
    )
    actions.withdraw_consent(member, story, language="en")
    [exported] = section(member, "stories.story")
    assert exported["id"] == story.public_id
    assert [(v["number"], v["title"], v["body"]) for v in exported["versions"]] == [
        (1, "First title", "First words."),
        (2, "Second title", "Second words."),
    ]
    consents = exported["consents"]
    assert [(c["number"], c["withdrawn"]) for c in consents] == [(1, False), (2, True)]
    first = StoryConsent.objects.get(story=story, number=1)
    assert consents[0]["document"] == first.document
    assert consents[0]["document_sha256"] == first.document_sha256


def test_a_reader_gets_their_replies_marks_and_filter_not_others_stories(
    member: User, other_member: User
) -> None:
    story = make_story(other_member, body="The author's own words.")
    Reply.objects.create(story=story, author=member, body="I've been there too.")
    HelpedMark.objects.create(story=story, reader=member)
    ReadingFilter.objects.create(reader=member, hidden_tags=["grief"], hidden_notes=["suicide"])
    assert section(member, "stories.reply") == [
        {
            "story": story.public_id,
            "body": "I've been there too.",
            "status": "pending",
            "created_at": Reply.objects.get().created_at,
        }
    ]
    assert [mark["story"] for mark in section(member, "stories.helpedmark")] == [story.public_id]
    reading = section(member, "stories.readingfilter")
    assert (reading["hidden_topics"], reading["hidden_content_notes"]) == (["grief"], ["suicide"])
    assert section(member, "stories.story") == []
    assert "The author's own words." not in str(privacy.build_export(member))
    assert section(other_member, "stories.story")[0]["helped_count"] == 1
    assert section(other_member, "stories.readingfilter") is None


def test_erasing_an_author_withdraws_then_deletes_their_stories(
    member: User, other_member: User, announced: list[tuple[str, int, bool]]
) -> None:
    mine = [make_story(member), make_story(member, status=Story.Status.DRAFT)]
    theirs = make_story(other_member)
    Reply.objects.create(story=mine[0], author=other_member, body="Thank you.")
    privacy.erase_account(member)
    assert sorted(announced) == sorted(("story_withdrawn", story.pk, True) for story in mine)
    assert list(Story.objects.all()) == [theirs]
    assert not StoryVersion.objects.filter(story_id__in=[story.pk for story in mine]).exists()
    assert not StoryConsent.objects.filter(story_id__in=[story.pk for story in mine]).exists()
    assert not Reply.objects.exists()  # a reply on a deleted story goes with it


def test_erasing_a_reader_deletes_their_replies_and_marks(
    member: User, other_member: User
) -> None:
    story = make_story(other_member)
    Reply.objects.create(story=story, author=member, body="Same here.")
    HelpedMark.objects.create(story=story, reader=member)
    ReadingFilter.objects.create(reader=member, hidden_tags=["grief"])
    privacy.erase_account(member)
    assert not Reply.objects.exists()
    assert not HelpedMark.objects.exists()
    assert not ReadingFilter.objects.exists()
    assert Story.objects.get() == story


def test_erasing_a_moderator_keeps_what_they_reviewed_without_their_name(
    member: User, other_member: User, coordinator: User
) -> None:
    story = make_story(member)
    Story.objects.filter(pk=story.pk).update(reviewer=coordinator)
    reply = Reply.objects.create(
        story=story, author=other_member, body="Me too.", moderated_by=coordinator
    )
    privacy.erase_account(coordinator)
    story.refresh_from_db()
    reply.refresh_from_db()
    assert (story.reviewer, story.status) == (None, Story.Status.PUBLISHED)
    assert (reply.moderated_by, reply.body) == (None, "Me too.")


def test_every_stories_model_is_registered() -> None:
    registered = privacy.registry()
    for label in ("stories.story", "stories.reply", "stories.helpedmark", "stories.readingfilter"):
        assert label in registered
    assert not [ref for ref in privacy.uncovered_user_references() if ref.startswith("stories.")]
