"""Conversations and signed-in sessions for the chat benchmark (run inside ``peerlight shell``).

Not a benchmark itself. Reads ``{"pairs": N, "password": "..."}`` on stdin
and prints one JSON line: for each pair, the conversation id and, for the
member and the peer supporter, the user id, display name and a session key
made as a log-in makes it. Without a password the accounts have none (only
the sessions sign them in), which skips hundreds of slow password hashes.
"""

from __future__ import annotations

import json
import secrets
import sys
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from peerlight.accounts.models import User
from peerlight.chat import actions
from peerlight.chat.models import Conversation, Participant


def session_key(user: User) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return str(store.session_key)


def person(name: str, password: str) -> dict[str, Any]:
    user = User.objects.create_user(name, password or None)
    return {"user": user, "id": user.pk, "name": name, "session": session_key(user)}


def main() -> None:
    request = json.loads(sys.stdin.read())
    run = secrets.token_hex(3)
    conversations = []
    for number in range(int(request["pairs"])):
        member = person(f"Member {run}-{number}", request.get("password", ""))
        peer = person(f"Peer {run}-{number}", request.get("password", ""))
        conversation = actions.start_conversation(
            kind=Conversation.Kind.DIRECT,
            members=[
                (member.pop("user"), Participant.Role.MEMBER),
                (peer.pop("user"), Participant.Role.SUPPORTER),
            ],
        )
        conversations.append({"conversation": conversation.pk, "member": member, "peer": peer})
    sys.stdout.write(json.dumps(conversations) + "\n")
