"""Changing one meeting: cancel it, bring it back, or move it.

Only the circle's leaders (``access.can_lead``: its facilitators and the
coordinators) may. Each change raises the meeting's ``sequence`` (so
calendars and reminders take the new version), writes an audit entry, and
after commit tells the members (``reminders.notify_members``). Refused input
raises ``ValidationError`` in plain words and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.circles import access
from peerlight.circles.models import NOTE_MAX, Meeting, Notice

__all__ = [
    "LONGEST_MEETING_MINUTES",
    "MOVE_AT_MOST_DAYS_AHEAD",
    "SHORTEST_MEETING_MINUTES",
    "cancel_meeting",
    "change_meeting",
    "local_start",
    "restore_meeting",
]

SHORTEST_MEETING_MINUTES = 15
LONGEST_MEETING_MINUTES = 480
# A meeting moved further than this is a different meeting: plan it as one.
MOVE_AT_MOST_DAYS_AHEAD = 366


def local_start(meeting: Meeting) -> dt.datetime:
    """The meeting's start on the wall clock of its circle's zone (aware)."""
    return meeting.starts_at.astimezone(ZoneInfo(meeting.circle.time_zone))


def _require_leader(actor: User, meeting: Meeting) -> None:
    if not access.can_lead(actor, meeting.circle):
        raise PermissionDenied


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("circle").get(pk=meeting.pk)


def _refuse_when_settled(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.ends_at <= now:
        raise ValidationError(_("This meeting is over, so it can no longer be changed."))
    if meeting.room_opened_at is not None and meeting.room_closed_at is None:
        raise ValidationError(_("The room of this meeting is open. Close the room first."))


def _checked_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            _("Please keep the note to %(count)d characters.") % {"count": NOTE_MAX}
        )
    return note


def _tell_members(meeting: Meeting, kind: str, *, reschedule: bool) -> None:
    # Imported here: the reminders module is written alongside this one and
    # imports planning, which must stay importable on its own.
    from peerlight.circles import reminders

    reminders.notify_members(meeting, kind)
    if reschedule:
        reminders.schedule_reminders([meeting.pk])


def _save(meeting: Meeting, now: dt.datetime, fields: list[str]) -> None:
    meeting.sequence += 1
    meeting.updated_at = now
    meeting.save(update_fields=[*fields, "sequence", "updated_at"])


def cancel_meeting(actor: User, meeting: Meeting, note: str) -> Meeting:
    """Cancel ``meeting``, keeping ``note`` (why, for the members); return it.

    Refused for a meeting cancelled already, over, or with its room open.
    """
    _require_leader(actor, meeting)
    note = _checked_note(note)
    now = timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting)
        if meeting.is_cancelled:
            raise ValidationError(_("This meeting is cancelled already."))
        _refuse_when_settled(meeting, now)
        meeting.status = Meeting.Status.CANCELLED
        meeting.note = note
        _save(meeting, now, ["status", "note"])
        record_change(actor, "circles.meeting.cancel", meeting)
        transaction.on_commit(
            lambda: _tell_members(meeting, Notice.Kind.CANCELLED, reschedule=False)
        )
    return meeting


def restore_meeting(actor: User, meeting: Meeting) -> Meeting:
    """Bring back a cancelled ``meeting`` that is not over; return it.

    The cancellation note goes, and members hear that the meeting changed.
    """
    _require_leader(actor, meeting)
    now = timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting)
        if not meeting.is_cancelled:
            raise ValidationError(_("This meeting is not cancelled."))
        _refuse_when_settled(meeting, now)
        meeting.status = Meeting.Status.SCHEDULED
        meeting.note = ""
        _save(meeting, now, ["status", "note"])
        record_change(actor, "circles.meeting.restore", meeting)
        transaction.on_commit(lambda: _tell_members(meeting, Notice.Kind.CHANGED, reschedule=True))
    return meeting


def _aware_start(circle_zone: str, starts_at_local: dt.datetime) -> dt.datetime:
    if starts_at_local.tzinfo is not None:
        raise ValueError("starts_at_local is a naive time on the circle's wall clock.")
    # fold=0: a repeated hour is its first instance, a skipped one lands after the gap.
    zone = ZoneInfo(circle_zone)
    return starts_at_local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def change_meeting(
    actor: User,
    meeting: Meeting,
    *,
    starts_at_local: dt.datetime,
    duration_minutes: int,
    note: str,
) -> Meeting:
    """Move ``meeting`` to ``starts_at_local`` (naive, the circle's zone) for ``duration_minutes``.

    The meeting is marked changed, so planning leaves it alone. Refused: a
    start in the past or more than ``MOVE_AT_MOST_DAYS_AHEAD`` days ahead, a
    length outside ``SHORTEST_MEETING_MINUTES``..``LONGEST_MEETING_MINUTES``,
    a cancelled meeting (bring it back first), one that is over, or one whose
    room is open.
    """
    _require_leader(actor, meeting)
    note = _checked_note(note)
    if not SHORTEST_MEETING_MINUTES <= duration_minutes <= LONGEST_MEETING_MINUTES:
        raise ValidationError(
            _("A meeting lasts from %(shortest)d to %(longest)d minutes.")
            % {"shortest": SHORTEST_MEETING_MINUTES, "longest": LONGEST_MEETING_MINUTES}
        )
    now = timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting)
        starts_at = _aware_start(meeting.circle.time_zone, starts_at_local)
        if starts_at <= now:
            raise ValidationError(_("Please choose a time that is still to come."))
        if starts_at > now + dt.timedelta(days=MOVE_AT_MOST_DAYS_AHEAD):
            raise ValidationError(_("Please choose a time within the next year."))
        if meeting.is_cancelled:
            raise ValidationError(_("This meeting is cancelled. Bring it back first."))
        _refuse_when_settled(meeting, now)
        meeting.starts_at = starts_at
        meeting.ends_at = starts_at + dt.timedelta(minutes=duration_minutes)
        meeting.is_changed = True
        meeting.note = note
        _save(meeting, now, ["starts_at", "ends_at", "is_changed", "note"])
        record_change(actor, "circles.meeting.change", meeting)
        transaction.on_commit(lambda: _tell_members(meeting, Notice.Kind.CHANGED, reschedule=True))
    return meeting
