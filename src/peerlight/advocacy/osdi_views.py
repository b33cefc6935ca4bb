"""The OSDI export for coordinators: a page that says what it holds, and the download.

Coordinators only, past their second factor; everyone else gets a 404 (the
staff area is not revealed). Every download is an audited read.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, staff_required
from peerlight.accounts.models import Role
from peerlight.advocacy import osdi
from peerlight.audit.actions import record_read


@require_safe
@staff_required(Role.COORDINATOR)
def export_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What the export holds and leaves out, and the button to download it."""
    return render(request, "advocacy/export/osdi.html")


@require_safe
@staff_required(Role.COORDINATOR)
def export_osdi(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The OSDI-shaped JSON document, as a file to save; the read is audited first."""
    record_read(request.user, osdi.AUDIT_VERB, osdi.AUDIT_TARGET)
    document = osdi.build_export()
    response = HttpResponse(
        osdi.dumps(document), content_type="application/hal+json; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="advocacy-osdi-{stamp}.json"'
    response["Cache-Control"] = "no-store, private"
    return response


urlpatterns = [
    path("export/", export_page, name="export"),
    path("export/osdi.json", export_osdi, name="export_osdi"),
]
