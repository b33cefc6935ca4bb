"""Chat load generator: real websocket clients, run in a process of its own.

Not a benchmark itself (a helper of ``benchmarks/chat.py``). Reads one JSON
line of settings on stdin, prints ``READY`` once every socket is open, and
one ``BENCH-JSON {...}`` line with what it saw at the end.

Modes:
- ``paced``: each conversation sends one message every ``interval`` seconds
  (member and peer supporter take turns), without waiting for acks;
- ``acked``: each conversation sends its next message as soon as the last
  one is acknowledged (durable messages per second);
- ``idle``: open ``sockets`` sockets in batches, print ``OPEN n``, and hold
  them until a line arrives on stdin.

Clients behave like ``chat.js``: on a lost connection they reconnect (to the
next URL given, as a load balancer would send them), ask to ``resume`` after
the newest seq below which they miss nothing (an ack can run ahead of a
push of an earlier message), and send every unacknowledged message
again with the same ``client_id``. After sending stops, each side resumes
once more; a message acknowledged to its sender that the other side still
does not hold then counts as lost, and one it received twice as duplicated.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

RECONNECT_SECONDS = 0.2
ACK_TIMEOUT_SECONDS = 30.0
FINAL_WAIT_SECONDS = 120.0
FINAL_RESUME_SECONDS = 60.0
FRAME_BUDGET = 2**20
RESUME_BATCH = 200


@dataclass
class Side:
    name: str
    cookie: str
    urls: list[str]
    origin: str
    socket: ClientConnection | None = None
    open: asyncio.Event = field(default_factory=asyncio.Event)
    unacked: dict[str, str] = field(default_factory=dict)
    ack_waiters: dict[str, asyncio.Future[int]] = field(default_factory=dict)
    # Every seq this side holds (its own acked ones and those it received).
    held: set[int] = field(default_factory=set)
    newest: int = 0
    caught_up: asyncio.Event = field(default_factory=asyncio.Event)
    received: dict[int, int] = field(default_factory=dict)
    received_at: dict[int, float] = field(default_factory=dict)
    resumed: set[int] = field(default_factory=set)
    connects: int = 0
    errors: int = 0
    final_phase: bool = False

    def hold(self, seq: int) -> None:
        # ``newest`` is the highest seq with nothing missing below it: an ack
        # can run ahead of a push of someone else's earlier message, and a
        # resume after the acked seq would skip that message for good.
        self.held.add(seq)
        while self.newest + 1 in self.held:
            self.newest += 1


@dataclass
class Chat:
    conversation: int
    member: Side
    peer: Side
    sent_at: dict[str, float] = field(default_factory=dict)
    sender: dict[str, str] = field(default_factory=dict)
    seq_of: dict[str, int] = field(default_factory=dict)

    def side(self, name: str) -> Side:
        return self.member if name == "member" else self.peer

    def other(self, name: str) -> Side:
        return self.peer if name == "member" else self.member


def send_frame(client_id: str, body: str) -> str:
    return json.dumps({"type": "send", "client_id": client_id, "body": body})


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def keep_connected(chat: Chat, side: Side, stop: asyncio.Event) -> None:
    attempt = 0
    while not stop.is_set():
        url = side.urls[attempt % len(side.urls)]
        attempt += 1
        try:
            async with connect(
                f"{url}/chat/ws/{chat.conversation}/",
                additional_headers={"Cookie": f"sessionid={side.cookie}", "Origin": side.origin},
                open_timeout=10,
                max_size=FRAME_BUDGET,
                compression=None,
                # Browsers do not ping; a busy server must not look dead.
                ping_interval=None,
            ) as socket:
                side.socket = socket
                side.connects += 1
                attempt = 0 if url == side.urls[0] else attempt - 1
                await socket.send(json.dumps({"type": "resume", "after": side.newest}))
                for client_id, body in list(side.unacked.items()):
                    await socket.send(send_frame(client_id, body))
                side.open.set()
                async for frame in socket:
                    receive(chat, side, json.loads(frame))
        except (OSError, ConnectionClosed, InvalidHandshake, InvalidStatus, TimeoutError):
            pass
        finally:
            side.open.clear()
            side.socket = None
        if not stop.is_set():
            await asyncio.sleep(RECONNECT_SECONDS * (0.5 + random.random()))


def receive(chat: Chat, side: Side, frame: dict[str, Any]) -> None:
    now = time.monotonic()
    kind = frame.get("type")
    if kind == "ack":
        client_id, seq = frame["client_id"], int(frame["seq"])
        side.unacked.pop(client_id, None)
        chat.seq_of[client_id] = seq
        side.hold(seq)
        waiter = side.ack_waiters.pop(client_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(seq)
    elif kind == "messages":
        for item in frame["items"]:
            seq = int(item["seq"])
            side.received[seq] = side.received.get(seq, 0) + 1
            side.received_at.setdefault(seq, now)
            if side.final_phase:
                side.resumed.add(seq)
            side.hold(seq)
        if side.final_phase and len(frame["items"]) < RESUME_BATCH:
            side.caught_up.set()
    elif kind == "error":
        side.errors += 1


async def send(chat: Chat, name: str, number: int) -> asyncio.Future[int]:
    side = chat.side(name)
    client_id = uuid.uuid4().hex
    body = f"Message {number} of conversation {chat.conversation}, from the {name}."
    chat.sent_at[client_id] = time.monotonic()
    chat.sender[client_id] = name
    side.unacked[client_id] = body
    waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    side.ack_waiters[client_id] = waiter
    socket = side.socket
    if socket is not None and side.open.is_set():
        # If the socket is closing, the message goes again after the reconnect.
        with suppress(ConnectionClosed):
            await socket.send(send_frame(client_id, body))
    return waiter


async def paced(chat: Chat, interval: float, until: float) -> None:
    await asyncio.sleep(random.random() * interval)
    number = 0
    while time.monotonic() < until:
        started = time.monotonic()
        await send(chat, ("member", "peer")[number % 2], number)
        number += 1
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


async def acked(chat: Chat, until: float) -> None:
    number = 0
    while time.monotonic() < until:
        waiter = await send(chat, ("member", "peer")[number % 2], number)
        number += 1
        try:
            await asyncio.wait_for(asyncio.shield(waiter), ACK_TIMEOUT_SECONDS)
        except TimeoutError:
            return


async def final_resume(chats: list[Chat]) -> None:
    """Wait for outstanding acks, then ask each side for what it still lacks."""
    deadline = time.monotonic() + FINAL_WAIT_SECONDS
    while time.monotonic() < deadline and any(
        chat.member.unacked or chat.peer.unacked for chat in chats
    ):
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    sides = [side for chat in chats for side in (chat.member, chat.peer)]
    for side in sides:
        side.final_phase = True
        if side.socket is not None:
            with suppress(ConnectionClosed):
                await side.socket.send(json.dumps({"type": "resume", "after": side.newest}))
        else:
            side.caught_up.set()
    # Every side's last batch (fewer than RESUME_BATCH items) marks it caught up.
    with suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(side.caught_up.wait() for side in sides)), FINAL_RESUME_SECONDS
        )


def report(chats: list[Chat], started: float, finished: float) -> dict[str, Any]:
    latencies: list[float] = []
    lost = duplicated = never_acked = recovered = own_echoes = acked_total = errors = 0
    connects = 0
    for chat in chats:
        for side in (chat.member, chat.peer):
            errors += side.errors
            connects += side.connects
            never_acked += len(side.unacked)
        own = {chat.seq_of[c]: chat.sender[c] for c in chat.seq_of}
        for client_id, seq in chat.seq_of.items():
            acked_total += 1
            other = chat.other(chat.sender[client_id])
            times = other.received.get(seq, 0)
            if times == 0:
                lost += 1
            elif times > 1:
                duplicated += 1
            if seq in other.resumed and times == 1:
                recovered += 1
            elif seq in other.received_at:
                latencies.append(other.received_at[seq] - chat.sent_at[client_id])
        for side in (chat.member, chat.peer):
            own_echoes += sum(1 for seq in side.received if own.get(seq) == side.name)
    latencies.sort()

    def percentile(share: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000, 2)

    seconds = max(finished - started, 1e-9)
    return {
        "conversations": len(chats),
        "messages_acked": acked_total,
        "seconds": round(seconds, 2),
        "messages_per_second": round(acked_total / seconds, 1),
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "lost": lost,
        "duplicated": duplicated,
        "never_acked": never_acked,
        "recovered_by_final_resume": recovered,
        "own_messages_echoed": own_echoes,
        "errors": errors,
        "connects": connects,
    }


async def load(settings: dict[str, Any]) -> dict[str, Any]:
    chats = [
        Chat(
            entry["conversation"],
            Side("member", entry["member"]["session"], entry["member_urls"], settings["origin"]),
            Side("peer", entry["peer"]["session"], entry["peer_urls"], settings["origin"]),
        )
        for entry in settings["conversations"]
    ]
    stop = asyncio.Event()
    keepers = [
        asyncio.create_task(keep_connected(chat, side, stop))
        for chat in chats
        for side in (chat.member, chat.peer)
    ]
    await asyncio.wait_for(
        asyncio.gather(*(side.open.wait() for chat in chats for side in (chat.member, chat.peer))),
        60,
    )
    print("READY", flush=True)
    started = time.monotonic()
    until = started + float(settings["seconds"])
    if settings["mode"] == "paced":
        senders = [paced(chat, float(settings["interval"]), until) for chat in chats]
    else:
        senders = [acked(chat, until) for chat in chats]
    await asyncio.gather(*senders)
    await final_resume(chats)
    finished = until
    stop.set()
    for chat in chats:
        for side in (chat.member, chat.peer):
            if side.socket is not None:
                await side.socket.close()
    for keeper in keepers:
        keeper.cancel()
    await asyncio.gather(*keepers, return_exceptions=True)
    return report(chats, started, finished)


async def idle(settings: dict[str, Any]) -> dict[str, Any]:
    entries = settings["conversations"]
    total = int(settings["sockets"])
    sockets: list[ClientConnection] = []
    failed = 0

    async def open_one(number: int) -> None:
        nonlocal failed
        entry = entries[number % len(entries)]
        try:
            socket = await connect(
                f"{entry['member_urls'][0]}/chat/ws/{entry['conversation']}/",
                additional_headers={
                    "Cookie": f"sessionid={entry['member']['session']}",
                    "Origin": settings["origin"],
                },
                open_timeout=60,
                compression=None,
                ping_interval=None,
            )
        except (OSError, InvalidHandshake, InvalidStatus, TimeoutError):
            failed += 1
            return
        sockets.append(socket)

    batch = int(settings.get("batch", 250))
    for first in range(0, total, batch):
        await asyncio.gather(*(open_one(n) for n in range(first, min(total, first + batch))))
    # A socket refused after its handshake closes at once: count only those still open.
    await asyncio.sleep(1.0)
    still_open = sum(1 for socket in sockets if socket.close_code is None)
    print(f"OPEN {still_open} {failed}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return {"opened": still_open, "failed": failed + len(sockets) - still_open}


def main() -> None:
    raise_fd_limit()
    settings = json.loads(sys.stdin.readline())
    runner = idle if settings["mode"] == "idle" else load
    result = asyncio.run(runner(settings))
    print("BENCH-JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
