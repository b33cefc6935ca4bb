"""An in-memory channel layer whose cost per event does not grow with the open sockets.

Channels' ``InMemoryChannelLayer`` sweeps every channel and every group for
expired entries on each ``group_send`` and each ``receive``: with thousands
of open sockets (two groups each) every chat event walks all of them, and
that sweep measured about a tenth of the server's time at 400 sockets. Here
the same sweep runs at most once every ``CLEAN_INTERVAL_SECONDS``, so
expiry still happens, a little later (messages expire after ``expiry``
seconds, 60 by default, and group memberships after ``group_expiry``).

Use it as the embedded default's layer:
``{"BACKEND": "peerlight.lib.layers.InMemoryChannelLayer"}``.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

CLEAN_INTERVAL_SECONDS = 1.0


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):  # type: ignore[misc]  # channels is untyped
    """Channels' in-memory layer, sweeping for expired entries at most once a second."""

    _next_clean = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_clean:
            return
        self._next_clean = now + CLEAN_INTERVAL_SECONDS
        super()._clean_expired()
