"""Group controls: pin, mute, remove, pause and resume, and who may use them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import BaseChannelLayer
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext_lazy
from pytest_django import DjangoCaptureOnCommitCallbacks

from peerlight.accounts.models import Role, User
from peerlight.audit.models import AuditEntry
from peerlight.chat import access, actions, group, tools
from peerlight.chat.cards import Card
from peerlight.chat.consumers import CLOSE_REFUSED
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.lib.events import conversation_group
from tests.chat.test_consumers import close_code, open_socket, receive, run, session_cookie
from tests.conftest import make_user, post_with_csrf

ClientFor = Callable[[User | None], Client]
Capture = DjangoCaptureOnCommitCallbacks


def group_chat(facilitator: User, *people: User) -> Conversation:
    return actions.start_conversation(
        kind=Conversation.Kind.GROUP,
        members=[
            (facilitator, Participant.Role.FACILITATOR),
            *((person, Participant.Role.PARTICIPANT) for person in people),
        ],
        title="Evening circle",
        context_url="/circles/meetings/1/room/",
    )


@pytest.fixture
def room(peer_supporter: User, member: User, other_member: User) -> Conversation:
    return group_chat(peer_supporter, member, other_member)


@pytest.fixture
def second_facilitator(db: None) -> User:
    return make_user("Ash", Role.PEER_SUPPORTER)


def seat(user: User, chat: Conversation) -> Participant:
    participant = access.participant_for(int(user.pk), int(chat.pk))
    assert participant is not None
    return participant


def fresh(chat: Conversation) -> Conversation:
    return Conversation.objects.get(pk=chat.pk)


def notices(chat: Conversation) -> list[str]:
    """The bodies of the chat's notices, oldest first (bodies are encrypted: read, not queried)."""
    rows = Message.objects.filter(conversation=chat, kind=Message.Kind.SYSTEM).order_by("seq")
    return [row.body for row in rows]


def heard_on(layer: BaseChannelLayer, group_name: str) -> Callable[[], list[dict[str, Any]]]:
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name, channel)

    async def receive_all() -> list[dict[str, Any]]:
        events = []
        while True:
            try:
                events.append(await asyncio.wait_for(layer.receive(channel), timeout=0.05))
            except TimeoutError:
                return events

    return lambda: async_to_sync(receive_all)()


# --- Pinning -------------------------------------------------------------------------


def test_a_facilitator_pins_a_message_and_everyone_is_told(
    room: Conversation,
    peer_supporter: User,
    member: User,
    layer: BaseChannelLayer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    said = actions.send_message(member, room, "Thank you all for being here", "m1")
    heard = heard_on(layer, conversation_group(int(room.pk)))
    with django_capture_on_commit_callbacks(execute=True):
        group.pin_message(peer_supporter, room, int(said.message.seq))
    assert fresh(room).pinned_seq == said.message.seq
    notice = Message.objects.get(conversation=room, seq=fresh(room).last_seq)
    assert notice.kind == Message.Kind.SYSTEM
    assert notice.body == f"pinned:{said.message.seq}"
    assert heard() == [
        {"type": "chat.message", "conversation": room.pk, "seq": notice.seq},
    ]
    entry = AuditEntry.objects.get(verb="chat.group.pin")
    assert (entry.actor_id, entry.target_id) == (peer_supporter.pk, str(room.pk))
    assert "Thank you" not in entry.reason


def test_the_pinned_message_shows_at_the_top_and_in_its_notice(
    room: Conversation, peer_supporter: User, member: User, client_for: ClientFor
) -> None:
    said = actions.send_message(peer_supporter, room, "Welcome <everyone>", "p1")
    group.pin_message(peer_supporter, room, int(said.message.seq))
    html = client_for(member).get(reverse("chat:conversation", args=[room.pk])).content.decode()
    top = html.split('<div id="pinned">', 1)[1].split("</div>", 1)[0]
    assert "Pinned by a facilitator" in top
    assert "Welcome &lt;everyone&gt;" in top
    assert "Jordan" in top
    notice = html.split(f'id="m-{fresh(room).last_seq}"', 1)[1].split("</li>", 1)[0]
    assert "A facilitator pinned this to the top of the chat:" in notice
    assert "Welcome &lt;everyone&gt;" in notice


def test_a_pinned_card_shows_its_title(
    room: Conversation, peer_supporter: User, member: User, client_for: ClientFor
) -> None:
    card = Card(title="Our group agreement", lines=("One voice at a time.",), url="/circles/")
    posted = actions.post_card(peer_supporter, room, card, "card-1")
    group.pin_message(peer_supporter, room, int(posted.message.seq))
    html = client_for(member).get(reverse("chat:conversation", args=[room.pk])).content.decode()
    top = html.split('<div id="pinned">', 1)[1].split("</div>", 1)[0]
    assert '<a href="/circles/">Our group agreement</a>' in top
    assert "One voice at a time." in top


def test_the_poller_brings_the_new_pin_to_the_top_too(
    room: Conversation, peer_supporter: User, member: User, client_for: ClientFor
) -> None:
    said = actions.send_message(peer_supporter, room, "Breathe", "p1")
    after = fresh(room).last_seq
    group.pin_message(peer_supporter, room, int(said.message.seq))
    response = client_for(member).get(
        reverse("chat:messages", args=[room.pk]) + f"?after={after}",
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert '<div id="pinned" hx-swap-oob="true">' in html
    assert "Breathe" in html.split('<div id="pinned" hx-swap-oob="true">', 1)[1]


def test_unpinning_clears_the_top(
    room: Conversation, peer_supporter: User, member: User, client_for: ClientFor
) -> None:
    said = actions.send_message(peer_supporter, room, "Breathe", "p1")
    group.pin_message(peer_supporter, room, int(said.message.seq))
    assert group.unpin(peer_supporter, room) is True
    assert fresh(room).pinned_seq is None
    assert notices(room)[-1] == "unpinned"
    assert group.unpin(peer_supporter, room) is False
    html = client_for(member).get(reverse("chat:conversation", args=[room.pk])).content.decode()
    assert '<div id="pinned"></div>' in html
    assert "A facilitator took the pinned message off the top." in html


def test_only_messages_and_cards_that_exist_can_be_pinned(
    room: Conversation, peer_supporter: User
) -> None:
    notice = actions.post_notice(room, "joined")
    for seq in (int(notice.seq), 999):
        with pytest.raises(actions.ChatError, match="cannot be pinned"):
            group.pin_message(peer_supporter, room, seq)
    assert fresh(room).pinned_seq is None
    assert fresh(room).last_seq == notice.seq


# --- Who may ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "control",
    [
        lambda actor, chat, target: group.pin_message(actor, chat, 1),
        lambda actor, chat, target: group.unpin(actor, chat),
        lambda actor, chat, target: group.set_muted(actor, chat, target, True),
        lambda actor, chat, target: group.remove_participant(actor, chat, target),
        lambda actor, chat, target: group.pause(actor, chat),
        lambda actor, chat, target: group.resume(actor, chat),
    ],
    ids=["pin", "unpin", "mute", "remove", "pause", "resume"],
)
def test_only_a_present_facilitator_may_use_the_controls(
    room: Conversation,
    peer_supporter: User,
    member: User,
    other_member: User,
    coordinator: User,
    control: Callable[[User, Conversation, User], object],
) -> None:
    actions.send_message(member, room, "hello", "m1")
    before = (fresh(room).last_seq, AuditEntry.objects.count())
    for outsider in (member, coordinator):
        with pytest.raises(PermissionDenied):
            control(outsider, room, other_member)
    group.leave_group(peer_supporter, room)
    with pytest.raises(PermissionDenied):
        control(peer_supporter, room, other_member)
    # Leaving paused the room (one notice, one entry); the refusals changed nothing.
    assert fresh(room).last_seq == before[0] + 2
    assert not seat(other_member, room).is_muted
    assert not seat(other_member, room).is_removed


def test_a_facilitator_cannot_be_muted_or_removed_by_another(
    room: Conversation, peer_supporter: User, second_facilitator: User
) -> None:
    group.enter_group(second_facilitator, room, Participant.Role.FACILITATOR)
    with pytest.raises(actions.ChatError, match="facilitator cannot be muted or removed"):
        group.set_muted(second_facilitator, room, peer_supporter, True)
    with pytest.raises(actions.ChatError, match="facilitator cannot be muted or removed"):
        group.remove_participant(second_facilitator, room, peer_supporter)
    assert seat(peer_supporter, room).is_present
    assert not seat(peer_supporter, room).is_muted


def test_someone_who_is_not_in_the_chat_cannot_be_muted(
    room: Conversation, peer_supporter: User
) -> None:
    stranger = make_user("Wren")
    with pytest.raises(actions.ChatError, match="not in this chat"):
        group.set_muted(peer_supporter, room, stranger, True)
    assert not Participant.objects.filter(conversation=room, user=stranger).exists()


def test_controls_refuse_an_ended_chat_and_a_one_to_one_chat(
    room: Conversation, chat: Conversation, peer_supporter: User
) -> None:
    actions.end_conversation(peer_supporter, room)
    with pytest.raises(actions.ChatError, match="ended"):
        group.pause(peer_supporter, room)
    with pytest.raises(actions.ChatError, match="group chat"):
        group.pause(peer_supporter, chat)
    assert not fresh(room).is_paused
    assert not fresh(chat).is_paused


# --- Muting ---------------------------------------------------------------------------


def test_a_muted_person_reads_but_cannot_send(
    room: Conversation, peer_supporter: User, member: User, client_for: ClientFor
) -> None:
    assert group.set_muted(peer_supporter, room, member, True) is True
    assert group.set_muted(peer_supporter, room, member, True) is False
    with pytest.raises(actions.ChatError, match="cannot send messages"):
        actions.send_message(member, room, "let me speak", "m1")
    assert not Message.objects.filter(conversation=room, sender=member).exists()
    page = client_for(member).get(reverse("chat:conversation", args=[room.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="send-form"' not in html
    assert "A facilitator has paused your messages here for now." in html
    entry = AuditEntry.objects.get(verb="chat.group.mute")
    assert (entry.actor_id, entry.subject_id) == (peer_supporter.pk, member.pk)


def test_unmuting_lets_them_send_again(
    room: Conversation, peer_supporter: User, member: User
) -> None:
    group.set_muted(peer_supporter, room, member, True)
    group.set_muted(peer_supporter, room, member, False)
    assert actions.send_message(member, room, "thank you", "m1").created
    assert AuditEntry.objects.filter(verb="chat.group.unmute", subject_id=member.pk).exists()


# --- Removing -------------------------------------------------------------------------


def test_a_removed_person_is_out_for_good(
    room: Conversation,
    peer_supporter: User,
    member: User,
    layer: BaseChannelLayer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    heard = heard_on(layer, f"user.{member.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        group.remove_participant(peer_supporter, room, member)
    removed = seat(member, room)
    assert removed.is_removed
    assert removed.left_at is not None
    assert {"type": "chat.removed", "conversation": room.pk} in heard()
    assert notices(room) == ["left"]
    with pytest.raises(Http404):
        access.get_conversation_for(member, int(room.pk))
    with pytest.raises(actions.ChatError):
        group.enter_group(member, room, Participant.Role.PARTICIPANT)
    with pytest.raises(actions.ChatError):
        actions.send_message(member, room, "back again", "m1")
    entry = AuditEntry.objects.get(verb="chat.group.remove")
    assert (entry.actor_id, entry.subject_id) == (peer_supporter.pk, member.pk)


@pytest.mark.django_db(transaction=True)
def test_a_removed_persons_socket_closes_at_once_and_cannot_come_back(
    peer_supporter: User, member: User, other_member: User
) -> None:
    chat = group_chat(peer_supporter, member, other_member)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, chat.pk)
        await sync_to_async(group.remove_participant)(peer_supporter, chat, member)
        # Closed by the removal itself (or, if the "left" notice wins the
        # race, by the delivery check that refuses a removed reader).
        while True:
            output = await socket.receive_output(timeout=2)
            if output["type"] == "websocket.close":
                break
        assert output.get("code") == CLOSE_REFUSED
        again = await open_socket(cookie, chat.pk)
        assert await close_code(again) == CLOSE_REFUSED

    run(body)


@pytest.mark.django_db(transaction=True)
def test_the_removal_event_alone_closes_the_socket(
    peer_supporter: User, member: User, other_member: User
) -> None:
    chat = group_chat(peer_supporter, member, other_member)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, chat.pk)
        # Removed without any message: only the chat.removed event can close it.
        await sync_to_async(Participant.objects.filter(conversation=chat, user=member).update)(
            is_removed=True
        )
        from peerlight.lib.events import send_now, user_group

        await sync_to_async(send_now)(
            user_group(int(member.pk)), {"type": "chat.removed", "conversation": chat.pk}
        )
        assert await close_code(socket) == CLOSE_REFUSED

    run(body)


@pytest.mark.django_db(transaction=True)
def test_a_muted_persons_socket_send_is_refused_with_a_clear_error(
    peer_supporter: User, member: User, other_member: User
) -> None:
    chat = group_chat(peer_supporter, member, other_member)
    group.set_muted(peer_supporter, chat, member, True)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, chat.pk)
        await socket.send_json_to({"type": "send", "client_id": "muted1", "body": "hello?"})
        reply = await receive(socket)
        assert reply["type"] == "error"
        assert reply["client_id"] == "muted1"
        assert "cannot send messages" in reply["message"]
        await socket.disconnect()

    run(body)
    assert not Message.objects.filter(conversation=chat, sender=member).exists()


# --- Pausing ----------------------------------------------------------------------------


def test_while_paused_nobody_sends(room: Conversation, peer_supporter: User, member: User) -> None:
    assert group.pause(peer_supporter, room) is True
    assert group.pause(peer_supporter, room) is False
    assert fresh(room).is_paused
    for person in (member, peer_supporter):
        with pytest.raises(actions.ChatError, match="paused"):
            actions.send_message(person, room, "anyone?", f"p{person.pk}")
    assert group.resume(peer_supporter, room) is True
    assert group.resume(peer_supporter, room) is False
    assert actions.send_message(member, room, "here", "m1").created
    assert notices(room) == ["paused", "resumed"]
    verbs = list(
        AuditEntry.objects.filter(verb__startswith="chat.group.").values_list("verb", flat=True)
    )
    assert verbs == ["chat.group.pause", "chat.group.resume"]


def test_when_the_last_facilitator_leaves_the_chat_pauses_until_one_is_back(
    room: Conversation, peer_supporter: User, second_facilitator: User, member: User
) -> None:
    group.enter_group(second_facilitator, room, Participant.Role.FACILITATOR)
    assert group.present_facilitators(room) == 2
    assert group.leave_group(second_facilitator, room) is True
    assert not fresh(room).is_paused
    assert group.leave_group(peer_supporter, room) is True
    assert group.present_facilitators(room) == 0
    assert fresh(room).is_paused
    with pytest.raises(actions.ChatError, match="paused"):
        actions.send_message(member, room, "hello?", "m1")
    # A member coming in does not open it; a facilitator does.
    group.enter_group(member, room, Participant.Role.PARTICIPANT)
    assert fresh(room).is_paused
    group.enter_group(second_facilitator, room, Participant.Role.FACILITATOR)
    assert not fresh(room).is_paused
    assert actions.send_message(member, room, "hello", "m2").created
    automatic = AuditEntry.objects.get(verb="chat.group.pause")
    assert automatic.actor_id is None
    assert automatic.reason == "no facilitator present"


def test_a_facilitator_coming_in_leaves_a_deliberate_pause_alone(
    room: Conversation, peer_supporter: User, second_facilitator: User
) -> None:
    group.pause(peer_supporter, room)
    group.enter_group(second_facilitator, room, Participant.Role.FACILITATOR)
    assert fresh(room).is_paused


def test_leaving_twice_is_a_no_op(room: Conversation, member: User) -> None:
    assert group.leave_group(member, room) is True
    assert group.leave_group(member, room) is False


# --- The chat page in a group -----------------------------------------------------------


def test_the_group_page_is_titled_and_only_a_facilitator_may_end_it(
    room: Conversation, peer_supporter: User, member: User, client_for: ClientFor
) -> None:
    end = reverse("chat:end", args=[room.pk])
    html = client_for(member).get(reverse("chat:conversation", args=[room.pk])).content.decode()
    assert "<h1>Evening circle</h1>" in html
    assert end not in html
    assert client_for(member).get(end).status_code == 403
    assert post_with_csrf(client_for(member), end).status_code == 403
    assert fresh(room).ended_at is None
    facilitator = client_for(peer_supporter)
    assert end in facilitator.get(reverse("chat:conversation", args=[room.pk])).content.decode()
    assert post_with_csrf(facilitator, end).status_code == 302
    assert fresh(room).ended_at is not None


def test_a_tool_that_gives_no_url_is_left_off_the_chat(
    room: Conversation, peer_supporter: User
) -> None:
    tools.register_tool("tests.none", gettext_lazy("Not here"), lambda pk: None)
    tools.register_tool("tests.here", gettext_lazy("Here"), lambda pk: f"/here/{pk}/")
    try:
        labels = [tool.label for tool in tools.tools_for(seat(peer_supporter, room))]
    finally:
        tools.unregister_tool("tests.none")
        tools.unregister_tool("tests.here")
    assert "Here" in labels
    assert "Not here" not in labels


def test_the_inbox_names_a_group_by_its_title(
    room: Conversation, member: User, client_for: ClientFor
) -> None:
    html = client_for(member).get(reverse("chat:inbox")).content.decode()
    assert f'<a href="{reverse("chat:conversation", args=[room.pk])}">Evening circle</a>' in html
