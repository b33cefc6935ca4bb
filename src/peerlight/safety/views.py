"""The coordinators' report queue and moderation, and the page a paused person sees.

The list shows who reported whom, why and from where, never what was said;
opening a report shows what the reporter wrote, and that read is audited.
Moderation (note, warn, mute, suspend, ban, lift) is done from a report or
from a person's moderation page; each form needs a reason.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, staff_required
from peerlight.accounts.models import User
from peerlight.accounts.views import safe_next_url
from peerlight.audit.actions import record_read
from peerlight.safety import actions, moderation
from peerlight.safety.access import (
    REPORT_VIEWER_ROLES,
    describe_source,
    get_action_for_staff,
    get_person_for_staff,
    get_report_for_staff,
    is_protected,
    moderation_history_for_staff,
    reports_for_staff,
    source_choices,
)
from peerlight.safety.actions import SafetyError
from peerlight.safety.models import ModerationAction, Report
from peerlight.safety.moderation_middleware import SUSPENDED_INDEFINITELY, SUSPENDED_SESSION_KEY

REPORTS_PER_PAGE = 25
GROOMING_CODE_LABELS = {
    "contact": gettext_lazy("Asking for contact details or to talk elsewhere"),
    "age": gettext_lazy("Asking their age"),
    "photos": gettext_lazy("Asking for photos or video"),
    "meet": gettext_lazy("Asking to meet offline"),
    "secrecy": gettext_lazy("Asking to keep secrets"),
    "gifts": gettext_lazy("Offering gifts or money"),
}


class ActionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=ModerationAction.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Please choose an action."),
            "invalid_choice": gettext_lazy("Please choose an action."),
        },
    )
    until = forms.DateTimeField(
        label=gettext_lazy("Until (for a mute or a suspension)"),
        required=False,
        help_text=gettext_lazy(
            "Leave empty to mute until you lift it. A suspension needs a date."
        ),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        error_messages={"invalid": gettext_lazy("Please enter a date and time.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (only coordinators see it)"),
        max_length=moderation.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Please write the reason.")},
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for lifting"),
        max_length=moderation.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Please write the reason.")},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("What was done"),
        choices=Report.Outcome.choices,
        error_messages={"invalid_choice": gettext_lazy("Please choose what was done.")},
    )


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any")), *Report.Status.choices],
    )
    source = forms.ChoiceField(label=gettext_lazy("Where"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["source"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Anywhere")), *source_choices()]


@require_safe
@staff_required(*REPORT_VIEWER_ROLES)
def reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = FilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    queue = reports_for_staff(
        request.user, status=chosen.get("status", ""), source=chosen.get("source", "")
    )
    page = Paginator(queue, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(item, describe_source(item.source, item.source_id)) for item in page.object_list]
    query = urlencode({key: value for key, value in chosen.items() if value})
    return render(
        request,
        "safety/reports.html",
        {"page": page, "rows": rows, "filters": filters, "query": query},
        status=200 if filters.is_valid() else 400,
    )


def _person_context(viewer: User, person: User | None) -> dict[str, object]:
    if person is None:
        return {"person": None, "history": []}
    return {
        "person": person,
        "history": list(moderation_history_for_staff(viewer, int(person.pk))),
        "protected": is_protected(person),
    }


def _report_page(
    request: AuthenticatedHttpRequest,
    found: Report,
    *,
    action_form: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "report": found,
        "origin": describe_source(found.source, found.source_id),
        "codes": [GROOMING_CODE_LABELS.get(code, code) for code in found.reason_codes],
        "action_form": action_form or ActionForm(),
        "lift_form": LiftForm(),
        "close_form": CloseForm(initial={"outcome": actions.outcome_of_actions(found)}),
        "here": request.path,
        **_person_context(request.user, found.reported),
    }
    return render(request, "safety/report.html", context, status=status)


@require_safe
@staff_required(*REPORT_VIEWER_ROLES)
def report(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    found = get_report_for_staff(request.user, report_id)
    record_read(request.user, "safety.report.view", found, subject=found.reported)
    return _report_page(request, found)


@require_POST
@staff_required(*REPORT_VIEWER_ROLES)
def close_report(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponseBase:
    found = get_report_for_staff(request.user, report_id)
    form = CloseForm(request.POST)
    outcome = form.cleaned_data["outcome"] if form.is_valid() else ""
    if "outcome" in request.POST and not form.is_valid():
        messages.error(request, _("Please choose what was done."))
        return redirect("safety:report", report_id=found.pk)
    if actions.close_report(request.user, found, outcome=outcome):
        messages.success(request, _("The report is closed."))
    else:
        messages.info(request, _("This report was already closed."))
    return redirect("safety:reports")


def _act(
    request: AuthenticatedHttpRequest, person: User, found: Report | None
) -> ActionForm | None:
    """Take the posted action; the bound form with its errors when refused, else None."""
    form = ActionForm(request.POST)
    if form.is_valid():
        until: datetime | None = form.cleaned_data["until"]
        try:
            moderation.take_action(
                request.user,
                person,
                form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
                until=until,
                report=found,
            )
        except SafetyError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Done. The action is in force now."))
            return None
    return form


@require_POST
@staff_required(*REPORT_VIEWER_ROLES)
def act_on_report(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponseBase:
    found = get_report_for_staff(request.user, report_id)
    if found.reported is None:
        messages.error(request, _("This report names no one to act on."))
        return redirect("safety:report", report_id=found.pk)
    refused = _act(request, found.reported, found)
    if refused is not None:
        return _report_page(request, found, action_form=refused, status=400)
    return redirect("safety:report", report_id=found.pk)


def _person_page(
    request: AuthenticatedHttpRequest,
    person: User,
    *,
    action_form: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "action_form": action_form or ActionForm(),
        "lift_form": LiftForm(),
        "here": request.path,
        **_person_context(request.user, person),
    }
    return render(request, "safety/moderation/person.html", context, status=status)


@require_safe
@staff_required(*REPORT_VIEWER_ROLES)
def person(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    found = get_person_for_staff(request.user, person_id)
    record_read(request.user, "safety.moderation.view", found, subject=found)
    return _person_page(request, found)


@require_POST
@staff_required(*REPORT_VIEWER_ROLES)
def act_on_person(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponseBase:
    found = get_person_for_staff(request.user, person_id)
    refused = _act(request, found, None)
    if refused is not None:
        return _person_page(request, found, action_form=refused, status=400)
    return redirect("safety:person", person_id=found.pk)


@require_POST
@staff_required(*REPORT_VIEWER_ROLES)
def lift(request: AuthenticatedHttpRequest, action_id: int) -> HttpResponseBase:
    found = get_action_for_staff(request.user, action_id)
    form = LiftForm(request.POST)
    back = safe_next_url(
        request,
        reverse("safety:person", args=[found.subject_id])
        if found.subject_id
        else "safety:reports",
    )
    if not form.is_valid():
        messages.error(request, _("Please write the reason for lifting it."))
    else:
        try:
            lifted = moderation.lift_action(
                request.user, found, reason=form.cleaned_data["reason"]
            )
        except SafetyError as refused:
            messages.error(request, refused.message)
        else:
            if lifted:
                messages.success(request, _("Lifted. It no longer has any effect."))
            else:
                messages.info(request, _("This was already lifted."))
    return redirect(back)


@require_safe
def suspended(request: HttpRequest) -> HttpResponse:
    """What a paused person sees after being signed out: until when, and how to appeal."""
    until_value = str(request.session.get(SUSPENDED_SESSION_KEY, ""))
    until = None
    if until_value and until_value != SUSPENDED_INDEFINITELY:
        try:
            until = datetime.fromisoformat(until_value)
        except ValueError:
            until = None
    contact = settings.PEERLIGHT_APPEALS_CONTACT or settings.DEFAULT_FROM_EMAIL
    return render(
        request,
        "safety/moderation/suspended.html",
        {
            "known": bool(until_value),
            "until": until,
            "indefinite": until_value == SUSPENDED_INDEFINITELY,
            "appeals_contact": contact,
        },
    )
