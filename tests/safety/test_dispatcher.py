"""The dispatcher: claims with a lease, carries each row once, e-mails with no details."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import Role, User
from peerlight.safety import actions, dispatcher, escalations
from peerlight.safety.models import Escalation, EscalationOutbox, OnCallShift
from tests.conftest import make_user


def raise_case(person: User, source_id: int = 42) -> Escalation:
    return actions.raise_risk(
        person_id=person.pk,
        source="chat.conversation",
        source_id=source_id,
        level="imminent",
        reasons=["en:intent:kill myself"],
    )


@pytest.fixture
def first(db: None) -> User:
    return make_user("Ash", Role.COORDINATOR, email="ash@example.org")


@pytest.fixture
def case(member: User) -> Escalation:
    return raise_case(member)


def at(case: Escalation, seconds: float) -> datetime:
    return case.created_at + timedelta(seconds=seconds)


def put_on_call(coordinator: User, case: Escalation, order: int = 0) -> None:
    OnCallShift.objects.create(
        coordinator=coordinator,
        starts_at=case.created_at - timedelta(hours=1),
        ends_at=case.created_at + timedelta(hours=1),
        order=order,
    )


def alerts(case: Escalation) -> int:
    return case.events.filter(kind="notified_in_app").count()


def test_one_round_alerts_the_responder_and_sends_the_email(case: Escalation, first: User) -> None:
    put_on_call(first, case)
    assert dispatcher.run_once(at(case, 0.1)) >= 1
    case.refresh_from_db()
    assert case.notified_at is not None
    assert alerts(case) == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ash@example.org"]
    assert f"/safety/escalations/{case.pk}/" in sent.body
    # No personal details: not the person's name, not the reasons.
    text = f"{sent.subject}\n{sent.body}"
    assert "River" not in text
    assert "kill" not in text
    assert case.events.filter(kind="notified_email", recipient=first).count() == 1
    assert not EscalationOutbox.objects.filter(done_at__isnull=True).exists()


def test_running_again_alerts_no_one_twice(case: Escalation, first: User) -> None:
    put_on_call(first, case)
    for _ in range(3):
        dispatcher.run_once(at(case, 0.1))
    assert alerts(case) == 1
    assert len(mail.outbox) == 1


def test_a_claimed_row_is_not_claimed_again_while_its_lease_holds(case: Escalation) -> None:
    claimed = dispatcher.claim(at(case, 0))
    assert [row.escalation_id for row in claimed] == [case.pk]
    assert dispatcher.claim(at(case, 1)) == []
    row = EscalationOutbox.objects.get(pk=claimed[0].pk)
    assert row.locked_until == at(case, dispatcher.LEASE_SECONDS["raised"])
    assert row.attempts == 1


def test_a_crash_between_claim_and_finish_is_picked_up_after_the_lease(
    case: Escalation, first: User
) -> None:
    put_on_call(first, case)
    # A dispatcher claims the row and dies (SIGKILL) before carrying it.
    dispatcher.claim(at(case, 0))
    dispatcher.run_once(at(case, 1))
    case.refresh_from_db()
    assert case.notified_at is None
    # Once the lease runs out the next round claims and carries it.
    dispatcher.run_once(at(case, dispatcher.LEASE_SECONDS["raised"] + 0.1))
    case.refresh_from_db()
    assert case.notified_at is not None
    assert alerts(case) == 1


def test_a_crash_after_the_step_but_before_the_row_is_done_repeats_nothing(
    case: Escalation, first: User
) -> None:
    put_on_call(first, case)
    rows = dispatcher.claim(at(case, 0))
    # The step was committed, then the dispatcher died before marking the row.
    escalations.advance(case.pk, now=at(case, 0))
    assert alerts(case) == 1
    assert rows[0].done_at is None
    dispatcher.run_once(at(case, 10))
    assert alerts(case) == 1
    assert EscalationOutbox.objects.get(pk=rows[0].pk).done_at is not None


def test_a_failing_step_rolls_back_and_is_tried_again(case: Escalation, first: User) -> None:
    put_on_call(first, case)
    with mock.patch.object(escalations, "_alert", side_effect=RuntimeError("disk full")):
        dispatcher.run_once(at(case, 0))
    case.refresh_from_db()
    assert case.notified_at is None
    assert alerts(case) == 0
    dispatcher.run_once(at(case, 10))
    assert alerts(case) == 1


def test_an_email_that_fails_is_sent_again_later(case: Escalation, first: User) -> None:
    put_on_call(first, case)
    with mock.patch.object(dispatcher, "send_mail", side_effect=OSError("mail server down")):
        dispatcher.run_once(at(case, 0))
    assert alerts(case) == 1
    assert len(mail.outbox) == 0
    email_row = EscalationOutbox.objects.get(kind="email")
    assert email_row.done_at is None
    dispatcher.run_once(at(case, dispatcher.LEASE_SECONDS["email"] + 1))
    assert len(mail.outbox) == 1
    assert case.events.filter(kind="notified_email").count() == 1


def test_the_deadline_moves_the_case_along_the_rota(
    case: Escalation, first: User, settings: SettingsWrapper
) -> None:
    settings.PEERLIGHT_SAFETY_FALLBACK_EMAIL = "duty@example.org"
    second = make_user("Bo", Role.COORDINATOR, email="bo@example.org")
    put_on_call(first, case, 0)
    put_on_call(second, case, 1)
    dispatcher.run_once(at(case, 0))
    dispatcher.run_once(at(case, 59))
    case.refresh_from_db()
    assert case.responder == first
    dispatcher.run_once(at(case, 60))
    case.refresh_from_db()
    assert case.responder == second
    dispatcher.run_once(at(case, 120))
    case.refresh_from_db()
    assert case.fallback_at == at(case, 120)
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "ash@example.org",
        "bo@example.org",
        "duty@example.org",
    ]
    assert case.events.filter(kind="fallback_contacted").count() == 1


def test_nobody_on_call_emails_the_fallback(case: Escalation, settings: SettingsWrapper) -> None:
    settings.PEERLIGHT_SAFETY_FALLBACK_EMAIL = "duty@example.org"
    dispatcher.run_once(at(case, 0))
    assert [message.to for message in mail.outbox] == [["duty@example.org"]]


def test_the_dispatcher_thread_stops_when_asked(case: Escalation, first: User) -> None:
    import threading

    put_on_call(first, case)
    stop = threading.Event()
    with (
        mock.patch.object(dispatcher, "close_old_connections"),
        mock.patch("peerlight.safety.dispatcher.connection"),
    ):
        stop.set()
        dispatcher.run_forever(stop, interval=0)
    # Stopped before its first round.
    case.refresh_from_db()
    assert case.notified_at is None
