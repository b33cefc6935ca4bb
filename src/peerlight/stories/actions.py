"""Every write an author makes to their stories: writing, consent, sending for review, withdrawing.

Each write checks that the story is the author's, validates again what the
form checked, locks the story's row, saves in one transaction and writes an
audit entry (ids and codes only, never the words of a story). Writing never
edits a version: a change of text or choices is a new ``StoryVersion``.
Consent is a ledger too: each change or withdrawal is a new numbered
``StoryConsent`` with the exact words agreed to. A change to how a story may
be used sends ``signals.story_use_changed`` inside the same transaction, so
advocacy flags what it delivered together with the change or not at all.

``submit`` runs the safe-messaging check (``safe_messaging.check``): a story
describing a method in detail goes back to the author; one showing current
risk is held (``held_for_safety``) and a coordinator is told through
``safety.actions.raise_risk``; any other goes to the moderators.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.safety.actions import raise_risk
from peerlight.stories import access, consent_text, safe_messaging, vocabulary
from peerlight.stories.models import (
    BODY_MAX,
    OTHER_NAME_MAX,
    TITLE_MAX,
    Story,
    StoryConsent,
    StoryVersion,
)
from peerlight.stories.signals import story_use_changed

Status = Story.Status
# What an author may still change the words of; a story being reviewed,
# published or withdrawn keeps its text (the moderators' part moves it on).
EDITABLE = frozenset({Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED})
SUBMITTABLE = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED})
MAX_CHOSEN_CAMPAIGNS = 20
SAFETY_SOURCE = "stories.story"


class StoryError(Exception):
    """A refused step; ``message`` is a translated sentence for the author."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _own(author: User, story: Story) -> None:
    if story.author_id != author.pk or not author.is_active:
        raise PermissionDenied


def _locked(story: Story) -> Story:
    return Story.objects.select_for_update().get(pk=story.pk)


# --- Writing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What the author wrote; ``notes`` and ``tags`` are codes."""

    title: str
    body: str
    prompt: str = ""
    notes: Sequence[str] = ()
    tags: Sequence[str] = ()

    def cleaned(self) -> Draft:
        """The same draft with spaces trimmed and choices in a stable order."""
        return Draft(
            self.title.strip(),
            self.body.strip(),
            self.prompt,
            tuple(sorted(set(self.notes))),
            tuple(sorted(set(self.tags))),
        )


def _check_draft(draft: Draft) -> None:
    errors: dict[str, str] = {}
    if not draft.title:
        errors["title"] = _("Please give your story a title.")
    elif len(draft.title) > TITLE_MAX:
        errors["title"] = _("Please keep the title to %(max)d characters.") % {"max": TITLE_MAX}
    if not draft.body:
        errors["body"] = _("Please write your story before saving it.")
    elif len(draft.body) > BODY_MAX:
        errors["body"] = _("Please keep your story to %(max)d characters.") % {"max": BODY_MAX}
    if draft.prompt and vocabulary.prompt(draft.prompt) is None:
        errors["prompt"] = _("Please choose a prompt from the list.")
    if not set(draft.notes) <= {term.code for term in vocabulary.content_notes()}:
        errors["content_notes"] = _("Please choose content notes from the list.")
    if not set(draft.tags) <= vocabulary.tag_codes():
        errors["tags"] = _("Please choose topics from the list.")
    if errors:
        raise ValidationError(errors)


def _same_as(version: StoryVersion | None, draft: Draft) -> bool:
    return version is not None and (
        version.title,
        version.body,
        version.prompt,
        tuple(sorted(version.content_notes)),
        tuple(sorted(version.tags)),
    ) == (draft.title, draft.body, draft.prompt, tuple(draft.notes), tuple(draft.tags))


def _new_version(story: Story, draft: Draft) -> StoryVersion:
    number = (story.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    return StoryVersion.objects.create(
        story=story,
        number=number,
        title=draft.title,
        body=draft.body,
        prompt=draft.prompt,
        content_notes=list(draft.notes),
        tags=list(draft.tags),
    )


def start_story(author: User, draft: Draft) -> Story:
    """A new draft story with its first version.

    ``ValidationError`` (by field) for what the form should have refused.
    """
    if not author.is_active:
        raise PermissionDenied
    draft = draft.cleaned()
    _check_draft(draft)
    with transaction.atomic():
        story = Story.objects.create(author=author)
        story.latest_version = _new_version(story, draft)
        story.save(update_fields=["latest_version"])
        record_change(author, "stories.story.create", story, subject=author)
    return story


def save_story(author: User, story: Story, draft: Draft) -> bool:
    """Save the author's changes as a new version; False when nothing changed.

    Only the author, and only while the story is a draft, waiting for review
    or sent back with changes asked for (``StoryError`` otherwise). Changing
    a story that waits for review takes it back to a draft: it is sent again
    when the author is ready, and checked again then.
    """
    _own(author, story)
    draft = draft.cleaned()
    _check_draft(draft)
    with transaction.atomic():
        story = _locked(story)
        if story.status not in EDITABLE:
            raise StoryError(not_editable_reason(story), code="not_editable")
        if _same_as(story.latest_version, draft):
            return False
        story.latest_version = _new_version(story, draft)
        if story.status == Status.SUBMITTED:
            story.status = Status.DRAFT
        story.updated_at = timezone.now()
        story.save(update_fields=["latest_version", "status", "updated_at"])
        record_change(author, "stories.story.edit", story, subject=author)
    return True


def not_editable_reason(story: Story) -> str:
    """Why the words of ``story`` cannot be changed now, for its author."""
    if story.status == Status.IN_REVIEW:
        return _("A moderator is reading your story now. You can change it once they are done.")
    if story.status == Status.WITHDRAWN:
        return _("This story is withdrawn, so it cannot be changed.")
    return _("This story is published, so its words stay as they are.")


# --- Sending for review ------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """What happened to a story sent for review.

    ``outcome``: "queued" (waiting for a moderator), "sent_back" (it
    describes a method in detail: ``paragraphs`` to look at, 0 for the
    title) or "held" (the safety check saw current risk).
    """

    outcome: str
    paragraphs: tuple[int, ...] = ()


def submit(author: User, story: Story) -> Submitted:
    """Send the newest version for review, after the safe-messaging check.

    From a draft or a story sent back with changes asked for, and only with
    consent in force (``StoryError`` otherwise). The check's level and
    reasons are kept on the version in every case.
    """
    _own(author, story)
    with transaction.atomic():
        story = _locked(story)
        if story.status not in SUBMITTABLE:
            raise StoryError(_("This story is not waiting to be sent."), code="not_submittable")
        version = story.latest_version
        if version is None:
            raise StoryError(_("Please write your story first."), code="empty")
        if access.consent_in_force(story) is None:
            raise StoryError(
                _("Please choose who may read your story before you send it."), code="no_consent"
            )
        verdict = safe_messaging.check(version.title, version.body, author.language)
        version.safety_level = verdict.level
        version.safety_reasons = list(verdict.reasons)
        version.save(update_fields=["safety_level", "safety_reasons"])
        if verdict.outcome == "method":
            record_change(
                author, "stories.story.send_back", story, reason="method_detail", subject=author
            )
            return Submitted("sent_back", verdict.paragraphs)
        story.status = Status.SUBMITTED
        story.updated_at = timezone.now()
        if verdict.outcome == "risk":
            story.held_for_safety = True
        story.save(update_fields=["status", "held_for_safety", "updated_at"])
        held = verdict.outcome == "risk"
        record_change(
            author,
            "stories.story.submit",
            story,
            reason="held_for_safety" if held else "",
            subject=author,
        )
        if held:
            raise_risk(
                person_id=author.pk,
                source=SAFETY_SOURCE,
                source_id=story.pk,
                level=verdict.level,
                reasons=verdict.reasons,
            )
            return Submitted("held")
    return Submitted("queued")


# --- Consent -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentChoices:
    audience: str
    attribution: str
    advocacy: str = StoryConsent.Advocacy.NONE
    other_name: str = ""
    campaign_ids: Sequence[int] = ()
    ends_on: datetime.date | None = None

    def cleaned(self) -> ConsentChoices:
        """Choices as stored: a name only with "another name", campaigns only with "chosen"."""
        other = self.attribution == StoryConsent.Attribution.OTHER_NAME
        chosen = self.advocacy == StoryConsent.Advocacy.CHOSEN
        return ConsentChoices(
            self.audience,
            self.attribution,
            self.advocacy,
            " ".join(self.other_name.split()) if other else "",
            tuple(sorted(set(self.campaign_ids))) if chosen else (),
            self.ends_on,
        )


def active_campaigns() -> list[tuple[int, str]]:
    """(id, title) of the campaigns a story may be offered to: active ones, by title.

    Read through the app registry, so stories does not import advocacy.
    """
    campaign = apps.get_model("advocacy", "Campaign")
    rows = campaign.objects.filter(status="active").order_by("title", "pk")
    return [(int(pk), str(title)) for pk, title in rows.values_list("pk", "title")]


def _check_consent(choices: ConsentChoices) -> None:
    errors: dict[str, Any] = {}
    if choices.audience not in StoryConsent.Audience.values:
        errors["audience"] = _("Please choose who may read your story.")
    if choices.attribution not in StoryConsent.Attribution.values:
        errors["attribution"] = _("Please choose how your story is signed.")
    elif choices.attribution == StoryConsent.Attribution.OTHER_NAME:
        if not choices.other_name:
            errors["other_name"] = _("Please write the name to sign your story with.")
        elif len(choices.other_name) > OTHER_NAME_MAX:
            errors["other_name"] = _("Please keep the name to %(max)d characters.") % {
                "max": OTHER_NAME_MAX
            }
    if choices.advocacy not in StoryConsent.Advocacy.values:
        errors["advocacy"] = _("Please choose whether campaigns may use your story.")
    elif choices.advocacy == StoryConsent.Advocacy.CHOSEN:
        active = {pk for pk, _title in active_campaigns()}
        if not choices.campaign_ids:
            errors["campaigns"] = _("Please choose at least one campaign, or another option.")
        elif (
            len(choices.campaign_ids) > MAX_CHOSEN_CAMPAIGNS
            or not set(choices.campaign_ids) <= active
        ):
            errors["campaigns"] = _("Please choose campaigns from the list.")
    if choices.ends_on is not None and choices.ends_on <= timezone.localdate():
        errors["ends_on"] = _("Please choose an end date after today, or leave it empty.")
    if errors:
        raise ValidationError(errors)


def _same_consent(row: StoryConsent | None, choices: ConsentChoices) -> bool:
    return (
        row is not None
        and not row.withdrawn
        and (
            row.audience,
            row.attribution,
            row.advocacy,
            row.other_name,
            tuple(sorted(row.campaign_ids)),
            row.ends_on,
        )
        == (
            choices.audience,
            choices.attribution,
            choices.advocacy,
            choices.other_name,
            tuple(choices.campaign_ids),
            choices.ends_on,
        )
    )


def next_consent_number(story: Story) -> int:
    """The number the story's next consent row takes."""
    return (story.consents.aggregate(last=Max("number"))["last"] or 0) + 1


def _usable(story: Story) -> None:
    if story.status == Status.WITHDRAWN:
        raise StoryError(
            _("This story is withdrawn, so it is not used anywhere."), code="withdrawn"
        )


def consent_words(
    author: User, choices: ConsentChoices, *, number: int, language: str | None
) -> consent_text.Document:
    """The words ``choices`` make as consent version ``number``, in ``language``.

    What the author is shown before agreeing and what the row stores come
    from here alike. Chosen campaigns that are no longer active are left out
    (``change_consent`` refuses them before it gets here).
    """
    choices = choices.cleaned()
    titles = dict(active_campaigns())
    return consent_text.render(
        consent_text.Choices(
            audience=choices.audience,
            attribution=choices.attribution,
            advocacy=choices.advocacy,
            other_name=choices.other_name,
            campaigns=[titles[pk] for pk in choices.campaign_ids if pk in titles],
            ends_on=choices.ends_on,
        ),
        number=number,
        display_name=author.display_name,
        language=language,
    )


def change_consent(
    author: User, story: Story, choices: ConsentChoices, *, language: str | None
) -> StoryConsent | None:
    """Record the author's choices as a new consent row, in force at once.

    The row holds the words the author saw (``consent_text``, in
    ``language``) and their hash. Returns None when the choices are those of
    the consent already in force (nothing to record). ``ValidationError``
    (by field) for choices the form should have refused; ``StoryError`` for
    a withdrawn story.
    """
    _own(author, story)
    choices = choices.cleaned()
    _check_consent(choices)
    with transaction.atomic():
        story = _locked(story)
        _usable(story)
        latest = access.latest_consent(story)
        if _same_consent(latest, choices) and access.consent_in_force(story) is not None:
            return None
        number = next_consent_number(story)
        document = consent_words(author, choices, number=number, language=language)
        consent = StoryConsent.objects.create(
            story=story,
            number=number,
            audience=choices.audience,
            attribution=choices.attribution,
            other_name=choices.other_name,
            advocacy=choices.advocacy,
            campaign_ids=list(choices.campaign_ids),
            ends_on=choices.ends_on,
            document=document.text,
            language=document.language,
        )
        record_change(author, "stories.consent.change", consent, subject=author)
        story_use_changed.send(sender=Story, story=story, actor=author, reason="consent_changed")
    return consent


def withdraw_consent(author: User, story: Story, *, language: str | None) -> StoryConsent:
    """Withdraw consent: the story leaves every page and campaign at once.

    ``StoryError`` when there is no consent to withdraw (none given, or
    already withdrawn).
    """
    _own(author, story)
    with transaction.atomic():
        story = _locked(story)
        latest = access.latest_consent(story)
        if latest is None or latest.withdrawn:
            raise StoryError(_("There is no consent to withdraw."), code="nothing_to_withdraw")
        number = next_consent_number(story)
        document = consent_text.render_withdrawal(number=number, language=language)
        consent = StoryConsent.objects.create(
            story=story,
            number=number,
            audience=latest.audience,
            attribution=latest.attribution,
            withdrawn=True,
            document=document.text,
            language=document.language,
        )
        record_change(author, "stories.consent.withdraw", consent, subject=author)
        story_use_changed.send(sender=Story, story=story, actor=author, reason="consent_withdrawn")
    return consent


def withdraw_story(author: User, story: Story) -> Story:
    """Withdraw the story itself: never shown or used again, whatever its consent says.

    ``StoryError`` when it is withdrawn already.
    """
    _own(author, story)
    with transaction.atomic():
        story = _locked(story)
        _usable(story)
        story.status = Status.WITHDRAWN
        story.withdrawn_at = story.updated_at = timezone.now()
        story.save(update_fields=["status", "withdrawn_at", "updated_at"])
        record_change(author, "stories.story.withdraw", story, subject=author)
        story_use_changed.send(sender=Story, story=story, actor=author, reason="story_withdrawn")
    return story
