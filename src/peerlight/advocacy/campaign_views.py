"""Campaign pages: the list, a campaign's page, and the coordinators' campaign forms.

The list and a campaign's page are public once a campaign leaves the draft
stage; drafts are coordinators' alone (after their second factor) and a 404
for everyone else. A campaign's page carries its petition (``petition_views``
posts to it) and the partials of the outreach and briefs parts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    is_two_factor_verified,
    second_factor_step,
    staff_required,
)
from peerlight.accounts.models import Role, User
from peerlight.accounts.views import form_methods
from peerlight.advocacy import access, actions, petitions
from peerlight.advocacy.campaign_forms import CampaignForm, UpdateForm
from peerlight.advocacy.models import Campaign, PaperSignatures, Petition
from peerlight.advocacy.petition_forms import SignForm
from peerlight.advocacy.petition_signing import member_digest

__all__ = [
    "campaign_create",
    "campaign_detail",
    "campaign_edit",
    "campaign_list",
    "campaign_page",
    "campaign_update",
    "signed_in",
]


def signed_in(request: HttpRequest) -> User | None:
    """The person of ``request``, or None for a visitor."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def add_errors(form: Any, error: ValidationError) -> None:
    """Put an action's ``ValidationError`` on ``form``: by field where it shows the field."""
    if hasattr(error, "error_dict"):
        for name, problems in error.error_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error)


@dataclass(frozen=True)
class Deadline:
    day: datetime.date
    days_left: int  # negative once it has passed


def deadline_of(campaign: Campaign) -> Deadline | None:
    if campaign.deadline is None:
        return None
    return Deadline(campaign.deadline, (campaign.deadline - timezone.localdate()).days)


# --- The list ---------------------------------------------------------------------------


@require_safe
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Campaigns taking action now, then past and paused ones; drafts for coordinators.

    Drafts are staff matter: a coordinator sees them once past the second
    factor in this session.
    """
    user = signed_in(request)
    viewer = user if user is not None and is_two_factor_verified(request) else None
    paper = (
        PaperSignatures.objects.filter(petition__campaign=OuterRef("pk"))
        .order_by()
        .values("petition")
        .annotate(n=Sum("count"))
        .values("n")
    )
    campaigns = list(
        access.listed_campaigns(viewer)
        .select_related("petition")
        .annotate(paper=Coalesce(Subquery(paper, output_field=IntegerField()), 0))
    )
    cards = [_card(campaign) for campaign in campaigns]
    context = {
        "active": [card for card in cards if card["campaign"].status == Campaign.Status.ACTIVE],
        "others": [card for card in cards if card["campaign"].status != Campaign.Status.ACTIVE],
        "may_manage": access.is_coordinator(user),
    }
    return render(request, "advocacy/campaigns/list.html", context)


def _card(campaign: Campaign) -> dict[str, Any]:
    petition = _petition_of(campaign)
    paper = int(getattr(campaign, "paper", 0))
    return {
        "campaign": campaign,
        "deadline": deadline_of(campaign),
        "count": None if petition is None else petition.signature_count + paper,
    }


def _petition_of(campaign: Campaign) -> Petition | None:
    try:
        return campaign.petition
    except Petition.DoesNotExist:
        return None


# --- A campaign's page ------------------------------------------------------------------


def petition_block(
    request: HttpRequest,
    petition: Petition | None,
    *,
    form: SignForm | None = None,
    problem: str = "",
) -> dict[str, Any] | None:
    """What the petition part of a campaign's page shows (None without a petition)."""
    if petition is None:
        return None
    user = signed_in(request)
    count = access.public_count(petition)
    goal = petitions.current_goal(count, petition.goal)
    taking = access.is_taking_signatures(petition)
    signed = user is not None and access.has_signed(petition, member_digest(user))
    if taking and not signed and form is None:
        form = SignForm(petition=petition, member=user)
    return {
        "petition": petition,
        "count": count,
        "goal": goal,
        "goal_raised": goal > max(1, petition.goal),
        "taking": taking,
        "signed": signed,
        "form": form if taking and not signed else None,
        "names": access.public_names(petition),
        "problem": problem,
    }


def campaign_page(
    request: HttpRequest,
    campaign: Campaign,
    *,
    sign_form: SignForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    """A campaign's page; ``sign_form`` and ``problem`` when a signature was sent back."""
    user = signed_in(request)
    context = {
        "campaign": campaign,
        "targets": list(campaign.targets.order_by("name", "pk")),
        "deadline": deadline_of(campaign),
        "updates": list(campaign.updates.order_by("-created_at", "-pk")),
        "petition_block": petition_block(
            request, _petition_of(campaign), form=sign_form, problem=problem
        ),
        "may_manage": access.is_coordinator(user),
    }
    return render(request, "advocacy/campaigns/detail.html", context, status=status)


@require_safe
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The ask, why it matters, who decides, the deadline, the news and the actions."""
    campaign = access.campaign_for(signed_in(request), slug)
    # Only coordinators get a draft; it is a staff page, behind the second factor.
    if campaign.status == Campaign.Status.DRAFT and (
        step := second_factor_step(cast(AuthenticatedHttpRequest, request))
    ):
        return step
    return campaign_page(request, campaign)


# --- Setting campaigns up (coordinators) ------------------------------------------------


def _edit_page(
    request: HttpRequest, form: CampaignForm, campaign: Campaign | None = None
) -> HttpResponse:
    context = {"form": form, "campaign": campaign}
    status = 400 if form.is_bound else 200
    return render(request, "advocacy/campaigns/edit.html", context, status=status)


@form_methods
@staff_required(Role.COORDINATOR)
def campaign_create(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """A coordinator starts a campaign (a draft until its status says otherwise)."""
    form = CampaignForm.blank(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = actions.create_campaign(
                request.user,
                form.campaign_fields(),
                form.chosen_targets(),
                slug=form.chosen_slug(),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The campaign is saved."))
            return redirect("advocacy:campaign", campaign.slug)
    return _edit_page(request, form)


@form_methods
@staff_required(Role.COORDINATOR)
def campaign_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    campaign = access.campaign_for(request.user, slug)
    form = CampaignForm.for_campaign(campaign, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = actions.update_campaign(
                request.user, campaign, form.campaign_fields(), form.chosen_targets()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("advocacy:campaign", campaign.slug)
    return _edit_page(request, form, campaign)


@form_methods
@staff_required(Role.COORDINATOR)
def campaign_update(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Post a progress update on a campaign."""
    campaign = access.campaign_for(request.user, slug)
    form = UpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.post_update(request.user, campaign, form.cleaned_data["body"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The update is on the campaign's page."))
            return redirect("advocacy:campaign", campaign.slug)
    context = {"form": form, "campaign": campaign}
    status = 400 if form.is_bound else 200
    return render(request, "advocacy/campaigns/update.html", context, status=status)
