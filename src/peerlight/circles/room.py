"""The online room of a circle's meeting: a group conversation of the chat app.

The chat does the talking (acknowledged sends, resume, encryption, the
safety hook on every message); this module decides who gets in and when:

- A facilitator of the circle opens the room (``open_room``) from
  ``OPENS_BEFORE`` the start until the end of a scheduled meeting of a
  circle that meets online. A second facilitator who "opens" it joins the
  same conversation.
- Members of the circle join (``join_room``) while the room is open and a
  facilitator is in it. When the last facilitator leaves, the chat pauses
  until one is back (``chat.group.leave_group`` / ``enter_group``).
- A leader closes the room (``close_room``); rooms left open ``STALE_AFTER``
  past the meeting's end are closed by ``close_stale_rooms``, queued from
  ``open_room`` as the task ``close_room_when_stale``.
- Facilitators start a check-in round and pin the group agreement, both as
  chat cards.

People appear under their display names only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.chat import access as chat_access
from peerlight.chat import actions as chat_actions
from peerlight.chat import group, tools
from peerlight.chat.models import Conversation, Participant
from peerlight.chat.signals import conversation_ended
from peerlight.circles import access
from peerlight.circles.models import Meeting

__all__ = [
    "OPENS_BEFORE",
    "STALE_AFTER",
    "RoomError",
    "RoomState",
    "close_room",
    "close_room_when_stale",
    "close_stale_rooms",
    "join_room",
    "leave_room",
    "open_room",
    "present_people",
    "register_chat_tools",
    "room_conversation",
    "room_state",
    "room_url",
]

OPENS_BEFORE = timedelta(minutes=15)
STALE_AFTER = timedelta(minutes=60)
TOOL_NAME = "circles.room_tools"


class RoomError(Exception):
    """Refused now (too early, closed, no facilitator yet); ``message`` is for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def room_url(meeting: Meeting) -> str:
    return reverse("circles:room", args=[meeting.pk])


# --- Reads ---------------------------------------------------------------------------


def _is_closed(meeting: Meeting) -> bool:
    conversation = meeting.conversation
    return meeting.room_closed_at is not None or (
        conversation is not None and conversation.is_ended
    )


def room_conversation(meeting: Meeting) -> Conversation | None:
    """The room's conversation while the room is open, else None."""
    if meeting.room_opened_at is None or _is_closed(meeting):
        return None
    return meeting.conversation


def present_people(conversation: Conversation) -> list[Participant]:
    """Everyone in the room now, by display name (with their accounts)."""
    rows = Participant.objects.filter(
        conversation=conversation, left_at__isnull=True, is_removed=False, user__is_active=True
    ).select_related("user")
    return sorted(rows, key=lambda row: (row.user.display_name.casefold(), row.user_id))


def _open_refusal(meeting: Meeting, now: datetime) -> str:
    """Why the room of ``meeting`` cannot be opened now, or "" if it can."""
    if meeting.is_cancelled:
        return _("This meeting was cancelled.")
    if not meeting.circle.meets_online:
        return _("This circle meets in person. There is no online room.")
    if _is_closed(meeting):
        return _("This room has closed. Thank you for coming.")
    if now < meeting.starts_at - OPENS_BEFORE:
        minutes = int(OPENS_BEFORE.total_seconds() // 60)
        return _("You can open the room from %(minutes)d minutes before the start.") % {
            "minutes": minutes
        }
    if now >= meeting.ends_at:
        return _("This meeting has ended.")
    return ""


@dataclass(frozen=True)
class RoomState:
    """What one person can do with a meeting's room now, and a sentence saying so."""

    meeting: Meeting
    can_open: bool
    is_open: bool
    facilitator_present: bool
    can_join: bool
    is_in: bool
    reason: str
    # A facilitator of the circle, and a member of it.
    leads: bool = False
    is_member: bool = False
    # A member waiting for the room: the page looks again by itself.
    waiting: bool = False


def room_state(meeting: Meeting, user: User, *, now: datetime | None = None) -> RoomState:
    """The room of ``meeting`` as ``user`` finds it."""
    now = now or timezone.now()
    circle = meeting.circle
    leads = access.is_facilitator(user, circle)
    member = access.is_member(user, circle)
    conversation = room_conversation(meeting)
    seat = (
        chat_access.participant_for(int(user.pk), int(meeting.conversation_id))
        if meeting.conversation_id is not None
        else None
    )
    removed = seat is not None and seat.is_removed
    is_in = conversation is not None and seat is not None and seat.is_present
    facilitator_present = conversation is not None and group.present_facilitators(conversation) > 0
    refusal = _open_refusal(meeting, now)
    can_open = leads and not refusal and not is_in
    can_join = member and facilitator_present and not is_in and not removed
    waiting = (
        member
        and not is_in
        and not can_join
        and not removed
        and not meeting.is_cancelled
        and circle.meets_online
        and not _is_closed(meeting)
        and now < meeting.ends_at
    )
    reason = _reason(
        meeting,
        refusal=refusal,
        leads=leads,
        member=member,
        removed=removed,
        is_in=is_in,
        is_open=conversation is not None,
        can_join=can_join,
        now=now,
    )
    return RoomState(
        meeting=meeting,
        can_open=can_open,
        is_open=conversation is not None,
        facilitator_present=facilitator_present,
        can_join=can_join,
        is_in=is_in,
        reason=reason,
        leads=leads,
        is_member=member,
        waiting=waiting,
    )


def _reason(
    meeting: Meeting,
    *,
    refusal: str,
    leads: bool,
    member: bool,
    removed: bool,
    is_in: bool,
    is_open: bool,
    can_join: bool,
    now: datetime,
) -> str:
    if meeting.is_cancelled:
        return _("This meeting was cancelled.")
    if not meeting.circle.meets_online:
        return _("This circle meets in person. There is no online room.")
    if removed:
        return _("You cannot come back into this room.")
    if _is_closed(meeting):
        return _("This room has closed. Thank you for coming.")
    if is_in:
        return _("You are in the room.")
    if leads:
        if refusal:
            return refusal
        return (
            _("The room is open. Go in when you are ready.")
            if is_open
            else _("You can open the room now.")
        )
    if not member:
        return _("This room is for members of the circle.")
    if can_join:
        return _("Your facilitator is here. You can join now.")
    if now >= meeting.ends_at and not is_open:
        return _("This meeting has ended.")
    return _("The room opens when your facilitator arrives.")


# --- Opening, joining, leaving -------------------------------------------------------


def _locked(meeting: Meeting) -> Meeting:
    # Only the meeting's row is locked: PostgreSQL cannot lock the nullable
    # side of the join to its conversation.
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("circle", "conversation")
        .get(pk=meeting.pk)
    )


def _refresh(meeting: Meeting, locked: Meeting) -> None:
    """Give the caller's object the room fields the transaction saved."""
    meeting.conversation = locked.conversation
    meeting.room_opened_at = locked.room_opened_at
    meeting.room_closed_at = locked.room_closed_at


def open_room(facilitator: User, meeting: Meeting, *, now: datetime | None = None) -> Conversation:
    """Open the room (or go into it, when another facilitator opened it) and return its chat.

    ``PermissionDenied`` unless ``facilitator`` facilitates the circle;
    ``RoomError`` outside the window or for a cancelled, closed or in-person
    meeting. The first opening is audited and queues the stale-room closing.
    """
    if not access.is_facilitator(facilitator, meeting.circle):
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(meeting)
        refusal = _open_refusal(locked, now)
        if refusal:
            raise RoomError(refusal)
        if locked.conversation is None:
            conversation = chat_actions.start_conversation(
                kind=Conversation.Kind.GROUP,
                members=[(facilitator, Participant.Role.FACILITATOR)],
                title=locked.circle.name,
                context_url=room_url(locked),
            )
            locked.conversation = conversation
            locked.room_opened_at = now
            locked.updated_at = now
            locked.save(update_fields=["conversation", "room_opened_at", "updated_at"])
            record_change(facilitator, "circles.room.open", locked)
            transaction.on_commit(
                functools.partial(_schedule_closing, int(locked.pk), locked.ends_at)
            )
        else:
            conversation = locked.conversation
            _enter(facilitator, conversation, Participant.Role.FACILITATOR)
    _refresh(meeting, locked)
    return conversation


def join_room(user: User, meeting: Meeting) -> Conversation:
    """Let a member of the circle into the open room while a facilitator is in it.

    ``PermissionDenied`` for anyone but a member; ``RoomError`` while the
    room is not open, has no facilitator, or for a person removed from it.
    """
    if not access.is_member(user, meeting.circle):
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(meeting)
        if locked.is_cancelled:
            raise RoomError(_("This meeting was cancelled."))
        if _is_closed(locked):
            raise RoomError(_("This room has closed. Thank you for coming."))
        conversation = room_conversation(locked)
        if conversation is None or group.present_facilitators(conversation) == 0:
            raise RoomError(_("The room opens when your facilitator arrives."))
        _enter(user, conversation, Participant.Role.PARTICIPANT)
    _refresh(meeting, locked)
    return conversation


def _enter(user: User, conversation: Conversation, role: str) -> None:
    try:
        group.enter_group(user, conversation, role)
    except chat_actions.ChatError:
        # Removed from the room: the chat refuses them, in its own words for
        # a conversation; the room says it in its own.
        raise RoomError(_("You cannot come back into this room.")) from None


def leave_room(user: User, meeting: Meeting) -> bool:
    """``user`` leaves the room (they may still read it); False if they were not in it.

    When the last facilitator leaves, the chat pauses until one is back.
    """
    conversation = room_conversation(meeting)
    if conversation is None:
        return False
    return group.leave_group(user, conversation)


# --- Closing -------------------------------------------------------------------------


def close_room(actor: User | None, meeting: Meeting, *, now: datetime | None = None) -> bool:
    """End the room's chat for everyone; False if it was closed already or never opened.

    ``actor`` None is the system (``close_stale_rooms``); otherwise only the
    circle's leaders may (``PermissionDenied``).
    """
    if actor is not None and not access.can_lead(actor, meeting.circle):
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(meeting)
        if locked.conversation is None or locked.room_closed_at is not None:
            return False
        locked.room_closed_at = now
        locked.updated_at = now
        locked.save(update_fields=["room_closed_at", "updated_at"])
        chat_actions.end_conversation(actor, locked.conversation)
        record_change(actor, "circles.room.close", locked)
    _refresh(meeting, locked)
    return True


def close_stale_rooms(now: datetime | None = None) -> int:
    """Close rooms still open ``STALE_AFTER`` past their meeting's end, and rooms whose
    chat was ended from the chat page; return how many were closed.
    """
    now = now or timezone.now()
    stale = Meeting.objects.filter(
        room_opened_at__isnull=False, room_closed_at__isnull=True, conversation__isnull=False
    ).filter(Q(ends_at__lte=now - STALE_AFTER) | Q(conversation__ended_at__isnull=False))
    return sum(close_room(None, meeting, now=now) for meeting in stale.select_related("circle"))


@task
def close_room_when_stale(meeting_id: int) -> int:
    """Close every stale room (this meeting's included); return how many.

    ``meeting_id`` names the room that queued the task, for whoever reads the queue.
    """
    return close_stale_rooms()


def _schedule_closing(meeting_id: int, ends_at: datetime) -> None:
    # A backend that cannot wait until a given time is left alone: run now,
    # the task would find nothing stale.
    if close_room_when_stale.get_backend().supports_defer:
        close_room_when_stale.using(run_after=ends_at + STALE_AFTER).enqueue(meeting_id)


def _close_room_of_ended_chat(sender: Any, conversation: Conversation, **kwargs: Any) -> None:
    """A facilitator ended the room's chat from the chat page: the room is closed too."""
    Meeting.objects.filter(conversation=conversation, room_closed_at__isnull=True).update(
        room_closed_at=conversation.ended_at or timezone.now()
    )


# --- The chat page's link ------------------------------------------------------------


def _room_tools_url(conversation_id: int) -> str | None:
    """The tools page of the meeting whose room ``conversation_id`` is; None for other chats."""
    meeting_id = (
        Meeting.objects.filter(conversation_id=conversation_id)
        .values_list("pk", flat=True)
        .first()
    )
    return None if meeting_id is None else reverse("circles:room_tools", args=[meeting_id])


def register_chat_tools() -> None:
    """Tie rooms to the chat: "Room tools" on a room's chat page, and closing with its chat.

    Called from ``CirclesConfig.ready()``; calling it again replaces both.
    """
    tools.register_tool(TOOL_NAME, gettext_lazy("Room tools"), _room_tools_url)
    conversation_ended.connect(
        _close_room_of_ended_chat, dispatch_uid="peerlight.circles.close_room_of_ended_chat"
    )
