"""Events reach the in-memory layer's listeners from any thread, at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer

from peerlight.lib import events


class ServingLoop:
    """An event loop in its own thread, as the server's is, with one listener."""

    def __init__(self, layer: InMemoryChannelLayer) -> None:
        self.layer = layer
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any, timeout: float = 2) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(2)


@pytest.fixture
def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServingLoop]:
    layer = InMemoryChannelLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    serving = ServingLoop(layer)
    yield serving
    monkeypatch.setattr(events, "_serving_loop", None)
    serving.stop()


def listen(serving: ServingLoop, group: str) -> Any:
    """Join ``group`` on the serving loop and start waiting for one message."""

    async def join() -> str:
        channel: str = await serving.layer.new_channel()
        await serving.layer.group_add(group, channel)
        return channel

    channel = serving.run(join())
    return asyncio.run_coroutine_threadsafe(serving.layer.receive(channel), serving.loop)


def test_an_event_from_another_thread_wakes_the_listener_at_once(serving: ServingLoop) -> None:
    events.serve_events_from(serving.loop)
    waiting = listen(serving, "user.7")
    events.send_now("user.7", {"type": "user.disconnect"})
    assert waiting.result(timeout=2) == {"type": "user.disconnect"}


def test_without_a_known_loop_it_still_sends(serving: ServingLoop) -> None:
    # Before any consumer connected (or on Redis) events take the plain path.
    waiting = listen(serving, "chat.conversation.3")
    events.send_now("chat.conversation.3", {"type": "chat.ended"})
    # Nothing wakes the serving loop here, so give it a reason to look.
    serving.run(asyncio.sleep(0.05))
    assert waiting.result(timeout=2) == {"type": "chat.ended"}


def test_group_names_are_spelled_in_one_place() -> None:
    assert events.user_group(12) == "user.12"
    assert events.conversation_group(4) == "chat.conversation.4"
