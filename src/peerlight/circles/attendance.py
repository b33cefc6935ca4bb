"""Who came to a meeting, as its leaders mark it, and the counts programme reports use.

Attendance is taken once a meeting has started, for the circle's members
and anyone who was in the meeting's online room. The room pre-ticks the
list; a leader confirms it. Reports (``attendance_counts``) get numbers
per circle, never a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.chat.models import Participant
from peerlight.circles import access
from peerlight.circles.models import Attendance, Circle, Meeting, Membership

__all__ = [
    "AttendanceError",
    "SheetLine",
    "attendance_counts",
    "attendance_sheet",
    "has_started",
    "take_attendance",
]


class AttendanceError(Exception):
    """Refused input; ``message`` is a translated sentence for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def has_started(meeting: Meeting) -> bool:
    return meeting.starts_at <= timezone.now()


def _room_user_ids(meeting: Meeting) -> set[int]:
    """People who came into the meeting's online room (not its facilitators)."""
    if meeting.conversation_id is None:
        return set()
    rows = Participant.objects.filter(
        conversation_id=meeting.conversation_id, role=Participant.Role.PARTICIPANT
    ).values_list("user_id", flat=True)
    return {int(user_id) for user_id in rows}


def _member_ids(meeting: Meeting) -> set[int]:
    rows = Membership.objects.filter(
        circle_id=meeting.circle_id, status=Membership.Status.MEMBER
    ).values_list("user_id", flat=True)
    return {int(user_id) for user_id in rows}


@dataclass(frozen=True)
class SheetLine:
    """One person on the attendance list: a display name and how to tick them."""

    user_id: int
    display_name: str
    is_member: bool
    was_in_room: bool
    present: bool


def attendance_sheet(meeting: Meeting) -> list[SheetLine]:
    """The list a leader ticks: members and room visitors, by display name.

    Once attendance is taken the saved marks show; before, people who were
    in the room come pre-ticked.
    """
    members = _member_ids(meeting)
    in_room = _room_user_ids(meeting)
    saved = dict(Attendance.objects.filter(meeting=meeting).values_list("user_id", "present"))
    people = User.objects.filter(pk__in=members | in_room | set(saved)).values_list(
        "pk", "display_name"
    )
    lines = [
        SheetLine(
            user_id=int(pk),
            display_name=name,
            is_member=pk in members,
            was_in_room=pk in in_room,
            present=saved.get(pk, pk in in_room),
        )
        for pk, name in people
    ]
    return sorted(lines, key=lambda line: line.display_name.casefold())


def take_attendance(actor: User, meeting: Meeting, present_user_ids: set[int]) -> int:
    """Save who came to ``meeting``: everyone on its list is marked present or not.

    Only the circle's leaders may (``PermissionDenied``). Raises
    ``AttendanceError`` (nothing saved) for a cancelled meeting, one that
    has not started, or anyone who is neither a member nor was in the
    room. Taking it again replaces the marks. Returns how many were present.
    """
    circle = meeting.circle
    if not access.can_lead(actor, circle):
        raise PermissionDenied
    if meeting.is_cancelled:
        raise AttendanceError(_("This meeting was cancelled."))
    if not has_started(meeting):
        raise AttendanceError(_("You can take attendance once the meeting has started."))
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        listed = _member_ids(meeting) | _room_user_ids(meeting)
        # Someone marked earlier keeps a row, even if they have left since.
        listed |= set(Attendance.objects.filter(meeting=meeting).values_list("user_id", flat=True))
        if not present_user_ids <= listed:
            raise AttendanceError(_("Some of the people marked are not on this meeting's list."))
        now = timezone.now()
        for user_id in sorted(listed):
            Attendance.objects.update_or_create(
                meeting=meeting,
                user_id=user_id,
                defaults={
                    "present": user_id in present_user_ids,
                    "marked_by": actor,
                    "marked_at": now,
                },
            )
        meeting.attendance_taken_at = now
        meeting.save(update_fields=["attendance_taken_at"])
        record_change(actor, "circles.attendance.take", meeting)
    return len(present_user_ids)


def attendance_counts(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per circle, for meetings that started in [start, end) and were not cancelled:
    meetings held, attendances and distinct attendees. Counts only, never names.

    Circles with no meeting held in the period are left out. One query.
    """
    held = Q(
        meetings__starts_at__gte=start,
        meetings__starts_at__lt=end,
        meetings__starts_at__lte=timezone.now(),
        meetings__status=Meeting.Status.SCHEDULED,
    )
    came = held & Q(meetings__attendance__present=True)
    rows = (
        Circle.objects.annotate(
            meetings_held=Count("meetings", filter=held, distinct=True),
            attendances=Count("meetings__attendance", filter=came, distinct=True),
            attendees=Count("meetings__attendance__user", filter=came, distinct=True),
        )
        .filter(meetings_held__gt=0)
        .order_by("name", "pk")
        .values("pk", "slug", "name", "meetings_held", "attendances", "attendees")
    )
    return [
        {
            "circle_id": row["pk"],
            "circle_slug": row["slug"],
            "circle_name": row["name"],
            "meetings_held": row["meetings_held"],
            "attendances": row["attendances"],
            "attendees": row["attendees"],
        }
        for row in rows
    ]
