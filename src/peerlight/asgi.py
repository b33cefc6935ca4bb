"""ASGI entry point: HTTP and websockets (origin-checked, authenticated).

HTTP goes to Django's WSGI handler on a pool of reused threads
(``ThreadedWSGI``): Django's own ASGI handler hands each request between the
event loop and a thread about forty times and opens a new database
connection per request, which measured five to seven times slower
(docs/operations.md, "Server choice"). Websockets go to Channels' async
consumers.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlight.settings")

# Django must be set up before anything imports models.
django_wsgi_app = get_wsgi_application()

from a2wsgi.wsgi import Body, build_environ  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from peerlight.routing import websocket_urlpatterns  # noqa: E402

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]
Headers = list[tuple[bytes, bytes]]
WSGIApplication = Callable[..., Any]


class ThreadedWSGI:
    """Serve a WSGI application over ASGI HTTP, one pooled thread per request.

    The request body is read from the event loop only if the application
    asks for it (a2wsgi's ``Body``). A response held in memory, as every
    Django page is, comes back from its thread in one hand-over and goes out
    as one message: a2wsgi's ``WSGIMiddleware``, used before, waited for the
    event loop three times per request from the thread, which cost about
    0.3 ms of CPU a request (docs/operations.md, "Server choice"). A streamed
    response (``response.streaming``: files, exports) is read and sent chunk
    by chunk from the same thread, waiting for each send, so the thread's
    database connection is never used from another thread.
    """

    def __init__(self, app: WSGIApplication, workers: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="http")

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"ThreadedWSGI serves HTTP only, not {scope['type']!r}")
        loop = asyncio.get_running_loop()

        # a2wsgi's Body hands receive() to run_coroutine_threadsafe, which
        # takes only coroutines; granian's receive() returns another awaitable,
        # so every request with a body failed there. Wrap it in a coroutine.
        async def receive_coroutine() -> Message:
            return await receive()

        environ = build_environ(scope, Body(loop, receive_coroutine))  # type: ignore[arg-type]  # a2wsgi's TypedDicts
        context = contextvars.copy_context()
        respond = functools.partial(context.run, self._respond, environ, loop, send)
        answer = await loop.run_in_executor(self.executor, respond)
        if answer is not None:
            status, headers, body = answer
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    def _respond(
        self, environ: Mapping[str, object], loop: asyncio.AbstractEventLoop, send: Send
    ) -> tuple[int, Headers, bytes] | None:
        """Run the application in this thread.

        Returns the whole response, or sends a streamed one itself and
        returns None.
        """
        started: list[tuple[int, Headers]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], None]:
            code = int(status.split(" ", 1)[0])
            encoded = [
                (name.lower().encode("latin1"), value.encode("latin1")) for name, value in headers
            ]
            started[:] = [(code, encoded)]
            return _no_write

        response = self.app(environ, start_response)
        try:
            if not getattr(response, "streaming", True):
                body = b"".join(response)
                return started[0][0], started[0][1], body

            async def sending(message: Message) -> None:
                await send(message)

            def send_now(message: Message) -> None:
                asyncio.run_coroutine_threadsafe(sending(message), loop).result()

            chunks = iter(response)
            # The first chunk may call start_response (a generator application).
            first = next(chunks, b"")
            status, headers = started[0]
            send_now({"type": "http.response.start", "status": status, "headers": headers})
            send_now({"type": "http.response.body", "body": first, "more_body": True})
            for chunk in chunks:
                send_now({"type": "http.response.body", "body": chunk, "more_body": True})
            send_now({"type": "http.response.body", "body": b""})
            return None
        finally:
            # Django's response.close() sends request_finished, which closes
            # this thread's database connection when it is too old: it must
            # run here, in the thread that used the connection.
            close = getattr(response, "close", None)
            if close is not None:
                close()


def _no_write(data: bytes) -> None:
    raise NotImplementedError("Return the response body; the write() callable is not supported.")


http_application = ThreadedWSGI(django_wsgi_app, workers=settings.PEERLIGHT_HTTP_THREADS)

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
