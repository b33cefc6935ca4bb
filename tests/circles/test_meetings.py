"""Changing one meeting: cancel, bring back, move; who may, and what is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from peerlight.accounts.models import Role, User
from peerlight.audit.models import AuditEntry
from peerlight.circles import meetings, reminders
from peerlight.circles.models import Circle, Meeting, Notice
from tests.circles.factories import make_circle, make_meeting
from tests.conftest import make_user

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """What the reminders module was asked to do, in order."""
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        reminders, "notify_members", lambda meeting, kind: calls.append((kind, meeting.pk))
    )
    monkeypatch.setattr(
        reminders, "schedule_reminders", lambda ids: calls.append(("reminders", list(ids)))
    )
    return calls


@pytest.fixture
def circle(peer_supporter: User) -> Circle:
    return make_circle(peer_supporter)


@pytest.fixture
def meeting(circle: Circle) -> Meeting:
    return make_meeting(circle, timezone.now() + dt.timedelta(days=2))


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` as the naive wall-clock time a form would send."""
    return moment.astimezone(LA).replace(tzinfo=None)


def audited(verb: str, meeting: Meeting) -> bool:
    return AuditEntry.objects.filter(verb=verb, target_id=str(meeting.pk)).exists()


# --- Cancel and restore ----------------------------------------------------------------


def test_a_facilitator_cancels_a_meeting(
    peer_supporter: User,
    meeting: Meeting,
    told: list[tuple[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        meetings.cancel_meeting(peer_supporter, meeting, "  Our facilitator is ill.  ")

    meeting.refresh_from_db()
    assert meeting.is_cancelled
    assert meeting.note == "Our facilitator is ill."
    assert meeting.sequence == 1
    assert audited("circles.meeting.cancel", meeting)
    assert told == [(Notice.Kind.CANCELLED, meeting.pk)]


def test_a_coordinator_restores_a_cancelled_meeting(
    coordinator: User,
    meeting: Meeting,
    told: list[tuple[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(
        status=Meeting.Status.CANCELLED, note="Snow", sequence=1
    )

    with django_capture_on_commit_callbacks(execute=True):
        meetings.restore_meeting(coordinator, meeting)

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert meeting.note == ""
    assert meeting.sequence == 2
    assert audited("circles.meeting.restore", meeting)
    assert told == [(Notice.Kind.CHANGED, meeting.pk), ("reminders", [meeting.pk])]


@pytest.mark.parametrize("persona", ["member", "other_peer", "inactive_coordinator"])
def test_only_leaders_may_change_a_meeting(
    persona: str, member: User, meeting: Meeting, told: list[tuple[str, Any]]
) -> None:
    actor = {
        "member": member,
        "other_peer": make_user("Casey", Role.PEER_SUPPORTER),
        "inactive_coordinator": make_user("Inactive", Role.COORDINATOR),
    }[persona]
    if persona == "inactive_coordinator":
        User.objects.filter(pk=actor.pk).update(is_active=False)
        actor.refresh_from_db()
    start = local(meeting.starts_at + dt.timedelta(days=1))

    with pytest.raises(PermissionDenied):
        meetings.cancel_meeting(actor, meeting, "")
    with pytest.raises(PermissionDenied):
        meetings.restore_meeting(actor, meeting)
    with pytest.raises(PermissionDenied):
        meetings.change_meeting(
            actor, meeting, starts_at_local=start, duration_minutes=60, note=""
        )

    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence, meeting.is_changed) == ("scheduled", 0, False)
    assert told == []


def test_cancel_refuses_what_cannot_be_cancelled(
    peer_supporter: User, circle: Circle, told: list[tuple[str, Any]]
) -> None:
    now = timezone.now()
    over = make_meeting(circle, now - dt.timedelta(hours=3))
    room_open = make_meeting(circle, now + dt.timedelta(minutes=10), room_opened_at=now)
    cancelled = make_meeting(
        circle, now + dt.timedelta(days=3), status=Meeting.Status.CANCELLED, note="Before"
    )
    later = make_meeting(circle, now + dt.timedelta(days=4))

    for refused_meeting, note, message in [
        (over, "", "is over"),
        (room_open, "", "room of this meeting is open"),
        (cancelled, "Again", "cancelled already"),
        (later, "x" * 301, "300 characters"),
    ]:
        with pytest.raises(ValidationError) as refused:
            meetings.cancel_meeting(peer_supporter, refused_meeting, note)
        assert message in refused.value.messages[0]

    assert Meeting.objects.filter(status=Meeting.Status.CANCELLED).count() == 1
    assert Meeting.objects.get(pk=cancelled.pk).note == "Before"
    assert told == []


def test_restore_refuses_a_meeting_that_is_on(peer_supporter: User, meeting: Meeting) -> None:
    with pytest.raises(ValidationError, match="not cancelled"):
        meetings.restore_meeting(peer_supporter, meeting)


# --- Move ------------------------------------------------------------------------------


def test_a_facilitator_moves_a_meeting(
    peer_supporter: User,
    meeting: Meeting,
    told: list[tuple[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    original = meeting.recurrence_id
    new_start = (meeting.starts_at + dt.timedelta(days=1)).astimezone(LA)
    new_start = new_start.replace(hour=19, minute=15, second=0, microsecond=0)

    with django_capture_on_commit_callbacks(execute=True):
        meetings.change_meeting(
            peer_supporter,
            meeting,
            starts_at_local=new_start.replace(tzinfo=None),
            duration_minutes=120,
            note="The hall is booked that evening.",
        )

    meeting.refresh_from_db()
    assert meeting.starts_at == new_start
    assert meetings.local_start(meeting).time() == dt.time(19, 15)
    assert meeting.ends_at - meeting.starts_at == dt.timedelta(minutes=120)
    assert meeting.is_changed
    assert meeting.recurrence_id == original
    assert meeting.sequence == 1
    assert meeting.note == "The hall is booked that evening."
    assert audited("circles.meeting.change", meeting)
    assert told == [(Notice.Kind.CHANGED, meeting.pk), ("reminders", [meeting.pk])]


@pytest.mark.parametrize(
    ("shift", "minutes", "message"),
    [
        (dt.timedelta(days=-3), 90, "still to come"),
        (dt.timedelta(days=400), 90, "within the next year"),
        (dt.timedelta(days=1), 14, "from 15 to 480 minutes"),
        (dt.timedelta(days=1), 481, "from 15 to 480 minutes"),
    ],
)
def test_move_refuses_bad_times_and_lengths(
    peer_supporter: User,
    meeting: Meeting,
    told: list[tuple[str, Any]],
    shift: dt.timedelta,
    minutes: int,
    message: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        meetings.change_meeting(
            peer_supporter,
            meeting,
            starts_at_local=local(meeting.starts_at + shift),
            duration_minutes=minutes,
            note="",
        )

    assert message in refused.value.messages[0]
    before = meeting.starts_at
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.is_changed, meeting.sequence) == (before, False, 0)
    assert told == []


def test_move_refuses_a_meeting_over_cancelled_or_with_its_room_open(
    peer_supporter: User, circle: Circle
) -> None:
    now = timezone.now()
    tomorrow = local(now + dt.timedelta(days=1))
    cases = [
        (make_meeting(circle, now - dt.timedelta(hours=3)), "is over"),
        (make_meeting(circle, now + dt.timedelta(minutes=5), room_opened_at=now), "room"),
        (
            make_meeting(circle, now + dt.timedelta(days=2), status=Meeting.Status.CANCELLED),
            "Bring it back first",
        ),
    ]

    for refused_meeting, message in cases:
        with pytest.raises(ValidationError) as refused:
            meetings.change_meeting(
                peer_supporter,
                refused_meeting,
                starts_at_local=tomorrow,
                duration_minutes=60,
                note="",
            )
        assert message in refused.value.messages[0]
    assert not Meeting.objects.filter(is_changed=True).exists()


def test_move_wants_a_wall_clock_time(peer_supporter: User, meeting: Meeting) -> None:
    with pytest.raises(ValueError, match="naive"):
        meetings.change_meeting(
            peer_supporter,
            meeting,
            starts_at_local=meeting.starts_at + dt.timedelta(days=1),
            duration_minutes=60,
            note="",
        )
