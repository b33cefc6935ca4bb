"""Taking attendance of a meeting, and the counts programme reports use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Conversation, Participant
from peerlight.circles import attendance
from peerlight.circles.attendance import AttendanceError
from peerlight.circles.models import Attendance, Circle, Meeting, Membership
from tests.circles.factories import make_circle, make_meeting, make_membership
from tests.conftest import make_user


@pytest.fixture
def circle(peer_supporter: User, member: User, other_member: User) -> Circle:
    circle = make_circle(peer_supporter)
    make_membership(circle, member)
    make_membership(circle, other_member)
    return circle


@pytest.fixture
def meeting(circle: Circle) -> Meeting:
    """A meeting that started ten minutes ago."""
    return make_meeting(circle, timezone.now() - timedelta(minutes=10))


def open_room(meeting: Meeting, facilitator: User, *visitors: User) -> Conversation:
    room = chat_actions.start_conversation(
        kind=Conversation.Kind.GROUP,
        members=[
            (facilitator, Participant.Role.FACILITATOR),
            *[(visitor, Participant.Role.PARTICIPANT) for visitor in visitors],
        ],
    )
    Meeting.objects.filter(pk=meeting.pk).update(conversation=room)
    meeting.refresh_from_db()
    return room


def marks(meeting: Meeting) -> dict[int, bool]:
    return dict(Attendance.objects.filter(meeting=meeting).values_list("user_id", "present"))


def test_a_leader_marks_every_member_present_or_not(
    meeting: Meeting, member: User, other_member: User, peer_supporter: User
) -> None:
    came = attendance.take_attendance(peer_supporter, meeting, {member.pk})
    assert came == 1
    assert marks(meeting) == {member.pk: True, other_member.pk: False}
    meeting.refresh_from_db()
    assert meeting.attendance_taken_at is not None
    assert Attendance.objects.get(user=member).marked_by == peer_supporter
    assert AuditEntry.objects.filter(verb="circles.attendance.take").count() == 1


def test_taking_it_again_replaces_the_marks(
    meeting: Meeting, member: User, other_member: User, coordinator: User
) -> None:
    attendance.take_attendance(coordinator, meeting, {member.pk})
    attendance.take_attendance(coordinator, meeting, {other_member.pk})
    assert marks(meeting) == {member.pk: False, other_member.pk: True}
    assert Attendance.objects.count() == 2


def test_people_who_were_in_the_room_may_be_marked_and_come_pre_ticked(
    meeting: Meeting, member: User, peer_supporter: User
) -> None:
    visitor = make_user("Visitor")  # joined the room, then left the circle
    open_room(meeting, peer_supporter, member, visitor)
    sheet = attendance.attendance_sheet(meeting)
    by_name = {line.display_name: line for line in sheet}
    assert set(by_name) == {"River", "Sky", "Visitor"}  # not the facilitator
    assert by_name["River"].present
    assert by_name["River"].was_in_room
    assert not by_name["Sky"].present
    assert by_name["Visitor"].present
    assert not by_name["Visitor"].is_member
    attendance.take_attendance(peer_supporter, meeting, {visitor.pk})
    assert marks(meeting)[visitor.pk] is True
    assert marks(meeting)[member.pk] is False


def test_once_taken_the_sheet_shows_the_saved_marks(
    meeting: Meeting, member: User, other_member: User, peer_supporter: User
) -> None:
    open_room(meeting, peer_supporter, member)
    attendance.take_attendance(peer_supporter, meeting, {other_member.pk})
    present = {line.display_name: line.present for line in attendance.attendance_sheet(meeting)}
    assert present == {"River": False, "Sky": True}


@pytest.mark.parametrize(
    ("change", "message"),
    [("not_started", "once the meeting has started"), ("cancelled", "cancelled")],
)
def test_it_refuses_meetings_not_held(
    meeting: Meeting, member: User, peer_supporter: User, change: str, message: str
) -> None:
    if change == "not_started":
        Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() + timedelta(1))
    else:
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    meeting.refresh_from_db()
    with pytest.raises(AttendanceError, match=message):
        attendance.take_attendance(peer_supporter, meeting, {member.pk})
    assert not Attendance.objects.exists()


def test_it_refuses_people_who_are_not_on_the_list(
    meeting: Meeting, member: User, peer_supporter: User
) -> None:
    stranger = make_user("Stranger")
    waiting = make_user("Waiting")
    make_membership(meeting.circle, waiting, Membership.Status.WAITING)
    for outsider in (stranger, waiting, peer_supporter):
        with pytest.raises(AttendanceError, match="not on this meeting's list"):
            attendance.take_attendance(peer_supporter, meeting, {member.pk, outsider.pk})
    assert not Attendance.objects.exists()
    meeting.refresh_from_db()
    assert meeting.attendance_taken_at is None


def test_only_leaders_take_attendance(meeting: Meeting, member: User) -> None:
    other_peer = make_user("Other peer")
    for person in (member, other_peer):
        with pytest.raises(PermissionDenied):
            attendance.take_attendance(person, meeting, {member.pk})
    assert not Attendance.objects.exists()


def test_attendance_counts_are_numbers_per_circle_for_meetings_held(
    circle: Circle, meeting: Meeting, member: User, other_member: User, peer_supporter: User
) -> None:
    now = timezone.now()
    earlier = make_meeting(circle, now - timedelta(days=7))
    cancelled = make_meeting(circle, now - timedelta(days=3), status=Meeting.Status.CANCELLED)
    make_meeting(circle, now + timedelta(days=1))  # not held yet
    make_meeting(circle, now - timedelta(days=40))  # before the period
    attendance.take_attendance(peer_supporter, meeting, {member.pk, other_member.pk})
    attendance.take_attendance(peer_supporter, earlier, {member.pk})
    Attendance.objects.create(meeting=cancelled, user=member)  # never counted
    quiet = make_circle(peer_supporter, name="A quiet circle")
    make_meeting(quiet, now - timedelta(days=2))
    make_circle(peer_supporter, name="Never met")
    counts = attendance.attendance_counts(now - timedelta(days=30), now + timedelta(days=30))
    assert counts == [
        {
            "circle_id": quiet.pk,
            "circle_slug": quiet.slug,
            "circle_name": "A quiet circle",
            "meetings_held": 1,
            "attendances": 0,
            "attendees": 0,
        },
        {
            "circle_id": circle.pk,
            "circle_slug": circle.slug,
            "circle_name": circle.name,
            "meetings_held": 2,
            "attendances": 3,
            "attendees": 2,
        },
    ]
