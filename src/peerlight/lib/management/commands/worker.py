"""``peerlight worker``: run the background task worker (the database queue).

One worker runs tasks one at a time; run several processes for more. SIGINT
or SIGTERM lets the task in hand finish, then the worker exits.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background task worker."

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

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("db_worker", queue_name=options["queue_name"], interval=options["interval"])
