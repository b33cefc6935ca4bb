"""Database work of the chat websockets on pooled threads, without a health check per call.

Channels' ``database_sync_to_async`` treats every call as a request: it runs
``close_old_connections()`` before and after, and with
``CONN_HEALTH_CHECKS`` that makes the next query of each call ping the
database first (a ``SELECT 1`` round trip on PostgreSQL). A socket makes
one call per message it sends and one per message it receives, so that
ping measured about a tenth of a server's time under load.

``pooled(function)`` runs ``function`` on the event loop's thread pool, each
thread with its own connection, and checks that thread's connections (age,
health, errors) at most once every ``CHECK_INTERVAL_SECONDS``, and at once
after a call that raised, so a broken or expired connection is still
replaced before the next call that needs it.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Awaitable, Callable
from typing import cast

from asgiref.sync import sync_to_async
from django.db import close_old_connections

__all__ = ["CHECK_INTERVAL_SECONDS", "pooled"]

CHECK_INTERVAL_SECONDS = 1.0

_thread = threading.local()


def _call_checked[**P, T](function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    now = time.monotonic()
    if now >= getattr(_thread, "next_check", 0.0):
        close_old_connections()
        _thread.next_check = now + CHECK_INTERVAL_SECONDS
    try:
        return function(*args, **kwargs)
    except BaseException:
        # The failure may have broken the connection (Django marks it):
        # replace it now rather than on the next call.
        close_old_connections()
        _thread.next_check = 0.0
        raise


def pooled[**P, T](function: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """``function`` as a coroutine function run on a pooled thread (see the module docstring)."""
    return cast(
        "Callable[P, Awaitable[T]]",
        sync_to_async(functools.partial(_call_checked, function), thread_sensitive=False),
    )
