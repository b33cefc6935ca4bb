"""The worker's clock: periodic tasks enqueued when due (``lib.periodic``)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.tasks import Task, task
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.lib import periodic


@task
def count_something() -> int:
    return 1


def not_a_task() -> int:
    return 1


def test_the_configured_tasks_load_with_their_intervals(settings: SettingsWrapper) -> None:
    settings.PEERLIGHT_PERIODIC_TASKS = {f"{__name__}.count_something": 60}
    assert periodic.periodic_tasks() == {count_something: 60.0}


def test_the_shipped_settings_name_real_tasks() -> None:
    tasks = periodic.periodic_tasks()
    assert tasks, "the project ships at least one periodic task"
    assert all(isinstance(each, Task) for each in tasks)


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({f"{__name__}.not_a_task": 60}, TypeError),
        ({f"{__name__}.count_something": 1}, ValueError),
    ],
)
def test_a_bad_entry_is_refused(
    settings: SettingsWrapper, entry: dict[str, float], error: type[Exception]
) -> None:
    settings.PEERLIGHT_PERIODIC_TASKS = entry
    with pytest.raises(error):
        periodic.periodic_tasks()


@pytest.mark.django_db
def test_a_task_is_enqueued_at_start_and_again_once_its_interval_passed() -> None:
    tasks: dict[Task[Any, Any], float] = {count_something: 60.0}
    last_run: dict[Task[Any, Any], float] = {}
    assert periodic.enqueue_due(tasks, last_run, now=1000.0) == [count_something]
    assert periodic.enqueue_due(tasks, last_run, now=1059.0) == []
    assert periodic.enqueue_due(tasks, last_run, now=1060.0) == [count_something]
    assert DBTaskResult.objects.filter(task_path=f"{__name__}.count_something").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_loop_enqueues_and_stops(settings: SettingsWrapper) -> None:
    settings.PEERLIGHT_PERIODIC_TASKS = {f"{__name__}.count_something": 3600}
    stop = threading.Event()
    thread = threading.Thread(target=periodic.run_forever, args=(stop,))
    thread.start()
    try:
        queued = DBTaskResult.objects.filter(task_path=f"{__name__}.count_something")
        for _ in range(200):
            if queued.exists():
                break
            stop.wait(0.05)
        assert queued.count() == 1
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
