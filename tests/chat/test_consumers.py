"""The chat websocket: who may connect, send and ack, resume, pushes, typing, errors.

Each test drives ``peerlight.asgi.application`` (origin check, session
authentication, routing) through Channels' ``WebsocketCommunicator``, with
the session cookie of a signed-in test client. The consumer reads and
writes the database from another thread, so the tests use committed data
(``transaction=True``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from peerlight.accounts.models import User
from peerlight.asgi import application
from peerlight.chat import actions
from peerlight.chat.consumers import CLOSE_REFUSED, RESUME_BATCH
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.lib.events import user_group

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://localhost"


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def socket_for(
    cookie: str | None, conversation_id: int, *, origin: str = ORIGIN
) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, f"/chat/ws/{conversation_id}/", headers=headers)


async def open_socket(cookie: str | None, conversation_id: int) -> WebsocketCommunicator:
    socket = socket_for(cookie, conversation_id)
    connected, _code = await socket.connect()
    assert connected
    return socket


async def close_code(socket: WebsocketCommunicator) -> int | None:
    """The code the server closed ``socket`` with (fails if it sent anything else)."""
    output = await socket.receive_output(timeout=2)
    assert output["type"] == "websocket.close", output
    code: int | None = output.get("code")
    return code


def run(body: Callable[[], Awaitable[None]]) -> None:
    """Run an async test body; the consumer's database work runs on this thread."""

    async def with_fresh_layer() -> None:
        layer = get_channel_layer()
        assert layer is not None
        await layer.flush()
        await body()

    async_to_sync(with_fresh_layer)()


def direct_conversation(member: User, peer: User) -> Conversation:
    return actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer, Participant.Role.SUPPORTER)],
    )


def add_messages(conversation: Conversation, sender: User, count: int) -> None:
    """``count`` messages at once, written directly: setup, not the code under test."""
    start = conversation.last_seq
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            seq=start + n,
            client_id=f"setup-{start + n}",
            sender=sender,
            body=f"Message number {start + n}",
        )
        for n in range(1, count + 1)
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=start + count)
    conversation.refresh_from_db()


async def receive(socket: WebsocketCommunicator) -> dict[str, Any]:
    reply: dict[str, Any] = await socket.receive_json_from(timeout=2)
    return reply


# --- Who may connect -----------------------------------------------------------


def test_an_anonymous_visitor_is_refused(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)

    async def body() -> None:
        socket = await open_socket(None, conversation.pk)
        assert await close_code(socket) == CLOSE_REFUSED

    run(body)


def test_a_stranger_is_refused(member: User, peer_supporter: User, other_member: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(other_member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        assert await close_code(socket) == CLOSE_REFUSED

    run(body)


def test_a_conversation_that_does_not_exist_is_refused_the_same_way(member: User) -> None:
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, 987654)
        assert await close_code(socket) == CLOSE_REFUSED

    run(body)


def test_a_removed_participant_is_refused(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    Participant.objects.filter(conversation=conversation, user=member).update(is_removed=True)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        assert await close_code(socket) == CLOSE_REFUSED

    run(body)


def test_another_origin_is_refused_before_the_handshake(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = socket_for(cookie, conversation.pk, origin="https://evil.example")
        connected, _code = await socket.connect()
        assert not connected

    run(body)


# --- Sending -----------------------------------------------------------------------


def test_a_send_is_acked_with_its_seq_after_commit(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await socket.send_json_to({"type": "send", "client_id": "abc123", "body": "Hello there"})
        assert await receive(socket) == {"type": "ack", "client_id": "abc123", "seq": 1}
        # The ack came after the commit: another connection sees the row.
        saved = await sync_to_async(Message.objects.get)(conversation=conversation, seq=1)
        assert saved.body == "Hello there"
        assert saved.sender_id == member.pk
        # The sender's own socket is not sent its message back.
        assert await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()

    run(body)


def test_a_retried_send_gets_the_same_seq_and_makes_no_duplicate(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    member_cookie, peer_cookie = session_cookie(member), session_cookie(peer_supporter)

    async def body() -> None:
        sender = await open_socket(member_cookie, conversation.pk)
        reader = await open_socket(peer_cookie, conversation.pk)
        send = {"type": "send", "client_id": "retry-1", "body": "Are you there?"}
        await sender.send_json_to(send)
        first = await receive(sender)
        # The client reconnected before it saw the ack, and sends again.
        await sender.disconnect()
        sender = await open_socket(member_cookie, conversation.pk)
        await sender.send_json_to(send)
        assert await receive(sender) == first == {"type": "ack", "client_id": "retry-1", "seq": 1}
        pushed = await receive(reader)
        assert [item["seq"] for item in pushed["items"]] == [1]
        assert await reader.receive_nothing(timeout=0.2)
        await sender.disconnect()
        await reader.disconnect()

    run(body)
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_the_other_participant_gets_each_message_exactly_once(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    member_cookie, peer_cookie = session_cookie(member), session_cookie(peer_supporter)

    async def body() -> None:
        sender = await open_socket(member_cookie, conversation.pk)
        reader = await open_socket(peer_cookie, conversation.pk)
        for n in range(1, 4):
            await sender.send_json_to({"type": "send", "client_id": f"m{n}", "body": f"<b>{n}"})
            assert (await receive(sender))["seq"] == n
        seqs = []
        while not await reader.receive_nothing(timeout=0.3):
            pushed = await receive(reader)
            assert pushed["type"] == "messages"
            for item in pushed["items"]:
                seqs.append(item["seq"])
                # Rendered for the reader, escaped like any template output.
                assert f'id="m-{item["seq"]}"' in item["html"]
                assert "&lt;b&gt;" in item["html"]
                assert "<b>" not in item["html"]
        assert seqs == [1, 2, 3]
        await sender.disconnect()
        await reader.disconnect()

    run(body)


def test_a_resume_after_a_push_does_not_send_that_message_again(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    add_messages(conversation, peer_supporter, 2)
    member_cookie, peer_cookie = session_cookie(member), session_cookie(peer_supporter)

    async def body() -> None:
        # A client back after a while: its socket opens at seq 2, and before
        # its resume is read, a new message is pushed.
        reader = await open_socket(member_cookie, conversation.pk)
        sender = await open_socket(peer_cookie, conversation.pk)
        await sender.send_json_to({"type": "send", "client_id": "p3", "body": "Still here"})
        assert (await receive(sender))["seq"] == 3
        pushed = await receive(reader)
        assert [item["seq"] for item in pushed["items"]] == [3]
        await reader.send_json_to({"type": "resume", "after": 0})
        resumed = await receive(reader)
        assert [item["seq"] for item in resumed["items"]] == [1, 2]
        assert await reader.receive_nothing(timeout=0.3)
        await sender.disconnect()
        await reader.disconnect()

    run(body)


@pytest.mark.parametrize(
    ("send", "why"),
    [
        ({"type": "send", "client_id": "e1", "body": "   "}, "empty"),
        ({"type": "send", "client_id": "e2", "body": "x" * (actions.MAX_BODY + 1)}, "too long"),
        ({"type": "send", "client_id": "not ok!", "body": "hello"}, "bad client id"),
    ],
)
def test_refused_input_gets_an_error_and_saves_nothing(
    member: User, peer_supporter: User, send: dict[str, Any], why: str
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await socket.send_json_to(send)
        reply = await receive(socket)
        assert reply["type"] == "error", why
        assert reply["client_id"] == send["client_id"]
        assert reply["message"]
        await socket.disconnect()

    run(body)
    assert not Message.objects.filter(conversation=conversation).exists()


def test_sending_to_an_ended_chat_is_refused(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await sync_to_async(actions.end_conversation)(peer_supporter, conversation)
        await receive(socket)  # the "ended" notice
        assert await receive(socket) == {"type": "ended"}
        await socket.send_json_to({"type": "send", "client_id": "late", "body": "wait"})
        reply = await receive(socket)
        assert reply["type"] == "error"
        assert reply["client_id"] == "late"
        await socket.disconnect()

    run(body)
    assert not Message.objects.filter(conversation=conversation, client_id="late").exists()


@pytest.mark.parametrize(
    "frame",
    ["not json", "[1, 2]", '{"type": "shout"}', '{"no": "type"}', '{"type": "resume"}'],
)
def test_unreadable_frames_get_an_error_and_the_socket_stays_open(
    member: User, peer_supporter: User, frame: str
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await socket.send_to(text_data=frame)
        reply = await receive(socket)
        assert reply["type"] == "error"
        assert reply["message"]
        await socket.send_json_to({"type": "send", "client_id": "after", "body": "still here"})
        assert (await receive(socket))["type"] == "ack"
        await socket.disconnect()

    run(body)
    assert Message.objects.filter(conversation=conversation).count() == 1


# --- Resume, read, typing, ended ---------------------------------------------------


def test_resume_sends_everything_after_the_given_seq_in_batches(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    add_messages(conversation, peer_supporter, RESUME_BATCH + 50)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await socket.send_json_to({"type": "resume", "after": 20})
        first, second = await receive(socket), await receive(socket)
        assert [item["seq"] for item in first["items"]] == list(range(21, 21 + RESUME_BATCH))
        assert [item["seq"] for item in second["items"]] == list(
            range(21 + RESUME_BATCH, RESUME_BATCH + 51)
        )
        assert await socket.receive_nothing(timeout=0.2)
        # Nothing after the newest: an empty batch says so.
        await socket.send_json_to({"type": "resume", "after": RESUME_BATCH + 50})
        assert await receive(socket) == {"type": "messages", "items": []}
        await socket.disconnect()

    run(body)


def test_a_push_after_resume_sends_only_what_the_socket_has_not_sent(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    add_messages(conversation, peer_supporter, 3)
    member_cookie = session_cookie(member)

    async def body() -> None:
        reader = await open_socket(member_cookie, conversation.pk)
        await reader.send_json_to({"type": "resume", "after": 0})
        assert [item["seq"] for item in (await receive(reader))["items"]] == [1, 2, 3]
        await sync_to_async(actions.send_message)(peer_supporter, conversation, "New", "n1")
        assert [item["seq"] for item in (await receive(reader))["items"]] == [4]
        assert await reader.receive_nothing(timeout=0.2)
        await reader.disconnect()

    run(body)


def test_read_moves_the_readers_mark(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    add_messages(conversation, peer_supporter, 5)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await socket.send_json_to({"type": "read", "seq": 4})
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    run(body)
    participant = Participant.objects.get(conversation=conversation, user=member)
    assert participant.last_read_seq == 4


def test_typing_reaches_the_others_but_not_the_typist_and_is_throttled(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    member_cookie, peer_cookie = session_cookie(member), session_cookie(peer_supporter)

    async def body() -> None:
        typist = await open_socket(member_cookie, conversation.pk)
        reader = await open_socket(peer_cookie, conversation.pk)
        await typist.send_json_to({"type": "typing"})
        assert await receive(reader) == {"type": "typing", "name": member.display_name}
        await typist.send_json_to({"type": "typing"})
        assert await reader.receive_nothing(timeout=0.3)
        assert await typist.receive_nothing(timeout=0.1)
        await typist.disconnect()
        await reader.disconnect()

    run(body)


def test_ending_the_chat_tells_every_socket(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    member_cookie, peer_cookie = session_cookie(member), session_cookie(peer_supporter)

    async def body() -> None:
        member_socket = await open_socket(member_cookie, conversation.pk)
        peer_socket = await open_socket(peer_cookie, conversation.pk)
        await sync_to_async(actions.end_conversation)(peer_supporter, conversation)
        for socket in (member_socket, peer_socket):
            notice = await receive(socket)
            assert [item["seq"] for item in notice["items"]] == [1]
            assert await receive(socket) == {"type": "ended"}
            await socket.disconnect()

    run(body)


def test_a_participant_removed_while_connected_gets_nothing_more(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await sync_to_async(
            Participant.objects.filter(conversation=conversation, user=member).update
        )(is_removed=True)
        await sync_to_async(actions.send_message)(peer_supporter, conversation, "Secret", "s1")
        assert await close_code(socket) == CLOSE_REFUSED

    run(body)


def test_events_for_other_pages_on_the_persons_group_are_ignored(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        layer = get_channel_layer()
        assert layer is not None
        await layer.group_send(user_group(member.pk), {"type": "support.offer", "offer": 1})
        assert await socket.receive_nothing(timeout=0.2)
        await socket.send_json_to({"type": "send", "client_id": "alive", "body": "ok"})
        assert (await receive(socket))["type"] == "ack"
        await socket.disconnect()

    run(body)


def test_the_senders_other_tab_gets_the_message_the_sending_tab_does_not(
    member: User, peer_supporter: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        sending_tab = await open_socket(cookie, conversation.pk)
        other_tab = await open_socket(cookie, conversation.pk)
        await sending_tab.send_json_to({"type": "send", "client_id": "tab1", "body": "Hi"})
        assert await receive(sending_tab) == {"type": "ack", "client_id": "tab1", "seq": 1}
        pushed = await receive(other_tab)
        assert [item["seq"] for item in pushed["items"]] == [1]
        # The event names the sending socket, which skips reading its own
        # message back, ack or push first.
        assert await sending_tab.receive_nothing(timeout=0.3)
        await sending_tab.disconnect()
        await other_tab.disconnect()

    run(body)
