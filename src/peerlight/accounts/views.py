"""Signing up and in, the account page and passwords.

Views are thin: parse the form, check the rate limit, call one action,
render or redirect. Every write is in ``actions.py``. Two-factor pages are in
``two_factor_views.py`` and the staff people pages in ``staff_views.py``; both
use the helpers at the top of this module.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerlight.accounts import actions, consent
from peerlight.accounts.access import find_accounts_for_reset
from peerlight.accounts.forms import (
    ConfirmPasswordForm,
    EmailForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    SetPasswordForm,
    SignupForm,
)
from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    grant_sudo,
    has_confirmed_totp,
    login_required,
    sudo_required,
)
from peerlight.accounts.models import ConsentDocument, ConsentPurpose, User, email_digest
from peerlight.lib import ratelimit
from peerlight.lib.navigation import work_links

form_methods = require_http_methods(["GET", "HEAD", "POST"])

RESET_SESSION_KEY = "_password_reset_token"
# Stands in for the real token in the address bar once it is in the session,
# so the token does not linger in history or reach another page's Referer.
RESET_URL_PLACEHOLDER = "set-password"


def safe_next_url(request: HttpRequest, fallback: str = "accounts:account") -> str:
    """The ``next`` address the request carries if it stays on this site, else ``fallback``."""
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


def too_many_attempts(
    request: HttpRequest, template: str, context: dict[str, Any], limited: ratelimit.RateLimited
) -> HttpResponse:
    """``template`` again with the rate-limit message, status 429 and ``Retry-After``."""
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
            return too_many_attempts(request, "accounts/signup.html", {"form": form}, limited)
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
    next_url = safe_next_url(request, settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None, request=request)
    context = {"form": form, "next": next_url}
    if request.method == "POST":
        try:
            ratelimit.check_login_ip(ratelimit.client_ip(request))
            ratelimit.check_login_account(str(request.POST.get("display_name", "")))
        except ratelimit.RateLimited as limited:
            return too_many_attempts(request, "accounts/login.html", context, limited)
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
        "work_links": work_links(user),
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
    next_url = safe_next_url(request)
    form = ConfirmPasswordForm(request.POST or None, user=request.user)
    context = {"form": form, "next": next_url}
    if request.method == "POST":
        try:
            ratelimit.check_confirm_password(request.user.pk)
        except ratelimit.RateLimited as limited:
            return too_many_attempts(request, "accounts/confirm_password.html", context, limited)
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
            return too_many_attempts(
                request, "accounts/password_change.html", {"form": form}, limited
            )
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
            return too_many_attempts(
                request, "accounts/password_reset.html", {"form": form}, limited
            )
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
