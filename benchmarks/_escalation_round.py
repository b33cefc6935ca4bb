"""One round of the escalation benchmark, run in its own process (``python -m``).

Given a migrated database (``DATABASE_URL``), it makes one coordinator on
call, one peer and a member per message, starts a real ``peerlight worker``
process and sends ``--count`` imminent-risk messages, each in its own chat,
through ``chat.actions.send_message`` at ``--rate`` per second. With
``--kill`` it sends the worker SIGKILL at random moments and starts a new
one at once. A watcher thread runs the console's own query
(``escalations.open_cases`` for the coordinator) every 20 ms and notes when
each case first shows as notified (``notified_at`` set: the dispatcher
alerted the on-call coordinator). It prints one JSON object: the latency of
every case from its message's commit to that moment, and the messages whose
case was never seen notified (``lost``) within ``--settle`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import django

RISKY = "I want to end my life tonight"


def _start_worker(log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "peerlight.cli", "worker", "--interval", "0.5"],
            env=dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _kill(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--settle", type=float, default=30.0)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=4)
    options = parser.parse_args()
    django.setup()

    from django.db import connection
    from django.utils import timezone

    from peerlight.accounts.models import Role, RoleGrant, User
    from peerlight.chat import actions
    from peerlight.chat.models import Conversation, Participant
    from peerlight.safety import escalations
    from peerlight.safety.models import OnCallShift

    run_id = f"{int(time.time())}{random.randrange(1000)}"
    coordinator = User.objects.create_user(f"coord-{run_id}", None)
    RoleGrant.objects.create(user=coordinator, role=Role.COORDINATOR)
    OnCallShift.objects.create(
        coordinator=coordinator,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=2),
    )
    peer = User.objects.create_user(f"peer-{run_id}", None)
    RoleGrant.objects.create(user=peer, role=Role.PEER_SUPPORTER)
    chats = []
    for n in range(options.count):
        member = User.objects.create_user(f"m-{run_id}-{n}", None)
        chat = actions.start_conversation(
            kind=Conversation.Kind.DIRECT,
            members=[(member, Participant.Role.MEMBER), (peer, Participant.Role.SUPPORTER)],
        )
        chats.append((member, chat))
    connection.close()
    ours = {int(chat.pk) for _member, chat in chats}

    committed: dict[int, float] = {}
    seen: dict[int, float] = {}
    source_of: dict[int, int] = {}
    stop = threading.Event()

    def watch() -> None:
        # The console's query, as a coordinator's screen runs it every 2 s,
        # here every 20 ms so the moment is measured finely.
        while not stop.is_set():
            now = time.time()
            for case in escalations.open_cases(coordinator):
                if case.notified_at is not None and case.pk not in seen and case.source_id in ours:
                    seen[case.pk] = now
                    source_of[case.pk] = int(case.source_id or 0)
            time.sleep(0.02)
        connection.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    rng = random.Random(options.seed)
    worker = _start_worker(options.log)
    kills = 0
    next_kill = time.monotonic() + rng.uniform(0.2, 1.0)
    interval = 1.0 / options.rate
    started = time.monotonic()
    for n, (member, chat) in enumerate(chats):
        due = started + n * interval
        while time.monotonic() < due:
            if options.kill and time.monotonic() >= next_kill:
                _kill(worker)
                kills += 1
                worker = _start_worker(options.log)
                next_kill = time.monotonic() + rng.uniform(0.5, 2.5)
            time.sleep(min(0.005, max(0.0, due - time.monotonic())))
        actions.send_message(member, chat, RISKY, f"bench-{n}")
        committed[int(chat.pk)] = time.time()
    # Let the last cases through with a healthy worker.
    deadline = time.monotonic() + options.settle
    while time.monotonic() < deadline and len(seen) < len(committed):
        time.sleep(0.05)
    stop.set()
    watcher.join(timeout=5)
    _kill(worker)

    latencies = sorted(
        (seen_at - committed[source_of[pk]]) * 1000
        for pk, seen_at in seen.items()
        if source_of[pk] in committed
    )
    notified_sources = set(source_of.values())
    lost = [chat_id for chat_id in committed if chat_id not in notified_sources]
    print(
        json.dumps(
            {
                "messages": len(committed),
                "notified": len(latencies),
                "lost": len(lost),
                "kills": kills,
                "latencies_ms": latencies,
            }
        )
    )
    connection.close()


if __name__ == "__main__":
    main()
