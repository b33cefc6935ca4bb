"""What a facilitator in a room posts to it: the check-in round and the pinned agreement.

Both are chat cards (``chat.cards``) written in the circle's language; only
a facilitator of the circle who is in its open room may post them.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.chat import actions as chat_actions
from peerlight.chat import group
from peerlight.chat.cards import MAX_LINE, MAX_LINES, Card
from peerlight.chat.models import Conversation, Message
from peerlight.circles import access
from peerlight.circles.models import Meeting
from peerlight.circles.room import RoomError, present_people, room_conversation, room_url

__all__ = ["pin_agreement", "start_check_in"]


def _room_for_facilitator(facilitator: User, meeting: Meeting) -> Conversation:
    """The open room, if ``facilitator`` facilitates the circle and is in it."""
    if not access.is_facilitator(facilitator, meeting.circle):
        raise PermissionDenied
    conversation = room_conversation(meeting)
    if conversation is None:
        raise RoomError(_("The room is not open."))
    if not group.is_present_facilitator(facilitator, conversation):
        raise PermissionDenied
    return conversation


def _fresh_client_id() -> str:
    return uuid.uuid4().hex


def _shortened(line: str) -> str:
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1].rstrip() + "…"


def _name_lines(label: str, names: list[str], room: int) -> list[str]:
    """``label`` and the names, comma-separated over at most ``room`` card lines.

    Names that do not fit are counted instead ("and 3 more").
    """
    lines = [label]
    for index, name in enumerate(names):
        separator = "" if lines[-1] == label else ", "
        if len(lines[-1]) + len(separator) + len(name) <= MAX_LINE:
            lines[-1] += separator + name
        elif len(lines) < room:
            lines.append(name)
        else:
            return _with_count_of_rest(lines, len(names) - index)
    return lines


def _with_count_of_rest(lines: list[str], left_out: int) -> list[str]:
    """End the last line with "and N more", moving its last names into N until it fits."""
    last = lines[-1]
    while True:
        more = _("and %(count)d more") % {"count": left_out}
        if len(last) + 2 + len(more) <= MAX_LINE or ", " not in last:
            return [*lines[:-1], _shortened(f"{last}, {more}")]
        last = last.rsplit(", ", 1)[0]
        left_out += 1


def start_check_in(
    facilitator: User, meeting: Meeting, *, client_id: str | None = None
) -> Message:
    """Post a "Check-in round" card: a gentle prompt and the order, by display name.

    Written in the circle's language. ``client_id`` makes a retry post
    nothing new. ``RoomError`` while the chat refuses it (paused, say).
    """
    conversation = _room_for_facilitator(facilitator, meeting)
    names = [person.user.display_name for person in present_people(conversation)]
    with translation.override(meeting.circle.language):
        card = Card(
            title=_("Check-in round"),
            lines=(
                _("In a word or two: how are you arriving today? You can always say 'pass'."),
                *_name_lines(_("Order: "), names, MAX_LINES - 1),
            ),
            url=room_url(meeting),
        )
    try:
        sent = chat_actions.post_card(
            facilitator, conversation, card, client_id or _fresh_client_id()
        )
    except chat_actions.ChatError as refused:
        raise RoomError(refused.message) from None
    return sent.message


def _agreement_lines(agreement: str) -> tuple[str, ...]:
    """The agreement's lines as a card holds them; a pointer to the room page if it is longer."""
    lines = [_shortened(line.strip()) for line in agreement.splitlines() if line.strip()]
    if len(lines) <= MAX_LINES:
        return tuple(lines)
    return (*lines[: MAX_LINES - 1], _("The whole agreement is on the room page."))


def pin_agreement(facilitator: User, meeting: Meeting, *, client_id: str | None = None) -> Message:
    """Post the circle's group agreement as a card and pin it to the top of the chat."""
    conversation = _room_for_facilitator(facilitator, meeting)
    with translation.override(meeting.circle.language):
        card = Card(
            title=_("Our group agreement"),
            lines=_agreement_lines(meeting.circle.agreement),
            url=room_url(meeting),
        )
    try:
        with transaction.atomic():
            sent = chat_actions.post_card(
                facilitator, conversation, card, client_id or _fresh_client_id()
            )
            group.pin_message(facilitator, conversation, int(sent.message.seq))
    except chat_actions.ChatError as refused:
        raise RoomError(refused.message) from None
    return sent.message
