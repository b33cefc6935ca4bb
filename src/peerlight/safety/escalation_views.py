"""The escalation console for coordinators: open cases, one case, its steps, the rota.

The console and the banner refresh themselves from the database (htmx asks
for the fragment every 2 s; without JavaScript a meta refresh does it): the
dispatcher runs in the worker process, whose channel layer may not reach
this one. Opening a case is audited; every change goes through
``escalations`` (audited there).
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, staff_required
from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.accounts.views import form_methods
from peerlight.audit.actions import record_read
from peerlight.safety import escalations
from peerlight.safety.escalation_models import Escalation, OnCallShift
from peerlight.safety.reasons import describe_reasons

CONSOLE = "safety:escalations:console"


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("How did it end?"),
        choices=Escalation.Outcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional, kept encrypted)"),
        required=False,
        max_length=escalations.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ShiftForm(forms.Form):
    coordinator = forms.ModelChoiceField(
        label=gettext_lazy("Coordinator"), queryset=User.objects.none()
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    order = forms.IntegerField(
        label=gettext_lazy("Order"),
        help_text=gettext_lazy("0 is asked first, 1 next if 0 does not answer in time."),
        min_value=0,
        max_value=20,
        initial=0,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["coordinator"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            is_active=True,
            pk__in=RoleGrant.objects.filter(role=Role.COORDINATOR, revoked_at__isnull=True).values(
                "user_id"
            ),
        ).order_by("display_name")


def _case_rows(cases: list[Escalation], now: datetime) -> list[dict[str, object]]:
    return [
        {
            "case": case,
            "age_minutes": int((now - case.created_at).total_seconds() // 60),
            "reasons": describe_reasons(case.reasons),
        }
        for case in cases
    ]


@require_safe
@staff_required(*escalations.RESPONDER_ROLES)
def console(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open cases first, oldest at the top; htmx gets the fragment alone."""
    now = timezone.now()
    context = {
        "open_rows": _case_rows(escalations.open_cases(request.user), now),
        "resolved": escalations.recent_resolved(request.user),
        "on_call": escalations.on_call(now),
    }
    if request.htmx:
        return render(request, "safety/escalations/console.html#cases", context)
    return render(request, "safety/escalations/console.html", context)


@require_safe
@staff_required(*escalations.RESPONDER_ROLES)
def detail(request: AuthenticatedHttpRequest, escalation_id: int) -> HttpResponse:
    return _detail(request, escalation_id)


def _detail(
    request: AuthenticatedHttpRequest,
    escalation_id: int,
    form: ResolveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    case = escalations.get_escalation_for_staff(request.user, escalation_id)
    record_read(request.user, "safety.escalation.view", case, subject=case.person)
    context = {
        "case": case,
        "reasons": describe_reasons(case.reasons),
        "events": case.events.select_related("actor", "recipient"),
        "resolve_form": form or ResolveForm(),
    }
    return render(request, "safety/escalations/detail.html", context, status=status)


@require_POST
@staff_required(*escalations.RESPONDER_ROLES)
def acknowledge(request: AuthenticatedHttpRequest, escalation_id: int) -> HttpResponseBase:
    return _step(request, escalation_id, escalations.acknowledge, _("You have this case now."))


@require_POST
@staff_required(*escalations.RESPONDER_ROLES)
def start(request: AuthenticatedHttpRequest, escalation_id: int) -> HttpResponseBase:
    return _step(request, escalation_id, escalations.start_work, _("Marked as in progress."))


def _step(
    request: AuthenticatedHttpRequest,
    escalation_id: int,
    action: escalations.StepAction,
    done: str,
) -> HttpResponseBase:
    case = escalations.get_escalation_for_staff(request.user, escalation_id)
    try:
        action(request.user, int(case.pk))
    except escalations.EscalationError as refused:
        messages.error(request, refused.message)
        return _detail(request, int(case.pk), status=409)
    messages.success(request, done)
    return redirect("safety:escalations:detail", escalation_id=case.pk)


@require_POST
@staff_required(*escalations.RESPONDER_ROLES)
def resolve(request: AuthenticatedHttpRequest, escalation_id: int) -> HttpResponseBase:
    case = escalations.get_escalation_for_staff(request.user, escalation_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _detail(request, int(case.pk), form, status=400)
    try:
        escalations.resolve(
            request.user,
            int(case.pk),
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
    except escalations.EscalationError as refused:
        form.add_error(None, refused.message)
        return _detail(request, int(case.pk), form, status=409)
    messages.success(request, _("The case is resolved. Thank you."))
    return redirect(CONSOLE)


@require_safe
@staff_required(*escalations.RESPONDER_ROLES)
def banner(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The banner fragment alone, for the poller on every coordinator's page."""
    cases = escalations.banner_cases(request.user)
    return render(
        request, "safety/_escalation_banner.html", {"escalation_banner": {"cases": cases}}
    )


def _rota_page(
    request: AuthenticatedHttpRequest, form: ShiftForm, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    shifts = (
        OnCallShift.objects.filter(ends_at__gt=now)
        .select_related("coordinator")
        .order_by("starts_at", "order", "pk")
    )
    context = {"shifts": shifts, "form": form, "now": now}
    return render(request, "safety/escalations/rota.html", context, status=status)


@form_methods
@staff_required(*escalations.RESPONDER_ROLES)
def rota(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Who is on call, and a form to add a shift."""
    if request.method != "POST":
        return _rota_page(request, ShiftForm())
    form = ShiftForm(request.POST)
    if not form.is_valid():
        return _rota_page(request, form, status=400)
    try:
        escalations.add_shift(
            request.user,
            form.cleaned_data["coordinator"],
            form.cleaned_data["starts_at"],
            form.cleaned_data["ends_at"],
            form.cleaned_data["order"],
        )
    except escalations.EscalationError as refused:
        form.add_error(None, refused.message)
        return _rota_page(request, form, status=400)
    messages.success(request, _("The shift is on the rota."))
    return redirect("safety:escalations:rota")


@require_POST
@staff_required(*escalations.RESPONDER_ROLES)
def remove_shift(request: AuthenticatedHttpRequest, shift_id: int) -> HttpResponseBase:
    if escalations.remove_shift(request.user, shift_id):
        messages.success(request, _("The shift is off the rota."))
    else:
        messages.info(request, _("That shift was already gone."))
    return redirect("safety:escalations:rota")
