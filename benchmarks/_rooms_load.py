"""Rooms load generator: real websocket clients for group rooms, run in processes of their own.

Not a benchmark itself (a helper of ``benchmarks/rooms.py``). Reads one JSON
line of settings on stdin, opens one socket per person, prints ``READY``
once every socket is open and a first message of each room went round,
waits for a ``GO`` line, prints ``SENT`` when sending stops, and at the end
writes the raw figures (every latency, so the parent can merge several of
these processes into one distribution) as JSON to the file ``report`` and
prints ``REPORTED``.

Each person sends one message every ``interval`` seconds, the first at a
random moment within ``stagger`` seconds, without waiting for acks. Clients
behave like ``chat.js``: on a lost connection they reconnect (to the next
URL given), ask to ``resume`` after the newest seq below which they miss
nothing, and send every unacknowledged message again with the same
``client_id``. After sending stops every person resumes once more; then an
acknowledged message some other person of the room does not hold counts as
lost, and a seq a person received more than once as duplicated.

Times are ``time.monotonic()`` (one clock for every process on the
machine), taken when a frame is read off the socket, so a slow client would
add its own delay: ``loop_lag_ms`` and ``cpu_seconds`` show whether it did.
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
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

RECONNECT_SECONDS = 0.2
CONNECT_BATCH = 50
OPEN_TIMEOUT_SECONDS = 120.0
FINAL_WAIT_SECONDS = 120.0
FINAL_RESUME_SECONDS = 60.0
QUIET_SECONDS = 3.0
FRAME_BUDGET = 2**20
# The server's resume batch: a shorter ``messages`` frame is the last one.
RESUME_BATCH = 200
LAG_PROBE_SECONDS = 0.01
# The counts each load process reports (beside its latencies).
COUNTS = (
    "messages_sent",
    "messages_acked",
    "deliveries_expected",
    "deliveries",
    "lost",
    "lost_deliveries",
    "duplicated",
    "never_acked",
    "recovered_by_final_resume",
    "own_messages_echoed",
    "errors",
    "connects",
    "sockets",
)


@dataclass
class Person:
    index: int
    cookie: str
    urls: list[str]
    origin: str
    socket: ClientConnection | None = None
    open: asyncio.Event = field(default_factory=asyncio.Event)
    unacked: dict[str, str] = field(default_factory=dict)
    # Every seq this person holds (their own acked ones and those received).
    held: set[int] = field(default_factory=set)
    newest: int = 0
    caught_up: asyncio.Event = field(default_factory=asyncio.Event)
    received: dict[int, int] = field(default_factory=dict)
    received_at: dict[int, float] = field(default_factory=dict)
    resumed: set[int] = field(default_factory=set)
    last_frame_at: float = 0.0
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
class Room:
    conversation: int
    people: list[Person]
    sent_at: dict[str, float] = field(default_factory=dict)
    acked_at: dict[str, float] = field(default_factory=dict)
    sender: dict[str, int] = field(default_factory=dict)
    seq_of: dict[str, int] = field(default_factory=dict)
    # Sent before the measurement starts, left out of every figure.
    warm_up: set[str] = field(default_factory=set)


def send_frame(client_id: str, body: str) -> str:
    return json.dumps({"type": "send", "client_id": client_id, "body": body})


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def keep_connected(room: Room, person: Person, stop: asyncio.Event) -> None:
    attempt = 0
    while not stop.is_set():
        url = person.urls[attempt % len(person.urls)]
        attempt += 1
        try:
            async with connect(
                f"{url}/chat/ws/{room.conversation}/",
                additional_headers={
                    "Cookie": f"sessionid={person.cookie}",
                    "Origin": person.origin,
                },
                open_timeout=OPEN_TIMEOUT_SECONDS,
                max_size=FRAME_BUDGET,
                compression=None,
                # Browsers do not ping; a busy server must not look dead.
                ping_interval=None,
            ) as socket:
                person.socket = socket
                person.connects += 1
                attempt = 0 if url == person.urls[0] else attempt - 1
                await socket.send(json.dumps({"type": "resume", "after": person.newest}))
                for client_id, body in list(person.unacked.items()):
                    await socket.send(send_frame(client_id, body))
                person.open.set()
                async for frame in socket:
                    receive(room, person, json.loads(frame))
        except (OSError, ConnectionClosed, InvalidHandshake, InvalidStatus, TimeoutError):
            pass
        finally:
            person.open.clear()
            person.socket = None
        if not stop.is_set():
            await asyncio.sleep(RECONNECT_SECONDS * (0.5 + random.random()))


def receive(room: Room, person: Person, frame: dict[str, Any]) -> None:
    now = time.monotonic()
    person.last_frame_at = now
    kind = frame.get("type")
    if kind == "ack":
        client_id, seq = frame["client_id"], int(frame["seq"])
        person.unacked.pop(client_id, None)
        room.seq_of[client_id] = seq
        room.acked_at.setdefault(client_id, now)
        person.hold(seq)
    elif kind == "messages":
        for item in frame["items"]:
            seq = int(item["seq"])
            person.received[seq] = person.received.get(seq, 0) + 1
            person.received_at.setdefault(seq, now)
            if person.final_phase:
                person.resumed.add(seq)
            person.hold(seq)
        if person.final_phase and len(frame["items"]) < RESUME_BATCH:
            person.caught_up.set()
    elif kind == "error":
        person.errors += 1


async def send(room: Room, person: Person, number: int) -> str:
    client_id = uuid.uuid4().hex
    body = f"Message {number} from person {person.index} in room {room.conversation}."
    room.sent_at[client_id] = time.monotonic()
    room.sender[client_id] = person.index
    person.unacked[client_id] = body
    socket = person.socket
    if socket is not None and person.open.is_set():
        # If the socket is closing, the message goes again after the reconnect.
        with suppress(ConnectionClosed):
            await socket.send(send_frame(client_id, body))
    return client_id


async def warm_up(rooms: list[Room]) -> None:
    """Two people of each room (one on each server) send, until everyone has it.

    A fresh server compiles templates and opens database connections on its
    first messages; a deployed one has long done so.
    """
    for room in rooms:
        for person in room.people[:2]:
            room.warm_up.add(await send(room, person, -1))
    deadline = time.monotonic() + FINAL_WAIT_SECONDS
    while time.monotonic() < deadline and not everyone_holds(rooms, warm_up_only=True):
        await asyncio.sleep(0.05)


async def keep_sending(
    room: Room, person: Person, started: float, settings: dict[str, Any]
) -> int:
    """Send every ``interval`` seconds on a fixed schedule until ``seconds`` are up."""
    interval = float(settings["interval"])
    until = started + float(settings["seconds"])
    due = started + random.random() * float(settings["stagger"])
    number = 0
    while due < until:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        await send(room, person, number)
        number += 1
        due += interval
    return number


async def probe_loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    """How late this process's event loop wakes up: time the client adds to every receipt."""
    while not stop.is_set():
        asked = time.monotonic()
        await asyncio.sleep(LAG_PROBE_SECONDS)
        samples.append((time.monotonic() - asked - LAG_PROBE_SECONDS) * 1000)


def everyone_holds(rooms: list[Room], *, warm_up_only: bool = False) -> bool:
    """Whether every person holds every acknowledged message of their room."""
    for room in rooms:
        seqs = [
            seq
            for client_id, seq in room.seq_of.items()
            if not warm_up_only or client_id in room.warm_up
        ]
        if warm_up_only and len(seqs) < len(room.warm_up):
            return False
        if not all(person.held.issuperset(seqs) for person in room.people):
            return False
    return True


async def final_resume(rooms: list[Room]) -> None:
    """Let the pushes settle, then ask each person for what they still lack.

    Waits for outstanding acks and then until every push has arrived or none
    has for ``QUIET_SECONDS``: a resume sent while pushes are still on their
    way would be answered with messages that are already coming, and count
    them twice.
    """
    people = [person for room in rooms for person in room.people]
    deadline = time.monotonic() + FINAL_WAIT_SECONDS
    while time.monotonic() < deadline and any(person.unacked for person in people):
        await asyncio.sleep(0.1)
    while time.monotonic() < deadline and not everyone_holds(rooms):
        quiet_since = max(person.last_frame_at for person in people)
        if time.monotonic() - quiet_since > QUIET_SECONDS:
            break
        await asyncio.sleep(0.25)
    for person in people:
        person.final_phase = True
        if person.socket is not None:
            with suppress(ConnectionClosed):
                await person.socket.send(json.dumps({"type": "resume", "after": person.newest}))
        else:
            person.caught_up.set()
    # Every person's last batch (fewer than RESUME_BATCH items) marks them caught up.
    with suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(person.caught_up.wait() for person in people)),
            FINAL_RESUME_SECONDS,
        )


def milliseconds(seconds: float) -> float:
    return round(seconds * 1000, 3)


def tally(rooms: list[Room]) -> dict[str, Any]:
    """Raw figures of these rooms: counts, and every delivery and ack latency."""
    latencies: list[float] = []
    ack_latencies: list[float] = []
    counts = dict.fromkeys(COUNTS, 0)
    for room in rooms:
        measured = {
            client_id: seq
            for client_id, seq in room.seq_of.items()
            if client_id not in room.warm_up
        }
        counts["messages_sent"] += len(room.sent_at) - len(room.warm_up)
        counts["messages_acked"] += len(measured)
        for person in room.people:
            counts["sockets"] += 1
            counts["errors"] += person.errors
            counts["connects"] += person.connects
            counts["never_acked"] += len(person.unacked)
            counts["duplicated"] += sum(1 for times in person.received.values() if times > 1)
        for client_id, seq in measured.items():
            sent_at = room.sent_at[client_id]
            ack_latencies.append(milliseconds(room.acked_at[client_id] - sent_at))
            sender = room.sender[client_id]
            missing = 0
            for person in room.people:
                if person.index == sender:
                    if seq in person.received:
                        counts["own_messages_echoed"] += 1
                    continue
                counts["deliveries_expected"] += 1
                if seq not in person.received:
                    missing += 1
                    continue
                counts["deliveries"] += 1
                if seq in person.resumed and person.received[seq] == 1:
                    counts["recovered_by_final_resume"] += 1
                latencies.append(milliseconds(person.received_at[seq] - sent_at))
            counts["lost_deliveries"] += missing
            counts["lost"] += 1 if missing else 0
    return {**counts, "latencies_ms": latencies, "ack_latencies_ms": ack_latencies}


async def wait_for_line(expected: str) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == expected:
            return


async def load(settings: dict[str, Any]) -> dict[str, Any]:
    rooms = [
        Room(
            entry["conversation"],
            [
                Person(index, person["session"], person["urls"], settings["origin"])
                for index, person in enumerate(entry["people"])
            ],
        )
        for entry in settings["rooms"]
    ]
    people = [(room, person) for room in rooms for person in room.people]
    stop = asyncio.Event()
    keepers: list[asyncio.Task[None]] = []
    # In batches, so the server is not handed every handshake at once.
    for first in range(0, len(people), CONNECT_BATCH):
        batch = people[first : first + CONNECT_BATCH]
        keepers += [asyncio.create_task(keep_connected(r, p, stop)) for r, p in batch]
        await asyncio.wait_for(
            asyncio.gather(*(person.open.wait() for _room, person in batch)),
            OPEN_TIMEOUT_SECONDS,
        )
    await warm_up(rooms)
    print("READY", flush=True)
    await wait_for_line("GO")
    lag: list[float] = []
    lag_stop = asyncio.Event()
    prober = asyncio.create_task(probe_loop_lag(lag, lag_stop))
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    await asyncio.gather(
        *(keep_sending(room, person, started, settings) for room, person in people)
    )
    sending_seconds = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    print("SENT", flush=True)
    lag_stop.set()
    await prober
    await final_resume(rooms)
    stop.set()
    for _room, person in people:
        if person.socket is not None:
            await person.socket.close()
    for keeper in keepers:
        keeper.cancel()
    await asyncio.gather(*keepers, return_exceptions=True)
    lag.sort()
    return {
        **tally(rooms),
        "sending_seconds": round(sending_seconds, 2),
        "cpu_seconds": round(
            (cpu_after.ru_utime + cpu_after.ru_stime)
            - (cpu_before.ru_utime + cpu_before.ru_stime),
            2,
        ),
        "loop_lag_ms": {
            "p99": round(lag[int(0.99 * (len(lag) - 1))], 2) if lag else None,
            "max": round(lag[-1], 2) if lag else None,
        },
    }


def main() -> None:
    raise_fd_limit()
    settings = json.loads(sys.stdin.readline())
    if settings.get("uvloop"):
        import uvloop

        result = uvloop.run(load(settings))
    else:
        result = asyncio.run(load(settings))
    # A file, not stdout: the report is megabytes, and the event loop may
    # have left stdout non-blocking, which would cut a long write short.
    Path(settings["report"]).write_text(json.dumps(result), encoding="utf-8")
    print("REPORTED", flush=True)


if __name__ == "__main__":
    main()
