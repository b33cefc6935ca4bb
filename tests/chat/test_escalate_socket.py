"""Over the websocket: the member's risky message comes back with the safety card, then the ack."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from peerlight.accounts.models import User
from peerlight.chat import actions
from peerlight.safety.detector import assess
from tests.chat.test_consumers import (
    direct_conversation,
    open_socket,
    receive,
    run,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def send_and_expect_card_then_ack(socket: WebsocketCommunicator, text: str) -> None:
    """Send ``text``; it must come back once, as the sender's, with the card, then its ack."""
    await socket.send_json_to({"type": "send", "client_id": "c1", "body": text})
    first = await receive(socket)
    assert first["type"] == "messages"
    [item] = first["items"]
    assert 'class="crisis safety-card"' in item["html"]
    assert 'class="message mine"' in item["html"]
    second = await receive(socket)
    assert second == {"type": "ack", "client_id": "c1", "seq": item["seq"]}


def test_a_risky_message_brings_the_safety_card_before_its_ack(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await send_and_expect_card_then_ack(socket, "I feel so alone")
        await socket.disconnect()

    run(body)


def test_a_message_rated_risky_with_the_ones_before_it_brings_the_card_too(
    member: User, peer_supporter: User
) -> None:
    # Alone, the goodbye is calm; after "i dont want to be here anymore" the
    # safety hook rates it with the earlier message, and the card follows
    # the level that was saved, not a second look at the words alone.
    conversation = direct_conversation(member, peer_supporter)
    actions.send_message(member, conversation, "i dont want to be here anymore", "c0")
    assert assess("i said goodbye to my mum today").level == "none"
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await send_and_expect_card_then_ack(socket, "i said goodbye to my mum today")
        await socket.disconnect()

    run(body)


def test_an_ordinary_message_gets_its_ack_alone(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await socket.send_json_to({"type": "send", "client_id": "c1", "body": "hello there"})
        reply = await receive(socket)
        assert reply["type"] == "ack"
        assert await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()

    run(body)


def test_the_peer_receives_the_message_with_what_to_do(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    member_cookie = session_cookie(member)
    peer_cookie = session_cookie(peer_supporter)

    async def body() -> None:
        peer = await open_socket(peer_cookie, conversation.pk)
        sender = await open_socket(member_cookie, conversation.pk)
        await sender.send_json_to({"type": "send", "client_id": "c1", "body": "I feel so alone"})
        pushed = await receive(peer)
        assert pushed["type"] == "messages"
        html = pushed["items"][0]["html"]
        assert "What to do now" in html
        assert "safety-card" not in html
        await peer.disconnect()
        await sender.disconnect()

    run(body)
