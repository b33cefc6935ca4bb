"""The online room of a meeting: its waiting page, going in, and the facilitators' tools.

Thin views over ``circles.room`` and ``chat.group``. A meeting's room is
there for the circle's leaders and for people with a membership of it (who
are pointed to the circle page until they are members); anyone else gets a
404, as if it were not there. Facilitator actions by anyone else: 403. The
talking itself happens on the chat page, which the room sends people to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    login_required,
)
from peerlight.accounts.models import User
from peerlight.chat import group
from peerlight.chat.actions import CLIENT_ID, ChatError
from peerlight.chat.models import Conversation
from peerlight.circles import access, room, room_cards
from peerlight.circles.models import Meeting

# --- Access ----------------------------------------------------------------------------


def _meeting(request: AuthenticatedHttpRequest, meeting_id: int) -> Meeting:
    """The meeting, if the person leads its circle or has a membership of it; else 404."""
    meeting = access.meeting_for(meeting_id)
    if meeting is None:
        raise Http404
    if not (
        access.leads_in_session(request, meeting.circle)
        or access.membership_of(request.user, meeting.circle)
    ):
        raise Http404
    return meeting


def _facilitated_room(request: AuthenticatedHttpRequest, meeting: Meeting) -> Conversation:
    """The open room of ``meeting``, for a facilitator who is in it; ``PermissionDenied`` else."""
    conversation = room.room_conversation(meeting)
    if conversation is None or not (
        access.is_facilitator(request.user, meeting.circle)
        and group.is_present_facilitator(request.user, conversation)
    ):
        raise PermissionDenied
    return conversation


def _refused(request: AuthenticatedHttpRequest, meeting: Meeting, problem: str) -> HttpResponse:
    context = {"meeting": meeting, "circle": meeting.circle, "problem": problem}
    return render(request, "circles/room/refused.html", context, status=403)


# --- The room page -----------------------------------------------------------------------


def _room_page(
    request: AuthenticatedHttpRequest, meeting: Meeting, *, problem: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "meeting": meeting,
        "circle": meeting.circle,
        "state": room.room_state(meeting, request.user),
        # Coordinators lead every circle: not pointed to signing up.
        "can_lead": access.leads_in_session(request, meeting.circle),
        "problem": problem,
    }
    # A member's waiting page looking again (htmx) gets only the part that changes.
    template = "circles/room/room.html#room_now" if request.htmx else "circles/room/room.html"
    return render(request, template, context, status=status)


@require_safe
@login_required
def room_page(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponse:
    """Where the room stands for this person, and the way in when there is one."""
    return _room_page(request, _meeting(request, meeting_id))


@require_POST
@login_required
def room_open(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    """A facilitator opens the room (or goes into it) and lands in its chat."""
    meeting = _meeting(request, meeting_id)
    if not access.is_facilitator(request.user, meeting.circle):
        return _refused(
            request, meeting, _("Only a facilitator of this circle can open the room.")
        )
    try:
        conversation = room.open_room(request.user, meeting)
    except room.RoomError as refused:
        return _room_page(request, meeting, problem=refused.message, status=400)
    return redirect("chat:conversation", conversation_id=conversation.pk)


@require_POST
@login_required
def room_join(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    """A member of the circle goes into the open room and lands in its chat."""
    meeting = _meeting(request, meeting_id)
    if not access.is_member(request.user, meeting.circle):
        return _refused(request, meeting, _("This room is for members of the circle."))
    try:
        conversation = room.join_room(request.user, meeting)
    except room.RoomError as refused:
        return _room_page(request, meeting, problem=refused.message, status=400)
    return redirect("chat:conversation", conversation_id=conversation.pk)


@require_POST
@login_required
def room_leave(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    """Leave the room (the chat stays readable); back to the room page."""
    meeting = _meeting(request, meeting_id)
    if room.leave_room(request.user, meeting):
        flash.info(request, _("You left the room. Thank you for coming."))
    return redirect("circles:room", meeting_id=meeting.pk)


@require_POST
@login_required
def room_close(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    """A facilitator closes the room: the chat ends for everyone."""
    meeting = _meeting(request, meeting_id)
    if not access.is_facilitator(request.user, meeting.circle):
        return _refused(
            request, meeting, _("Only a facilitator of this circle can close the room.")
        )
    if not room.close_room(request.user, meeting):
        return _room_page(request, meeting, problem=_("The room is not open."), status=400)
    flash.success(request, _("The room is closed. Thank you for facilitating."))
    return redirect("circles:room", meeting_id=meeting.pk)


# --- The facilitators' tools -------------------------------------------------------------


def _tools_page(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    conversation: Conversation,
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "meeting": meeting,
        "circle": meeting.circle,
        "conversation": conversation,
        "people": room.present_people(conversation),
        "client_id": uuid.uuid4().hex,
        "problem": problem,
    }
    return render(request, "circles/room/tools.html", context, status=status)


def _tools_or_refusal(
    request: AuthenticatedHttpRequest, meeting_id: int
) -> tuple[Meeting, Conversation] | HttpResponse:
    meeting = _meeting(request, meeting_id)
    try:
        return meeting, _facilitated_room(request, meeting)
    except PermissionDenied:
        return _refused(
            request, meeting, _("Only a facilitator who is in the open room can use its tools.")
        )


@require_safe
@login_required
def room_tools(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponse:
    """Pin the agreement, a check-in round, pause, and mute or remove someone."""
    found = _tools_or_refusal(request, meeting_id)
    if isinstance(found, HttpResponse):
        return found
    return _tools_page(request, *found)


def _client_id(request: AuthenticatedHttpRequest) -> str | None:
    value = request.POST.get("client_id", "")
    return value if CLIENT_ID.match(value) else None


def _tool_done(request: AuthenticatedHttpRequest, meeting: Meeting, done: str) -> HttpResponse:
    flash.success(request, done)
    return redirect("circles:room_tools", meeting_id=meeting.pk)


def _run_tool(
    request: AuthenticatedHttpRequest,
    meeting_id: int,
    tool: Callable[[Meeting, Conversation], object],
    done: str,
) -> HttpResponseBase:
    """Run ``tool(meeting, conversation)`` for a facilitator in the room; errors show as 400."""
    found = _tools_or_refusal(request, meeting_id)
    if isinstance(found, HttpResponse):
        return found
    meeting, conversation = found
    try:
        tool(meeting, conversation)
    except (room.RoomError, ChatError) as refused:
        return _tools_page(request, meeting, conversation, problem=refused.message, status=400)
    return _tool_done(request, meeting, done)


@require_POST
@login_required
def room_pin(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    """Post the group agreement as a card and pin it to the top of the chat."""
    client_id = _client_id(request)
    return _run_tool(
        request,
        meeting_id,
        lambda meeting, _chat: room_cards.pin_agreement(
            request.user, meeting, client_id=client_id
        ),
        _("The group agreement is pinned to the top of the chat."),
    )


@require_POST
@login_required
def room_unpin(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    return _run_tool(
        request,
        meeting_id,
        lambda _meeting, chat: group.unpin(request.user, chat),
        _("Nothing is pinned now."),
    )


@require_POST
@login_required
def room_check_in(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    client_id = _client_id(request)
    return _run_tool(
        request,
        meeting_id,
        lambda meeting, _chat: room_cards.start_check_in(
            request.user, meeting, client_id=client_id
        ),
        _("The check-in round is in the chat."),
    )


@require_POST
@login_required
def room_pause(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    return _run_tool(
        request,
        meeting_id,
        lambda _meeting, chat: group.pause(request.user, chat),
        _("The chat is paused. Nobody can send until you open it again."),
    )


@require_POST
@login_required
def room_resume(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    return _run_tool(
        request,
        meeting_id,
        lambda _meeting, chat: group.resume(request.user, chat),
        _("The chat is open again."),
    )


def _person(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


@require_POST
@login_required
def room_mute(
    request: AuthenticatedHttpRequest, meeting_id: int, user_id: int
) -> HttpResponseBase:
    """Mute (``muted`` = "1") or unmute ("0") one person in the room."""
    found = _tools_or_refusal(request, meeting_id)
    if isinstance(found, HttpResponse):
        return found
    meeting, conversation = found
    muted = {"1": True, "0": False}.get(request.POST.get("muted", ""))
    person = _person(user_id)
    if muted is None or person is None:
        problem = _("Please choose someone in the room and whether to mute them.")
        return _tools_page(request, meeting, conversation, problem=problem, status=400)
    try:
        group.set_muted(request.user, conversation, person, muted)
    except ChatError as refused:
        return _tools_page(request, meeting, conversation, problem=refused.message, status=400)
    done = _("%(name)s can read but not send.") if muted else _("%(name)s can send again.")
    return _tool_done(request, meeting, done % {"name": person.display_name})


@require_POST
@login_required
def room_remove(
    request: AuthenticatedHttpRequest, meeting_id: int, user_id: int
) -> HttpResponseBase:
    """Remove one person from the room for good (the tools page asks first)."""
    found = _tools_or_refusal(request, meeting_id)
    if isinstance(found, HttpResponse):
        return found
    meeting, conversation = found
    person = _person(user_id)
    if person is None:
        problem = _("That person is not in this chat.")
        return _tools_page(request, meeting, conversation, problem=problem, status=400)
    try:
        group.remove_participant(request.user, conversation, person)
    except ChatError as refused:
        return _tools_page(request, meeting, conversation, problem=refused.message, status=400)
    done = _("%(name)s has been removed from the room.") % {"name": person.display_name}
    return _tool_done(request, meeting, done)


urlpatterns = [
    path("meetings/<int:meeting_id>/room/", room_page, name="room"),
    path("meetings/<int:meeting_id>/room/open/", room_open, name="room_open"),
    path("meetings/<int:meeting_id>/room/join/", room_join, name="room_join"),
    path("meetings/<int:meeting_id>/room/leave/", room_leave, name="room_leave"),
    path("meetings/<int:meeting_id>/room/close/", room_close, name="room_close"),
    path("meetings/<int:meeting_id>/room/tools/", room_tools, name="room_tools"),
    path("meetings/<int:meeting_id>/room/pin/", room_pin, name="room_pin"),
    path("meetings/<int:meeting_id>/room/unpin/", room_unpin, name="room_unpin"),
    path("meetings/<int:meeting_id>/room/check-in/", room_check_in, name="room_check_in"),
    path("meetings/<int:meeting_id>/room/pause/", room_pause, name="room_pause"),
    path("meetings/<int:meeting_id>/room/resume/", room_resume, name="room_resume"),
    path("meetings/<int:meeting_id>/room/people/<int:user_id>/mute/", room_mute, name="room_mute"),
    path(
        "meetings/<int:meeting_id>/room/people/<int:user_id>/remove/",
        room_remove,
        name="room_remove",
    ),
]
