"""A person's chat data in "Download my data", and what erasing an account does to chats."""

from __future__ import annotations

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.chat import actions
from peerlight.chat.models import Conversation, Message, Participant


def test_the_export_holds_the_persons_own_messages_and_chats(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    actions.send_message(member, chat, "my own words", "a1")
    actions.send_message(peer_supporter, chat, "their words", "b1")
    actions.end_conversation(member, chat)
    sections = privacy.build_export(member)["sections"]
    messages = sections["chat.message"]["records"]
    assert [(m["conversation"], m["seq"], m["text"]) for m in messages] == [
        (chat.pk, 1, "my own words")
    ]
    assert "their words" not in repr(sections)
    joined = sections["chat.participant"]["records"]
    assert [(row["conversation"], row["role"]) for row in joined] == [(chat.pk, "member")]
    assert sections["chat.conversation"]["records"][0]["conversation"] == chat.pk


def test_erasing_an_account_deletes_its_messages_and_keeps_the_other_side(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    actions.send_message(member, chat, "my own words", "a1")
    actions.send_message(peer_supporter, chat, "their words", "b1")
    actions.end_conversation(member, chat)
    privacy.erase_account(member)
    left = list(Message.objects.filter(conversation=chat).values_list("body", flat=True))
    assert "my own words" not in left
    assert "their words" in left
    assert not Participant.objects.filter(user_id=member.pk).exists()
    chat.refresh_from_db()
    assert chat.ended_by is None
    assert chat.is_ended


def test_every_chat_model_is_registered() -> None:
    assert not [ref for ref in privacy.uncovered_user_references() if ref.startswith("chat.")]
