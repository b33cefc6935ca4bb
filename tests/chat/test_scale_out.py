"""Two real server processes share one Redis channel layer: messages cross between them.

Starts ``peerlight serve`` twice (separate processes, separate ports) on one
database (a temporary SQLite file, or a dedicated database on the
PostgreSQL server of ``DATABASE_URL`` when that is a PostgreSQL URL) and the
Redis at ``REDIS_URL`` (redis://127.0.0.1:6379/15 when unset). A member
signs in and connects to the first process, their peer supporter to the
second; both send at once, and each must receive every message of the other
exactly once, with sequence numbers that have no gaps. Skipped when Redis
(or the PostgreSQL server asked for) is unreachable.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from benchmarks._chat_cluster import (
    DEFAULT_TEST_REDIS_URL,
    Cluster,
    Server,
    drop_postgres_database,
    fresh_postgres_database,
    redis_reachable,
)

PASSWORD = "a long enough test password"
MESSAGES_EACH_WAY = 25
SCALE_OUT_DATABASE = "peerlight_scale_out_test"


def database_for(tmp_path: Path) -> str:
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        url, why = fresh_postgres_database(configured, SCALE_OUT_DATABASE)
        if url is None:
            pytest.skip(why)
        return url
    return f"sqlite:///{tmp_path / 'scale-out.sqlite3'}"


def log_in(server: Server, display_name: str) -> str:
    """Sign in through the log-in form, as a browser does; returns the session cookie."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = server.base_url + "/login/"
    browser.open(login_url, timeout=10).read()
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"display_name": display_name, "password": PASSWORD, "csrfmiddlewaretoken": csrf or ""}
    ).encode()
    browser.open(login_url, data=form, timeout=30).read()
    session = [cookie.value for cookie in jar if cookie.name == "sessionid"]
    assert session, "signing in over HTTP gave no session cookie"
    return str(session[0])


async def open_socket(server: Server, conversation: int, cookie: str) -> ClientConnection:
    return await connect(
        f"{server.socket_url}/chat/ws/{conversation}/",
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": server.base_url},
    )


async def exchange(
    conversation: int, member: tuple[Server, str], peer: tuple[Server, str]
) -> dict[str, dict[str, Any]]:
    """Both sides send at once; returns, per side, its acks (client_id → seq) and pushed seqs."""
    sockets = {
        "member": await open_socket(member[0], conversation, member[1]),
        "peer": await open_socket(peer[0], conversation, peer[1]),
    }
    seen: dict[str, dict[str, Any]] = {name: {"acks": {}, "pushed": []} for name in sockets}

    def done() -> bool:
        return all(
            len(seen[name]["acks"]) == MESSAGES_EACH_WAY
            and len(seen[name]["pushed"]) >= MESSAGES_EACH_WAY
            for name in sockets
        )

    async def read(name: str) -> None:
        async for frame in sockets[name]:
            data = json.loads(frame)
            if data["type"] == "ack":
                seen[name]["acks"][data["client_id"]] = data["seq"]
            elif data["type"] == "messages":
                seen[name]["pushed"].extend(item["seq"] for item in data["items"])
            else:
                raise AssertionError(f"unexpected frame {data}")

    readers = [asyncio.create_task(read(name)) for name in sockets]
    for number in range(MESSAGES_EACH_WAY):
        for name, socket in sockets.items():
            send = {"type": "send", "client_id": f"{name}-{number}", "body": f"{name} {number}"}
            await socket.send(json.dumps(send))
    async with asyncio.timeout(30):
        while not done():
            await asyncio.sleep(0.05)
    # Anything sent twice would arrive within this pause.
    await asyncio.sleep(1.0)
    for socket in sockets.values():
        await socket.close()
    await asyncio.gather(*readers, return_exceptions=True)
    return seen


def test_two_processes_deliver_every_message_exactly_once(tmp_path: Path) -> None:
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_TEST_REDIS_URL
    if why := redis_reachable(redis_url):
        pytest.skip(why)
    database_url = database_for(tmp_path)
    # The default server (granian), as ``peerlight serve`` starts it: the
    # people sign in over HTTP with a POST, then talk over websockets.
    cluster = Cluster(tmp_path, database_url, redis_url, use_serve_command=True)
    try:
        cluster.migrate()
        [chat] = cluster.seed(1, password=PASSWORD)
        first, second = cluster.start(), cluster.start()
        member = (first, log_in(first, chat["member"]["name"]))
        peer = (second, log_in(second, chat["peer"]["name"]))
        seen = asyncio.run(exchange(chat["conversation"], member, peer))
    finally:
        cluster.stop_all()
        if database_url.startswith("postgres"):
            drop_postgres_database(database_url)

    member_seqs = set(seen["member"]["acks"].values())
    peer_seqs = set(seen["peer"]["acks"].values())
    assert len(member_seqs) == len(peer_seqs) == MESSAGES_EACH_WAY
    assert sorted(member_seqs | peer_seqs) == list(range(1, 2 * MESSAGES_EACH_WAY + 1))
    for name, others in (("member", peer_seqs), ("peer", member_seqs)):
        pushed = seen[name]["pushed"]
        # Never twice on one socket, and every message of the other side once.
        assert len(pushed) == len(set(pushed)), f"{name} got a message twice"
        assert others <= set(pushed), f"{name} missed {sorted(others - set(pushed))}"
        assert pushed == sorted(pushed), f"{name} got messages out of order"
