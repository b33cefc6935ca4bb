"""Referral pages: sharing a service from a chat, the member's follow-up, the coordinators' report.

Thin views over ``directory.referrals`` (reads with the permission check,
and the writes).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required, staff_required
from peerlight.accounts.models import Role
from peerlight.accounts.views import form_methods
from peerlight.chat.models import Conversation
from peerlight.directory import presenters, referrals, search
from peerlight.directory.models import Phone, Referral, Service
from peerlight.directory.referral_forms import (
    AnswerForm,
    ReportPeriodForm,
    ShareForm,
    ShareSearchForm,
)

REPORT_ROLES = (Role.COORDINATOR,)


def _results(
    request: AuthenticatedHttpRequest, form: ShareSearchForm
) -> tuple[list[dict[str, Any]], search.Results]:
    """The active services the search found, in its order, with their distance; and the search."""
    found = search.search(form.query())
    services = Service.objects.filter(
        id__in=[hit.service_id for hit in found.hits], status=Service.Status.ACTIVE
    ).select_related("organization")
    services = services.prefetch_related(
        Prefetch("phones", queryset=Phone.objects.order_by("number"))
    )
    by_id = {service.id: service for service in services}
    miles = presenters.uses_miles(request.headers.get("Accept-Language", ""), get_language())
    rows = [
        {
            "service": by_id[hit.service_id],
            "page": referrals.service_path(hit.service_id),
            "distance": presenters.distance_text(hit.distance_km, miles=miles),
        }
        for hit in found.hits
        if hit.service_id in by_id
    ]
    return rows, found


def _share_page(
    request: AuthenticatedHttpRequest,
    chat: Conversation,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    form = ShareSearchForm(request.GET or None)
    results: list[dict[str, Any]] = []
    found = search.Results()
    if form.is_bound and form.is_valid():
        results, found = _results(request, form)
    if form.is_bound and not form.is_valid():
        status = 400
    context = {
        "conversation": chat,
        "form": form,
        "results": results,
        "total": found.total,
        "total_exact": found.total_exact,
        "searched": form.is_bound and form.is_valid(),
        "error": error,
        "follow_up_days": settings.PEERLIGHT_REFERRAL_FOLLOW_UP_DAYS,
    }
    return render(request, "directory/referrals/share.html", context, status=status)


@form_methods
@login_required
def share(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponseBase:
    """Search the directory from a chat (GET) and share a service into it (POST)."""
    chat = referrals.share_seat(request.user, conversation_id)
    if request.method != "POST":
        return _share_page(request, chat)
    form = ShareForm(request.POST)
    service = (
        referrals.shareable_service(form.cleaned_data["service"]) if form.is_valid() else None
    )
    if service is None:
        return _share_page(
            request, chat, error=_("This service cannot be shared right now."), status=400
        )
    try:
        shared = referrals.share_service(request.user, chat, service)
    except referrals.ReferralError as refused:
        if request.htmx:
            # htmx swaps only a 2xx answer: the button comes back with the reason.
            return _share_button(request, chat, service, error=refused.message)
        return _share_page(request, chat, error=refused.message, status=400)
    notice = (
        _("Shared in the chat.")
        if shared.card_posted
        else _("You shared this service in this chat already.")
    )
    if request.htmx:
        return _share_button(request, chat, service, notice=notice)
    flash.success(request, notice)
    return redirect(reverse("chat:conversation", args=[chat.pk]) + "#latest")


def _share_button(
    request: AuthenticatedHttpRequest,
    chat: Conversation,
    service: Service,
    *,
    notice: str = "",
    error: str = "",
) -> HttpResponse:
    context = {"conversation": chat, "service": service, "notice": notice, "error": error}
    return render(request, "directory/_share_button.html", context)


@require_safe
@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's referrals: "How did it go?" for each open one, and the answers given."""
    return _index_page(request)


def _index_page(
    request: AuthenticatedHttpRequest,
    *,
    invalid: tuple[int, AnswerForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    items = []
    for referral in referrals.referrals_of(request.user):
        form = _answer_form(referral)
        if invalid is not None and invalid[0] == referral.pk:
            form = invalid[1]
        items.append(
            {
                "referral": referral,
                "form": form,
                "page": referrals.service_path(referral.service_id),
            }
        )
    context = {"items": items, "failed": invalid is not None}
    return render(request, "directory/referrals/index.html", context, status=status)


@require_POST
@login_required
def answer(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponseBase:
    """Record how it went (or "later", or "don't ask again") for one of the member's referrals."""
    referral = referrals.referral_for_member(request.user, referral_id)
    form = _answer_form(referral, request.POST)
    if form.is_valid():
        try:
            saved = referrals.answer_referral(request.user, referral, form.cleaned_data["answer"])
        except referrals.ReferralError as refused:
            form.add_error(None, refused.message)
        else:
            flash.success(request, _thanks(saved))
            return redirect("directory:referral_index")
    return _index_page(request, invalid=(int(referral.pk), form), status=400)


def _answer_form(referral: Referral, data: Any = None) -> AnswerForm:
    return AnswerForm(
        data,
        initial={"answer": referral.outcome} if referral.outcome else None,
        referral_id=int(referral.pk),
        service_name=referral.service.name,
        outcomes_only=bool(referral.outcome),
    )


def _thanks(referral: Referral) -> str:
    if referral.outcome:
        return _("Thank you for telling us. It helps us point people to services that answer.")
    if referral.outcome_at is not None:
        return _("We will not ask about this again.")
    return _("We will ask again in a few days.")


@require_safe
@staff_required(*REPORT_ROLES)
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Outcomes per service, with the services people often cannot reach flagged first."""
    form = ReportPeriodForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
        form = ReportPeriodForm({"period": "365"})
        form.is_valid()
    elif not form.is_bound:
        form = ReportPeriodForm({"period": "365"})
        form.is_valid()
    rows = referrals.outcome_report(form.since())
    context = {
        "form": form,
        "rows": rows,
        "outcomes": Referral.Outcome.choices,
        "min_answers": referrals.FLAG_MIN_ANSWERS,
        "flag_percent": round(referrals.FLAG_UNREACHABLE_SHARE * 100),
        "bad_period": status == 400,
    }
    return render(request, "directory/referrals/report.html", context, status=status)
