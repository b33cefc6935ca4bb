"""Fixtures for the peers tests: a peer supporter with a filled-in profile."""

from __future__ import annotations

import pytest

from peerlight.accounts.models import User
from peerlight.peers.models import Availability, PeerProfile


@pytest.fixture
def peer_profile(peer_supporter: User) -> PeerProfile:
    return PeerProfile.objects.create(
        user=peer_supporter,
        experiences=["anxiety", "grief"],
        languages=["en"],
        topics=["loneliness"],
        bio="I have been there.",
        availability=Availability.AWAY,
    )
