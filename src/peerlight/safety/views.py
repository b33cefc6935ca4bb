"""The coordinators' report queue: the list, one report, and closing it.

The list shows who reported whom, why and from where, never what was said;
opening a report shows what the reporter wrote, and that read is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, staff_required
from peerlight.audit.actions import record_read
from peerlight.safety import actions
from peerlight.safety.access import REPORT_VIEWER_ROLES, get_report_for_staff, reports_for_staff

REPORTS_PER_PAGE = 25


@require_safe
@staff_required(*REPORT_VIEWER_ROLES)
def reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    queue = reports_for_staff(request.user)
    page = Paginator(queue, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "safety/reports.html", {"page": page})


@require_safe
@staff_required(*REPORT_VIEWER_ROLES)
def report(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    found = get_report_for_staff(request.user, report_id)
    record_read(request.user, "safety.report.view", found, subject=found.reported)
    return render(request, "safety/report.html", {"report": found})


@require_POST
@staff_required(*REPORT_VIEWER_ROLES)
def close_report(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponseBase:
    found = get_report_for_staff(request.user, report_id)
    if actions.close_report(request.user, found):
        messages.success(request, _("The report is closed."))
    else:
        messages.info(request, _("This report was already closed."))
    return redirect("safety:reports")
