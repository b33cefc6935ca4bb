"""Moderating stories and replies: the coordinators' moves, and the reads they work from.

A story moves through a small table of allowed moves (``RULES``): from sent
for review into review, from there to published or back to the author with
a note, and a published story back to the author again (taken down, with a
note). Any other move is refused with a ``ModerationError`` that says why.
A story held by the safety check is never published until a coordinator has
released the hold, and nothing is published without the author's consent in
force at that moment.

Every move locks the story's row, checks the table, saves, and writes an
audit entry in one transaction; the version a moderator acted on goes in
the entry's reason ("v3"), which is how the next review finds the version
to compare with. Only coordinators moderate (the views also ask for their
second factor); a peer supporter may not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.audit.models import AuditAction, AuditEntry
from peerlight.safety.escalation_models import Escalation
from peerlight.stories import access
from peerlight.stories.models import NOTE_MAX, Reply, Story, StoryVersion
from peerlight.stories.reading import is_held
from peerlight.stories.signals import story_use_changed

Status = Story.Status
QUEUE_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED)
# Stories a moderator may open: anything past the author's draft, unless the
# author took it back.
REVIEWABLE_STATUSES = (*QUEUE_STATUSES, Status.PUBLISHED)
STORY_SAFETY_SOURCE = "stories.story"
RECENTLY_PUBLISHED = 20
_VERSION_REASON = re.compile(r"^v(\d+)$")


class Move(StrEnum):
    START_REVIEW = "start_review"
    REQUEST_CHANGES = "request_changes"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    RELEASE_HOLD = "release_hold"


@dataclass(frozen=True)
class Rule:
    """Where a move may start, where it leads (None: the status stays), and its audit verb."""

    start: frozenset[str]
    end: str | None
    verb: str
    needs_note: bool
    refused: Promise


RULES: dict[Move, Rule] = {
    Move.START_REVIEW: Rule(
        frozenset({Status.SUBMITTED}),
        Status.IN_REVIEW,
        "stories.story.start_review",
        needs_note=False,
        refused=_("Only a story sent for review can be taken into review."),
    ),
    Move.REQUEST_CHANGES: Rule(
        frozenset({Status.SUBMITTED, Status.IN_REVIEW}),
        Status.CHANGES_REQUESTED,
        "stories.story.request_changes",
        needs_note=True,
        refused=_("Changes can only be asked for on a story sent for review or in review."),
    ),
    Move.PUBLISH: Rule(
        frozenset({Status.IN_REVIEW}),
        Status.PUBLISHED,
        "stories.story.publish",
        needs_note=False,
        refused=_("Only a story in review can be published. Please start the review first."),
    ),
    Move.UNPUBLISH: Rule(
        frozenset({Status.PUBLISHED}),
        Status.CHANGES_REQUESTED,
        "stories.story.unpublish",
        needs_note=True,
        refused=_("Only a published story can be taken down."),
    ),
    Move.RELEASE_HOLD: Rule(
        frozenset(REVIEWABLE_STATUSES),
        None,
        "stories.story.release_hold",
        needs_note=False,
        refused=_("This story cannot be released now."),
    ),
}


class ModerationError(Exception):
    """A move the rules refuse; ``message`` says why, in words for the moderator."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


def _require_coordinator(actor: User) -> None:
    if not access.is_coordinator(actor):
        raise PermissionDenied


# --- Reads for moderators --------------------------------------------------------------


def review_queue() -> QuerySet[Story]:
    """Stories waiting for a moderator or for their author, the longest waiting first."""
    return (
        Story.objects.filter(status__in=QUEUE_STATUSES)
        .select_related("author", "latest_version")
        .order_by("updated_at", "pk")
    )


def recently_published(limit: int = RECENTLY_PUBLISHED) -> list[Story]:
    return list(
        Story.objects.filter(status=Status.PUBLISHED)
        .select_related("author", "published_version")
        .order_by("-published_at", "-pk")[:limit]
    )


def story_for_review(public_id: str) -> Story | None:
    """A story a moderator may open, or None (a draft, one its author withdrew, none)."""
    return (
        Story.objects.filter(public_id=public_id, status__in=REVIEWABLE_STATUSES)
        .select_related("author", "latest_version", "published_version")
        .first()
    )


def under_review(story: Story) -> StoryVersion | None:
    """The version a moderator decides on: the newest, or the published one when live."""
    if story.status == Status.PUBLISHED and story.published_version is not None:
        return story.published_version
    return story.latest_version


def versions_of(story: Story) -> list[StoryVersion]:
    return list(StoryVersion.objects.filter(story=story).order_by("number"))


def _last_reviewed_number(story: Story, below: int) -> int | None:
    """The newest version below ``below`` sent back or taken down (from the audit log)."""
    reasons = AuditEntry.objects.filter(
        action=AuditAction.CHANGE,
        target_type=Story._meta.label_lower,
        target_id=str(story.pk),
        verb__in=(RULES[Move.REQUEST_CHANGES].verb, RULES[Move.UNPUBLISH].verb),
    ).values_list("reason", flat=True)
    numbers = [int(m.group(1)) for reason in reasons if (m := _VERSION_REASON.match(reason))]
    earlier = [number for number in numbers if number < below]
    return max(earlier) if earlier else None


def comparison_base(story: Story, version: StoryVersion) -> StoryVersion | None:
    """The version to compare ``version`` with: the one published before it, else the one
    last reviewed before it, else the one just before it; None for a first version."""
    published = story.published_version
    if published is not None and published.number < version.number:
        return published
    number = _last_reviewed_number(story, version.number)
    if number is None:
        number = version.number - 1
    return StoryVersion.objects.filter(story=story, number=number).first()


def safety_case(source: str, source_id: int) -> Escalation | None:
    """The newest escalation the safety check raised for a story or reply, if any."""
    return (
        Escalation.objects.filter(source=source, source_id=source_id)
        .order_by("-created_at", "-pk")
        .first()
    )


def pending_replies() -> QuerySet[Reply]:
    """Replies waiting for a decision, oldest first."""
    return (
        Reply.objects.filter(status=Reply.Status.PENDING)
        .select_related("author", "story", "story__published_version")
        .order_by("created_at", "pk")
    )


def reply_for_review(reply_id: int) -> Reply | None:
    return Reply.objects.select_related("author", "story").filter(pk=reply_id).first()


# --- Moving a story --------------------------------------------------------------------


def _locked(story: Story) -> Story:
    # Only the story's own row: PostgreSQL refuses to lock the nullable side
    # of the joins to its versions, and the versions are never changed.
    return (
        Story.objects.select_for_update(of=("self",))
        .select_related("author", "latest_version", "published_version")
        .get(pk=story.pk)
    )


def _check(story: Story, move: Move, note: str) -> Rule:
    rule = RULES[move]
    if story.status not in rule.start:
        raise ModerationError(rule.refused)
    if rule.needs_note and not note.strip():
        raise ModerationError(_("Please write a note to the author saying what to change."))
    if len(note) > NOTE_MAX:
        raise ModerationError(_("Please keep the note to 1,000 characters or fewer."))
    return rule


def _check_version(story: Story, version_number: int) -> StoryVersion:
    """The version the moderator looked at, if it is still the one under review."""
    version = under_review(story)
    if version is None or version.number != version_number:
        raise ModerationError(
            _("The author changed the story since this page was opened. Please look again.")
        )
    return version


def _save(actor: User, story: Story, rule: Rule, version: StoryVersion | None) -> Story:
    now = timezone.now()
    if rule.end is not None:
        story.status = rule.end
    story.reviewer = actor
    story.updated_at = now
    story.save()
    reason = f"v{version.number}" if version is not None else ""
    record_change(actor, rule.verb, story, subject=story.author, reason=reason)
    return story


def start_review(actor: User, story: Story) -> Story:
    """Take a story sent for review into review."""
    _require_coordinator(actor)
    with transaction.atomic():
        story = _locked(story)
        rule = _check(story, Move.START_REVIEW, "")
        return _save(actor, story, rule, story.latest_version)


def request_changes(actor: User, story: Story, note: str, *, version_number: int) -> Story:
    """Send the story back to its author with ``note`` (shown to the author only)."""
    _require_coordinator(actor)
    with transaction.atomic():
        story = _locked(story)
        rule = _check(story, Move.REQUEST_CHANGES, note)
        version = _check_version(story, version_number)
        story.moderator_note = note.strip()
        return _save(actor, story, rule, version)


def publish(actor: User, story: Story, *, version_number: int) -> Story:
    """Publish the version under review, if the author's consent is in force and no hold."""
    _require_coordinator(actor)
    with transaction.atomic():
        story = _locked(story)
        rule = _check(story, Move.PUBLISH, "")
        version = _check_version(story, version_number)
        if story.held_for_safety:
            raise ModerationError(
                _(
                    "This story is held by the safety check. Please look at the escalation"
                    " first, and release the hold if it is safe to publish."
                )
            )
        if access.consent_in_force(story) is None:
            raise ModerationError(
                _(
                    "The author's consent is not in force (never given, withdrawn or ended),"
                    " so the story cannot be published."
                )
            )
        story.published_version = version
        story.published_at = timezone.now()
        story.moderator_note = ""
        return _save(actor, story, rule, version)


def unpublish(actor: User, story: Story, note: str) -> Story:
    """Take a published story down and back to its author with ``note``.

    ``story_use_changed`` goes out in the same transaction (reason
    "unpublished"), so campaigns that used the story follow at once.
    """
    _require_coordinator(actor)
    with transaction.atomic():
        story = _locked(story)
        rule = _check(story, Move.UNPUBLISH, note)
        version = story.published_version
        story.moderator_note = note.strip()
        saved = _save(actor, story, rule, version)
        story_use_changed.send(sender=Story, story=saved, actor=actor, reason="unpublished")
        return saved


def release_hold(actor: User, story: Story) -> Story:
    """Lift the safety check's hold, once a coordinator has looked (its status stays)."""
    _require_coordinator(actor)
    with transaction.atomic():
        story = _locked(story)
        rule = _check(story, Move.RELEASE_HOLD, "")
        if not story.held_for_safety:
            raise ModerationError(_("This story is not held by the safety check."))
        story.held_for_safety = False
        return _save(actor, story, rule, story.latest_version)


def make_move(
    actor: User, story: Story, move: Move, *, note: str = "", version_number: int = 0
) -> Story:
    """The move ``move`` on ``story``, as chosen on the review page."""
    if move is Move.START_REVIEW:
        return start_review(actor, story)
    if move is Move.REQUEST_CHANGES:
        return request_changes(actor, story, note, version_number=version_number)
    if move is Move.PUBLISH:
        return publish(actor, story, version_number=version_number)
    if move is Move.UNPUBLISH:
        return unpublish(actor, story, note)
    return release_hold(actor, story)


# --- Replies ---------------------------------------------------------------------------


def _decide_reply(actor: User, reply: Reply, status: str, verb: str) -> Reply:
    with transaction.atomic():
        reply = Reply.objects.select_for_update().select_related("author").get(pk=reply.pk)
        if reply.status == status:
            raise ModerationError(_("This reply has already been decided that way."))
        reply.status = status
        reply.moderated_by = actor
        reply.moderated_at = timezone.now()
        reply.save()
        record_change(actor, verb, reply, subject=reply.author)
    return reply


def approve_reply(actor: User, reply: Reply, *, safety_checked: bool = False) -> Reply:
    """Show the reply under its story.

    A reply the safety check held is shown only when the coordinator says
    they have read it and it is safe to show (``safety_checked``).
    """
    _require_coordinator(actor)
    if is_held(reply) and not safety_checked:
        raise ModerationError(
            _(
                "The safety check held this reply. Please read it and confirm it is safe"
                " to show, or decline it."
            )
        )
    return _decide_reply(actor, reply, Reply.Status.APPROVED, "stories.reply.approve")


def decline_reply(actor: User, reply: Reply) -> Reply:
    """Keep the reply from being shown (also one that was shown before)."""
    _require_coordinator(actor)
    return _decide_reply(actor, reply, Reply.Status.DECLINED, "stories.reply.decline")
