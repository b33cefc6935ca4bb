"""A live server for browser tests that need websockets (the chat).

pytest-django's live server speaks WSGI only. This one runs Peerlight's own
ASGI application (HTTP through Django's handler, websockets through Channels)
under uvicorn in a thread of the test process, against the test database,
with static files served gzip-compressed as WhiteNoise does in production.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.middleware.gzip import GZipMiddleware

START_TIMEOUT_SECONDS = 10


class CompressedASGIStaticFiles(ASGIStaticFilesHandler):
    """Static files, gzip-compressed; everything else goes to the application."""

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        response = await super().get_response_async(request)
        if isinstance(response, StreamingHttpResponse | FileResponse):
            # A whole static file in memory: they are a few kilobytes each.
            chunks = [chunk async for chunk in response]
            body = b"".join(bytes(chunk) for chunk in chunks)
            plain = HttpResponse(body, status=response.status_code)
            for header, value in response.items():
                plain[header] = value
            response = plain
        return GZipMiddleware(lambda _request: response).process_response(request, response)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ASGILiveServer:
    """Uvicorn serving ``application`` on 127.0.0.1 in a background thread."""

    def __init__(self, application: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            CompressedASGIStaticFiles(application),
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="asgi-live-server")

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The ASGI live server did not start.")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=START_TIMEOUT_SECONDS)
