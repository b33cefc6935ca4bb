"""Live talk in a room: the chat's websocket carries it like any conversation.

As in ``tests/chat/test_consumers.py``, the consumer works on another
thread, so these tests use committed data (``transaction=True``).
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.circles import room, room_cards
from tests.chat.test_consumers import open_socket, receive, run, session_cookie
from tests.circles.test_room import circle_with, soon_meeting

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_memory_layer(settings: SettingsWrapper) -> None:
    # One process, as in the chat's own socket tests.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def test_a_message_in_the_room_reaches_the_others_by_display_name(
    peer_supporter: User, member: User, other_member: User
) -> None:
    meeting = soon_meeting(circle_with(peer_supporter, member, other_member))
    conversation = room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    room.join_room(other_member, meeting)
    start = conversation.last_seq + 2  # the two "joined" notices
    river, sky = session_cookie(member), session_cookie(other_member)

    async def body() -> None:
        sender = await open_socket(river, conversation.pk)
        reader = await open_socket(sky, conversation.pk)
        await sender.send_json_to({"type": "send", "client_id": "hello1", "body": "Hi all"})
        ack = await receive(sender)
        assert ack == {"type": "ack", "client_id": "hello1", "seq": start + 1}
        pushed = await receive(reader)
        assert pushed["type"] == "messages"
        [item] = pushed["items"]
        assert item["seq"] == start + 1
        assert "Hi all" in item["html"]
        assert "<strong>River</strong>" in item["html"]
        assert member.email not in item["html"]
        await sender.disconnect()
        await reader.disconnect()

    run(body)


def test_a_pinned_agreement_reaches_an_open_socket_with_its_text(
    peer_supporter: User, member: User, other_member: User
) -> None:
    meeting = soon_meeting(circle_with(peer_supporter, member, other_member))
    conversation = room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    cookie = session_cookie(member)

    async def body() -> None:
        reader = await open_socket(cookie, conversation.pk)
        await sync_to_async(room_cards.pin_agreement)(peer_supporter, meeting)
        items: list[dict[str, Any]] = []
        while len(items) < 2:
            items += (await receive(reader))["items"]
        card, notice = items
        assert "Our group agreement" in card["html"]
        assert "A facilitator pinned this to the top of the chat:" in notice["html"]
        assert "One voice at a time." in notice["html"]
        await reader.disconnect()

    run(body)


def test_nothing_can_be_sent_while_no_facilitator_is_in_the_room(
    peer_supporter: User, member: User, other_member: User
) -> None:
    meeting = soon_meeting(circle_with(peer_supporter, member, other_member))
    conversation = room.open_room(peer_supporter, meeting)
    room.join_room(member, meeting)
    room.leave_room(peer_supporter, meeting)
    cookie = session_cookie(member)

    async def body() -> None:
        sender = await open_socket(cookie, conversation.pk)
        await sender.send_json_to({"type": "send", "client_id": "alone1", "body": "hello?"})
        reply = await receive(sender)
        assert reply["type"] == "error"
        assert reply["message"] == "This chat is paused for a moment."
        await sender.disconnect()

    run(body)
    conversation.refresh_from_db()
    assert conversation.is_paused
