"""Sends from the websockets of one server process, written with as few commits as safe.

Every send is still ``actions.send_message`` with all its checks, and no
ack leaves before the commit that saved the message. What changes is how
many sends share a commit:

- On SQLite there is one writer at a time, and each commit waits for the
  disk (``synchronous=FULL``). Sends that arrive while a commit is under way
  wait for it to finish and are then written together, each in its own
  savepoint inside one transaction, and committed once ("group commit"). A
  send that finds nothing under way is written at once, so a quiet server
  adds no delay. One refused send (``ChatError``) or failed one rolls back
  its own savepoint only.
- On PostgreSQL, which commits concurrent transactions together itself and
  locks only the conversation's row, each send is its own transaction on a
  pooled thread with its own connection (``chat.pooled``).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from channels.db import database_sync_to_async
from django.db import connection, transaction

from peerlight.chat import actions
from peerlight.chat.pooled import pooled

if TYPE_CHECKING:
    from peerlight.accounts.models import User
    from peerlight.chat.models import Conversation

__all__ = ["Sent", "send"]

# The most sends in one transaction: a bigger batch holds the write lock
# (and delays the acks of its first sends) for longer.
MAX_BATCH = 64


@dataclass(frozen=True)
class _Send:
    user: User
    conversation: Conversation
    body: str
    client_id: str
    origin: str = ""


class Sent(NamedTuple):
    """A committed message's ``seq``, and the level the safety hook gave it."""

    seq: int
    risk_level: str


def _sent(request: _Send) -> Sent:
    result = actions.send_message(
        request.user,
        request.conversation,
        request.body,
        request.client_id,
        origin=request.origin,
    )
    return Sent(int(result.message.seq), result.risk_level)


def _write_batch(requests: list[_Send]) -> list[Sent | Exception]:
    """Each send in its own savepoint of one transaction: what was sent, or why it failed.

    ``send_message``'s own ``atomic()`` becomes the savepoint, so a failure
    undoes that send alone, and its event is sent only if it was kept.
    Anything that fails the whole transaction (the commit itself) raises.
    """
    results: list[Sent | Exception] = []
    with transaction.atomic():
        for request in requests:
            try:
                results.append(_sent(request))
            except Exception as error:
                results.append(error)
    return results


@dataclass
class _Batcher:
    """The sends waiting for the running transaction of one event loop to commit."""

    waiting: list[tuple[_Send, asyncio.Future[Sent]]] = field(default_factory=list)
    # Writes the queue until it is empty; a task of its own, so a socket
    # that closes meanwhile does not stop the others' sends.
    writer: asyncio.Task[None] | None = None

    async def send(self, request: _Send) -> Sent:
        future: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()
        self.waiting.append((request, future))
        if self.writer is None:
            self.writer = asyncio.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        try:
            await self._write_rounds()
        finally:
            self.writer = None

    async def _write_rounds(self) -> None:
        # Sends that queue while a batch is written go in the next one.
        while self.waiting:
            batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
            try:
                results = await database_sync_to_async(_write_batch)(
                    [request for request, _future in batch]
                )
            except Exception as error:
                results = [error] * len(batch)
            for (_request, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = (
    weakref.WeakKeyDictionary()
)


async def send(
    user: User, conversation: Conversation, body: str, client_id: str, *, origin: str = ""
) -> Sent:
    """Save a message through ``actions.send_message``; once committed, its seq and risk level.

    ``origin`` is the sending socket's channel name, passed on in the event
    (``send_message``). Raises ``ChatError`` for refused input, like
    ``send_message``.
    """
    request = _Send(user, conversation, body, client_id, origin)
    if connection.vendor != "sqlite":
        return await pooled(_sent)(request)
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = _Batcher()
    return await batcher.send(request)
