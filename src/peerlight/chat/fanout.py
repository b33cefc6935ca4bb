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
from peerlight.chat.views import SAFETY_READERS, build_message_views

__all__ = ["SharedRead", "render_for", "rendered", "rendered_already", "shared_read"]

MESSAGE_TEMPLATE = "chat/conversation.html#message"
MAX_MESSAGES = 200

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
    # Renders under way, by (language, sees_risk, the seqs that are the reader's own).
    renders: dict[tuple[str, bool, tuple[int, ...]], asyncio.Future[list[dict[str, Any]]]] = field(
        default_factory=dict
    )

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
    shared: SharedRead, viewer_id: int, language: str, sees_risk: bool, names: dict[int, str]
) -> list[dict[str, Any]]:
    """``render_for`` on a pooled thread, once for all readers who see the messages alike.

    Readers woken together would otherwise each find nothing rendered yet
    and render the same variant side by side.
    """
    items = rendered_already(shared, viewer_id, language, sees_risk)
    if items is not None:
        return items
    own = tuple(int(m.seq) for m in shared.messages if m.sender_id == viewer_id)
    key = (language, sees_risk, own)
    task = shared.renders.get(key)
    if task is None:
        task = asyncio.ensure_future(
            pooled(render_for)(shared, viewer_id, language, sees_risk, names)
        )
        shared.renders[key] = task
    return await asyncio.shield(task)


def rendered_already(
    shared: SharedRead, viewer_id: int, language: str, sees_risk: bool
) -> list[dict[str, Any]] | None:
    """The items for this reader if every variant is rendered already (no thread needed)."""
    items: list[dict[str, Any]] = []
    for message in shared.messages:
        html = shared.html.get(_key(message, viewer_id, language, sees_risk))
        if html is None:
            return None
        items.append({"seq": int(message.seq), "html": html})
    return items


def render_for(
    shared: SharedRead,
    viewer_id: int,
    language: str,
    sees_risk: bool,
    names: dict[int, str],
) -> list[dict[str, Any]]:
    """The messages as ``viewer_id`` sees them, rendering only the variants not done yet.

    ``names`` is the socket's cache of display names, refreshed here when a
    message comes from someone not in it or a notice says someone came or went.
    """
    missing = [
        message
        for message in shared.messages
        if _key(message, viewer_id, language, sees_risk) not in shared.html
    ]
    if missing:
        if any(
            (message.sender_id is not None and message.sender_id not in names)
            or message.kind == Message.Kind.SYSTEM
            for message in missing
        ):
            names.clear()
            names.update(access.display_names_of(shared.conversation_id))
        template = get_template(MESSAGE_TEMPLATE)
        # Notices are put in words while the views are built: in the reader's language.
        with translation.override(language or None):
            views = build_message_views(viewer_id, missing, names=names, sees_risk=sees_risk)
            for view in views:
                key = _key(view.message, viewer_id, language, sees_risk)
                shared.html[key] = template.render({"item": view, "crisis": None})
    items = rendered_already(shared, viewer_id, language, sees_risk)
    assert items is not None
    return items
