"""Real Peerlight server processes for the chat benchmark and the scale-out test.

Not a benchmark itself (its name starts with ``_``). ``Cluster`` holds one
database, an optional Redis channel layer and one or more server processes,
each started exactly as ``peerlight serve`` starts its web server, in its own
process group so it can be stopped, or killed outright to play a crash.
``seed`` makes conversations and signed-in sessions in that database through
``benchmarks/_chat_seed.py``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
READY_PATH = "/login/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_reachable(url: str) -> str:
    """ "" if Redis answers at ``url``, else why not."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except (redis.RedisError, OSError) as error:
        return f"Redis at {url} is unreachable: {error}"
    return ""


def fresh_postgres_database(server_url: str, name: str) -> tuple[str | None, str]:
    """An empty database ``name`` on the server of ``server_url``: (URL, "") or (None, why)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(server_url)
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            database = sql.Identifier(name)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    except psycopg.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        return None, f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is unreachable: {first}"
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", "")), ""


def drop_postgres_database(database_url: str) -> None:
    """Drop the database of ``database_url`` (made by ``fresh_postgres_database``)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        database = sql.Identifier(parts.path.lstrip("/"))
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def socket_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""


@dataclass
class Cluster:
    """Servers sharing one database and channel layer; stop them with ``stop_all``."""

    work_dir: Path
    database_url: str
    redis_url: str = ""
    use_serve_command: bool = False
    server: str = "granian"
    servers: list[Server] = field(default_factory=list)

    def environment(self) -> dict[str, str]:
        python_path = [str(PROJECT_DIR), *filter(None, [os.environ.get("PYTHONPATH", "")])]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "peerlight.settings",
            "PYTHONPATH": os.pathsep.join(python_path),
            "DATABASE_URL": self.database_url,
            "PEERLIGHT_ENV": "development",
            "PEERLIGHT_DEBUG": "false",
            # Every process of the cluster shares the development secrets here.
            "PEERLIGHT_VAR_DIR": str(self.work_dir / "var"),
            "PEERLIGHT_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PEERLIGHT_LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def peerlight(self, *args: str, input_text: str | None = None) -> str:
        """Run ``peerlight ARGS`` against this cluster's database; returns stdout."""
        result = subprocess.run(
            [sys.executable, "-m", "peerlight.cli", *args],
            env=self.environment(),
            input=input_text,
            capture_output=True,
            text=True,
            check=False,
            cwd=PROJECT_DIR,
        )
        if result.returncode != 0:
            raise RuntimeError(f"peerlight {args[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def migrate(self) -> None:
        self.peerlight("migrate", "--no-input")

    def seed(self, pairs: int, *, password: str = "") -> list[dict[str, Any]]:
        """``pairs`` one-to-one conversations, each with two signed-in people."""
        request = json.dumps({"pairs": pairs, "password": password})
        output = self.peerlight(
            "shell", "-c", "from benchmarks._chat_seed import main; main()", input_text=request
        )
        conversations: list[dict[str, Any]] = json.loads(output.strip().splitlines()[-1])
        return conversations

    def start(self, port: int | None = None) -> Server:
        """Start one server process (or restart one on ``port``) and wait until it answers."""
        port = port or free_port()
        log_path = self.work_dir / "logs" / f"server-{port}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.use_serve_command:
            command = [
                sys.executable,
                "-m",
                "peerlight.cli",
                "serve",
                "--port",
                str(port),
                "--server",
                self.server,
            ]
        else:
            from peerlight.lib.management.commands.serve import server_command

            command = server_command(self.server, "127.0.0.1", port, 1)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=PROJECT_DIR,
            )
        server = Server(port, process, log_path)
        self.servers.append(server)
        _wait_until_answering(server)
        return server

    def kill(self, server: Server) -> None:
        """SIGKILL the server and everything it started: a crash, not a stop."""
        for pid in [server.process.pid, *_descendants(server.process.pid)]:
            with suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        server.process.wait(timeout=10)
        self.servers.remove(server)

    def stop_all(self) -> None:
        for server in list(self.servers):
            _stop(server)
            self.servers.remove(server)

    def rss_kb(self, server: Server) -> int:
        """Resident memory of the server's processes, in KB."""
        total = 0
        for pid in [server.process.pid, *_descendants(server.process.pid)]:
            with suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _stop(server: Server) -> None:
    """SIGTERM (``peerlight serve`` passes it on); whatever is left after 15 s is killed."""
    family = [server.process.pid, *_descendants(server.process.pid)]
    with suppress(ProcessLookupError):
        server.process.terminate()
    with suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=15)
    for pid in family:
        with suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=5)


def _wait_until_answering(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"The server exited at start:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.base_url + READY_PATH, timeout=5):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"The server did not answer within {timeout:.0f} s:\n{server.log_tail()}")
