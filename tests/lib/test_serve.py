from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from peerlight.accounts.models import User
from peerlight.asgi import ThreadedWSGI
from peerlight.lib.management.commands.serve import (
    ASGI_APPLICATION,
    GRANIAN_FACTORY,
    SERVERS,
    application_behind_proxy,
    server_command,
)

STARTUP_SECONDS = 60
STOP_SECONDS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in listed.split()]


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_until_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and [pid for pid in pids if _alive(pid)]:
        time.sleep(0.2)
    return [pid for pid in pids if _alive(pid)]


def _status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _wait_for_home_page(serve: subprocess.Popen[str], url: str) -> int:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert serve.poll() is None, serve.communicate()[0]
        try:
            return _status_of(url)
        except OSError:
            time.sleep(0.3)
    raise AssertionError("peerlight serve did not answer in time")


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated SQLite database of its own, as a fresh install has."""
    var_dir = tmp_path_factory.mktemp("serve")
    environment = {
        **os.environ,
        "PEERLIGHT_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'serve.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "peerlight.settings",
    }
    subprocess.run(
        [sys.executable, "-m", "peerlight.cli", "migrate", "--no-input"],
        env=environment,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return environment


@pytest.fixture
def serving(environment: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``peerlight serve --with-worker`` on a free port, in its own process group."""
    port = _free_port()
    serve = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "peerlight.cli", "serve", "--port", str(port), "--with-worker"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield serve, f"http://127.0.0.1:{port}/"
    finally:
        everything = [serve.pid, *_descendants(serve.pid)]
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        for pid in _wait_until_gone(everything):
            os.kill(pid, signal.SIGKILL)
        serve.communicate()


def test_it_serves_the_home_page_and_ctrl_c_stops_everything(
    serving: tuple[subprocess.Popen[str], str],
) -> None:
    serve, url = serving
    assert _wait_for_home_page(serve, url) == 200
    started = _descendants(serve.pid)
    assert len(_children(serve.pid)) == 2  # the web server and the task worker

    # A terminal's Ctrl-C sends SIGINT to the foreground process group.
    os.killpg(serve.pid, signal.SIGINT)

    assert serve.wait(timeout=STOP_SECONDS) == 0
    assert _wait_until_gone(started) == []


def test_it_exits_with_an_error_when_a_process_dies(
    serving: tuple[subprocess.Popen[str], str],
) -> None:
    serve, url = serving
    assert _wait_for_home_page(serve, url) == 200
    started = _descendants(serve.pid)
    web_server, task_worker = _children(serve.pid)

    os.kill(task_worker, signal.SIGKILL)

    assert serve.wait(timeout=STOP_SECONDS) != 0
    assert _wait_until_gone(started) == []
    assert not _alive(web_server)


@pytest.mark.parametrize("server", SERVERS)
def test_server_command_serves_peerlight_on_the_given_address(server: str) -> None:
    command = server_command(server, "0.0.0.0", 8123, 3)  # noqa: S104
    assert command[0] == sys.executable
    # Granian builds the same application through the proxy-aware factory.
    assert ASGI_APPLICATION in command or GRANIAN_FACTORY in command
    for flag, value in (("--host", "0.0.0.0"), ("--port", "8123"), ("--workers", "3")):  # noqa: S104
        assert command[command.index(flag) + 1] == value


def test_the_client_address_comes_from_trusted_proxies_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    async def record_client(scope: dict[str, Any], receive: object, send: object) -> None:
        seen.append(scope["client"][0])

    monkeypatch.setattr("peerlight.asgi.application", record_client)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "192.0.2.10")
    application = application_behind_proxy()

    def request_from(address: str) -> dict[str, Any]:
        return {
            "type": "http",
            "client": (address, 50000),
            "headers": [(b"x-forwarded-for", b"203.0.113.7")],
        }

    asyncio.run(application(request_from("192.0.2.10"), None, None))
    asyncio.run(application(request_from("198.51.100.9"), None, None))

    assert seen == ["203.0.113.7", "198.51.100.9"]


def test_server_command_refuses_an_unknown_server() -> None:
    with pytest.raises(ValueError, match="Unknown server"):
        server_command("gunicorn", "127.0.0.1", 8000, 1)


def test_signed_in_pages_stay_out_of_caches_under_asgi(member: User) -> None:
    async def fetch_home(signed_in: bool) -> str:
        client = AsyncClient()
        if signed_in:
            await client.aforce_login(member)
        response = await client.get("/")
        assert response.status_code == 200
        return str(response.headers.get("Cache-Control", ""))

    signed_in_policy = async_to_sync(fetch_home)(True)
    anonymous_policy = async_to_sync(fetch_home)(False)

    assert "private" in signed_in_policy
    assert "no-store" in signed_in_policy
    assert "private" not in anonymous_policy


# --- ThreadedWSGI: Django's WSGI handler behind the ASGI application ---------


def _drive(
    app: ThreadedWSGI, path: str = "/", body: bytes = b"", method: str = "GET"
) -> list[dict[str, Any]]:
    """Send one HTTP request through ``app``; the ASGI messages it sent back."""
    sent: list[dict[str, Any]] = []
    parts = [body[:3], body[3:]] if body else [b""]

    def receive() -> Awaitable[dict[str, Any]]:
        # Like granian's, an awaitable that is not a coroutine.
        chunk = parts.pop(0)
        message = {"type": "http.request", "body": chunk, "more_body": bool(parts)}
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        answer.set_result(message)
        return answer

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-length", str(len(body)).encode())] if body else [],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    asyncio.run(app(scope, receive, send))
    return sent


class _Response:
    """A WSGI response iterable that records the thread it was closed in."""

    def __init__(self, chunks: list[bytes], streaming: bool) -> None:
        self.chunks = chunks
        self.streaming = streaming
        self.closed_in: int | None = None

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed_in = threading.get_ident()


def test_a_whole_response_goes_out_in_one_message() -> None:
    ran_in: list[int] = []
    response = _Response([b"Hello, ", b"world"], streaming=False)

    def wsgi(environ: dict[str, Any], start_response: Any) -> _Response:
        ran_in.append(threading.get_ident())
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Test", "yes")])
        return response

    sent = _drive(ThreadedWSGI(wsgi, workers=2))

    assert sent == [
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"text/plain"), (b"x-test", b"yes")],
        },
        {"type": "http.response.body", "body": b"Hello, world"},
    ]
    assert ran_in[0] != threading.get_ident()
    assert response.closed_in == ran_in[0]


def test_a_streamed_response_goes_out_chunk_by_chunk_from_its_own_thread() -> None:
    ran_in: list[int] = []
    response = _Response([b"one", b"two"], streaming=True)

    def wsgi(environ: dict[str, Any], start_response: Any) -> _Response:
        ran_in.append(threading.get_ident())
        start_response("200 OK", [("Content-Type", "text/csv")])
        return response

    sent = _drive(ThreadedWSGI(wsgi, workers=2))

    assert sent[0]["status"] == 200
    assert [message.get("body") for message in sent[1:]] == [b"one", b"two", b""]
    assert [message.get("more_body", False) for message in sent[1:]] == [True, True, False]
    # Closing (Django's request_finished) happens in the thread that used
    # the database connection.
    assert response.closed_in == ran_in[0]


def test_the_request_body_reaches_the_application() -> None:
    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    sent = _drive(ThreadedWSGI(wsgi, workers=1), body=b"name=value", method="POST")

    assert b"".join(message.get("body", b"") for message in sent) == b"name=value"


@pytest.mark.django_db(transaction=True)
def test_django_pages_come_through_whole_with_their_headers() -> None:
    # The page is made on a pool thread with its own database connection.
    from peerlight.asgi import http_application

    sent = _drive(http_application, "/")

    assert sent[0]["status"] == 200
    headers = dict(sent[0]["headers"])
    assert b"content-security-policy" in headers
    assert b"<main" in sent[1]["body"]


def test_threaded_wsgi_refuses_other_protocols() -> None:
    with pytest.raises(ValueError, match="HTTP only"):
        asyncio.run(ThreadedWSGI(lambda e, s: [], workers=1)({"type": "websocket"}, None, None))  # type: ignore[arg-type]  # nothing is received or sent
