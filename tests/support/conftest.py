"""Fixtures of the support flow: peers on shift and a member's answers.

``make_peer`` makes a peer supporter with an active profile (available by
default); ``answers`` builds what the start form hands to
``actions.request_support``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from peerlight.accounts.models import Role, User
from peerlight.peers.models import PeerProfile
from peerlight.support.actions import RequestDetails
from tests.conftest import make_user


def make_peer(
    name: str,
    *,
    languages: Sequence[str] = ("en",),
    experiences: Sequence[str] = (),
    topics: Sequence[str] = (),
    gender: str = "",
    availability: str = "available",
    max_chats: int = 2,
) -> User:
    user = make_user(name, Role.PEER_SUPPORTER, email=f"{name.lower()}@example.org")
    PeerProfile.objects.create(
        user=user,
        languages=list(languages),
        experiences=list(experiences),
        topics=list(topics),
        gender=gender,
        availability=availability,
        max_chats=max_chats,
    )
    return user


def answers(**overrides: Any) -> RequestDetails:
    values: dict[str, Any] = {
        "topics": ["feeling_low"],
        "priorities": [],
        "language": "en",
        "preferences": {},
        "words": "",
        "wants_same_peer": False,
    }
    values.update(overrides)
    return RequestDetails(**values)


@pytest.fixture
def peer(db: None) -> User:
    return make_peer("Marisol", experiences=["perinatal", "depression"], topics=["feeling_low"])
