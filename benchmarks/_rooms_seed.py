"""Group rooms and signed-in sessions for the rooms benchmark (run inside ``peerlight shell``).

Not a benchmark itself. Reads ``{"rooms": N, "people": P}`` on stdin and
prints one JSON line: for each room, the conversation id and, for each of
its ``P`` people (the facilitator first), the user id and a session key
made as a log-in makes it (``_chat_seed.session_key``).

Rooms are the chat app's group conversations, made the way a circle's room
is: started with its facilitator, then each participant joins through
``add_participant`` (which posts a "joined" notice). The accounts have no
password, which skips hundreds of slow password hashes.
"""

from __future__ import annotations

import json
import secrets
import sys
from typing import Any

from django.db import transaction

from benchmarks._chat_seed import session_key
from peerlight.accounts.models import User
from peerlight.chat import actions
from peerlight.chat.models import Conversation, Participant


def seed_room(run: str, number: int, people: int) -> dict[str, Any]:
    users = [
        User.objects.create_user(f"Room {run}-{number} person {index}", None)
        for index in range(people)
    ]
    facilitator, *participants = users
    conversation = actions.start_conversation(
        kind=Conversation.Kind.GROUP,
        members=[(facilitator, Participant.Role.FACILITATOR)],
        title=f"Benchmark room {number}",
    )
    for user in participants:
        actions.add_participant(conversation, user, Participant.Role.PARTICIPANT)
    return {
        "conversation": conversation.pk,
        "people": [{"id": user.pk, "session": session_key(user)} for user in users],
    }


def main() -> None:
    request = json.loads(sys.stdin.read())
    run = secrets.token_hex(3)
    rooms = []
    for number in range(int(request["rooms"])):
        # One commit per room: SQLite syncs every commit to disk.
        with transaction.atomic():
            rooms.append(seed_room(run, number, int(request["people"])))
    sys.stdout.write(json.dumps(rooms) + "\n")
