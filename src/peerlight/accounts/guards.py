"""Decorators that guard views: sudo mode and the staff area.

``login_required`` is Django's own (re-exported here so views import their
guards from one place). ``sudo_required`` asks for the password again when
the last check is older than ``PEERLIGHT_SUDO_SECONDS``. ``staff_required``
hides the staff area from everyone without one of the given roles (404, so
its existence is not revealed) and asks staff for their second factor.
``second_factor_step`` asks staff for it on pages open to more than staff.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_htmx.middleware import HtmxDetails
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts.models import STAFF_ROLES, User

if TYPE_CHECKING:
    from django.contrib.sessions.backends.base import SessionBase

__all__ = [
    "SUDO_SESSION_KEY",
    "AuthenticatedHttpRequest",
    "grant_sudo",
    "has_confirmed_totp",
    "has_sudo",
    "is_two_factor_verified",
    "login_required",
    "return_path",
    "revoke_sudo",
    "role_required",
    "second_factor_step",
    "staff_required",
    "sudo_required",
]

SUDO_SESSION_KEY = "sudo_until"


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose ``user`` is a signed-in account (for the type checker).

    ``htmx`` is what django-htmx's middleware (installed for every request)
    says of the request.
    """

    user: User
    htmx: HtmxDetails


type View[**P] = Callable[Concatenate[HttpRequest, P], HttpResponseBase]
type AuthenticatedView[**P] = Callable[Concatenate[AuthenticatedHttpRequest, P], HttpResponseBase]


def _now() -> float:
    return timezone.now().timestamp()


def grant_sudo(request: HttpRequest) -> None:
    """Open sudo mode for ``PEERLIGHT_SUDO_SECONDS`` from now.

    Called after a successful log-in or password confirmation. The deadline
    lives in the session, so it ends with the session.
    """
    session: SessionBase = request.session
    session[SUDO_SESSION_KEY] = _now() + settings.PEERLIGHT_SUDO_SECONDS


def revoke_sudo(request: HttpRequest) -> None:
    request.session.pop(SUDO_SESSION_KEY, None)


def has_sudo(request: HttpRequest) -> bool:
    """True when the password was confirmed recently enough in this session."""
    until = request.session.get(SUDO_SESSION_KEY)
    return isinstance(until, int | float) and until > _now()


def return_path(request: HttpRequest) -> str:
    """Where to come back to after a detour (log-in, password, second factor).

    A page asked for with GET is simply asked for again. A form sent with
    POST cannot be replayed by a redirect, so the form's hidden ``next``
    field (a page on this site) is used, or the home page.
    """
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    candidate = str(request.POST.get("next", ""))
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, request: HttpRequest) -> str:
    return f"{resolve_url(url_name)}?{urlencode({'next': return_path(request)})}"


def _is_guest_without_password(request: HttpRequest) -> bool:
    # A guest (asked for a peer without an account) has no password to
    # confirm: the session is their only key. Asking for a password they
    # never had would lock them out of downloading or deleting their data.
    user = request.user
    return isinstance(user, User) and user.is_guest and not user.has_usable_password()


def sudo_required[**P](view: AuthenticatedView[P]) -> View[P]:
    """Run ``view`` only in sudo mode; otherwise ask for the password first.

    Anonymous visitors are sent to log in. People signed in without a recent
    password check go to the confirm-password page, which returns them here
    through ``?next=``. Guests who never set a password pass: their session
    is the only credential they have.
    """

    @functools.wraps(view)
    def guarded(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(return_path(request))
        if not has_sudo(request) and not _is_guest_without_password(request):
            return redirect(_with_next("accounts:confirm-password", request))
        return view(cast(AuthenticatedHttpRequest, request), *args, **kwargs)

    return guarded


def is_two_factor_verified(request: HttpRequest) -> bool:
    """True when the person passed a second factor in this session.

    ``OTPMiddleware`` adds ``is_verified`` to the user of every request.
    """
    is_verified: Callable[[], bool] | None = getattr(request.user, "is_verified", None)
    return is_verified is not None and is_verified()


def has_confirmed_totp(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def _second_factor_redirect(request: AuthenticatedHttpRequest) -> HttpResponseRedirect | None:
    """To the second factor (set it up, or enter a code) and back; None once passed."""
    if is_two_factor_verified(request):
        return None
    step = (
        "accounts:two-factor-verify"
        if has_confirmed_totp(request.user)
        else "accounts:two-factor-setup"
    )
    return redirect(_with_next(step, request))


def second_factor_step(request: AuthenticatedHttpRequest) -> HttpResponseRedirect | None:
    """Where staff go for their second factor before a page open to more than staff.

    A page that facilitators and coordinators share (editing a circle, moving
    a meeting) cannot use ``staff_required``; its view calls this after its
    own access check and returns the redirect when there is one. People
    without a staff role, and staff who passed in this session, get None.
    """
    if not request.user.is_staff_role:
        return None
    return _second_factor_redirect(request)


def role_required[**P](*roles: str) -> Callable[[AuthenticatedView[P]], View[P]]:
    """Let through only signed-in holders of one of ``roles`` (any staff role if none).

    Anonymous visitors are sent to log in; everyone else gets a 404. Unlike
    ``staff_required`` it does not ask for the second factor: it guards the
    pages where staff set it up and enter it.
    """
    allowed = frozenset(roles) if roles else STAFF_ROLES

    def decorator(view: AuthenticatedView[P]) -> View[P]:
        @functools.wraps(view)
        def guarded(
            request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs
        ) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(return_path(request))
            assert isinstance(user, User)
            if not user.is_active or not (user.role_set() & allowed):
                raise Http404
            return view(cast(AuthenticatedHttpRequest, request), *args, **kwargs)

        return guarded

    return decorator


def staff_required[**P](*roles: str) -> Callable[[AuthenticatedView[P]], View[P]]:
    """Let through only signed-in holders of one of ``roles`` who passed two-factor.

    With no roles given, any staff role will do. Anonymous visitors are sent
    to log in; signed-in people without the role get a 404, so the staff area
    is not revealed; staff who have not passed two-factor in this session go
    to set it up (no confirmed device yet) or to enter a code.
    """

    def decorator(view: AuthenticatedView[P]) -> View[P]:
        @functools.wraps(view)
        def verified_only(
            request: AuthenticatedHttpRequest, /, *args: P.args, **kwargs: P.kwargs
        ) -> HttpResponseBase:
            if (step := _second_factor_redirect(request)) is not None:
                return step
            return view(request, *args, **kwargs)

        return role_required(*roles)(verified_only)

    return decorator
