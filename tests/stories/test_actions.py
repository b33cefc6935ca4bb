"""The author's writes: versions, sending for review with the safe-messaging check, consent."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.safety.models import Escalation
from peerlight.stories import access, actions
from peerlight.stories.actions import ConsentChoices, Draft
from peerlight.stories.models import Story, StoryConsent, StoryVersion, sha256_of
from peerlight.stories.signals import story_use_changed
from tests.advocacy.factories import make_campaign
from tests.stories.factories import give_consent, make_story

pytestmark = pytest.mark.django_db

Status = Story.Status
CALM = Draft(
    title="What helped me through the winter",
    body="Finding people who had been there too.\n\nIt got *better*, slowly.",
    prompt="hope",
    notes=("grief",),
    tags=("loneliness", "depression"),
)
RECOVERY = Draft(
    title="What helped me",
    body="When I was sixteen I tried to end my life. I'm 30 now and doing well.\n\n"
    "A peer group met every Tuesday. They listened.",
)
METHOD = Draft(
    title="The night",
    body="My first year at college was lonely.\n\n"
    "When I was nineteen I swallowed 40 paracetamol tablets and lay down on my bed.",
)
RISK_NOW = Draft(
    title="Tonight",
    body="I don't see the point anymore. I have the pills ready and tonight I will end it.",
)
PUBLIC_ANONYMOUS = ConsentChoices(audience="public", attribution="anonymous")


@pytest.fixture
def signals() -> Iterator[list[dict[str, Any]]]:
    """Every ``story_use_changed`` sent, with whether a transaction was open."""
    received: list[dict[str, Any]] = []

    def receiver(sender: type[Story], **kwargs: Any) -> None:
        received.append({**kwargs, "in_transaction": transaction.get_connection().in_atomic_block})

    story_use_changed.connect(receiver, dispatch_uid="test-actions")
    yield received
    story_use_changed.disconnect(dispatch_uid="test-actions")


def verbs(user: User) -> list[str]:
    return list(
        AuditEntry.objects.filter(actor_id=user.pk).order_by("id").values_list("verb", flat=True)
    )


def ready_to_send(author: User, draft: Draft = CALM) -> Story:
    story = actions.start_story(author, draft)
    actions.change_consent(author, story, PUBLIC_ANONYMOUS, language="en")
    return story


# --- Writing -------------------------------------------------------------------------------


def test_starting_a_story_writes_a_draft_and_its_first_version(member: User) -> None:
    story = actions.start_story(member, CALM)
    assert story.status == Status.DRAFT
    version = StoryVersion.objects.get(story=story)
    assert story.latest_version == version
    assert (version.number, version.title, version.prompt) == (1, CALM.title, "hope")
    assert version.content_notes == ["grief"]
    assert version.tags == ["depression", "loneliness"]
    assert version.text_sha256 == sha256_of(f"{CALM.title}\n\n{CALM.body}")
    assert verbs(member) == ["stories.story.create"]


def test_saving_changes_writes_a_new_version_and_never_edits_one(member: User) -> None:
    story = actions.start_story(member, CALM)
    first = StoryVersion.objects.get(story=story)
    changed = Draft(CALM.title, CALM.body + "\n\nAnd spring came.", CALM.prompt, CALM.notes)
    assert actions.save_story(member, story, changed)
    story.refresh_from_db()
    assert list(story.versions.values_list("number", flat=True)) == [1, 2]
    assert story.latest_version is not None
    assert story.latest_version.number == 2
    assert story.latest_version.tags == []
    first.refresh_from_db()
    assert first.body == CALM.body
    assert verbs(member) == ["stories.story.create", "stories.story.edit"]


def test_saving_the_same_words_and_choices_writes_nothing(member: User) -> None:
    story = actions.start_story(member, CALM)
    same = Draft(
        f"  {CALM.title} ",
        CALM.body,
        CALM.prompt,
        ("grief", "grief"),
        ("loneliness", "depression"),
    )
    assert not actions.save_story(member, story, same)
    assert story.versions.count() == 1
    assert verbs(member) == ["stories.story.create"]


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (Draft(" ", "body"), "title"),
        (Draft("x" * 141, "body"), "title"),
        (Draft("Title", ""), "body"),
        (Draft("Title", "x" * 20_001), "body"),
        (Draft("Title", "body", prompt="courage"), "prompt"),
        (Draft("Title", "body", notes=("spiders",)), "content_notes"),
        (Draft("Title", "body", tags=("astrology",)), "tags"),
    ],
)
def test_bad_drafts_are_refused_and_nothing_is_saved(
    member: User, draft: Draft, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.start_story(member, draft)
    assert field in refused.value.message_dict
    assert not Story.objects.exists()
    assert not AuditEntry.objects.filter(actor_id=member.pk).exists()


def test_only_the_author_may_change_a_story(member: User, other_member: User) -> None:
    story = actions.start_story(member, CALM)
    with pytest.raises(PermissionDenied):
        actions.save_story(other_member, story, Draft("Mine now", "Text"))
    for write in (actions.submit, actions.withdraw_story):
        with pytest.raises(PermissionDenied):
            write(other_member, story)
    with pytest.raises(PermissionDenied):
        actions.change_consent(other_member, story, PUBLIC_ANONYMOUS, language="en")
    assert story.versions.count() == 1
    assert not story.consents.exists()


def test_changing_a_story_waiting_for_review_takes_it_back_to_a_draft(member: User) -> None:
    story = ready_to_send(member)
    actions.submit(member, story)
    actions.save_story(member, story, Draft("A new title", CALM.body))
    story.refresh_from_db()
    assert story.status == Status.DRAFT


@pytest.mark.parametrize("status", [Status.IN_REVIEW, Status.PUBLISHED, Status.WITHDRAWN])
def test_stories_past_writing_keep_their_words(member: User, status: str) -> None:
    story = make_story(member, status=status)
    with pytest.raises(actions.StoryError) as refused:
        actions.save_story(member, story, Draft("New", "New words"))
    assert refused.value.code == "not_editable"
    assert story.versions.count() == 1


# --- Sending for review ----------------------------------------------------------------------


def test_a_calm_story_goes_to_the_moderators(member: User) -> None:
    story = ready_to_send(member)
    assert actions.submit(member, story) == actions.Submitted("queued")
    story.refresh_from_db()
    assert (story.status, story.held_for_safety) == (Status.SUBMITTED, False)
    assert story.latest_version is not None
    assert (story.latest_version.safety_level, story.latest_version.safety_reasons) == ("none", [])
    assert verbs(member)[-1] == "stories.story.submit"
    assert not Escalation.objects.exists()


def test_a_recovery_story_about_the_past_goes_to_the_moderators(member: User) -> None:
    story = ready_to_send(member, RECOVERY)
    assert actions.submit(member, story).outcome == "queued"
    story.refresh_from_db()
    assert story.status == Status.SUBMITTED
    assert not story.held_for_safety
    assert story.latest_version is not None
    assert story.latest_version.safety_reasons == ["past:en:intent:end my life"]
    assert not Escalation.objects.exists()


def test_method_detail_sends_the_story_back_with_the_paragraph(member: User) -> None:
    story = ready_to_send(member, METHOD)
    assert actions.submit(member, story) == actions.Submitted("sent_back", (2,))
    story.refresh_from_db()
    assert story.status == Status.DRAFT
    assert story.latest_version is not None
    assert story.latest_version.safety_level == "method"
    assert "en:substance:paracetamol" in story.latest_version.safety_reasons
    entry = AuditEntry.objects.filter(actor_id=member.pk).latest("id")
    assert (entry.verb, entry.reason) == ("stories.story.send_back", "method_detail")
    assert not Escalation.objects.exists()


def test_current_risk_holds_the_story_and_tells_a_coordinator(member: User) -> None:
    story = ready_to_send(member, RISK_NOW)
    assert actions.submit(member, story) == actions.Submitted("held")
    story.refresh_from_db()
    assert (story.status, story.held_for_safety) == (Status.SUBMITTED, True)
    assert story.latest_version is not None
    assert story.latest_version.safety_level == "imminent"
    case = Escalation.objects.get()
    assert (case.person, case.source, case.source_id) == (member, "stories.story", story.pk)
    assert case.level == "imminent"
    assert case.reasons == story.latest_version.safety_reasons
    entry = AuditEntry.objects.filter(verb="stories.story.submit").get()
    assert entry.reason == "held_for_safety"
    assert access.readable_story(member, story.public_id) is None


def test_a_story_sent_back_with_changes_asked_for_can_be_sent_again(member: User) -> None:
    story = ready_to_send(member)
    Story.objects.filter(pk=story.pk).update(status=Status.CHANGES_REQUESTED)
    assert actions.submit(member, story).outcome == "queued"
    story.refresh_from_db()
    assert story.status == Status.SUBMITTED


def test_a_story_without_consent_cannot_be_sent(member: User) -> None:
    story = actions.start_story(member, CALM)
    with pytest.raises(actions.StoryError) as refused:
        actions.submit(member, story)
    assert refused.value.code == "no_consent"
    actions.change_consent(member, story, PUBLIC_ANONYMOUS, language="en")
    actions.withdraw_consent(member, story, language="en")
    with pytest.raises(actions.StoryError):
        actions.submit(member, story)
    story.refresh_from_db()
    assert story.status == Status.DRAFT
    assert verbs(member).count("stories.story.submit") == 0


@pytest.mark.parametrize(
    "status", [Status.SUBMITTED, Status.IN_REVIEW, Status.PUBLISHED, Status.WITHDRAWN]
)
def test_only_drafts_and_stories_with_changes_asked_for_are_sent(
    member: User, status: str
) -> None:
    story = make_story(member, status=status)
    with pytest.raises(actions.StoryError) as refused:
        actions.submit(member, story)
    assert refused.value.code == "not_submittable"
    story.refresh_from_db()
    assert story.status == status


# --- Consent --------------------------------------------------------------------------------


def test_consent_is_a_numbered_row_with_the_words_and_their_hash(
    member: User, signals: list[dict[str, Any]]
) -> None:
    story = actions.start_story(member, CALM)
    first = actions.change_consent(member, story, PUBLIC_ANONYMOUS, language="en")
    assert first is not None
    choices = ConsentChoices(
        audience="members",
        attribution="other_name",
        other_name="  Winter   Bird ",
        advocacy="any",
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    second = actions.change_consent(member, story, choices, language="en")
    assert second is not None
    assert [row.number for row in StoryConsent.objects.filter(story=story)] == [2, 1]
    assert (second.audience, second.attribution, second.other_name) == (
        "members",
        "other_name",
        "Winter Bird",
    )
    assert "version 2" in second.document
    assert "“Winter Bird”" in second.document
    assert second.document_sha256 == sha256_of(second.document)
    assert access.consent_in_force(story) == second
    assert [(s["reason"], s["actor"], s["story"], s["in_transaction"]) for s in signals] == [
        ("consent_changed", member, story, True),
        ("consent_changed", member, story, True),
    ]
    assert verbs(member)[-2:] == ["stories.consent.change", "stories.consent.change"]


def test_consent_words_are_in_the_authors_language(member: User) -> None:
    story = actions.start_story(member, CALM)
    consent = actions.change_consent(member, story, PUBLIC_ANONYMOUS, language="es")
    assert consent is not None
    assert consent.language == "es"
    assert consent.document.startswith("Mi consentimiento para mi historia (versión 1)")
    other = actions.change_consent(
        member, story, ConsentChoices("members", "anonymous"), language="fr"
    )
    assert other is not None
    assert other.language == "en"


def test_the_same_choices_again_change_nothing(
    member: User, signals: list[dict[str, Any]]
) -> None:
    story = actions.start_story(member, CALM)
    actions.change_consent(member, story, PUBLIC_ANONYMOUS, language="en")
    assert actions.change_consent(member, story, PUBLIC_ANONYMOUS, language="en") is None
    assert story.consents.count() == 1
    assert len(signals) == 1


def test_chosen_campaigns_must_be_active_ones(member: User) -> None:
    active = make_campaign(title="Fund peer respite")
    draft = make_campaign(title="Not yet", status="draft")
    story = actions.start_story(member, CALM)
    for ids in ([], [draft.pk], [active.pk, 999999]):
        with pytest.raises(ValidationError) as refused:
            actions.change_consent(
                member,
                story,
                ConsentChoices("public", "anonymous", "chosen", campaign_ids=ids),
                language="en",
            )
        assert "campaigns" in refused.value.message_dict
    assert not story.consents.exists()
    consent = actions.change_consent(
        member,
        story,
        ConsentChoices("public", "anonymous", "chosen", campaign_ids=[active.pk]),
        language="en",
    )
    assert consent is not None
    assert consent.campaign_ids == [active.pk]
    assert "“Fund peer respite”" in consent.document


@pytest.mark.parametrize(
    ("choices", "field"),
    [
        (ConsentChoices("everyone", "anonymous"), "audience"),
        (ConsentChoices("public", "real_name"), "attribution"),
        (ConsentChoices("public", "other_name", other_name="  "), "other_name"),
        (ConsentChoices("public", "other_name", other_name="x" * 61), "other_name"),
        (ConsentChoices("public", "anonymous", advocacy="some"), "advocacy"),
        (ConsentChoices("public", "anonymous", ends_on=datetime.date(2020, 1, 1)), "ends_on"),
    ],
)
def test_bad_consent_choices_are_refused_and_nothing_is_saved(
    member: User, choices: ConsentChoices, field: str, signals: list[dict[str, Any]]
) -> None:
    story = actions.start_story(member, CALM)
    with pytest.raises(ValidationError) as refused:
        actions.change_consent(member, story, choices, language="en")
    assert field in refused.value.message_dict
    assert not story.consents.exists()
    assert signals == []


def test_withdrawing_consent_takes_the_story_off_every_page_and_campaign(
    member: User, other_member: User, signals: list[dict[str, Any]]
) -> None:
    campaign = make_campaign()
    story = make_story(member)
    assert access.readable_story(other_member, story.public_id) is not None
    assert access.story_for_campaign(story.pk, campaign.pk) is not None
    consent = actions.withdraw_consent(member, story, language="en")
    assert (consent.number, consent.withdrawn) == (2, True)
    assert "I withdraw my consent" in consent.document
    assert access.readable_story(other_member, story.public_id) is None
    assert access.story_for_campaign(story.pk, campaign.pk) is None
    assert access.stories_for_campaign(campaign.pk) == []
    assert [(s["reason"], s["in_transaction"]) for s in signals] == [("consent_withdrawn", True)]
    assert verbs(member) == ["stories.consent.withdraw"]
    with pytest.raises(actions.StoryError):
        actions.withdraw_consent(member, story, language="en")


def test_consent_can_be_given_again_after_a_withdrawal(member: User) -> None:
    story = make_story(member)
    actions.withdraw_consent(member, story, language="en")
    again = actions.change_consent(member, story, PUBLIC_ANONYMOUS, language="en")
    assert again is not None
    assert again.number == 3
    assert access.readable_story(member, story.public_id) is not None


def test_withdrawing_a_story_ends_its_use_everywhere(
    member: User, other_member: User, signals: list[dict[str, Any]]
) -> None:
    story = make_story(member)
    actions.withdraw_story(member, story)
    story.refresh_from_db()
    assert story.status == Status.WITHDRAWN
    assert story.withdrawn_at is not None
    assert access.readable_story(other_member, story.public_id) is None
    assert [(s["reason"], s["in_transaction"]) for s in signals] == [("story_withdrawn", True)]
    assert verbs(member) == ["stories.story.withdraw"]
    with pytest.raises(actions.StoryError):
        actions.withdraw_story(member, story)
    with pytest.raises(actions.StoryError):
        actions.change_consent(member, story, PUBLIC_ANONYMOUS, language="en")


def test_a_receiver_that_fails_rolls_the_change_back(member: User) -> None:
    story = make_story(member)

    def refuse(sender: type[Story], **kwargs: Any) -> None:
        raise RuntimeError("advocacy could not flag the brief")

    story_use_changed.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(RuntimeError):
            actions.withdraw_consent(member, story, language="en")
    finally:
        story_use_changed.disconnect(dispatch_uid="test-refuse")
    assert story.consents.count() == 1
    assert access.consent_in_force(story) is not None
    assert not AuditEntry.objects.filter(verb="stories.consent.withdraw").exists()


def test_an_ended_consent_is_no_consent_for_sending(member: User) -> None:
    story = make_story(member, status=Status.DRAFT, consent=False)
    give_consent(story, ends_on=timezone.localdate() - datetime.timedelta(days=1))
    assert access.consent_in_force(story) is None
    with pytest.raises(actions.StoryError) as refused:
        actions.submit(member, story)
    assert refused.value.code == "no_consent"
