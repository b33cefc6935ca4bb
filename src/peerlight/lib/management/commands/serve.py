"""``peerlight serve``: the web server, and with ``--with-worker`` the task worker too.

The web server serves Peerlight's ASGI application, HTTP and websockets on
one port. Granian is the default and uvicorn the alternative; the choice and
its figures are in ``docs/operations.md`` ("Server choice"), measured with
``peerlight bench servers``.

Ctrl-C (SIGINT), SIGTERM or SIGHUP stops every process started here and
exits with 0. If one of them dies on its own, the others are stopped and the
command exits with a non-zero status, so a process supervisor notices and
restarts it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

ASGI_APPLICATION = "peerlight.asgi:application"
# Granian builds the application by calling this (``--factory``); see below.
GRANIAN_FACTORY = "peerlight.lib.management.commands.serve:application_behind_proxy"
SERVERS = ("granian", "uvicorn")
DEFAULT_SERVER = "granian"
# How long stopping processes get before they are killed.
STOP_SECONDS = 10
# Ctrl-C, a supervisor's stop and a closed terminal all stop everything.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def application_behind_proxy() -> Any:
    """Peerlight's ASGI application, told the client's address by a trusted proxy.

    Rate limits count by the client's address. Behind a reverse proxy every
    request comes from the proxy, so the address must come from its
    ``X-Forwarded-For`` header, trusted only from the addresses in
    ``FORWARDED_ALLOW_IPS`` (comma-separated, default ``127.0.0.1``). Uvicorn
    does this itself with the same variable; granian needs this wrapper.
    """
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    from peerlight.asgi import application

    trusted = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    hosts = [host.strip() for host in trusted.split(",") if host.strip()]
    return wrap_asgi_with_proxy_headers(application, trusted_hosts=hosts)


def server_command(
    server: str, host: str, port: int, workers: int, application: str = ASGI_APPLICATION
) -> list[str]:
    """The command line that serves ``application`` with ``server``.

    The benchmarks use this too, so they measure what ``peerlight serve`` runs.
    """
    if server == "granian":
        if application == ASGI_APPLICATION:
            target = ["--factory", GRANIAN_FACTORY]
        else:
            target = [application]
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            # The ASGI lifespan protocol is not used: Channels' router
            # refuses lifespan events.
            "asginl",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            # A worker that does not stop on its own is killed after this long.
            "--workers-kill-timeout",
            str(STOP_SECONDS // 2),
            *target,
        ]
    if server == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            application,
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    raise ValueError(f"Unknown server {server!r}; choose one of {', '.join(SERVERS)}.")


def worker_command() -> list[str]:
    return [sys.executable, "-m", "peerlight.cli", "worker"]


class _StopRequested(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _StopRequested


class Command(BaseCommand):
    help = "Serve Peerlight over HTTP and websockets (ASGI); optionally run the task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Web server processes. More than one needs REDIS_URL for realtime events.",
        )
        parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER)
        parser.add_argument(
            "--with-worker", action="store_true", help="Also run the background task worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be 1 or more.")
        if options["workers"] > 1 and not settings.REDIS_URL:
            self.stderr.write(
                "Warning: without REDIS_URL each web process has its own in-memory "
                "channel layer, so realtime events do not reach people connected to "
                "another process. Set REDIS_URL or use --workers 1."
            )
        commands = {
            "web server": server_command(
                options["server"], options["host"], options["port"], options["workers"]
            )
        }
        if options["with_worker"]:
            commands["task worker"] = worker_command()
        raise SystemExit(self._run_until_stopped(commands, options))

    def _run_until_stopped(self, commands: dict[str, list[str]], options: dict[str, Any]) -> int:
        """Run every command; returns the exit status for the whole group."""
        previous = {signum: signal.signal(signum, _raise_stop) for signum in STOP_SIGNALS}
        processes: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name, command in commands.items():
                # Each child in its own process group: Ctrl-C reaches this
                # command only, which passes exactly one SIGTERM on (a second
                # signal would make the task worker abandon the task in hand).
                processes[name] = subprocess.Popen(command, process_group=0)  # noqa: S603
            self.stdout.write(
                f"Peerlight is running on http://{options['host']}:{options['port']}/ "
                f"({', '.join(processes)}). Press Ctrl-C to stop."
            )
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"The {name} stopped unexpectedly (exit status "
                            f"{process.returncode}); stopping the rest."
                        )
                        _stop_all(processes)
                        return process.returncode if process.returncode > 0 else 1
                time.sleep(0.3)
        except _StopRequested:
            # A second Ctrl-C must not cut the stop short: stopping is
            # bounded anyway (STOP_SECONDS, then each straggler is killed).
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            self.stdout.write("Stopping...")
            return 0 if _stop_all(processes) else 1
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            _stop_all(processes)


def _stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> bool:
    """Ask each running process to stop, kill those that do not; True if all stopped cleanly.

    SIGTERM, not SIGINT: a process started in the background by a shell
    ignores SIGINT, and every server and worker here stops gracefully on
    SIGTERM.
    """
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    clean = True
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            clean = False
    return clean
