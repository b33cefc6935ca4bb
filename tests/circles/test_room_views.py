"""The room's pages: waiting, going in, closing, and the facilitators' tools."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerlight.accounts.models import Role, User
from peerlight.chat import group
from peerlight.chat.cards import card_from_body
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.circles import room
from peerlight.circles.models import Circle, Meeting, Membership
from tests.circles.factories import make_meeting, make_membership
from tests.circles.test_room import circle_with, soon_meeting
from tests.conftest import make_user, post_with_csrf

ClientFor = Callable[[User | None], Client]

POST_ONLY = [
    "room_open",
    "room_join",
    "room_leave",
    "room_close",
    "room_pin",
    "room_unpin",
    "room_check_in",
    "room_pause",
    "room_resume",
]
FACILITATOR_POSTS = ["room_pin", "room_unpin", "room_check_in", "room_pause", "room_resume"]


def url(name: str, meeting: Meeting, *args: int) -> str:
    return reverse(f"circles:{name}", args=[meeting.pk, *args])


@pytest.fixture
def circle(peer_supporter: User, member: User, other_member: User) -> Circle:
    return circle_with(peer_supporter, member, other_member)


@pytest.fixture
def meeting(circle: Circle) -> Meeting:
    return soon_meeting(circle)


@pytest.fixture
def stranger(db: None) -> User:
    return make_user("Wren", email="wren@example.org")


@pytest.fixture
def open_room(
    peer_supporter: User, member: User, other_member: User, meeting: Meeting
) -> Conversation:
    conversation = room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    room.join_room(other_member, meeting)
    return conversation


def seat(user: User, conversation: Conversation) -> Participant:
    return Participant.objects.get(conversation=conversation, user=user)


# --- The room page ---------------------------------------------------------------------


def test_a_member_waits_on_a_page_that_looks_again_by_itself(
    member: User, meeting: Meeting, client_for: ClientFor
) -> None:
    response = client_for(member).get(url("room", meeting))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'http-equiv="refresh"' not in html
    assert f'hx-get="{url("room", meeting)}" hx-trigger="every 20s"' in html
    assert f'href="{url("room", meeting)}">Check now</a>' in html
    assert "The room opens when your facilitator arrives." in html
    assert url("room_join", meeting) not in html
    assert url("room_open", meeting) not in html
    assert "One voice at a time." in html


def test_once_a_facilitator_is_in_a_member_sees_the_join_button(
    peer_supporter: User, member: User, meeting: Meeting, client_for: ClientFor
) -> None:
    room.open_room(peer_supporter, meeting)
    html = client_for(member).get(url("room", meeting)).content.decode()
    assert "hx-trigger" not in html
    assert f'action="{url("room_join", meeting)}"' in html
    assert "Join the room" in html


def test_the_waiting_page_looking_again_gets_only_the_part_that_changes(
    peer_supporter: User, member: User, meeting: Meeting, client_for: ClientFor
) -> None:
    client = client_for(member)
    waiting = client.get(url("room", meeting), headers={"HX-Request": "true"})
    fragment = waiting.content.decode()
    assert "<html" not in fragment
    assert 'hx-trigger="every 20s"' in fragment
    room.open_room(peer_supporter, meeting)
    fragment = client.get(url("room", meeting), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    # The member can go in now, so the fragment stops asking again.
    assert "hx-trigger" not in fragment
    assert f'action="{url("room_join", meeting)}"' in fragment


def test_a_facilitator_sees_the_open_button(
    peer_supporter: User, meeting: Meeting, client_for: ClientFor
) -> None:
    html = client_for(peer_supporter).get(url("room", meeting)).content.decode()
    assert f'action="{url("room_open", meeting)}"' in html
    assert "Open the room" in html
    assert "hx-trigger" not in html


def test_someone_on_the_waiting_list_is_pointed_to_the_circle_page(
    meeting: Meeting, stranger: User, client_for: ClientFor
) -> None:
    make_membership(meeting.circle, stranger, Membership.Status.WAITING)
    response = client_for(stranger).get(url("room", meeting))
    html = response.content.decode()
    assert response.status_code == 200
    assert "You are not signed up as a member of this circle." in html
    assert reverse("circles:detail", args=[meeting.circle.slug]) in html
    assert url("room_join", meeting) not in html


def test_a_stranger_gets_a_404_and_a_visitor_the_log_in_page(
    meeting: Meeting, stranger: User, client_for: ClientFor
) -> None:
    assert client_for(stranger).get(url("room", meeting)).status_code == 404
    assert client_for(stranger).get(reverse("circles:room", args=[987654])).status_code == 404
    response = client_for(None).get(url("room", meeting))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", POST_ONLY)
def test_post_only_addresses_refuse_a_get(
    name: str, member: User, meeting: Meeting, client_for: ClientFor
) -> None:
    assert client_for(member).get(url(name, meeting)).status_code == 405


@pytest.mark.parametrize("name", ["room_mute", "room_remove"])
def test_people_addresses_refuse_a_get(
    name: str, member: User, meeting: Meeting, client_for: ClientFor
) -> None:
    assert client_for(member).get(url(name, meeting, member.pk)).status_code == 405


# --- Opening, joining, leaving, closing ------------------------------------------------


def test_a_facilitator_opens_the_room_and_lands_in_its_chat(
    peer_supporter: User, meeting: Meeting, client_for: ClientFor
) -> None:
    response = post_with_csrf(client_for(peer_supporter), url("room_open", meeting))
    meeting.refresh_from_db()
    assert meeting.conversation is not None
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:conversation", args=[meeting.conversation.pk])


def test_opening_too_early_says_when_and_makes_nothing(
    peer_supporter: User, circle: Circle, client_for: ClientFor
) -> None:
    early = make_meeting(circle, timezone.now() + dt.timedelta(hours=3))
    response = post_with_csrf(client_for(peer_supporter), url("room_open", early))
    assert response.status_code == 400
    assert "You can open the room from 15 minutes before the start." in response.content.decode()
    assert not Conversation.objects.exists()


def test_a_member_cannot_open_and_a_stranger_finds_nothing(
    member: User, stranger: User, meeting: Meeting, client_for: ClientFor
) -> None:
    response = post_with_csrf(client_for(member), url("room_open", meeting))
    assert response.status_code == 403
    assert "Only a facilitator of this circle can open the room." in response.content.decode()
    assert post_with_csrf(client_for(stranger), url("room_open", meeting)).status_code == 404
    assert not Conversation.objects.exists()


def test_a_member_joins_and_lands_in_the_chat(
    peer_supporter: User, member: User, meeting: Meeting, client_for: ClientFor
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    response = post_with_csrf(client_for(member), url("room_join", meeting))
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:conversation", args=[conversation.pk])
    assert seat(member, conversation).is_present
    chat_page = client_for(member).get(response["Location"]).content.decode()
    assert f"<h1>{meeting.circle.name}</h1>" in chat_page
    assert f'href="{url("room", meeting)}"' in chat_page


def test_joining_before_the_facilitator_is_there_is_refused_kindly(
    member: User, meeting: Meeting, client_for: ClientFor
) -> None:
    response = post_with_csrf(client_for(member), url("room_join", meeting))
    assert response.status_code == 400
    assert "The room opens when your facilitator arrives." in response.content.decode()
    assert not Participant.objects.filter(user=member).exists()


def test_only_members_join(
    peer_supporter: User, stranger: User, meeting: Meeting, client_for: ClientFor
) -> None:
    conversation = room.open_room(peer_supporter, meeting)
    make_membership(meeting.circle, stranger, Membership.Status.REQUESTED)
    assert post_with_csrf(client_for(stranger), url("room_join", meeting)).status_code == 403
    assert not Participant.objects.filter(conversation=conversation, user=stranger).exists()
    outsider = make_user("Lee")
    assert post_with_csrf(client_for(outsider), url("room_join", meeting)).status_code == 404


def test_the_last_facilitator_leaving_pauses_the_room(
    peer_supporter: User, open_room: Conversation, meeting: Meeting, client_for: ClientFor
) -> None:
    response = post_with_csrf(client_for(peer_supporter), url("room_leave", meeting))
    assert response.status_code == 302
    assert response["Location"] == url("room", meeting)
    open_room.refresh_from_db()
    assert open_room.is_paused


def test_a_facilitator_closes_the_room(
    peer_supporter: User,
    member: User,
    open_room: Conversation,
    meeting: Meeting,
    client_for: ClientFor,
) -> None:
    assert post_with_csrf(client_for(member), url("room_close", meeting)).status_code == 403
    open_room.refresh_from_db()
    assert not open_room.is_ended
    response = post_with_csrf(client_for(peer_supporter), url("room_close", meeting))
    assert response.status_code == 302
    open_room.refresh_from_db()
    meeting.refresh_from_db()
    assert open_room.is_ended
    assert meeting.room_closed_at is not None
    again = post_with_csrf(client_for(peer_supporter), url("room_close", meeting))
    assert again.status_code == 400


# --- The tools page ----------------------------------------------------------------------


def test_a_facilitator_in_the_room_gets_the_tools_by_display_name(
    peer_supporter: User,
    member: User,
    open_room: Conversation,
    meeting: Meeting,
    client_for: ClientFor,
) -> None:
    response = client_for(peer_supporter).get(url("room_tools", meeting))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("room_pin", "room_check_in", "room_pause"):
        assert f'action="{url(name, meeting)}"' in html
    assert f'action="{url("room_mute", meeting, member.pk)}"' in html
    assert f'action="{url("room_remove", meeting, member.pk)}"' in html
    assert "Mute River" in html
    assert "Yes, remove River" in html
    assert member.email not in html
    # A facilitator cannot be muted or removed from here.
    assert url("room_mute", meeting, peer_supporter.pk) not in html


def test_the_tools_are_refused_to_members_and_to_facilitators_outside_the_room(
    member: User, open_room: Conversation, meeting: Meeting, client_for: ClientFor
) -> None:
    assert client_for(member).get(url("room_tools", meeting)).status_code == 403
    absent = make_user("Ash", Role.PEER_SUPPORTER)
    meeting.circle.facilitators.add(absent)
    assert client_for(absent).get(url("room_tools", meeting)).status_code == 403
    assert client_for(make_user("Lee")).get(url("room_tools", meeting)).status_code == 404


@pytest.mark.parametrize("name", FACILITATOR_POSTS)
def test_members_get_a_403_for_facilitator_actions_and_nothing_changes(
    name: str, member: User, open_room: Conversation, meeting: Meeting, client_for: ClientFor
) -> None:
    before = Conversation.objects.values_list("last_seq", "is_paused", "pinned_seq").get(
        pk=open_room.pk
    )
    response = post_with_csrf(client_for(member), url(name, meeting))
    assert response.status_code == 403
    after = Conversation.objects.values_list("last_seq", "is_paused", "pinned_seq").get(
        pk=open_room.pk
    )
    assert after == before


@pytest.mark.parametrize("name", [*FACILITATOR_POSTS, "room_close", "room_join", "room_leave"])
def test_strangers_get_a_404_for_every_action(
    name: str, open_room: Conversation, meeting: Meeting, client_for: ClientFor
) -> None:
    assert post_with_csrf(client_for(make_user("Lee")), url(name, meeting)).status_code == 404


def test_pinning_the_agreement(
    peer_supporter: User, open_room: Conversation, meeting: Meeting, client_for: ClientFor
) -> None:
    facilitator = client_for(peer_supporter)
    response = post_with_csrf(facilitator, url("room_pin", meeting), {"client_id": "agreement-1"})
    assert response.status_code == 302
    assert response["Location"] == url("room_tools", meeting)
    pinned = group.pinned_message(Conversation.objects.get(pk=open_room.pk))
    assert pinned is not None
    card = card_from_body(pinned.body)
    assert card is not None
    assert card.title == "Our group agreement"
    # The same form sent again posts nothing new.
    post_with_csrf(facilitator, url("room_pin", meeting), {"client_id": "agreement-1"})
    assert Message.objects.filter(conversation=open_room, kind=Message.Kind.CARD).count() == 1
    assert post_with_csrf(facilitator, url("room_unpin", meeting)).status_code == 302
    open_room.refresh_from_db()
    assert open_room.pinned_seq is None


def test_a_check_in_round(
    peer_supporter: User, open_room: Conversation, meeting: Meeting, client_for: ClientFor
) -> None:
    response = post_with_csrf(
        client_for(peer_supporter), url("room_check_in", meeting), {"client_id": "round-1"}
    )
    assert response.status_code == 302
    card_message = Message.objects.get(conversation=open_room, kind=Message.Kind.CARD)
    card = card_from_body(card_message.body)
    assert card is not None
    assert card.lines[-1] == "Order: Jordan, River, Sky"


def test_pausing_and_resuming(
    peer_supporter: User, open_room: Conversation, meeting: Meeting, client_for: ClientFor
) -> None:
    facilitator = client_for(peer_supporter)
    assert post_with_csrf(facilitator, url("room_pause", meeting)).status_code == 302
    open_room.refresh_from_db()
    assert open_room.is_paused
    assert (
        f'action="{url("room_resume", meeting)}"'
        in facilitator.get(url("room_tools", meeting)).content.decode()
    )
    assert post_with_csrf(facilitator, url("room_resume", meeting)).status_code == 302
    open_room.refresh_from_db()
    assert not open_room.is_paused


def test_a_check_in_round_while_paused_is_a_clear_400(
    peer_supporter: User, open_room: Conversation, meeting: Meeting, client_for: ClientFor
) -> None:
    group.pause(peer_supporter, open_room)
    response = post_with_csrf(client_for(peer_supporter), url("room_check_in", meeting))
    assert response.status_code == 400
    assert "This chat is paused for a moment." in response.content.decode()
    assert not Message.objects.filter(conversation=open_room, kind=Message.Kind.CARD).exists()


def test_muting_and_unmuting_someone(
    peer_supporter: User,
    member: User,
    open_room: Conversation,
    meeting: Meeting,
    client_for: ClientFor,
) -> None:
    facilitator = client_for(peer_supporter)
    response = post_with_csrf(facilitator, url("room_mute", meeting, member.pk), {"muted": "1"})
    assert response.status_code == 302
    assert seat(member, open_room).is_muted
    assert "Let River send again" in facilitator.get(url("room_tools", meeting)).content.decode()
    post_with_csrf(facilitator, url("room_mute", meeting, member.pk), {"muted": "0"})
    assert not seat(member, open_room).is_muted


@pytest.mark.parametrize("value", ["", "yes", "2", "true"])
def test_a_bad_muted_value_is_a_400_and_changes_nothing(
    value: str,
    peer_supporter: User,
    member: User,
    open_room: Conversation,
    meeting: Meeting,
    client_for: ClientFor,
) -> None:
    response = post_with_csrf(
        client_for(peer_supporter), url("room_mute", meeting, member.pk), {"muted": value}
    )
    assert response.status_code == 400
    assert (
        "Please choose someone in the room and whether to mute them." in response.content.decode()
    )
    assert not seat(member, open_room).is_muted


@pytest.mark.parametrize("name", ["room_mute", "room_remove"])
def test_an_unknown_person_is_a_400(
    name: str,
    peer_supporter: User,
    open_room: Conversation,
    meeting: Meeting,
    client_for: ClientFor,
) -> None:
    outsider = make_user("Lee")
    for user_id in (987654, outsider.pk):
        response = post_with_csrf(
            client_for(peer_supporter), url(name, meeting, user_id), {"muted": "1"}
        )
        assert response.status_code == 400
    assert not Participant.objects.filter(conversation=open_room, user=outsider).exists()
    assert not Participant.objects.filter(conversation=open_room, is_muted=True).exists()


def test_a_facilitator_cannot_be_muted_or_removed_from_the_tools(
    peer_supporter: User, open_room: Conversation, meeting: Meeting, client_for: ClientFor
) -> None:
    ash = make_user("Ash", Role.PEER_SUPPORTER)
    meeting.circle.facilitators.add(ash)
    room.open_room(ash, meeting)
    for name in ("room_mute", "room_remove"):
        response = post_with_csrf(
            client_for(ash), url(name, meeting, peer_supporter.pk), {"muted": "1"}
        )
        assert response.status_code == 400
        assert "A facilitator cannot be muted or removed here." in response.content.decode()
    assert seat(peer_supporter, open_room).is_present
    assert not seat(peer_supporter, open_room).is_muted


def test_removing_someone(
    peer_supporter: User,
    member: User,
    open_room: Conversation,
    meeting: Meeting,
    client_for: ClientFor,
) -> None:
    assert (
        post_with_csrf(client_for(member), url("room_remove", meeting, member.pk)).status_code
        == 403
    )
    response = post_with_csrf(client_for(peer_supporter), url("room_remove", meeting, member.pk))
    assert response.status_code == 302
    assert seat(member, open_room).is_removed
    removed = client_for(member)
    assert removed.get(reverse("chat:conversation", args=[open_room.pk])).status_code == 404
    assert post_with_csrf(removed, url("room_join", meeting)).status_code == 400


def test_the_chat_page_links_the_room_tools_for_its_facilitator(
    peer_supporter: User,
    member: User,
    open_room: Conversation,
    meeting: Meeting,
    client_for: ClientFor,
) -> None:
    room.register_chat_tools()
    page = reverse("chat:conversation", args=[open_room.pk])
    link = f'<a href="{url("room_tools", meeting)}">Room tools</a>'
    assert link in client_for(peer_supporter).get(page).content.decode()
    assert link not in client_for(member).get(page).content.decode()


def test_a_coordinator_sees_the_room_but_is_not_asked_to_sign_up(
    coordinator: User, meeting: Meeting, client_for: ClientFor
) -> None:
    response = client_for(coordinator).get(url("room", meeting))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This room is for members of the circle." in html
    assert "You are not signed up" not in html
    assert url("room_open", meeting) not in html
    assert url("room_join", meeting) not in html
