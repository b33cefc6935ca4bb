"""How fast one person may send chat messages (on ``lib.ratelimit``'s counters).

A person typing fast sends a few messages a minute; the limits sit well
above that and stop scripts flooding a peer. Accounts less than a day old
also have an hourly cap, because throwaway accounts are how abuse usually
arrives.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from peerlight.lib.ratelimit import Policy, hit

if TYPE_CHECKING:
    from peerlight.accounts.models import User

SEND = Policy("chat-send", limit=120, period=60)
SEND_NEW_ACCOUNT = Policy("chat-send-new-account", limit=600, period=60 * 60)
NEW_ACCOUNT_AGE = timedelta(days=1)


def check_send(user: User) -> None:
    """Count one message by ``user``; raise ``RateLimited`` when over a limit."""
    hit(SEND, str(user.pk))
    if timezone.now() - user.date_joined < NEW_ACCOUNT_AGE:
        hit(SEND_NEW_ACCOUNT, str(user.pk))
