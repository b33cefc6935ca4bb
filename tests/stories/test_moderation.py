"""Moderating stories and replies: the table of moves, publishing, taking down, the hold."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.stories import access, moderation
from peerlight.stories.models import Reply, Story, StoryVersion
from peerlight.stories.moderation import RULES, ModerationError, Move
from peerlight.stories.signals import story_use_changed
from tests.stories.factories import give_consent, make_story

Status = Story.Status


def add_version(story: Story, body: str, **fields: Any) -> StoryVersion:
    """A new version written by the author, which becomes the latest."""
    number = StoryVersion.objects.filter(story=story).count() + 1
    version = StoryVersion.objects.create(
        story=story, number=number, title=fields.pop("title", "A title"), body=body, **fields
    )
    story.latest_version = version
    story.save()
    return version


def verbs(story: Story) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="stories.story", target_id=str(story.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


@pytest.fixture
def submitted(member: User) -> Story:
    return make_story(member, status=Status.SUBMITTED)


@pytest.fixture
def in_review(member: User) -> Story:
    return make_story(member, status=Status.IN_REVIEW)


# --- The table -------------------------------------------------------------------------

ALL_STATUSES = [status for status, _label in Status.choices]


@pytest.mark.parametrize("move", [m for m in Move if m is not Move.RELEASE_HOLD])
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_each_move_is_allowed_only_from_the_statuses_in_the_table(
    member: User, coordinator: User, move: Move, status: str
) -> None:
    story = make_story(member, status=status)
    rule = RULES[move]
    if status not in rule.start:
        with pytest.raises(ModerationError) as refused:
            moderation.make_move(coordinator, story, move, note="Soften it.", version_number=1)
        assert refused.value.message == str(rule.refused)
        story.refresh_from_db()
        assert story.status == status
        assert verbs(story) == []
        return
    moved = moderation.make_move(coordinator, story, move, note="Soften it.", version_number=1)
    assert moved.status == rule.end
    story.refresh_from_db()
    assert story.status == rule.end
    assert verbs(story) == [rule.verb]


def test_starting_a_review(submitted: Story, coordinator: User) -> None:
    story = moderation.start_review(coordinator, submitted)
    story.refresh_from_db()
    assert story.status == Status.IN_REVIEW
    assert story.reviewer == coordinator
    entry = AuditEntry.objects.get(verb="stories.story.start_review")
    assert entry.actor_id == coordinator.pk
    assert entry.subject_id == submitted.author_id
    assert entry.reason == "v1"


def test_asking_for_changes_keeps_the_note_for_the_author(
    in_review: Story, coordinator: User
) -> None:
    moderation.request_changes(
        coordinator, in_review, "  Please leave out the name of the hospital.  ", version_number=1
    )
    in_review.refresh_from_db()
    assert in_review.status == Status.CHANGES_REQUESTED
    assert in_review.moderator_note == "Please leave out the name of the hospital."


@pytest.mark.parametrize("note", ["", "   "])
def test_asking_for_changes_needs_a_note(in_review: Story, coordinator: User, note: str) -> None:
    with pytest.raises(ModerationError, match="write a note"):
        moderation.request_changes(coordinator, in_review, note, version_number=1)
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


def test_an_over_long_note_is_refused(in_review: Story, coordinator: User) -> None:
    with pytest.raises(ModerationError, match="1,000 characters"):
        moderation.request_changes(coordinator, in_review, "x" * 1001, version_number=1)
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


# --- Publishing ------------------------------------------------------------------------


def test_publishing_sets_the_published_version_and_time(
    in_review: Story, coordinator: User, member: User
) -> None:
    assert access.readable_story(member, in_review.public_id) is None
    before = timezone.now()
    moderation.publish(coordinator, in_review, version_number=1)
    in_review.refresh_from_db()
    assert in_review.status == Status.PUBLISHED
    assert in_review.published_version == in_review.latest_version
    assert in_review.published_at is not None
    assert in_review.published_at >= before
    assert access.readable_story(member, in_review.public_id) is not None
    assert verbs(in_review) == ["stories.story.publish"]


def test_publishing_a_version_the_author_has_since_changed_is_refused(
    in_review: Story, coordinator: User
) -> None:
    add_version(in_review, "A newer text.")
    with pytest.raises(ModerationError, match="changed the story"):
        moderation.publish(coordinator, in_review, version_number=1)
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW
    assert in_review.published_version is None


def test_a_story_held_for_safety_is_not_published(in_review: Story, coordinator: User) -> None:
    Story.objects.filter(pk=in_review.pk).update(held_for_safety=True)
    with pytest.raises(ModerationError, match="held by the safety check"):
        moderation.publish(coordinator, in_review, version_number=1)
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW
    assert in_review.published_version is None


@pytest.mark.parametrize(
    "consent",
    [
        "none",
        "withdrawn",
        "ended",
    ],
)
def test_a_story_without_consent_in_force_is_not_published(
    member: User, coordinator: User, consent: str
) -> None:
    story = make_story(member, status=Status.IN_REVIEW, consent=consent != "none")
    if consent == "withdrawn":
        give_consent(story, withdrawn=True)
    elif consent == "ended":
        give_consent(story, ends_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ModerationError, match="consent is not in force"):
        moderation.publish(coordinator, story, version_number=1)
    story.refresh_from_db()
    assert story.status == Status.IN_REVIEW
    assert story.published_version is None


# --- Taking down -----------------------------------------------------------------------


def test_taking_a_story_down_sends_it_back_and_tells_the_listeners(
    member: User, coordinator: User
) -> None:
    story = make_story(member)
    heard: list[dict[str, Any]] = []

    def listen(sender: type[Story], **kwargs: Any) -> None:
        heard.append(kwargs)

    story_use_changed.connect(listen)
    try:
        moderation.unpublish(coordinator, story, "It names another person.")
    finally:
        story_use_changed.disconnect(listen)
    story.refresh_from_db()
    assert story.status == Status.CHANGES_REQUESTED
    assert story.moderator_note == "It names another person."
    assert access.readable_story(member, story.public_id) is None
    assert access.readable_stories(member) == []
    assert [(h["story"].pk, h["actor"], h["reason"]) for h in heard] == [
        (story.pk, coordinator, "unpublished")
    ]


def test_a_failing_listener_takes_the_take_down_back(member: User, coordinator: User) -> None:
    story = make_story(member)

    def fail(sender: type[Story], **kwargs: Any) -> None:
        raise RuntimeError("the campaign could not follow")

    story_use_changed.connect(fail)
    try:
        with pytest.raises(RuntimeError):
            moderation.unpublish(coordinator, story, "It names another person.")
    finally:
        story_use_changed.disconnect(fail)
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED
    assert verbs(story) == []


def test_taking_down_needs_a_note(member: User, coordinator: User) -> None:
    story = make_story(member)
    with pytest.raises(ModerationError, match="write a note"):
        moderation.unpublish(coordinator, story, "")
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED


# --- The safety hold -------------------------------------------------------------------


def test_releasing_the_hold_keeps_the_status(submitted: Story, coordinator: User) -> None:
    Story.objects.filter(pk=submitted.pk).update(held_for_safety=True)
    moderation.release_hold(coordinator, submitted)
    submitted.refresh_from_db()
    assert not submitted.held_for_safety
    assert submitted.status == Status.SUBMITTED
    assert verbs(submitted) == ["stories.story.release_hold"]


def test_a_story_not_held_cannot_be_released(submitted: Story, coordinator: User) -> None:
    with pytest.raises(ModerationError, match="not held"):
        moderation.release_hold(coordinator, submitted)
    assert verbs(submitted) == []


def test_a_draft_cannot_be_released_or_moved(member: User, coordinator: User) -> None:
    draft = make_story(member, status=Status.DRAFT)
    Story.objects.filter(pk=draft.pk).update(held_for_safety=True)
    with pytest.raises(ModerationError):
        moderation.release_hold(coordinator, draft)
    draft.refresh_from_db()
    assert draft.held_for_safety


# --- Who may moderate ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher", "admin_user"])
def test_only_coordinators_moderate(
    submitted: Story, persona: str, request: pytest.FixtureRequest
) -> None:
    person: User = request.getfixturevalue(persona)
    for move in Move:
        with pytest.raises(PermissionDenied):
            moderation.make_move(person, submitted, move, note="A note.", version_number=1)
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert verbs(submitted) == []


# --- What a moderator compares with ----------------------------------------------------


def test_the_first_version_has_nothing_to_compare_with(submitted: Story) -> None:
    assert submitted.latest_version is not None
    assert moderation.comparison_base(submitted, submitted.latest_version) is None


def test_a_new_version_of_a_published_story_is_compared_with_the_published_one(
    member: User,
) -> None:
    story = make_story(member)
    add_version(story, "Second draft.")
    third = add_version(story, "Third draft.")
    Story.objects.filter(pk=story.pk).update(status=Status.SUBMITTED)
    story.refresh_from_db()
    base = moderation.comparison_base(story, third)
    assert base is not None
    assert base.number == 1


def test_a_resubmitted_story_is_compared_with_the_version_sent_back(
    member: User, coordinator: User
) -> None:
    story = make_story(member, status=Status.IN_REVIEW)
    add_version(story, "Second version.")
    moderation.request_changes(coordinator, story, "Please change the ending.", version_number=2)
    add_version(story, "Third version, still a draft.")
    fourth = add_version(story, "Fourth version, sent again.")
    Story.objects.filter(pk=story.pk).update(status=Status.SUBMITTED)
    story.refresh_from_db()
    base = moderation.comparison_base(story, fourth)
    assert base is not None
    assert base.number == 2


def test_without_a_review_the_version_before_is_the_base(member: User) -> None:
    story = make_story(member, status=Status.SUBMITTED)
    second = add_version(story, "Second version.")
    base = moderation.comparison_base(story, second)
    assert base is not None
    assert base.number == 1


# --- Reads for moderators --------------------------------------------------------------


def test_the_queue_holds_the_stories_waiting_oldest_first(member: User) -> None:
    now = timezone.now()
    late = make_story(member, status=Status.SUBMITTED)
    early = make_story(member, status=Status.IN_REVIEW)
    back = make_story(member, status=Status.CHANGES_REQUESTED)
    Story.objects.filter(pk=late.pk).update(updated_at=now)
    Story.objects.filter(pk=early.pk).update(updated_at=now - dt.timedelta(hours=2))
    Story.objects.filter(pk=back.pk).update(updated_at=now - dt.timedelta(hours=1))
    for status in (Status.DRAFT, Status.PUBLISHED, Status.WITHDRAWN):
        make_story(member, status=status)
    assert [story.pk for story in moderation.review_queue()] == [early.pk, back.pk, late.pk]


@pytest.mark.parametrize("status", [Status.DRAFT, Status.WITHDRAWN])
def test_drafts_and_withdrawn_stories_are_not_for_moderators(member: User, status: str) -> None:
    story = make_story(member, status=status)
    assert moderation.story_for_review(story.public_id) is None
    assert moderation.story_for_review("nothing-here-at-all") is None


# --- Replies ---------------------------------------------------------------------------


@pytest.fixture
def reply(member: User, other_member: User) -> Reply:
    story = make_story(member)
    return Reply.objects.create(story=story, author=other_member, body="Me too. It gets easier.")


def test_approving_and_declining_a_reply(reply: Reply, coordinator: User) -> None:
    moderation.approve_reply(coordinator, reply)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.APPROVED
    assert reply.moderated_by == coordinator
    assert reply.moderated_at is not None
    moderation.decline_reply(coordinator, reply)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.DECLINED
    assert list(
        AuditEntry.objects.filter(target_type="stories.reply").values_list("verb", flat=True)
    ) == ["stories.reply.approve", "stories.reply.decline"]


def test_deciding_a_reply_the_same_way_twice_is_explained(reply: Reply, coordinator: User) -> None:
    moderation.decline_reply(coordinator, reply)
    with pytest.raises(ModerationError, match="already"):
        moderation.decline_reply(coordinator, reply)
    assert AuditEntry.objects.filter(verb="stories.reply.decline").count() == 1


def test_a_held_reply_is_shown_only_when_the_coordinator_says_it_is_safe(
    reply: Reply, coordinator: User
) -> None:
    Reply.objects.filter(pk=reply.pk).update(safety_level="imminent")
    reply.refresh_from_db()
    with pytest.raises(ModerationError, match="safety check held"):
        moderation.approve_reply(coordinator, reply)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PENDING
    moderation.approve_reply(coordinator, reply, safety_checked=True)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.APPROVED


def test_peer_supporters_do_not_decide_replies(reply: Reply, peer_supporter: User) -> None:
    with pytest.raises(PermissionDenied):
        moderation.approve_reply(peer_supporter, reply)
    with pytest.raises(PermissionDenied):
        moderation.decline_reply(peer_supporter, reply)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.PENDING
