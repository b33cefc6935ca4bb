"""Signal receivers of the chat: an open socket closes when its person signs out.

``ChatConfig.ready()`` imports this module so the receivers are connected.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from peerlight.lib.events import send_on_commit, user_group


@receiver(user_logged_out, dispatch_uid="peerlight.chat.close_sockets_on_logout")
def close_sockets_on_logout(sender: Any, user: Any = None, **kwargs: Any) -> None:
    """Close the person's websockets when they sign out (any way, the admin's too)."""
    if user is not None and user.pk is not None:
        send_on_commit([user_group(int(user.pk))], {"type": "user.disconnect"})
