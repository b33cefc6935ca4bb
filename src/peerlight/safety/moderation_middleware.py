"""Moderation on every signed-in request: suspensions sign people out, warnings are shown once.

A person with a suspension or ban in force is signed out and sent to a calm
page that says until when and how to appeal. A person with a warning they
have not seen gets it instead of the page they asked for (a full page, by
GET), with a link on to that page; showing it records that they saw it.
Both are read from the database on every request (one query), so lifting
an action takes effect on the next page.

Works under ASGI and WSGI like ``peerlight.lib.middleware``. It goes last in
``MIDDLEWARE``, after authentication, sessions, messages and CSP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import iscoroutinefunction, markcoroutinefunction
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import sync_and_async_middleware
from django_htmx.http import HttpResponseClientRedirect

from peerlight.accounts.models import User
from peerlight.safety import moderation
from peerlight.safety.access import standing_of

# Kept in the (new, signed-out) session so the page can say until when.
SUSPENDED_SESSION_KEY = "peerlight_suspended_until"
SUSPENDED_INDEFINITELY = "indefinite"

SyncGetResponse = Callable[[HttpRequest], HttpResponseBase]
AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


def _intercept(request: HttpRequest, user: User) -> HttpResponseBase | None:
    exclusion, warning = standing_of(int(user.pk))
    if exclusion is not None:
        logout(request)
        request.session[SUSPENDED_SESSION_KEY] = (
            exclusion.ends_at.isoformat() if exclusion.ends_at else SUSPENDED_INDEFINITELY
        )
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(reverse("safety:suspended"))
        return redirect("safety:suspended")
    if (
        warning is not None
        and request.method == "GET"
        and not getattr(request, "htmx", False)
        and request.accepts("text/html")
        and moderation.mark_warning_seen(user, warning)
    ):
        return render(
            request,
            "safety/moderation/warning.html",
            {"next_url": request.get_full_path()},
        )
    return None


def _signed_in(user: Any) -> User | None:
    return user if isinstance(user, User) and user.is_authenticated else None


@sync_and_async_middleware
def moderation_middleware(get_response: Any) -> Any:
    """Sign out suspended people and show unseen warnings (see the module docstring)."""
    if iscoroutinefunction(get_response):
        get_async_response: AsyncGetResponse = get_response

        async def async_middleware(request: HttpRequest) -> HttpResponseBase:
            user = _signed_in(await request.auser())
            if user is not None:
                response = await sync_to_async(_intercept)(request, user)
                if response is not None:
                    return response
            return await get_async_response(request)

        markcoroutinefunction(async_middleware)
        return async_middleware

    get_sync_response: SyncGetResponse = get_response

    def middleware(request: HttpRequest) -> HttpResponseBase:
        user = _signed_in(getattr(request, "user", None))
        if user is not None:
            response = _intercept(request, user)
            if response is not None:
                return response
        return get_sync_response(request)

    return middleware
