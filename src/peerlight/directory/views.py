"""The directory's pages: search, a service, peer notes, reports and curation.

Thin views: parse the input, read through ``access``, write through
``actions``, put rows in words with ``presenters``. The search and the
service pages are public (visitors read the directory); peer supporters add
notes; anyone reports outdated information; coordinators curate.
"""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, role_required, staff_required
from peerlight.accounts.models import User
from peerlight.accounts.views import form_methods, safe_next_url, too_many_attempts
from peerlight.directory import access, actions, presenters, search
from peerlight.directory.forms import (
    HoursForm,
    InfoReportForm,
    PeerNoteForm,
    PhoneFormSet,
    ReportDecisionForm,
    ReviewNoteForm,
    SearchForm,
    ServiceForm,
    page_number,
)
from peerlight.directory.models import InfoReport
from peerlight.lib import ratelimit

RESULTS_PER_PAGE = 20
QUEUE_PER_PAGE = 25
CURATORS = access.CURATOR_ROLES


def _signed_in(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


# --- Search -----------------------------------------------------------------------------


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    """The search form and, once it holds no mistakes, one page of ranked results."""
    categories, languages = access.search_choices()
    miles = presenters.uses_miles(request.headers.get("Accept-Language", ""), get_language())
    form = SearchForm(request.GET or None, miles=miles, categories=categories, languages=languages)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and not form.is_valid():
        return render(request, "directory/search.html", context, status=400)
    if not form.is_bound:
        form = SearchForm({}, miles=miles, categories=categories, languages=languages)
        form.is_valid()
        context["form"] = form
    now = timezone.now()
    query = form.query(
        page=page_number(request.GET.get("page")), per_page=RESULTS_PER_PAGE, open_at=now
    )
    results = search.search(query)
    services = access.services_for_cards([hit.service_id for hit in results.hits])
    distances = {hit.service_id: hit.distance_km for hit in results.hits}
    context.update(
        cards=[
            presenters.service_card(service, distances.get(service.id), at=now, miles=miles)
            for service in services
        ],
        results=results,
        searched=form.has_criteria(),
        paging=_paging(request, results),
    )
    return render(request, "directory/search.html", context)


def _paging(request: HttpRequest, results: search.Results) -> dict[str, Any]:
    pages = max(1, math.ceil(results.total / results.per_page)) if results.per_page else 1
    # No search reaches past MAX_RESULTS: a common word's later pages would be empty.
    if results.per_page:
        pages = min(pages, max(1, search.MAX_RESULTS // results.per_page))
    kept = request.GET.copy()
    kept.pop("page", None)
    base = kept.urlencode()

    def link(number: int) -> str:
        return "?" + (f"{base}&" if base else "") + urlencode({"page": number})

    return {
        "number": results.page,
        "pages": pages,
        "previous": link(results.page - 1) if results.page > 1 else "",
        "next": link(results.page + 1) if results.page < pages else "",
        "first": link(1),
        "past_the_end": results.page > pages and results.total > 0,
    }


# --- A service --------------------------------------------------------------------------


@require_safe
def service_page(request: HttpRequest, service_id: UUID) -> HttpResponse:
    """Everything about one service in plain words, its peer notes, and what one can do."""
    service = access.get_service_page(service_id)
    terms = [term.name for term in access.service_terms(service)]
    page = presenters.service_page(
        service, at=timezone.now(), today=access.today(), categories=terms
    )
    user = _signed_in(request)
    notes = [
        {"body": note.body, "byline": presenters.note_byline(note)}
        for note in access.published_notes(service)
    ]
    context = {
        "service": page,
        "notes": notes,
        "can_write_notes": user is not None and access.can_write_notes(user),
        "can_curate": user is not None and access.can_curate(user),
    }
    return render(request, "directory/service.html", context)


@form_methods
@role_required(*access.NOTE_WRITER_ROLES)
def add_note(request: AuthenticatedHttpRequest, service_id: UUID) -> HttpResponseBase:
    """A peer supporter writes a short note; it waits for a coordinator before anyone sees it."""
    service = access.get_service(service_id)
    form = PeerNoteForm(request.POST or None)
    context = {"form": form, "service": service}
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_peer_note(request.user, service, form.cleaned_data["body"])
        except actions.DirectoryError as refused:
            form.add_error("body", refused.message)
        except ratelimit.RateLimited as limited:
            return too_many_attempts(request, "directory/note_form.html", context, limited)
        else:
            flash.success(
                request, _("Thank you. A coordinator will read your note before it is shown.")
            )
            return redirect("directory:service", service.id)
    status = 400 if form.is_bound else 200
    return render(request, "directory/note_form.html", context, status=status)


@form_methods
def report(request: HttpRequest, service_id: UUID) -> HttpResponseBase:
    """Anyone, signed in or not, says what is out of date; it goes to the coordinators."""
    service = access.get_service(service_id)
    form = InfoReportForm(request.POST or None)
    context = {"form": form, "service": service}
    if request.method == "POST" and form.is_valid():
        try:
            actions.report_outdated(
                service,
                reporter=_signed_in(request),
                topic=form.cleaned_data["topic"],
                details=form.cleaned_data["details"],
                ip=ratelimit.client_ip(request),
                session_key=request.session.session_key,
            )
        except ratelimit.RateLimited as limited:
            return too_many_attempts(request, "directory/report_form.html", context, limited)
        flash.success(request, _("Thank you. A coordinator will check this listing."))
        return redirect("directory:service", service.id)
    status = 400 if form.is_bound else 200
    return render(request, "directory/report_form.html", context, status=status)


# --- Curation (coordinators) ------------------------------------------------------------


@require_safe
@staff_required(*CURATORS)
def curation(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What needs a coordinator: open reports, waiting notes, listings not checked lately."""
    stale = access.unverified_services_for_staff(request.user)
    page = Paginator(stale, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    today = access.today()
    rows = [
        {
            "service": service,
            "verified": presenters.verified(
                service.assured_date, today=today, verify_days=_verify_days()
            ),
        }
        for service in page.object_list
    ]
    context = {
        "open_reports": access.reports_for_staff(request.user).count(),
        "pending_notes": access.pending_notes_for_staff(request.user).count(),
        "page": page,
        "rows": rows,
        "verify_days": _verify_days(),
    }
    return render(request, "directory/curation/home.html", context)


def _verify_days() -> int:
    return int(settings.PEERLIGHT_DIRECTORY_VERIFY_DAYS)


@require_safe
@staff_required(*CURATORS)
def notes_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Peer notes waiting for review, oldest first."""
    queue = access.pending_notes_for_staff(request.user)
    page = Paginator(queue, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "directory/curation/notes.html", {"page": page})


@require_POST
@staff_required(*CURATORS)
def review_note(request: AuthenticatedHttpRequest, note_id: int) -> HttpResponseBase:
    """Publish a waiting note, or decide not to."""
    form = ReviewNoteForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Please reload the page and choose again."), status=400)
    actions.review_peer_note(request.user, note_id, publish=form.publish)
    if form.publish:
        flash.success(request, _("The note is published on the service page."))
    else:
        flash.info(request, _("The note will not be published."))
    return redirect("directory:notes_queue")


@require_safe
@staff_required(*CURATORS)
def reports_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Reports of outdated information: open ones by default, oldest first."""
    status = request.GET.get("status", InfoReport.Status.OPEN)
    if status not in InfoReport.Status.values:
        status = InfoReport.Status.OPEN
    queue = access.reports_for_staff(request.user, status=status)
    page = Paginator(queue, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": InfoReport.Status.choices,
        "query": urlencode({"status": status}),
    }
    return render(request, "directory/curation/reports.html", context)


@require_POST
@staff_required(*CURATORS)
def close_report(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponseBase:
    """Mark an open report fixed, or dismiss it."""
    form = ReportDecisionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Please reload the page and choose again."), status=400)
    actions.close_report(request.user, report_id, status=form.cleaned_data["status"])
    if form.cleaned_data["status"] == InfoReport.Status.FIXED:
        flash.success(request, _("The report is marked as fixed."))
    else:
        flash.info(request, _("The report is dismissed."))
    return redirect("directory:reports_queue")


# --- Editing a service (coordinators) ---------------------------------------------------


def _phone_initial(service: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": phone.id,
            "number": phone.number,
            "extension": int(phone.extension) if phone.extension is not None else None,
            "type": phone.type or "voice",
            "description": phone.description or "",
        }
        for phone in service.phones.all()
    ]


@form_methods
@staff_required(*CURATORS)
def edit_service(request: AuthenticatedHttpRequest, service_id: UUID) -> HttpResponseBase:
    """Change a service's main fields, phones and weekly hours; every change is recorded."""
    service = access.get_service_for_editor(request.user, service_id)
    week = presenters.simple_week(list(service.schedules.all()))
    data = request.POST if request.method == "POST" else None
    form = ServiceForm(data, initial=ServiceForm.initial_for(service))
    phones = PhoneFormSet(data, initial=_phone_initial(service), prefix="phones")
    hours = HoursForm(data, initial=HoursForm.initial_for(week), prefix="hours")
    if data is not None and form.is_valid() and phones.is_valid() and hours.is_valid():
        try:
            changed = actions.update_service(
                request.user,
                service.id,
                values=form.values(),
                phones=phones.phones() if phones.has_changed() else None,
                hours=hours.week() if hours.has_changed() else None,
                expected_version=form.cleaned_data["version"],
            )
        except actions.DirectoryError as refused:
            flash.error(request, refused.message)
            return redirect("directory:edit_service", service.id)
        if changed:
            flash.success(request, _("Your changes are saved."))
        else:
            flash.info(request, _("Nothing was changed."))
        return redirect("directory:service", service.id)
    context = {
        "service": service,
        "form": form,
        "phones": phones,
        "hours": hours,
        "hours_in_detail": week is None,
        "verified": presenters.verified(
            service.assured_date, today=access.today(), verify_days=_verify_days()
        ),
    }
    return render(request, "directory/edit.html", context, status=400 if data else 200)


@require_POST
@staff_required(*CURATORS)
def verify_service(request: AuthenticatedHttpRequest, service_id: UUID) -> HttpResponseBase:
    """ "Mark as verified today": a coordinator checked the whole listing."""
    service = actions.mark_verified(request.user, service_id)
    flash.success(
        request,
        _("%(name)s is marked as verified today.") % {"name": service.name},
    )
    return redirect(safe_next_url(request, reverse("directory:service", args=[service.id])))
