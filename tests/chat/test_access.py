"""Reads of conversations: only participants see them, and unread counts are right."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from peerlight.accounts.models import User
from peerlight.chat import access, actions
from peerlight.chat.models import Conversation, Participant


def test_participants_get_the_conversation(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    assert access.get_conversation_for(member, chat.pk) == chat
    assert access.get_conversation_for(peer_supporter, chat.pk) == chat


def test_a_stranger_and_a_missing_id_get_the_same_404(
    chat: Conversation, other_member: User
) -> None:
    with pytest.raises(Http404):
        access.get_conversation_for(other_member, chat.pk)
    with pytest.raises(Http404):
        access.get_conversation_for(other_member, chat.pk + 1000)


def test_a_removed_participant_gets_a_404_but_one_who_left_may_read(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    actions.leave_conversation(member, chat)
    assert access.get_conversation_for(member, chat.pk) == chat
    assert access.can_receive(member.pk, chat.pk)
    Participant.objects.filter(conversation=chat, user=peer_supporter).update(is_removed=True)
    with pytest.raises(Http404):
        access.get_conversation_for(peer_supporter, chat.pk)
    assert not access.can_receive(peer_supporter.pk, chat.pk)


def test_a_deactivated_person_receives_nothing(chat: Conversation, member: User) -> None:
    User.objects.filter(pk=member.pk).update(is_active=False)
    member.refresh_from_db()
    assert not access.can_receive(member.pk, chat.pk)
    with pytest.raises(Http404):
        access.get_conversation_for(member, chat.pk)


def test_messages_after_a_seq_come_in_order_and_only_to_participants(
    chat: Conversation, member: User, other_member: User
) -> None:
    for number in range(5):
        actions.send_message(member, chat, f"m{number}", f"c{number}")
    found = access.messages_after(member, chat, 2)
    assert [message.seq for message in found] == [3, 4, 5]
    assert [message.seq for message in access.messages_after(member, chat, 0, limit=2)] == [1, 2]
    with pytest.raises(Http404):
        access.messages_after(other_member, chat, 0)


def test_unread_counts_in_one_query(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    second = actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
    )
    for number in range(3):
        actions.send_message(member, chat, "hi", f"a{number}")
    actions.send_message(member, second, "hi", "b0")
    with CaptureQueriesContext(connection) as queries:
        counts = access.unread_counts(peer_supporter)
    assert len(queries) == 1
    assert counts == {chat.pk: 3, second.pk: 1}
    assert access.unread_counts(member) == {}
    actions.mark_read(peer_supporter, chat, 2)
    assert access.unread_counts(peer_supporter) == {chat.pk: 1, second.pk: 1}
    assert access.total_unread(peer_supporter) == 2


def test_a_removed_participant_has_no_unread(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    actions.send_message(member, chat, "hi", "a0")
    Participant.objects.filter(conversation=chat, user=peer_supporter).update(is_removed=True)
    assert access.unread_counts(peer_supporter) == {}


def test_display_names_name_everyone_by_display_name_only(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    assert access.display_names(chat) == {member.pk: "River", peer_supporter.pk: "Jordan"}


def test_the_inbox_lists_newest_first_with_unread(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    second = actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
    )
    actions.send_message(peer_supporter, chat, "hi", "a0")
    rows = access.conversations_for(member)
    assert rows == [(second, 0), (chat, 1)]
