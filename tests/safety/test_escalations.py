"""Escalations: raising, the coordinators' states, the rota and its tiers (a fixed clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import Role, User
from peerlight.audit.models import AuditEntry
from peerlight.safety import actions, escalations
from peerlight.safety.escalations import EscalationError
from peerlight.safety.models import Escalation, EscalationEvent, EscalationOutbox, OnCallShift
from tests.conftest import make_user

T0 = datetime.fromisoformat("2026-03-02T10:00:00+00:00")


def raise_case(person: User, source_id: int = 42, level: str = "imminent") -> Escalation:
    return actions.raise_risk(
        person_id=person.pk,
        source="chat.conversation",
        source_id=source_id,
        level=level,
        reasons=["en:intent:kill myself"],
    )


def on_shift(coordinator: User, order: int = 0) -> OnCallShift:
    return OnCallShift.objects.create(
        coordinator=coordinator,
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=8),
        order=order,
    )


def kinds(case: Escalation) -> list[str]:
    return list(case.events.order_by("pk").values_list("kind", flat=True))


@pytest.fixture
def case(member: User) -> Escalation:
    return raise_case(member)


# --- Raising ------------------------------------------------------------------------------


def test_raise_risk_refuses_a_malformed_source_or_no_risk(member: User) -> None:
    with pytest.raises(ValueError, match="source"):
        actions.raise_risk(person_id=member.pk, source="Chat!", source_id=1, level="imminent")
    with pytest.raises(ValueError, match="level"):
        actions.raise_risk(
            person_id=member.pk, source="chat.conversation", source_id=1, level="none"
        )
    assert not Escalation.objects.exists()


def test_raising_is_audited_with_codes_only(case: Escalation, member: User) -> None:
    entry = AuditEntry.objects.get(verb="safety.escalation.raise")
    assert entry.reason == "imminent"
    assert kinds(case) == ["raised"]


def test_a_resolved_case_lets_the_next_risk_open_a_new_one(
    case: Escalation, member: User, coordinator: User
) -> None:
    escalations.acknowledge(coordinator, case.pk)
    escalations.resolve(coordinator, case.pk, outcome="de_escalated")
    again = raise_case(member)
    assert again.pk != case.pk
    assert Escalation.objects.count() == 2


def test_a_higher_level_raises_the_open_case(member: User) -> None:
    first = raise_case(member, level="concern")
    second = raise_case(member, level="imminent")
    assert second.pk == first.pk
    first.refresh_from_db()
    assert first.level == "imminent"


# --- States -------------------------------------------------------------------------------


def test_the_whole_way_open_acknowledged_in_progress_resolved(
    case: Escalation, coordinator: User
) -> None:
    escalations.acknowledge(coordinator, case.pk, now=T0)
    escalations.start_work(coordinator, case.pk, now=T0 + timedelta(minutes=1))
    escalations.resolve(
        coordinator,
        case.pk,
        outcome="warm_handoff",
        note="called the line together",
        now=T0 + timedelta(minutes=9),
    )
    case.refresh_from_db()
    assert case.state == "resolved"
    assert case.acknowledged_at == T0
    assert case.in_progress_at == T0 + timedelta(minutes=1)
    assert case.resolved_at == T0 + timedelta(minutes=9)
    assert case.outcome == "warm_handoff"
    assert case.outcome_note == "called the line together"
    assert case.responder == coordinator
    assert kinds(case) == ["raised", "acknowledged", "in_progress", "resolved"]
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {
        "safety.escalation.acknowledged",
        "safety.escalation.in_progress",
        "safety.escalation.resolved",
    } <= verbs
    # The note is never in the audit log.
    assert not AuditEntry.objects.filter(reason__icontains="called").exists()


def test_an_acknowledged_case_can_be_resolved_at_once(case: Escalation, coordinator: User) -> None:
    escalations.acknowledge(coordinator, case.pk)
    escalations.resolve(coordinator, case.pk, outcome="other")
    case.refresh_from_db()
    assert case.state == "resolved"
    assert case.in_progress_at is None


@pytest.mark.parametrize(
    ("done", "refused"),
    [
        ([], "start"),
        ([], "resolve"),
        (["acknowledge"], "acknowledge"),
        (["acknowledge", "start"], "start"),
        (["acknowledge", "start"], "acknowledge"),
        (["acknowledge", "resolve"], "resolve"),
        (["acknowledge", "resolve"], "acknowledge"),
        (["acknowledge", "resolve"], "start"),
    ],
)
def test_steps_that_do_not_apply_are_refused(
    case: Escalation, coordinator: User, done: list[str], refused: str
) -> None:
    steps = {
        "acknowledge": lambda: escalations.acknowledge(coordinator, case.pk),
        "start": lambda: escalations.start_work(coordinator, case.pk),
        "resolve": lambda: escalations.resolve(coordinator, case.pk, outcome="other"),
    }
    for step in done:
        steps[step]()
    before = kinds(case)
    with pytest.raises(EscalationError):
        steps[refused]()
    assert kinds(case) == before


def test_an_unknown_outcome_or_long_note_is_refused(case: Escalation, coordinator: User) -> None:
    escalations.acknowledge(coordinator, case.pk)
    with pytest.raises(EscalationError):
        escalations.resolve(coordinator, case.pk, outcome="gone")
    with pytest.raises(EscalationError):
        escalations.resolve(coordinator, case.pk, outcome="other", note="x" * 2001)
    case.refresh_from_db()
    assert case.state == "acknowledged"


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher"])
def test_only_coordinators_take_steps(
    case: Escalation, persona: str, request: pytest.FixtureRequest
) -> None:
    someone: User = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        escalations.acknowledge(someone, case.pk)
    case.refresh_from_db()
    assert case.state == "open"


def test_acknowledging_stops_the_rota(case: Escalation, coordinator: User) -> None:
    on_shift(coordinator)
    escalations.advance(case.pk, now=T0)
    escalations.acknowledge(coordinator, case.pk, now=T0 + timedelta(seconds=5))
    case.refresh_from_db()
    assert case.next_step_at is None
    assert escalations.advance(case.pk, now=T0 + timedelta(hours=1)).kinds == ()


# --- The rota and its tiers ---------------------------------------------------------------


def test_the_first_responder_is_alerted_in_the_app_and_by_email(
    case: Escalation, settings: SettingsWrapper
) -> None:
    first = make_user("Ash", Role.COORDINATOR, email="ash@example.org")
    on_shift(first)
    step = escalations.advance(case.pk, now=T0)
    assert step.kinds == ("notified_in_app",)
    case.refresh_from_db()
    assert case.responder == first
    assert case.tier == 0
    assert case.notified_at == T0
    assert case.next_step_at == T0 + timedelta(seconds=60)
    alert = case.events.get(kind="notified_in_app")
    assert alert.recipient == first
    assert EscalationOutbox.objects.filter(kind="email", recipient=first).count() == 1


def test_advancing_again_before_the_deadline_does_nothing(
    case: Escalation, coordinator: User
) -> None:
    on_shift(coordinator)
    escalations.advance(case.pk, now=T0)
    assert escalations.advance(case.pk, now=T0 + timedelta(seconds=59)).kinds == ()
    assert case.events.filter(kind="notified_in_app").count() == 1


def test_no_answer_in_time_goes_to_the_next_responder_then_the_fallback(
    case: Escalation, settings: SettingsWrapper
) -> None:
    settings.PEERLIGHT_ESCALATION_ACK_SECONDS = 30
    settings.PEERLIGHT_SAFETY_FALLBACK_EMAIL = "duty@example.org"
    first = make_user("Ash", Role.COORDINATOR)
    second = make_user("Bo", Role.COORDINATOR, email="bo@example.org")
    on_shift(second, order=1)
    on_shift(first, order=0)
    escalations.advance(case.pk, now=T0)
    step = escalations.advance(case.pk, now=T0 + timedelta(seconds=30))
    assert step.kinds == ("reassigned", "notified_in_app")
    case.refresh_from_db()
    assert (case.responder, case.tier) == (second, 1)
    assert case.next_step_at == T0 + timedelta(seconds=60)
    step = escalations.advance(case.pk, now=T0 + timedelta(seconds=60))
    assert step.kinds == ("banner_shown",)
    case.refresh_from_db()
    assert case.fallback_at == T0 + timedelta(seconds=60)
    assert case.next_step_at is None
    # The fallback's e-mail waits in the outbox (no recipient: the configured address).
    assert EscalationOutbox.objects.filter(kind="email", recipient=None).count() == 1
    # Every coordinator now sees it in the banner, not only the one asked.
    assert escalations.banner_cases(first) == [case]
    assert kinds(case) == [
        "raised",
        "notified_in_app",
        "reassigned",
        "notified_in_app",
        "banner_shown",
    ]


def test_nobody_on_call_goes_straight_to_the_fallback_and_the_banner(
    case: Escalation, coordinator: User, settings: SettingsWrapper
) -> None:
    settings.PEERLIGHT_SAFETY_FALLBACK_EMAIL = "duty@example.org"
    step = escalations.advance(case.pk, now=T0)
    assert step.kinds == ("nobody_on_call", "banner_shown")
    case.refresh_from_db()
    assert case.notified_at == T0
    assert case.fallback_at == T0
    assert escalations.banner_cases(coordinator) == [case]


def test_nobody_on_call_and_no_fallback_is_still_not_silent(
    case: Escalation, coordinator: User, settings: SettingsWrapper
) -> None:
    settings.PEERLIGHT_SAFETY_FALLBACK_EMAIL = ""
    step = escalations.advance(case.pk, now=T0)
    assert step.kinds == ("nobody_on_call", "fallback_missing", "banner_shown")
    assert escalations.banner_cases(coordinator) == [case]


def test_ended_shifts_and_former_coordinators_are_not_on_call(member: User) -> None:
    ended = make_user("Ash", Role.COORDINATOR)
    OnCallShift.objects.create(
        coordinator=ended, starts_at=T0 - timedelta(hours=9), ends_at=T0 - timedelta(hours=1)
    )
    former = make_user("Bo", Role.COORDINATOR)
    on_shift(former)
    former.role_grants.update(revoked_at=T0)
    coming = make_user("Cy", Role.COORDINATOR)
    OnCallShift.objects.create(
        coordinator=coming, starts_at=T0 + timedelta(hours=1), ends_at=T0 + timedelta(hours=2)
    )
    assert escalations.on_call(T0) == []


def test_a_case_nobody_carried_shows_every_coordinator_a_banner_after_a_while(
    member: User, coordinator: User
) -> None:
    case = actions.raise_risk(
        person_id=member.pk, source="chat.conversation", source_id=5, level="imminent"
    )
    assert escalations.banner_cases(coordinator, now=case.created_at) == []
    later = case.created_at + timedelta(seconds=escalations.STALLED_SECONDS)
    assert escalations.banner_cases(coordinator, now=later) == [case]


def test_add_shift_checks_its_input(coordinator: User, peer_supporter: User) -> None:
    with pytest.raises(EscalationError):
        escalations.add_shift(coordinator, coordinator, T0, T0, 0)
    with pytest.raises(EscalationError):
        escalations.add_shift(coordinator, peer_supporter, T0, T0 + timedelta(hours=1), 0)
    with pytest.raises(PermissionDenied):
        escalations.add_shift(peer_supporter, coordinator, T0, T0 + timedelta(hours=1), 0)
    assert not OnCallShift.objects.exists()
    shift = escalations.add_shift(coordinator, coordinator, T0, T0 + timedelta(hours=1), 0)
    assert AuditEntry.objects.filter(verb="safety.oncall.add").exists()
    assert escalations.remove_shift(coordinator, shift.pk)
    assert not escalations.remove_shift(coordinator, shift.pk)


def test_events_hold_codes_and_ids_only() -> None:
    names = {field.name for field in EscalationEvent._meta.get_fields()}
    assert names == {"id", "escalation", "kind", "actor", "recipient", "tier", "created_at"}
