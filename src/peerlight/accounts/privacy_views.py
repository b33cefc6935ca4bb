"""The privacy centre's pages: home, consents, "Download my data", "Delete my account".

Every page is the signed-in person's own: there is nobody else's data to
reach here, so there is no access helper beyond being signed in.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from peerlight.accounts import consent, privacy
from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required, sudo_required
from peerlight.accounts.models import ConsentDocument, ConsentPurpose, User
from peerlight.audit.actions import record_read
from peerlight.lib.forms import PlainForm


class ConsentDecision(models.TextChoices):
    AGREE = "agree", _("I agree")
    WITHDRAW = "withdraw", _("Withdraw my consent")


class ConsentChoiceForm(PlainForm):
    """One answer on the consents page: agree to a version, or withdraw."""

    purpose = forms.ChoiceField(choices=ConsentPurpose.choices)
    decision = forms.ChoiceField(choices=ConsentDecision.choices)
    version = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = language

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        purpose, decision = cleaned.get("purpose"), cleaned.get("decision")
        if purpose is None or decision is None:
            raise ValidationError(_("Please choose one of the buttons below."), code="missing")
        if decision == ConsentDecision.WITHDRAW and not consent.can_withdraw(purpose):
            raise ValidationError(
                _(
                    "The terms of use and the privacy notice cannot be withdrawn while you "
                    "keep your account. If you no longer agree, you can delete your account."
                ),
                code="required",
            )
        if decision == ConsentDecision.AGREE:
            document = consent.current_document(purpose, self.language)
            if document is None or cleaned.get("version") != document.version:
                raise ValidationError(
                    _("This text has changed since you opened the page. Please read it again."),
                    code="stale",
                )
            cleaned["document"] = document
        return cleaned


LAST_ADMINISTRATOR = _(
    "You are the only administrator. Please give the administrator role to someone else "
    "first, so that the service can still be looked after."
)


class DeleteAccountForm(PlainForm):
    confirm_name = forms.CharField(label=_("Your display name"), max_length=40)

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if privacy.is_last_administrator(self.user):
            raise ValidationError(LAST_ADMINISTRATOR, code="last_administrator")
        return cleaned

    def clean_confirm_name(self) -> str:
        typed = " ".join(str(self.cleaned_data["confirm_name"]).split())
        if typed.casefold() != self.user.display_name.casefold():
            raise ValidationError(
                _("That is not your display name. Nothing has been deleted."), code="mismatch"
            )
        return typed


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


@require_safe
@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "privacy/home.html")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def consents(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = ConsentChoiceForm(data, language=_language())
    if form.is_bound and form.is_valid():
        messages.success(request, _apply_consent_choice(request.user, form.cleaned_data))
        return redirect("privacy:consents")
    context = {
        "form": form,
        "standings": [
            _standing_context(request.user, purpose, _language()) for purpose in ConsentPurpose
        ],
        "history": consent.history(request.user),
        "error_purpose": form.data.get("purpose") if form.is_bound else None,
    }
    return render(request, "privacy/consents.html", context, status=400 if form.is_bound else 200)


def _apply_consent_choice(user: User, choice: dict[str, Any]) -> str:
    if choice["decision"] == ConsentDecision.AGREE:
        document: ConsentDocument = choice["document"]
        consent.grant(user, document)
        return str(_("Thank you. Your answer is saved."))
    if consent.withdraw(user, choice["purpose"]) is None:
        return str(_("You had not agreed to this, so nothing has changed."))
    return str(_("Your consent is withdrawn. This takes effect straight away."))


def _standing_context(user: User, purpose: ConsentPurpose, language: str) -> dict[str, Any]:
    standing = consent.standing(user, purpose, language)
    body = standing.document.body if standing.document else ""
    return {"standing": standing, "blocks": consent.document_blocks(body)}


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        return _download_export(request)
    sections = [reg for reg in privacy.registrations() if reg.export is not None]
    return render(request, "privacy/export.html", {"sections": sections})


@sudo_required
def _download_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    # Recorded first, so the file lists this download too.
    record_read(user, "accounts.data_exported", user, subject=user)
    document = privacy.build_export(user)
    content = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    site = slugify(settings.PEERLIGHT_SITE_NAME) or "peerlight"
    filename = f"{site}-my-data-{timezone.localdate().isoformat()}.json"
    return HttpResponse(
        content,
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@sudo_required
def delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = DeleteAccountForm(request.user, data)
    if form.is_bound and form.is_valid():
        privacy.erase_account(request.user)
        logout(request)
        messages.info(
            request,
            _("Your account and what it held are deleted. Thank you for being part of this."),
        )
        return redirect("home")
    context = {
        "form": form,
        "last_administrator": privacy.is_last_administrator(request.user),
        **_erasure_summary(),
    }
    return render(request, "privacy/delete.html", context, status=400 if form.is_bound else 200)


def _erasure_summary() -> dict[str, Any]:
    """The registrations grouped as the deletion page explains them."""
    by_action: dict[str, list[privacy.Registration]] = {
        action: [] for action in privacy.ErasureAction
    }
    for registration in privacy.registrations():
        by_action[registration.erase.action].append(registration)
    return {
        "erased": by_action[privacy.ErasureAction.DELETE],
        "erased_with_care": by_action[privacy.ErasureAction.CUSTOM],
        "kept": by_action[privacy.ErasureAction.KEEP_PSEUDONYMISED],
    }
