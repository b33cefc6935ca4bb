"""The online room of a meeting: opening, joining, pausing without a facilitator, closing,
the check-in round and the pinned agreement (``circles.room``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from peerlight.accounts.models import Role, User
from peerlight.audit.models import AuditEntry
from peerlight.chat import actions as chat_actions
from peerlight.chat import group
from peerlight.chat.cards import MAX_LINE, MAX_LINES, card_from_body
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.circles import membership, room, room_cards
from peerlight.circles.models import Circle, Meeting, Membership
from tests.circles.factories import make_circle, make_meeting, make_membership
from tests.conftest import make_user

SOON = dt.timedelta(minutes=10)


def soon_meeting(circle: Circle, **fields: Any) -> Meeting:
    """A meeting starting in ten minutes: inside the window for opening its room."""
    return make_meeting(circle, timezone.now() + SOON, **fields)


def circle_with(facilitator: User, *members: User, **fields: Any) -> Circle:
    circle = make_circle(facilitator, **fields)
    for person in members:
        make_membership(circle, person)
    return circle


def seat(user: User, conversation: Conversation) -> Participant | None:
    return Participant.objects.filter(conversation=conversation, user=user).first()


def card_of(message: Message) -> Any:
    card = card_from_body(message.body)
    assert card is not None
    return card


@pytest.fixture
def circle(peer_supporter: User, member: User, other_member: User) -> Circle:
    return circle_with(peer_supporter, member, other_member)


@pytest.fixture
def meeting(circle: Circle) -> Meeting:
    return soon_meeting(circle)


@pytest.fixture
def second_facilitator(circle: Circle) -> User:
    ash = make_user("Ash", Role.PEER_SUPPORTER)
    circle.facilitators.add(ash)
    return ash


# --- Opening ---------------------------------------------------------------------------


def test_a_facilitator_opens_the_room_from_fifteen_minutes_before_the_start(
    peer_supporter: User, circle: Circle
) -> None:
    start = timezone.now() + dt.timedelta(hours=2)
    meeting = make_meeting(circle, start)
    with pytest.raises(room.RoomError, match="from 15 minutes before"):
        room.open_room(peer_supporter, meeting, now=start - dt.timedelta(minutes=16))
    assert not Conversation.objects.exists()
    conversation = room.open_room(peer_supporter, meeting, now=start - dt.timedelta(minutes=15))
    meeting.refresh_from_db()
    assert meeting.conversation == conversation
    assert meeting.room_opened_at == start - dt.timedelta(minutes=15)
    assert conversation.kind == Conversation.Kind.GROUP
    assert conversation.title == circle.name
    assert conversation.context_url == reverse("circles:room", args=[meeting.pk])
    opener = seat(peer_supporter, conversation)
    assert opener is not None
    assert opener.role == Participant.Role.FACILITATOR
    entry = AuditEntry.objects.get(verb="circles.room.open")
    assert (entry.actor_id, entry.target_id) == (peer_supporter.pk, str(meeting.pk))


def test_the_room_cannot_open_once_the_meeting_has_ended(
    peer_supporter: User, meeting: Meeting
) -> None:
    with pytest.raises(room.RoomError, match="has ended"):
        room.open_room(peer_supporter, meeting, now=meeting.ends_at)
    assert Meeting.objects.get(pk=meeting.pk).conversation is None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"status": Meeting.Status.CANCELLED}, "cancelled"),
        ({"room_closed_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}, "closed"),
    ],
)
def test_a_cancelled_or_closed_meeting_has_no_room_to_open(
    peer_supporter: User, circle: Circle, change: dict[str, Any], why: str
) -> None:
    meeting = soon_meeting(circle, **change)
    with pytest.raises(room.RoomError, match=why):
        room.open_room(peer_supporter, meeting)
    assert not Conversation.objects.exists()


def test_a_circle_that_meets_in_person_has_no_online_room(peer_supporter: User) -> None:
    meeting = soon_meeting(make_circle(peer_supporter, format=Circle.Format.IN_PERSON))
    with pytest.raises(room.RoomError, match="in person"):
        room.open_room(peer_supporter, meeting)
    assert not Conversation.objects.exists()


def test_only_a_facilitator_of_the_circle_may_open_it(
    meeting: Meeting, member: User, coordinator: User
) -> None:
    other_peer = make_user("Rowan", Role.PEER_SUPPORTER)
    for person in (member, coordinator, other_peer):
        with pytest.raises(PermissionDenied):
            room.open_room(person, meeting)
    assert not Conversation.objects.exists()


def test_a_second_facilitator_joins_the_same_room(
    peer_supporter: User, second_facilitator: User, meeting: Meeting
) -> None:
    first = room.open_room(peer_supporter, meeting)
    second = room.open_room(second_facilitator, meeting)
    assert first.pk == second.pk
    assert Conversation.objects.count() == 1
    assert group.present_facilitators(first) == 2
    assert AuditEntry.objects.filter(verb="circles.room.open").count() == 1


def test_opening_queues_the_stale_room_closing(
    peer_supporter: User, meeting: Meeting, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        room.open_room(peer_supporter, meeting)
    task = DBTaskResult.objects.get(task_path="peerlight.circles.room.close_room_when_stale")
    assert task.run_after == meeting.ends_at + room.STALE_AFTER
    assert task.args_kwargs["args"] == [meeting.pk]


# --- Joining ---------------------------------------------------------------------------


def test_a_member_joins_only_while_a_facilitator_is_in_the_room(
    peer_supporter: User, member: User, meeting: Meeting
) -> None:
    with pytest.raises(room.RoomError, match="opens when your facilitator arrives"):
        room.join_room(member, meeting)
    conversation = room.open_room(peer_supporter, meeting)
    assert room.join_room(member, meeting).pk == conversation.pk
    joined = seat(member, conversation)
    assert joined is not None
    assert joined.role == Participant.Role.PARTICIPANT
    assert joined.is_present


def test_when_the_last_facilitator_leaves_the_room_pauses_until_one_is_back(
    peer_supporter: User, member: User, other_member: User, meeting: Meeting
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    assert room.leave_room(peer_supporter, meeting) is True
    conversation.refresh_from_db()
    assert conversation.is_paused
    with pytest.raises(chat_actions.ChatError, match="paused"):
        chat_actions.send_message(member, conversation, "hello?", "m1")
    # Nobody new comes in without a facilitator, and the page says why.
    with pytest.raises(room.RoomError, match="opens when your facilitator arrives"):
        room.join_room(other_member, meeting)
    state = room.room_state(meeting, other_member)
    assert not state.can_join
    assert state.waiting
    # The facilitator comes back: the room opens again.
    room.open_room(peer_supporter, meeting)
    conversation.refresh_from_db()
    assert not conversation.is_paused
    room.join_room(other_member, meeting)
    assert chat_actions.send_message(member, conversation, "welcome back", "m2").created


def test_only_members_of_the_circle_may_join(
    peer_supporter: User, meeting: Meeting, coordinator: User
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    waiting = make_user("Wren")
    make_membership(meeting.circle, waiting, Membership.Status.WAITING)
    stranger = make_user("Lee")
    for person in (waiting, stranger, coordinator):
        with pytest.raises(PermissionDenied):
            room.join_room(person, meeting)
        assert seat(person, conversation) is None


def test_a_person_removed_from_the_room_cannot_join_again(
    peer_supporter: User, member: User, meeting: Meeting
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    group.remove_participant(peer_supporter, conversation, member)
    with pytest.raises(room.RoomError, match="cannot come back"):
        room.join_room(member, meeting)
    state = room.room_state(meeting, member)
    assert not state.can_join
    assert not state.is_in
    assert not state.waiting
    assert "cannot come back" in state.reason


def test_nobody_joins_a_closed_room(peer_supporter: User, member: User, meeting: Meeting) -> None:
    room.open_room(peer_supporter, meeting)
    room.close_room(peer_supporter, meeting)
    with pytest.raises(room.RoomError, match="closed"):
        room.join_room(member, meeting)


# --- What the page says ----------------------------------------------------------------


def test_the_state_of_the_room_for_each_person(
    peer_supporter: User, member: User, coordinator: User, meeting: Meeting
) -> None:
    waiting = room.room_state(meeting, member)
    assert (waiting.is_open, waiting.can_join, waiting.waiting) == (False, False, True)
    assert waiting.reason == "The room opens when your facilitator arrives."
    facilitator = room.room_state(meeting, peer_supporter)
    assert (facilitator.can_open, facilitator.leads) == (True, True)
    assert facilitator.reason == "You can open the room now."
    room.open_room(peer_supporter, meeting)
    ready = room.room_state(meeting, member)
    assert (ready.is_open, ready.facilitator_present, ready.can_join, ready.waiting) == (
        True,
        True,
        True,
        False,
    )
    inside = room.room_state(meeting, peer_supporter)
    assert (inside.is_in, inside.can_open) == (True, False)
    outsider = room.room_state(meeting, coordinator)
    assert (outsider.can_join, outsider.can_open, outsider.waiting) == (False, False, False)
    assert outsider.reason == "This room is for members of the circle."


# --- Closing ---------------------------------------------------------------------------


def test_a_facilitator_closes_the_room_for_everyone(
    peer_supporter: User, member: User, meeting: Meeting
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    with pytest.raises(PermissionDenied):
        room.close_room(member, meeting)
    assert room.close_room(peer_supporter, meeting) is True
    meeting.refresh_from_db()
    conversation.refresh_from_db()
    assert meeting.room_closed_at is not None
    assert conversation.is_ended
    assert room.close_room(peer_supporter, meeting) is False
    assert AuditEntry.objects.filter(verb="circles.room.close").count() == 1
    assert room.room_state(meeting, member).reason == "This room has closed. Thank you for coming."


def test_rooms_left_open_an_hour_past_the_end_are_closed(
    peer_supporter: User, circle: Circle
) -> None:
    now = timezone.now()
    long_over = make_meeting(circle, now - dt.timedelta(hours=3))
    just_over = make_meeting(circle, now - dt.timedelta(minutes=100))
    for meeting in (long_over, just_over):
        room.open_room(peer_supporter, meeting, now=meeting.starts_at)
    # long_over ended 90 minutes ago, just_over 10 minutes ago.
    assert room.close_stale_rooms(now) == 1
    long_over.refresh_from_db()
    just_over.refresh_from_db()
    assert long_over.room_closed_at == now
    assert long_over.conversation is not None
    assert long_over.conversation.is_ended
    assert just_over.room_closed_at is None
    entry = AuditEntry.objects.get(verb="circles.room.close")
    assert entry.actor_id is None
    # The task does the same, and finds nothing left.
    assert room.close_room_when_stale.call(long_over.pk) == 0


def test_ending_the_rooms_chat_closes_the_room(
    peer_supporter: User, meeting: Meeting, django_capture_on_commit_callbacks: Any
) -> None:
    room.register_chat_tools()
    conversation = room.open_room(peer_supporter, meeting)
    with django_capture_on_commit_callbacks(execute=True):
        chat_actions.end_conversation(peer_supporter, conversation)
    meeting.refresh_from_db()
    assert meeting.room_closed_at is not None
    assert room.room_conversation(meeting) is None


def test_a_room_whose_chat_ended_unheard_is_closed_by_the_sweep(
    peer_supporter: User, meeting: Meeting
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    Conversation.objects.filter(pk=conversation.pk).update(ended_at=timezone.now())
    assert room.close_stale_rooms() == 1
    meeting.refresh_from_db()
    assert meeting.room_closed_at is not None


# --- Check-in round and agreement ------------------------------------------------------


def test_the_check_in_round_lists_who_is_present_by_display_name(
    peer_supporter: User, member: User, other_member: User, meeting: Meeting
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    room.join_room(other_member, meeting)
    room.join_room(member, meeting)
    gone = make_user("Blake")
    make_membership(meeting.circle, gone)
    room.join_room(gone, meeting)
    room.leave_room(gone, meeting)
    message = room_cards.start_check_in(peer_supporter, meeting, client_id="check-in-1")
    assert message.kind == Message.Kind.CARD
    assert message.sender_id == peer_supporter.pk
    card = card_of(message)
    assert card.title == "Check-in round"
    assert card.lines == (
        "In a word or two: how are you arriving today? You can always say 'pass'.",
        "Order: Jordan, River, Sky",
    )
    assert card.url == reverse("circles:room", args=[meeting.pk])
    # A retry posts nothing new.
    again = room_cards.start_check_in(peer_supporter, meeting, client_id="check-in-1")
    assert again.pk == message.pk
    assert Message.objects.filter(conversation=conversation, kind=Message.Kind.CARD).count() == 1


def test_a_long_round_counts_the_names_that_do_not_fit(
    peer_supporter: User, circle: Circle, meeting: Meeting
) -> None:
    room.open_room(peer_supporter, meeting)
    for number in range(60):
        person = make_user(f"Member number {number:02d} of a big circle")
        make_membership(circle, person)
        room.join_room(person, meeting)
    card = card_of(room_cards.start_check_in(peer_supporter, meeting))
    assert len(card.lines) == MAX_LINES
    assert all(len(line) <= MAX_LINE for line in card.lines)
    shown = sum(line.count("Member number") for line in card.lines)
    left_out = int(card.lines[-1].rsplit("and ", 1)[1].split(" more")[0])
    # Everyone is either named or counted: 60 members and the facilitator.
    assert shown + left_out + 1 == 61


def test_no_round_while_paused(peer_supporter: User, meeting: Meeting) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    group.pause(peer_supporter, conversation)
    with pytest.raises(room.RoomError, match="paused"):
        room_cards.start_check_in(peer_supporter, meeting)
    assert not Message.objects.filter(conversation=conversation, kind=Message.Kind.CARD).exists()


def test_only_a_facilitator_in_the_room_starts_a_round(
    peer_supporter: User, second_facilitator: User, member: User, meeting: Meeting
) -> None:
    room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    for person in (member, second_facilitator):
        with pytest.raises(PermissionDenied):
            room_cards.start_check_in(person, meeting)
        with pytest.raises(PermissionDenied):
            room_cards.pin_agreement(person, meeting)
    assert not Message.objects.filter(kind=Message.Kind.CARD).exists()


def test_the_agreement_is_posted_as_a_card_and_pinned(
    peer_supporter: User, member: User, meeting: Meeting
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    message = room_cards.pin_agreement(peer_supporter, meeting)
    card = card_of(message)
    assert card.title == "Our group agreement"
    assert card.lines == ("What is said here stays here.", "One voice at a time.")
    conversation.refresh_from_db()
    assert conversation.pinned_seq == message.seq
    pinned = group.pinned_message(conversation)
    assert pinned is not None
    assert pinned.pk == message.pk


def test_a_long_agreement_points_to_the_room_page(peer_supporter: User, member: User) -> None:
    agreement = "\n".join(f"Point {n}: " + "x" * 300 for n in range(1, 10))
    meeting = soon_meeting(circle_with(peer_supporter, member, agreement=agreement))
    room.open_room(peer_supporter, meeting)
    card = card_of(room_cards.pin_agreement(peer_supporter, meeting))
    assert len(card.lines) == MAX_LINES
    assert all(len(line) <= MAX_LINE for line in card.lines)
    assert card.lines[0].startswith("Point 1: xxx")
    assert card.lines[0].endswith("…")
    assert card.lines[-1] == "The whole agreement is on the room page."


def test_the_room_tools_link_is_only_for_room_chats(
    peer_supporter: User, member: User, meeting: Meeting
) -> None:
    from peerlight.chat import tools

    room.register_chat_tools()
    conversation = room.open_room(peer_supporter, meeting)
    support_chat = chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
    )
    in_room = tools.tools_for(seat(peer_supporter, conversation))
    assert tools.PeerTool("Room tools", f"/circles/meetings/{meeting.pk}/room/tools/") in in_room
    assert all(
        tool.label != "Room tools" for tool in tools.tools_for(seat(peer_supporter, support_chat))
    )


def test_messages_in_the_room_are_json_free_of_account_details(
    peer_supporter: User, member: User, meeting: Meeting
) -> None:
    """A card carries display names only, never an e-mail address."""
    room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    body = room_cards.start_check_in(peer_supporter, meeting).body
    assert "River" in json.loads(body)["lines"][1]
    assert member.email
    assert member.email not in body


# --- Removal from the circle ------------------------------------------------------------


def test_someone_removed_from_the_circle_leaves_its_open_room_at_once(
    circle: Circle, meeting: Meeting, peer_supporter: User, member: User, other_member: User
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    room.join_room(other_member, meeting)
    membership.remove_member(peer_supporter, Membership.objects.get(circle=circle, user=member))
    removed = seat(member, conversation)
    assert removed is not None
    assert removed.is_removed
    stays = seat(other_member, conversation)
    assert stays is not None
    assert not stays.is_removed
    # No longer a member of the circle, so not of its room either.
    with pytest.raises(PermissionDenied):
        room.join_room(member, meeting)
