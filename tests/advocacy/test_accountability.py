"""Answer links, targets' answers and the tracker (``advocacy.accountability``)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.advocacy import accountability
from peerlight.advocacy.models import (
    ActionNotice,
    AnswerLink,
    Campaign,
    Commitment,
    Target,
    TargetAnswer,
)
from peerlight.audit.models import AuditEntry
from tests.advocacy.brief_factories import make_signatures
from tests.advocacy.factories import make_campaign, make_target

Error = accountability.AccountabilityError


@pytest.fixture
def target(db: None) -> Target:
    return make_target()


@pytest.fixture
def campaign(target: Target) -> Campaign:
    return make_campaign(targets=[target])


@pytest.fixture
def made(campaign: Campaign, target: Target, coordinator: User) -> accountability.NewAnswerLink:
    return accountability.make_answer_link(coordinator, campaign, target, 30)


def verbs() -> list[str]:
    return list(AuditEntry.objects.order_by("pk").values_list("verb", flat=True))


# --- Links ------------------------------------------------------------------------------


def test_a_link_keeps_only_the_digest_of_its_token(
    made: accountability.NewAnswerLink, coordinator: User
) -> None:
    link = AnswerLink.objects.get()
    assert len(made.token) >= 40
    assert link.token_digest != made.token
    assert len(link.token_digest) == 64
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM advocacy_answerlink")
        assert made.token not in repr(cursor.fetchall())
    assert timezone.now() + datetime.timedelta(days=29) < link.expires_at
    assert link.expires_at < timezone.now() + datetime.timedelta(days=31)
    assert accountability.link_for_token(made.token) == link
    assert verbs() == ["advocacy.answer_link.create"]


def test_two_links_never_share_a_token(
    campaign: Campaign, target: Target, coordinator: User
) -> None:
    first = accountability.make_answer_link(coordinator, campaign, target, 1)
    second = accountability.make_answer_link(coordinator, campaign, target, 1)
    assert first.token != second.token


@pytest.mark.parametrize(
    ("days", "campaign_status", "on_campaign", "problem"),
    [
        (0, "active", True, "from 1 to 90 days"),
        (91, "active", True, "from 1 to 90 days"),
        (30, "draft", True, "publish it before asking for answers"),
        (30, "active", False, "one of this campaign's decision makers"),
    ],
)
def test_a_link_that_cannot_work_is_not_made(
    coordinator: User,
    target: Target,
    days: int,
    campaign_status: str,
    on_campaign: bool,
    problem: str,
) -> None:
    campaign = make_campaign(status=campaign_status, targets=[target] if on_campaign else [])
    with pytest.raises(Error, match=problem):
        accountability.make_answer_link(coordinator, campaign, target, days)
    assert not AnswerLink.objects.exists()
    assert verbs() == []


def test_only_an_open_link_opens_the_page(
    made: accountability.NewAnswerLink, campaign: Campaign, coordinator: User
) -> None:
    assert accountability.link_for_token(made.token[:-1]) is None
    assert accountability.link_for_token("") is None
    campaign.status = Campaign.Status.DRAFT
    campaign.save()
    assert accountability.link_for_token(made.token) is None
    campaign.status = Campaign.Status.ACTIVE
    campaign.save()
    AnswerLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert accountability.link_for_token(made.token) is None


def test_a_revoked_link_stops_at_once(
    made: accountability.NewAnswerLink, coordinator: User
) -> None:
    accountability.revoke_answer_link(coordinator, made.link)
    accountability.revoke_answer_link(coordinator, made.link)
    assert accountability.link_for_token(made.token) is None
    assert verbs() == ["advocacy.answer_link.create", "advocacy.answer_link.revoke"]
    rows = accountability.answer_links_of(made.link.campaign)
    assert [(row.used, row.works) for row in rows] == [(False, False)]


# --- Answers ----------------------------------------------------------------------------


def test_an_answer_is_public_and_tells_the_members_who_acted(
    made: accountability.NewAnswerLink,
    campaign: Campaign,
    target: Target,
    member: User,
    other_member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_signatures(campaign, 1, user=member)
    with django_capture_on_commit_callbacks(execute=False):
        answer = accountability.answer_campaign(made.link, "  We will table it in March.  ")
    assert (answer.body, answer.target, answer.is_visible) == (
        "We will table it in March.",
        target,
        True,
    )
    assert accountability.public_answers(campaign) == [answer]
    assert list(ActionNotice.objects.values_list("user_id", "kind")) == [(member.pk, "answer")]
    entry = AuditEntry.objects.get(verb="advocacy.answer.create")
    assert entry.actor_id is None
    assert "March" not in entry.reason
    rows = accountability.answer_links_of(campaign)
    assert [(row.used, row.works) for row in rows] == [(True, False)]


@pytest.mark.parametrize(
    ("body", "problem"),
    [("   ", "Please write your answer."), ("x" * 4001, "under 4000 characters")],
)
def test_an_empty_or_long_answer_is_refused(
    made: accountability.NewAnswerLink, body: str, problem: str
) -> None:
    with pytest.raises(Error, match=problem):
        accountability.answer_campaign(made.link, body)
    assert not TargetAnswer.objects.exists()


def test_one_answer_per_link_and_none_after_it_stopped(
    made: accountability.NewAnswerLink, campaign: Campaign, target: Target, coordinator: User
) -> None:
    accountability.answer_campaign(made.link, "Yes.")
    with pytest.raises(Error, match="used to answer already"):
        accountability.answer_campaign(made.link, "And more.")
    second = accountability.make_answer_link(coordinator, campaign, target, 5)
    accountability.revoke_answer_link(coordinator, second.link)
    with pytest.raises(Error, match="no longer works"):
        accountability.answer_campaign(second.link, "Too late.")
    assert TargetAnswer.objects.count() == 1


def test_coordinators_hide_and_show_an_answer(
    made: accountability.NewAnswerLink, campaign: Campaign, coordinator: User
) -> None:
    answer = accountability.answer_campaign(made.link, "Yes.")
    accountability.set_answer_visible(coordinator, answer, False)
    accountability.set_answer_visible(coordinator, answer, False)
    assert accountability.public_answers(campaign) == []
    accountability.set_answer_visible(coordinator, answer, True)
    assert accountability.public_answers(campaign) == [answer]
    assert verbs()[-2:] == ["advocacy.answer.hide", "advocacy.answer.show"]


# --- The tracker -------------------------------------------------------------------------


def commitment(target: Target | None, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "target": target,
        "kind": Commitment.Kind.BUDGET_LINE,
        "stance": Commitment.Stance.FOR,
        "description": "A line for peer respite in the county budget.",
        "amount": Decimal("250000.00"),
        "occurred_on": timezone.localdate(),
        "source_url": "https://county.example/budget",
    }
    fields.update(changes)
    return fields


def test_a_commitment_is_tracked_and_tells_the_members_who_acted(
    campaign: Campaign, target: Target, coordinator: User, member: User
) -> None:
    make_signatures(campaign, 1, user=member)
    row = accountability.record_commitment(coordinator, campaign, commitment(target))
    assert accountability.commitments_of(campaign) == [row]
    assert row.members_told_at is not None
    assert (row.recorded_by, row.amount) == (coordinator, Decimal("250000.00"))
    assert list(ActionNotice.objects.values_list("user_id", "kind")) == [(member.pk, "commitment")]
    assert verbs() == ["advocacy.commitment.create"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"occurred_on": timezone.localdate() + datetime.timedelta(days=1)}, "not in the future"),
        ({"description": "  "}, "Please describe it"),
        ({"amount": Decimal("-1")}, "cannot be below zero"),
        ({"target": "stranger"}, "one of this campaign's decision makers"),
    ],
)
def test_a_bad_commitment_changes_nothing(
    campaign: Campaign,
    target: Target,
    coordinator: User,
    member: User,
    changes: dict[str, Any],
    problem: str,
) -> None:
    if changes.get("target") == "stranger":
        changes["target"] = make_target("Someone else")
    make_signatures(campaign, 1, user=member)
    with pytest.raises(Error, match=problem):
        accountability.record_commitment(coordinator, campaign, {**commitment(target), **changes})
    assert not Commitment.objects.exists()
    assert not ActionNotice.objects.exists()


def test_a_commitment_takes_only_its_own_fields(
    campaign: Campaign, target: Target, coordinator: User
) -> None:
    with pytest.raises(ValueError, match="recorded_by"):
        accountability.record_commitment(
            coordinator, campaign, {**commitment(target), "recorded_by": coordinator}
        )
