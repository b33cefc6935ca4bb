"""The chat hands the safety hook the sender's earlier messages, so risk that builds is seen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.chat import actions
from peerlight.chat.models import Conversation, Message
from peerlight.safety.models import Escalation

FAREWELL = "i said goodbye to my mum today"
IDEATION = "i dont want to be here anymore"


def test_a_message_that_completes_a_worrying_picture_escalates(
    chat: Conversation, member: User
) -> None:
    first = actions.send_message(member, chat, FAREWELL, "c1")
    assert first.risk_level == "none"
    second = actions.send_message(member, chat, IDEATION, "c2")
    assert second.risk_level == "imminent"
    saved = Message.objects.get(conversation=chat, client_id="c2")
    assert any(reason.startswith("conversation:") for reason in saved.risk_reasons)
    case = Escalation.objects.get()
    assert case.person == member
    assert case.source_id == chat.pk


def test_only_the_senders_own_messages_are_read_together(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    # The peer's words are not the member's: they never add to the member's risk.
    actions.send_message(peer_supporter, chat, FAREWELL, "p1")
    second = actions.send_message(member, chat, IDEATION, "c2")
    assert second.risk_level == "concern"
    assert not Escalation.objects.exists()


def test_old_messages_fall_out_of_the_window(chat: Conversation, member: User) -> None:
    actions.send_message(member, chat, FAREWELL, "c1")
    Message.objects.filter(client_id="c1").update(
        created_at=timezone.now() - actions.RECENT_WINDOW - timedelta(minutes=1)
    )
    second = actions.send_message(member, chat, IDEATION, "c2")
    assert second.risk_level == "concern"


def test_a_calm_message_after_a_risky_one_is_not_flagged(chat: Conversation, member: User) -> None:
    actions.send_message(member, chat, "I want to end my life tonight", "c1")
    calm = actions.send_message(member, chat, "thank you for staying with me", "c2")
    assert calm.risk_level == "none"
    assert Escalation.objects.count() == 1


@pytest.mark.parametrize("body", ["", "   "])
def test_bad_input_is_refused_before_any_reading(
    chat: Conversation, member: User, body: str
) -> None:
    actions.send_message(member, chat, FAREWELL, "c1")
    with pytest.raises(actions.ChatError):
        actions.send_message(member, chat, body, "c2")
    assert Message.objects.filter(conversation=chat).count() == 1
