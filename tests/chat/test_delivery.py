"""The fast paths of live chat: one-query delivery, few statements per send, group commit.

What they must keep: the permission is checked on every delivery, every
send is checked and committed before its seq is known, and one refused
send in a shared transaction undoes nothing of the others.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peerlight.accounts.models import User
from peerlight.chat import access, actions, sending
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.lib.layers import CLEAN_INTERVAL_SECONDS, InMemoryChannelLayer


def test_delivery_gives_the_new_messages_and_the_readers_role_in_one_query(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    actions.send_message(member, chat, "First", "c1")
    actions.send_message(member, chat, "Second", "c2")
    with CaptureQueriesContext(connection) as queries:
        delivery = access.deliverable_after(peer_supporter.pk, chat.pk, 1)
    assert len(queries) == 1
    assert delivery is not None
    assert delivery.role == Participant.Role.SUPPORTER
    assert [(message.seq, message.body) for message in delivery.messages] == [(2, "Second")]


def test_delivery_with_nothing_new_still_checks_the_reader(
    chat: Conversation, member: User, other_member: User
) -> None:
    actions.send_message(member, chat, "Hello", "c1")
    delivery = access.deliverable_after(member.pk, chat.pk, 1)
    assert delivery is not None
    assert delivery.messages == []
    assert access.deliverable_after(other_member.pk, chat.pk, 0) is None


def test_delivery_stops_for_a_removed_participant_and_a_deactivated_account(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    actions.send_message(peer_supporter, chat, "Hello", "c1")
    Participant.objects.filter(conversation=chat, user=member).update(is_removed=True)
    assert access.deliverable_after(member.pk, chat.pk, 0) is None
    User.objects.filter(pk=peer_supporter.pk).update(is_active=False)
    assert access.deliverable_after(peer_supporter.pk, chat.pk, 0) is None


def test_a_send_takes_few_statements(chat: Conversation, member: User) -> None:
    actions.send_message(member, chat, "Warm up", "c0")
    with CaptureQueriesContext(connection) as queries:
        actions.send_message(member, chat, "Hello", "c1")
    # State read, seq, insert, read mark, and two savepoints (the send's own
    # transaction is one here, inside the test's): eleven before.
    assert len(queries) <= 8, [query["sql"][:60] for query in queries]


def test_a_send_refuses_a_deactivated_account_read_from_the_database(
    chat: Conversation, member: User
) -> None:
    User.objects.filter(pk=member.pk).update(is_active=False)
    with pytest.raises(actions.ChatError):
        actions.send_message(member, chat, "Hello", "c1")
    assert not Message.objects.filter(conversation=chat).exists()


@pytest.mark.django_db(transaction=True)
def test_a_refused_send_in_a_shared_transaction_undoes_only_itself(
    member: User, peer_supporter: User, other_member: User
) -> None:
    chat = actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
    )
    results = sending._write_batch(
        [
            sending._Send(member, chat, "One", "c1"),
            sending._Send(other_member, chat, "Not mine to send", "c2"),
            sending._Send(peer_supporter, chat, "Two", "c3"),
        ]
    )
    assert isinstance(results[0], sending.Sent)
    assert results[0].seq == 1
    assert isinstance(results[1], actions.ChatError)
    assert isinstance(results[2], sending.Sent)
    assert results[2].seq == 2
    assert list(Message.objects.filter(conversation=chat).values_list("seq", "client_id")) == [
        (1, "c1"),
        (2, "c3"),
    ]


@pytest.mark.django_db(transaction=True)
def test_sends_at_the_same_moment_each_get_their_own_seq_once_committed(
    member: User, peer_supporter: User
) -> None:
    chat = actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
    )

    async def send_many() -> list[sending.Sent | BaseException]:
        return await asyncio.gather(
            *(sending.send(member, chat, f"Message {n}", f"c{n}") for n in range(6)),
            sending.send(member, chat, "", "empty"),
            return_exceptions=True,
        )

    results = async_to_sync(send_many)()
    seqs = sorted(result.seq for result in results if isinstance(result, sending.Sent))
    assert seqs == [1, 2, 3, 4, 5, 6]
    assert isinstance(results[-1], actions.ChatError)
    assert Message.objects.filter(conversation=chat).count() == 6


def test_the_in_memory_layer_sweeps_for_expired_entries_at_most_once_an_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layer = InMemoryChannelLayer()
    sweeps: list[float] = []
    monkeypatch.setattr(
        "channels.layers.InMemoryChannelLayer._clean_expired",
        lambda self: sweeps.append(time.monotonic()),
    )
    layer._clean_expired()
    layer._clean_expired()
    assert len(sweeps) == 1
    layer._next_clean = time.monotonic() - CLEAN_INTERVAL_SECONDS
    layer._clean_expired()
    assert len(sweeps) == 2
