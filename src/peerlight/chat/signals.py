"""The chat's signals, and its receivers: an open socket closes when its person signs out.

``conversation_ended`` is sent once a conversation's end is committed, with
``conversation``: the app that started it (support, circles) closes its own
record at once, while the chat stays unaware of what the conversation was for.

``ChatConfig.ready()`` imports this module so the receivers are connected.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import Signal, receiver

from peerlight.lib.events import send_on_commit, user_group

conversation_ended = Signal()


@receiver(user_logged_out, dispatch_uid="peerlight.chat.close_sockets_on_logout")
def close_sockets_on_logout(sender: Any, user: Any = None, **kwargs: Any) -> None:
    """Close the person's websockets when they sign out (any way, the admin's too)."""
    if user is not None and user.pk is not None:
        send_on_commit([user_group(int(user.pk))], {"type": "user.disconnect"})
