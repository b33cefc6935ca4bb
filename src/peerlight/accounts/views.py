"""Signing up and in, passwords, two-factor, the account page and staff role pages.

Views are thin: parse the form, check the rate limit, call one action,
render or redirect. Every write is in ``actions.py``.
"""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from peerlight.accounts import actions, consent
from peerlight.accounts.access import (
    PEOPLE_VIEWER_ROLES,
    find_accounts_for_reset,
    get_person_for_staff,
    grantable_roles,
    search_people,
)
from peerlight.accounts.forms import (
    GRANTABLE_ROLE_CHOICES,
    ConfirmPasswordForm,
    EmailForm,
    LanguageForm,
    LoginForm,
    OneTimeCodeForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    RoleForm,
    SetPasswordForm,
    SignupForm,
)
from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    grant_sudo,
    has_confirmed_totp,
    is_two_factor_verified,
    login_required,
    role_required,
    staff_required,
    sudo_required,
)
from peerlight.accounts.models import ConsentDocument, ConsentPurpose, User, email_digest
from peerlight.audit.actions import record_read
from peerlight.lib import ratelimit

form_methods = require_http_methods(["GET", "HEAD", "POST"])

PEOPLE_PER_PAGE = 25
RESET_SESSION_KEY = "_password_reset_token"
# Stands in for the real token in the address bar once it is in the session,
# so the token does not linger in history or reach another page's Referer.
RESET_URL_PLACEHOLDER = "set-password"
PENDING_TOTP_SESSION_KEY = "two_factor_pending_key"


def _safe_next(request: HttpRequest, fallback: str = "accounts:account") -> str:
    candidate = str(request.POST.get("next") or request.GET.get("next") or "")
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(fallback)


def _optional_url(name: str) -> str:
    """The URL of ``name``, or "" while the page it names is not built."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _too_many(
    request: HttpRequest, template: str, context: dict[str, Any], limited: ratelimit.RateLimited
) -> HttpResponse:
    response = render(request, template, {**context, "limited": limited.message()}, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response


def _remember_language(response: HttpResponseBase, language: str) -> HttpResponseBase:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _sign_in(request: HttpRequest, user: User, next_url: str) -> HttpResponseBase:
    # Django rotates the session key on log-in; the password was just typed,
    # so sensitive changes need no second check for a while.
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    grant_sudo(request)
    return _remember_language(redirect(next_url), user.language)


# --- Signing up, in and out -------------------------------------------------


def _sign_up_documents(language: str) -> dict[str, ConsentDocument] | None:
    """The texts to agree to at sign-up, or None while any is unpublished."""
    documents = {
        purpose: consent.current_document(purpose, language)
        for purpose in consent.REQUIRED_AT_SIGN_UP
    }
    if any(document is None for document in documents.values()):
        return None
    return {purpose: document for purpose, document in documents.items() if document}


@form_methods
@sensitive_post_parameters("password", "password_again")
def signup(request: HttpRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        return redirect("accounts:account")
    documents = _sign_up_documents(get_language())
    if documents is None:
        return render(request, "accounts/signup_closed.html", status=503)
    form = SignupForm(
        request.POST or None,
        initial={"language": get_language()},
        terms=documents[ConsentPurpose.TERMS],
        privacy=documents[ConsentPurpose.PRIVACY],
        terms_url=reverse("accounts:document", args=[ConsentPurpose.TERMS]),
        privacy_url=reverse("accounts:document", args=[ConsentPurpose.PRIVACY]),
    )
    if request.method == "POST" and form.is_valid():
        try:
            # Only accounts actually about to be made count towards the limit.
            ratelimit.check_signup_ip(ratelimit.client_ip(request))
            user = actions.create_account(documents=documents.values(), **form.account_fields())
        except ratelimit.RateLimited as limited:
            return _too_many(request, "accounts/signup.html", {"form": form}, limited)
        except actions.DisplayNameTakenError:
            form.add_error("display_name", _("Someone already uses this name."))
        else:
            return _sign_in(request, user, resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/signup.html", {"form": form})


@require_safe
def consent_document(request: HttpRequest, purpose: str) -> HttpResponse:
    if purpose not in ConsentPurpose.values:
        raise Http404
    document = consent.current_document(purpose, get_language())
    if document is None:
        raise Http404
    blocks = consent.document_blocks(document.body)
    return render(request, "accounts/document.html", {"document": document, "blocks": blocks})


@form_methods
@sensitive_post_parameters("password")
def login(request: HttpRequest) -> HttpResponseBase:
    next_url = _safe_next(request, settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None, request=request)
    context = {"form": form, "next": next_url}
    if request.method == "POST":
        try:
            ratelimit.check_login_ip(ratelimit.client_ip(request))
            ratelimit.check_login_account(str(request.POST.get("display_name", "")))
        except ratelimit.RateLimited as limited:
            return _too_many(request, "accounts/login.html", context, limited)
        if form.is_valid() and form.user is not None:
            return _sign_in(request, form.user, next_url)
    return render(request, "accounts/login.html", context)


@require_POST
def logout(request: HttpRequest) -> HttpResponseBase:
    """Sign out on every device: a phone left somewhere is signed out too."""
    if isinstance(request.user, User):
        actions.end_all_sessions(request.user, actor=request.user)
    auth_logout(request)
    messages.info(request, _("You are signed out on every device."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- The account page -------------------------------------------------------


@require_safe
@login_required
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "language_form": LanguageForm(initial={"language": user.language}),
        "privacy_url": _optional_url("privacy:home"),
        "two_factor_on": user.is_staff_role and has_confirmed_totp(user),
    }
    return render(request, "accounts/account.html", context)


@form_methods
@sudo_required
def change_email(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = EmailForm(request.POST or None, initial={"email": request.user.email})
    if request.method == "POST" and form.is_valid():
        actions.set_email(request.user, form.cleaned_data["email"])
        messages.success(request, _("Your e-mail address is saved."))
        return redirect("accounts:account")
    return render(request, "accounts/email.html", {"form": form})


@require_POST
@login_required
def change_language(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/account.html", {"language_form": form}, status=400)
    actions.set_language(request.user, form.cleaned_data["language"])
    return _remember_language(redirect("accounts:account"), request.user.language)


@form_methods
@login_required
@sensitive_post_parameters("password")
def confirm_password(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    next_url = _safe_next(request)
    form = ConfirmPasswordForm(request.POST or None, user=request.user)
    context = {"form": form, "next": next_url}
    if request.method == "POST":
        try:
            ratelimit.check_confirm_password(request.user.pk)
        except ratelimit.RateLimited as limited:
            return _too_many(request, "accounts/confirm_password.html", context, limited)
        if form.is_valid():
            grant_sudo(request)
            return redirect(next_url)
    return render(request, "accounts/confirm_password.html", context)


# --- Passwords ---------------------------------------------------------------


@form_methods
@login_required
@sensitive_post_parameters("current_password", "new_password", "new_password_again")
def change_password(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = PasswordChangeForm(request.POST or None, user=request.user)
    if request.method == "POST":
        try:
            ratelimit.check_confirm_password(request.user.pk)
        except ratelimit.RateLimited as limited:
            return _too_many(request, "accounts/password_change.html", {"form": form}, limited)
        if form.is_valid():
            actions.change_password(request.user, form.cleaned_data["new_password"])
            # Every other session has ended; this one carries on.
            update_session_auth_hash(request, request.user)
            grant_sudo(request)
            messages.success(
                request, _("Your password is changed. Other devices have been signed out.")
            )
            return redirect("accounts:account")
    return render(request, "accounts/password_change.html", {"form": form})


@form_methods
def password_reset(request: HttpRequest) -> HttpResponseBase:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            ratelimit.check_password_reset_ip(ratelimit.client_ip(request))
            ratelimit.check_password_reset_address(email_digest(email))
        except ratelimit.RateLimited as limited:
            return _too_many(request, "accounts/password_reset.html", {"form": form}, limited)
        actions.request_password_reset(find_accounts_for_reset(email))
        return redirect("accounts:password-reset-sent")
    return render(request, "accounts/password_reset.html", {"form": form})


@require_safe
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


def _reset_account(uidb64: str) -> User | None:
    try:
        user_id = int(force_str(urlsafe_base64_decode(uidb64)))
    except ValueError:
        return None
    return User.objects.filter(pk=user_id, is_active=True, is_guest=False).first()


@form_methods
@sensitive_post_parameters("new_password", "new_password_again")
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponseBase:
    user = _reset_account(uidb64)
    if token != RESET_URL_PLACEHOLDER:
        if user is not None and default_token_generator.check_token(user, token):
            request.session[RESET_SESSION_KEY] = token
            return redirect("accounts:password-reset-confirm", uidb64, RESET_URL_PLACEHOLDER)
        user = None
    saved_token = str(request.session.get(RESET_SESSION_KEY, ""))
    if user is None or not default_token_generator.check_token(user, saved_token):
        return render(request, "accounts/password_reset_confirm.html", {"form": None})
    form = SetPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        actions.reset_password(user, form.cleaned_data["new_password"])
        del request.session[RESET_SESSION_KEY]
        messages.success(request, _("Your password is changed. You can sign in with it now."))
        return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


# --- Two-factor ----------------------------------------------------------------


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
            return _too_many(request, "accounts/two_factor_setup.html", context, limited)
        device = actions.enable_two_factor(user, key, form.cleaned_data["code"])
        if device is not None:
            del request.session[PENDING_TOTP_SESSION_KEY]
            otp_login(request, device)
            messages.success(request, _("Two-step sign-in is on."))
            return redirect(_safe_next(request))
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
    next_url = _safe_next(request)
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
            return _too_many(request, "accounts/two_factor_verify.html", context, limited)
        device = actions.verify_two_factor(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(next_url)
        form.add_error("code", _("That code did not work. Please wait for a new one and try it."))
    return render(request, "accounts/two_factor_verify.html", context)


# --- Staff: people and roles --------------------------------------------------


@require_safe
@staff_required(*PEOPLE_VIEWER_ROLES)
def staff_people(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = str(request.GET.get("q", ""))[:40]
    people = search_people(request.user, query)
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "staff/people.html", {"page": page, "query": query})


def _render_person(
    request: AuthenticatedHttpRequest,
    person: User,
    *,
    grant_form: RoleForm | None = None,
    revoke_error: str = "",
    status: int = 200,
) -> HttpResponse:
    record_read(request.user, "account.view", person, subject=person)
    held = {grant.role for grant in getattr(person, "active_grants", [])}
    grantable = grantable_roles(request.user)
    context = {
        "person": person,
        "grants": getattr(person, "active_grants", []),
        "revocable": grantable & held,
        "grant_choices": [
            (value, label) for value, label in GRANTABLE_ROLE_CHOICES if value in grantable - held
        ],
        "grant_form": grant_form or RoleForm(),
        "revoke_error": revoke_error,
    }
    return render(request, "staff/person.html", context, status=status)


@require_safe
@staff_required(*PEOPLE_VIEWER_ROLES)
def staff_person(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = get_person_for_staff(request.user, person_id)
    return _render_person(request, person)


@require_POST
@staff_required(*PEOPLE_VIEWER_ROLES)
@sudo_required
def staff_grant_role(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponseBase:
    person = get_person_for_staff(request.user, person_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            actions.grant_role(request.user, person, form.cleaned_data["role"])
        except ValidationError as error:
            form.add_error("role", error)
        else:
            messages.success(request, _("The role is given."))
            return redirect("accounts:staff-person", person.pk)
    return _render_person(request, person, grant_form=form, status=400)


@require_POST
@staff_required(*PEOPLE_VIEWER_ROLES)
@sudo_required
def staff_revoke_role(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponseBase:
    person = get_person_for_staff(request.user, person_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            actions.revoke_role(request.user, person, form.cleaned_data["role"])
        except ValidationError as error:
            return _render_person(
                request, person, revoke_error=" ".join(error.messages), status=400
            )
        messages.success(request, _("The role is taken away."))
        return redirect("accounts:staff-person", person.pk)
    return _render_person(request, person, revoke_error=_("Please choose a role."), status=400)
