"""One read and one render per message for all the sockets of a process, not one per reader.

In a group room of fifteen, every new message wakes fifteen sockets. Each
used to read the message back with its own permission check and render it
for itself: fifteen queries and fifteen renders of the same partial, most of
them queued behind each other. Here the sockets of one process that ask for
the same thing at the same time share the work:

- ``shared_read(conversation_id, after_seq)``: the messages above
  ``after_seq`` and who may receive them right now (participants not
  removed, with an active account, and their roles), in one read on a pooled
  thread. Callers that ask for the same (conversation, seq) while that read
  is under way await the same read. Nothing is kept once it is done, so
  every push still checks permission afresh, at the moment of its read.
- ``render_for(shared, ...)``: a message's HTML depends only on its seq, the
  reader's language, whether it is the reader's own and whether the reader
  sees safety reasons; each such variant is rendered once and reused by the
  other readers of the same read.

The resume path and the sender's own message with its safety card still
read alone (``consumers._messages_after``, ``_own_message_with_card``):
they are one reader's catch-up, not a fan-out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import get_template
from django.utils import translation

from peerlight.chat import access
from peerlight.chat.models import Message, Participant
from peerlight.chat.pooled import pooled
from peerlight.chat.views import MESSAGE_TEMPLATE, SAFETY_READERS, build_message_views

__all__ = ["SharedRead", "read_start", "render_for", "rendered", "shared_read"]

MAX_MESSAGES = 200
# How far before a push's seq a shared read starts (``read_start``).
NEAR = 4

type VariantKey = tuple[int, str, bool, bool]


@dataclass
class SharedRead:
    """What one read found: the new messages and who may receive them."""

    conversation_id: int
    messages: list[Message]
    # user id -> role, for everyone who may receive the conversation now.
    readers: dict[int, str]
    # (seq, language, mine, sees_risk) -> the message's HTML for such a reader.
    html: dict[VariantKey, str] = field(default_factory=dict)
    # Renders under way (or done), by the variant of each message they render.
    renders: dict[VariantKey, asyncio.Future[None]] = field(default_factory=dict)

    def may_receive(self, user_id: int) -> bool:
        return user_id in self.readers

    def sees_risk(self, user_id: int) -> bool:
        return self.readers.get(user_id) in SAFETY_READERS


_reads: dict[tuple[int, int], asyncio.Task[SharedRead]] = {}


def _read(conversation_id: int, after_seq: int) -> SharedRead:
    # No transaction: on SQLite it would take the write lock (BEGIN
    # IMMEDIATE) and queue every read behind the senders. Who may receive is
    # read first, so a person removed meanwhile is refused at the next push.
    readers = dict(
        Participant.objects.filter(
            conversation_id=conversation_id, is_removed=False, user__is_active=True
        ).values_list("user_id", "role")
    )
    messages = list(
        Message.objects.filter(
            conversation_id=conversation_id, seq__gt=max(0, after_seq)
        ).order_by("seq")[:MAX_MESSAGES]
    )
    return SharedRead(conversation_id, messages, {int(k): str(v) for k, v in readers.items()})


def read_start(after_seq: int, event_seq: int) -> int:
    """Where a push's read starts: a little before the event's seq when this socket is near it.

    Sockets of one room are rarely all at the same seq when a message comes
    (the sender is one ahead, a slow one one behind); starting every near
    socket's read at the same place lets them all share it.
    """
    start = event_seq - NEAR
    return start if event_seq and start <= after_seq < event_seq else after_seq


async def shared_read(conversation_id: int, after_seq: int) -> SharedRead:
    """The messages above ``after_seq`` and their readers, read once for concurrent callers."""
    key = (conversation_id, after_seq)
    task = _reads.get(key)
    # A read belongs to the event loop that started it (tests run several loops).
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        task = asyncio.ensure_future(pooled(_read)(conversation_id, after_seq))
        _reads[key] = task
        task.add_done_callback(lambda done: _forget(key, done))
    # A caller that goes away (its socket closed) does not cancel the others' read.
    return await asyncio.shield(task)


def _forget(key: tuple[int, int], done: asyncio.Task[SharedRead]) -> None:
    if _reads.get(key) is done:
        del _reads[key]


def _key(message: Message, viewer_id: int, language: str, sees_risk: bool) -> VariantKey:
    return (int(message.seq), language, message.sender_id == viewer_id, sees_risk)


async def rendered(
    shared: SharedRead,
    viewer_id: int,
    language: str,
    sees_risk: bool,
    names: dict[int, str],
    *,
    after_seq: int = 0,
) -> list[dict[str, Any]]:
    """The messages above ``after_seq`` as ``viewer_id`` sees them.

    Each variant of a message is rendered once, on a pooled thread, for
    every reader who sees it alike; readers woken together wait for the
    render under way instead of starting their own.
    """
    needed = [message for message in shared.messages if message.seq > after_seq]
    keys = [_key(message, viewer_id, language, sees_risk) for message in needed]
    waiting: set[asyncio.Future[None]] = set()
    to_render = []
    for message, key in zip(needed, keys, strict=True):
        if key in shared.html:
            continue
        if key in shared.renders:
            waiting.add(shared.renders[key])
        else:
            to_render.append(message)
    if to_render:
        task: asyncio.Future[None] = asyncio.ensure_future(
            pooled(render_for)(shared, viewer_id, language, sees_risk, names, to_render)
        )
        for message in to_render:
            shared.renders[_key(message, viewer_id, language, sees_risk)] = task
        waiting.add(task)
    for pending in waiting:
        await asyncio.shield(pending)
    return [
        {"seq": int(message.seq), "html": shared.html[key]}
        for message, key in zip(needed, keys, strict=True)
    ]


def render_for(
    shared: SharedRead,
    viewer_id: int,
    language: str,
    sees_risk: bool,
    names: dict[int, str],
    messages: list[Message],
) -> None:
    """Render ``messages`` as ``viewer_id`` sees them into ``shared.html``.

    ``names`` is the socket's cache of display names, refreshed here when a
    message comes from someone not in it or a notice says someone came or went.
    """
    access.refresh_names(names, shared.conversation_id, messages)
    template = get_template(MESSAGE_TEMPLATE)
    # Notices are put in words while the views are built: in the reader's language.
    with translation.override(language or None):
        views = build_message_views(viewer_id, messages, names=names, sees_risk=sees_risk)
        for view in views:
            key = _key(view.message, viewer_id, language, sees_risk)
            shared.html[key] = template.render({"item": view, "crisis": None})
