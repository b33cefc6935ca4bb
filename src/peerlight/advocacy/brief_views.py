"""The evidence brief of a campaign: the public page and PDF, and the coordinators' versions.

The page and the PDF are public for a published campaign and render from the
current state every time. Building, delivering and following up versions is
for coordinators past their second factor; anyone else gets a 404, as if
the pages were not there.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest
from peerlight.accounts.guards import staff_required as _staff_required
from peerlight.accounts.models import Role
from peerlight.advocacy import access, briefs, story_changes
from peerlight.advocacy.brief_forms import BuildForm, DeliverForm
from peerlight.advocacy.models import Campaign, EvidenceBrief
from peerlight.lib import ratelimit

# Rendering a PDF takes a moment of the server: a visitor may ask for a few.
BRIEF_PDF = ratelimit.Policy("advocacy-brief-pdf", limit=20, period=10 * 60)

coordinators_only = _staff_required(Role.COORDINATOR)


def _version(campaign: Campaign, number: int) -> EvidenceBrief:
    brief = briefs.version_of(campaign, number)
    if brief is None:
        raise Http404
    return brief


# --- The public brief ------------------------------------------------------------------


@require_safe
def brief(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign's brief as it stands now."""
    campaign = access.campaign_in_session(request, slug)
    context = {
        "campaign": campaign,
        "brief": briefs.brief_content(campaign),
        "manages": access.manages_in_session(request),
    }
    return render(request, "advocacy/briefs/brief.html", context)


@require_safe
def brief_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The same brief as a PDF, for printing and sending on."""
    campaign = access.campaign_in_session(request, slug)
    try:
        ratelimit.hit(BRIEF_PDF, ratelimit.client_ip(request))
    except ratelimit.RateLimited as limited:
        response = render(
            request,
            "advocacy/briefs/busy.html",
            {"campaign": campaign, "limited": limited.message()},
            status=429,
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    html = briefs.render_document(briefs.brief_content(campaign))
    return _pdf_response(briefs.pdf_for(html), f"{campaign.slug}-brief.pdf", inline=True)


def _pdf_response(pdf: bytes, filename: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


# --- Versions (coordinators) -----------------------------------------------------------


def _manage_page(
    request: AuthenticatedHttpRequest, campaign: Campaign, form: BuildForm, *, status: int = 200
) -> HttpResponse:
    context = {
        "campaign": campaign,
        "form": form,
        "versions": briefs.versions_of(campaign),
        "flagged": story_changes.flagged_items(campaign),
    }
    return render(request, "advocacy/briefs/manage.html", context, status=status)


@require_safe
@coordinators_only
def manage(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The versions of a campaign's brief with their hashes, building one, and follow-ups."""
    campaign = access.campaign_at(slug)
    form = BuildForm(initial={"evidence_ids": briefs.chosen_evidence_ids(campaign)})
    return _manage_page(request, campaign, form)


@require_POST
@coordinators_only
def build(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Build the brief as it stands into a version (the undelivered one is rebuilt)."""
    campaign = access.campaign_at(slug)
    form = BuildForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, campaign, form, status=400)
    try:
        version = briefs.build_version(request.user, campaign, form.cleaned_data["evidence_ids"])
    except briefs.BriefError as refused:
        form.add_error(None, refused.message)
        return _manage_page(request, campaign, form, status=400)
    messages.success(request, _("Version %(n)d is built.") % {"n": version.version})
    return redirect("advocacy:brief_version", slug=campaign.slug, version=version.version)


def _version_page(
    request: AuthenticatedHttpRequest,
    brief_row: EvidenceBrief,
    form: DeliverForm,
    *,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "campaign": brief_row.campaign,
        "version": brief_row,
        "delivered_to": list(brief_row.delivered_to.order_by("name")),
        "form": form,
    }
    return render(request, "advocacy/briefs/version.html", context, status=status)


@require_safe
@coordinators_only
def version(request: AuthenticatedHttpRequest, slug: str, version: int) -> HttpResponse:
    """One version: its hash, what went into it, where it went; delivering a draft."""
    campaign = access.campaign_at(slug)
    return _version_page(request, _version(campaign, version), DeliverForm(campaign))


@require_safe
@coordinators_only
def version_html(request: AuthenticatedHttpRequest, slug: str, version: int) -> HttpResponse:
    """The version's HTML exactly as archived, as a file (its SHA-256 is on the version page)."""
    brief_row = _version(access.campaign_at(slug), version)
    response = HttpResponse(brief_row.html.encode("utf-8"), content_type="text/html")
    response["Content-Disposition"] = (
        f'attachment; filename="{slug}-brief-v{brief_row.version}.html"'
    )
    return response


@require_safe
@coordinators_only
def version_pdf(request: AuthenticatedHttpRequest, slug: str, version: int) -> HttpResponse:
    """The version as a PDF, to print and hand over."""
    brief_row = _version(access.campaign_at(slug), version)
    pdf = briefs.pdf_for(brief_row.html)
    return _pdf_response(pdf, f"{slug}-brief-v{brief_row.version}.pdf", inline=False)


@require_POST
@coordinators_only
def deliver(request: AuthenticatedHttpRequest, slug: str, version: int) -> HttpResponseBase:
    """Mark a version delivered (and e-mail it); it is never changed afterwards."""
    campaign = access.campaign_at(slug)
    brief_row = _version(campaign, version)
    form = DeliverForm(campaign, request.POST)
    if not form.is_valid():
        return _version_page(request, brief_row, form, status=400)
    try:
        briefs.deliver_version(
            request.user, brief_row, form.cleaned_data["targets"], form.cleaned_data["method"]
        )
    except briefs.BriefError as refused:
        form.add_error(None, refused.message)
        return _version_page(request, brief_row, form, status=400)
    if form.cleaned_data["method"] == briefs.EMAIL:
        messages.success(request, _("Delivered: the brief is on its way by e-mail."))
    else:
        messages.success(request, _("Delivered: download the PDF below to hand it over."))
    return redirect("advocacy:brief_version", slug=campaign.slug, version=brief_row.version)


@require_POST
@coordinators_only
def flag_handled(
    request: AuthenticatedHttpRequest, slug: str, kind: str, item_id: int
) -> HttpResponseBase:
    """A coordinator followed up a flagged item: clear its flag."""
    campaign = access.campaign_at(slug)
    if not story_changes.mark_handled(request.user, campaign, kind, item_id):
        raise Http404
    messages.success(request, _("Marked as handled."))
    return redirect("advocacy:brief_manage", slug=campaign.slug)


urlpatterns: list[URLPattern] = [
    path("<slug:slug>/brief/", brief, name="brief"),
    path("<slug:slug>/brief.pdf", brief_pdf, name="brief_pdf"),
    path("<slug:slug>/brief/manage/", manage, name="brief_manage"),
    path("<slug:slug>/brief/build/", build, name="brief_build"),
    path("<slug:slug>/brief/v<int:version>/", version, name="brief_version"),
    path("<slug:slug>/brief/v<int:version>.html", version_html, name="brief_version_html"),
    path("<slug:slug>/brief/v<int:version>.pdf", version_pdf, name="brief_version_pdf"),
    path("<slug:slug>/brief/v<int:version>/deliver/", deliver, name="brief_deliver"),
    path(
        "<slug:slug>/brief/flags/<slug:kind>/<int:item_id>/handled/",
        flag_handled,
        name="brief_flag_handled",
    ),
]
