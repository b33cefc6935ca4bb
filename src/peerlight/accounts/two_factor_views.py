"""Two-step sign-in for staff: setting up an authenticator app, and entering its codes.

Staff roles reach their pages only after the second step (see ``guards``);
the secret key waits in the session until the first code proves the app holds
it, so an abandoned set-up leaves no device behind.
"""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.http import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from peerlight.accounts import actions
from peerlight.accounts.forms import OneTimeCodeForm
from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    has_confirmed_totp,
    is_two_factor_verified,
    role_required,
    sudo_required,
)
from peerlight.accounts.models import User
from peerlight.accounts.views import form_methods, safe_next_url, too_many_attempts
from peerlight.lib import ratelimit

PENDING_TOTP_SESSION_KEY = "two_factor_pending_key"


def _qr_code_svg(device_url: str) -> SafeString:
    """The set-up address as an inline SVG QR code, drawn here, not by a service.

    The SVG comes from the qrcode library with presentation attributes only
    (no ``style``), which the content security policy allows.
    """
    image = qrcode.make(device_url, image_factory=qrcode.image.svg.SvgPathFillImage)
    # Library output, not interpolated text: the address is encoded in the
    # path's geometry, never written into the markup.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@form_methods
@role_required()
@sudo_required
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    user = request.user
    if has_confirmed_totp(user):
        if not is_two_factor_verified(request):
            return redirect(f"{reverse('accounts:two-factor-verify')}?{request.GET.urlencode()}")
        return render(request, "accounts/two_factor_on.html")
    key = str(request.session.get(PENDING_TOTP_SESSION_KEY) or random_hex(20))
    request.session[PENDING_TOTP_SESSION_KEY] = key
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check_two_factor(user.pk)
        except ratelimit.RateLimited as limited:
            context = _setup_context(user, key, form)
            return too_many_attempts(request, "accounts/two_factor_setup.html", context, limited)
        device = actions.enable_two_factor(user, key, form.cleaned_data["code"])
        if device is not None:
            del request.session[PENDING_TOTP_SESSION_KEY]
            otp_login(request, device)
            messages.success(request, _("Two-step sign-in is on."))
            return redirect(safe_next_url(request))
        form.add_error("code", _("That code did not match. Please try the newest code."))
    return render(request, "accounts/two_factor_setup.html", _setup_context(user, key, form))


def _setup_context(user: User, key: str, form: OneTimeCodeForm) -> dict[str, Any]:
    # An unsaved device gives the standard otpauth:// address for the key.
    device = TOTPDevice(user=user, key=key)
    secret = base64.b32encode(bytes.fromhex(key)).decode("ascii").rstrip("=")
    return {"form": form, "qr_code": _qr_code_svg(device.config_url), "secret": _grouped(secret)}


@form_methods
@role_required()
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    next_url = safe_next_url(request)
    if not has_confirmed_totp(request.user):
        return redirect(f"{reverse('accounts:two-factor-setup')}?{request.GET.urlencode()}")
    if is_two_factor_verified(request):
        return redirect(next_url)
    form = OneTimeCodeForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check_two_factor(request.user.pk)
        except ratelimit.RateLimited as limited:
            return too_many_attempts(request, "accounts/two_factor_verify.html", context, limited)
        device = actions.verify_two_factor(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(next_url)
        form.add_error("code", _("That code did not work. Please wait for a new one and try it."))
    return render(request, "accounts/two_factor_verify.html", context)
