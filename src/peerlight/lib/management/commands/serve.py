"""``peerlight serve``: the web server, and with ``--with-worker`` the task worker too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Peerlight over HTTP and websockets (ASGI); optionally run the task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="Server processes.")
        parser.add_argument(
            "--with-worker", action="store_true", help="Also run the background task worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = [
            sys.executable,
            "-m",
            "uvicorn",
            "peerlight.asgi:application",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--workers",
            str(options["workers"]),
            "--no-access-log",
            "--lifespan",
            "off",
        ]
        worker = [sys.executable, "-m", "peerlight.cli", "db_worker"]
        commands = [server] + ([worker] if options["with_worker"] else [])
        env = dict(os.environ)
        processes = [subprocess.Popen(command, env=env) for command in commands]  # noqa: S603
        self.stdout.write(f"Peerlight is running on http://{options['host']}:{options['port']}/")
        self.stdout.write("Press Ctrl-C to stop.")
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [process.returncode for process in processes if process.returncode not in (0, -2)]
        if failed:
            raise SystemExit(failed[0])
