"""Small middleware of Peerlight's own.

Each one works in both modes: under ASGI (``peerlight serve``) Django calls it
as a coroutine, so a request does not hop to a worker thread and back for each
middleware; under WSGI (the test client, ``peerlight runserver``) it is a
plain function.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import iscoroutinefunction, markcoroutinefunction
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.decorators import sync_and_async_middleware
from django.utils.functional import SimpleLazyObject, empty

SyncGetResponse = Callable[[HttpRequest], HttpResponseBase]
AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


def _mark_private_if_signed_in(user: Any, response: HttpResponseBase) -> None:
    if user is not None and user.is_authenticated and "Cache-Control" not in response:
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)


async def _resolved_user(request: HttpRequest) -> Any:
    """``request.user`` without touching the database from the event loop.

    The lazy user is usually resolved already (the page shell reads it); if
    nothing read it, ``request.auser()`` loads it the asynchronous way.
    """
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return await request.auser()
    return user


@sync_and_async_middleware
def private_pages(get_response: Any) -> Any:
    """Keep pages seen while signed in out of every cache, shared or not.

    Someone may be using a borrowed or shared phone: a page about their chats
    must not come back from the browser cache after they have signed out.
    Pages seen while signed out, and responses that set their own
    ``Cache-Control``, are left as they are.
    """
    if iscoroutinefunction(get_response):
        get_async_response: AsyncGetResponse = get_response

        async def async_middleware(request: HttpRequest) -> HttpResponseBase:
            response = await get_async_response(request)
            _mark_private_if_signed_in(await _resolved_user(request), response)
            return response

        markcoroutinefunction(async_middleware)
        return async_middleware

    get_sync_response: SyncGetResponse = get_response

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_sync_response(request)
        _mark_private_if_signed_in(getattr(request, "user", None), response)
        return response

    return middleware
