"""Chat fixtures: a one-to-one chat between a member and a peer, and a way to hear its events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.chat import actions
from peerlight.chat.models import Conversation, Participant
from peerlight.lib.events import conversation_group

type Drain = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def chat(member: User, peer_supporter: User) -> Conversation:
    return actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
        context_url="/talk/requests/1/",
    )


@pytest.fixture(autouse=True)
def _in_memory_layer(settings: SettingsWrapper) -> None:
    # The chat's tests check what is sent and when, in one process; the Redis
    # layer's connections belong to the event loop that first used them, and
    # each async_to_sync call makes a new loop. Redis delivery is tested
    # across real server processes in test_scale_out.py.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def layer() -> Iterator[BaseChannelLayer]:
    channel_layer = get_channel_layer()
    assert channel_layer is not None
    async_to_sync(channel_layer.flush)()
    yield channel_layer
    async_to_sync(channel_layer.flush)()


@pytest.fixture
def heard(layer: BaseChannelLayer, chat: Conversation) -> Drain:
    """Listen on the chat's group; the returned callable gives what arrived so far."""
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(conversation_group(int(chat.pk)), channel)

    async def receive_all() -> list[dict[str, Any]]:
        import asyncio

        events = []
        while True:
            try:
                events.append(await asyncio.wait_for(layer.receive(channel), timeout=0.05))
            except TimeoutError:
                return events

    return lambda: async_to_sync(receive_all)()
