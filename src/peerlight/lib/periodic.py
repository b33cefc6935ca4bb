"""Tasks the worker runs on a clock: ``settings.PEERLIGHT_PERIODIC_TASKS``.

Each entry maps the dotted path of a task (a function decorated with
``django.tasks.task``) to its interval in seconds::

    PEERLIGHT_PERIODIC_TASKS = {"peerlight.circles.schedule.plan_all_circles": 6 * 3600}

``peerlight worker`` runs ``run_forever`` in a thread: every task once at
start, then again whenever its interval has passed, each through the task
queue like any other task. Several workers each enqueue their own rounds, so
a periodic task must be safe to run twice (planning meetings is: it is
idempotent). ``lib`` names no app: the list lives in settings.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.tasks import Task
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# How often the loop looks at the clock; the shortest interval worth asking for.
TICK_SECONDS = 5.0


def periodic_tasks() -> dict[Task[Any, Any], float]:
    """The configured tasks and their intervals; a bad entry is a configuration error."""
    configured: Mapping[str, float] = getattr(settings, "PEERLIGHT_PERIODIC_TASKS", {})
    tasks: dict[Task[Any, Any], float] = {}
    for path, seconds in configured.items():
        target = import_string(path)
        if not isinstance(target, Task):
            raise TypeError(f"{path} is not a task (decorate it with django.tasks.task).")
        if float(seconds) < TICK_SECONDS:
            raise ValueError(f"{path}: an interval under {TICK_SECONDS:g} seconds.")
        tasks[target] = float(seconds)
    return tasks


def enqueue_due(
    tasks: Mapping[Task[Any, Any], float],
    last_run: dict[Task[Any, Any], float],
    now: float,
) -> list[Task[Any, Any]]:
    """Enqueue every task whose interval has passed since ``last_run``; return them."""
    due = [task for task, every in tasks.items() if now - last_run.get(task, -every) >= every]
    for task in due:
        try:
            task.enqueue()
        except Exception:
            logger.exception("Could not enqueue the periodic task %s.", task.module_path)
            continue
        last_run[task] = now
    return due


def run_forever(stop: threading.Event, clock: Callable[[], float] = time.monotonic) -> None:
    """Enqueue the periodic tasks when due until ``stop`` is set."""
    tasks = periodic_tasks()
    last_run: dict[Task[Any, Any], float] = {}
    while not stop.is_set():
        close_old_connections()
        enqueue_due(tasks, last_run, clock())
        stop.wait(TICK_SECONDS)
    connection.close()
