"""Petition pages: signing, the thanks page, confirming by e-mail, and the coordinators' pages.

Signing is the hot path of a campaign that goes viral: one read of the
petition with its campaign, one transaction (``petition_signing``), then a
303 to the thanks page. What the signer is told there travels in a message
(cookie-stored, so no extra query).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, staff_required
from peerlight.accounts.models import Role
from peerlight.accounts.views import form_methods
from peerlight.advocacy import access, actions, petition_signing, petitions
from peerlight.advocacy.campaign_views import add_errors, campaign_page, signed_in
from peerlight.advocacy.models import Campaign, PaperSignatures, Petition, Signature
from peerlight.advocacy.petition_forms import PaperBatchForm, PetitionForm, SignForm
from peerlight.advocacy.petition_signing import Outcome, SignResult
from peerlight.audit.actions import record_read
from peerlight.lib import ratelimit
from peerlight.lib.views import unlogged

__all__ = [
    "paper_signatures",
    "petition_confirm",
    "petition_edit",
    "petition_sign",
    "petition_signatures",
    "petition_signed",
]

SIGNATURES_PER_PAGE = 50


def _see_other(url: str) -> HttpResponseRedirect:
    # 303: the browser fetches the thanks page with GET, and Back or a
    # reload never sends the signature again.
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _result_message(result: SignResult) -> str:
    if result.outcome == Outcome.CHECK_EMAIL:
        sentence = _(
            "Please check your e-mail: your signature counts once you press the button "
            "on the page its link opens."
        )
    elif result.outcome == Outcome.ALREADY_SIGNED:
        sentence = _("You have already signed this petition. Thank you.")
    else:
        sentence = _("Thank you: your signature is counted.")
    if result.districts:
        sentence += " " + ngettext(
            "You live in the district of %(names)s.",
            "You live in the districts of %(names)s.",
            len(result.districts),
        ) % {"names": ", ".join(result.districts)}
    elif result.in_district is False:
        sentence += " " + _("You live outside the districts of this campaign's decision makers.")
    return sentence


@require_POST
def petition_sign(request: HttpRequest, slug: str) -> HttpResponseBase:
    """Sign (POST only); 303 to the thanks page, or the campaign's page with what to fix."""
    petition = access.petition_for_signing(slug)
    if petition is None:
        raise Http404
    campaign = petition.campaign
    user = signed_in(request)
    form = SignForm(request.POST, petition=petition, member=user)
    try:
        petition_signing.check_sign_rate(ratelimit.client_ip(request))
    except ratelimit.RateLimited as limited:
        return campaign_page(
            request, campaign, sign_form=form, problem=limited.message(), status=429
        )
    if not form.is_valid():
        return campaign_page(request, campaign, sign_form=form, status=400)
    try:
        result = petition_signing.sign_petition(petition, form.signer())
    except ValidationError as refused:
        return campaign_page(request, campaign, problem=" ".join(refused.messages), status=400)
    messages.success(request, _result_message(result))
    return _see_other(reverse("advocacy:petition_signed", args=[campaign.slug]))


@require_safe
def petition_signed(request: HttpRequest, slug: str) -> HttpResponse:
    """Thanks for signing: the count, the goal, and a way back to the campaign."""
    campaign = access.campaign_for(signed_in(request), slug)
    petition = Petition.objects.filter(campaign=campaign).first()
    if petition is None:
        raise Http404
    count = access.public_count(petition)
    context = {
        "campaign": campaign,
        "petition": petition,
        "count": count,
        "goal": petitions.current_goal(count, petition.goal),
    }
    return render(request, "advocacy/petitions/signed.html", context)


def petition_confirm(request: HttpRequest, slug: str, token: str) -> HttpResponseBase:
    """The e-mail's link: a page with a button (GET), which confirms the signature (POST).

    A link that names no signature is a 404. Confirming twice is harmless.
    Checks the method itself and logs refusals without the path, which holds
    the token (``require_http_methods`` would log it).
    """
    if request.method not in ("GET", "HEAD", "POST"):
        refused = HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        return unlogged(refused, "Method Not Allowed: a signature confirmation link")
    signature = petition_signing.signature_to_confirm(slug, token)
    if signature is None:
        missing = render(request, "404.html", status=404)
        return unlogged(missing, "Not Found: a signature confirmation link that does not work")
    campaign = signature.petition.campaign
    if request.method == "POST":
        try:
            counted = petition_signing.confirm_signature(signature)
        except ValidationError as refused_now:
            context = {
                "campaign": campaign,
                "signature": signature,
                "problem": refused_now.messages,
            }
            page = render(request, "advocacy/petitions/confirm.html", context, status=400)
            return unlogged(page, "Bad Request: a signature that cannot be confirmed")
        if counted:
            messages.success(request, _("Thank you: your signature is confirmed and counted."))
        else:
            messages.success(request, _("Your signature was already confirmed. Thank you."))
        return _see_other(reverse("advocacy:petition_signed", args=[campaign.slug]))
    context = {"campaign": campaign, "signature": signature, "token": token}
    return render(request, "advocacy/petitions/confirm.html", context)


# --- Coordinators -----------------------------------------------------------------------


def _campaign_petition(request: AuthenticatedHttpRequest, slug: str) -> tuple[Campaign, Petition]:
    campaign = access.campaign_for(request.user, slug)
    petition = Petition.objects.filter(campaign=campaign).first()
    if petition is None:
        raise Http404
    return campaign, petition


@form_methods
@staff_required(Role.COORDINATOR)
def petition_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Add the campaign's petition or change it: statement, first goal, checks, open or not."""
    campaign = access.campaign_for(request.user, slug)
    petition = Petition.objects.filter(campaign=campaign).first()
    form = PetitionForm.for_petition(petition, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_petition(request.user, campaign, form.petition_fields())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The petition is saved."))
            return redirect("advocacy:campaign", campaign.slug)
    context = {"form": form, "campaign": campaign, "petition": petition}
    status = 400 if form.is_bound else 200
    return render(request, "advocacy/petitions/edit.html", context, status=status)


@form_methods
@staff_required(Role.COORDINATOR)
def paper_signatures(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """The batches of paper signatures (GET) and entering one more (POST)."""
    campaign, petition = _campaign_petition(request, slug)
    form = PaperBatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_paper_signatures(
                request.user,
                petition,
                count=data["count"],
                zip_counts=data["zip_counts"],
                note=data["note"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The paper signatures are counted."))
            return redirect("advocacy:petition_paper", campaign.slug)
    batches = list(
        PaperSignatures.objects.filter(petition=petition)
        .select_related("entered_by")
        .order_by("-entered_at", "-pk")
    )
    context = {
        "form": form,
        "campaign": campaign,
        "petition": petition,
        "batches": batches,
        "total": sum(batch.count for batch in batches),
    }
    status = 400 if form.is_bound else 200
    return render(request, "advocacy/petitions/paper.html", context, status=status)


@require_safe
@staff_required(Role.COORDINATOR)
def petition_signatures(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Who signed, and how many per target's district (an audited read)."""
    campaign, petition = _campaign_petition(request, slug)
    record_read(request.user, "advocacy.petition.signatures", petition)
    rows = Signature.objects.filter(petition=petition).order_by("-created_at", "-pk")
    page = Paginator(rows, SIGNATURES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "campaign": campaign,
        "petition": petition,
        "page": page,
        "paper": access.paper_total(petition),
        "pending": Signature.objects.filter(
            petition=petition, status=Signature.Status.PENDING
        ).count(),
        "by_district": access.counts_by_district(petition, access.district_zip_codes(campaign)),
    }
    return render(request, "advocacy/petitions/signatures.html", context)
