"""``peerlight worker``: run the background task worker (the database queue).

One worker runs tasks one at a time; run several processes for more. SIGINT
or SIGTERM lets the task in hand finish, then the worker exits.

Beside it, in threads, the periodic tasks of ``PEERLIGHT_PERIODIC_TASKS``
are enqueued when due (``lib.periodic``), and the escalation dispatcher
(``safety.dispatcher``) carries urgent cases to the on-call coordinators every half second: it must
not wait behind a long task. ``--without-escalations`` leaves it out (when
another worker process carries them; several may, safely).
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from peerlight.lib import periodic
from peerlight.safety import dispatcher


class Command(BaseCommand):
    help = "Run the background task worker and the escalation dispatcher."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="*",
            help="Queues to process, separated by commas (default: every queue).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait before looking again when the queue is empty.",
        )
        parser.add_argument(
            "--without-escalations",
            action="store_true",
            help="Do not run the escalation dispatcher in this process.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        clock = threading.Thread(
            target=periodic.run_forever, args=(stop,), name="periodic-tasks", daemon=True
        )
        clock.start()
        carrier = None
        if not options["without_escalations"]:
            carrier = threading.Thread(
                target=dispatcher.run_forever,
                args=(stop,),
                name="escalation-dispatcher",
                daemon=True,
            )
            carrier.start()
        try:
            call_command(
                "db_worker", queue_name=options["queue_name"], interval=options["interval"]
            )
        finally:
            stop.set()
            clock.join(timeout=5)
            if carrier is not None:
                carrier.join(timeout=5)
