"""Safety fixtures: a one-to-one chat between a member and a peer supporter."""

from __future__ import annotations

import pytest

from peerlight.accounts.models import User
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Conversation, Participant


@pytest.fixture
def chat(member: User, peer_supporter: User) -> Conversation:
    return chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
    )
