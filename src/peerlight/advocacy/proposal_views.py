"""Member priorities: the proposals list, proposing, backing, voting, and coordinators' steps.

Thin views over ``proposal_access`` (who may read what) and ``proposals``
(every write). Visitors read public proposals; members (not guests) propose,
back and vote; coordinators past their second factor decline a proposal or
turn a carried one into a draft campaign. A proposal nobody may read answers
404, as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required, staff_required
from peerlight.accounts.models import Role
from peerlight.accounts.views import form_methods, too_many_attempts
from peerlight.advocacy import proposal_access as access
from peerlight.advocacy import proposals
from peerlight.advocacy.models import Campaign
from peerlight.advocacy.proposal_forms import DeclineForm, ProposalForm, VoteForm
from peerlight.advocacy.proposal_models import Proposal
from peerlight.lib.ratelimit import RateLimited

Status = Proposal.Status


def _proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    """The proposal if the person may read it (a due vote closed first); else 404."""
    proposal = access.proposal_for(request, proposal_id)
    if proposal is None:
        raise Http404
    return proposals.close_if_due([proposal])[0]


def _campaign_url(request: HttpRequest, proposal: Proposal) -> str:
    """The page of the campaign the proposal became, or "" while there is none to show.

    A draft campaign is shown to coordinators only, so members are not led to a 404.
    """
    campaign = proposal.campaign
    if campaign is None:
        return ""
    if campaign.status == Campaign.Status.DRAFT and not access.coordinates_in_session(request):
        return ""
    return reverse("advocacy:campaign", args=[campaign.slug])


def _rules() -> dict[str, int]:
    threshold = proposals.support_threshold()
    return {"threshold": threshold, "quorum": threshold, "vote_days": proposals.vote_days()}


# --- Reading -----------------------------------------------------------------------------


@require_safe
def proposal_list(request: HttpRequest) -> HttpResponse:
    """Proposals gathering support, in a vote and decided; the person's own; the rules."""
    user = access.signed_in(request)
    coordinator = access.coordinates_in_session(request)
    gathering = list(access.gathering_support())
    voting = [p for p in proposals.close_if_due(access.in_vote()) if p.status == Status.VOTING]
    context: dict[str, Any] = {
        "gathering": gathering,
        "voting": voting,
        "decided": list(access.recently_decided()),
        "backed": access.backed_ids(user, gathering),
        "mine": list(access.own_proposals(user)) if user is not None else [],
        "may_take_part": access.may_take_part(user),
        "coordinator": coordinator,
        "to_make_campaigns": list(access.carried_without_campaign()) if coordinator else [],
        **_rules(),
    }
    return render(request, "advocacy/proposals/list.html", context)


def _detail_page(
    request: HttpRequest,
    proposal: Proposal,
    *,
    vote_form: VoteForm | None = None,
    decline_form: DeclineForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    user = access.signed_in(request)
    ballot = access.vote_of(user, proposal)
    context: dict[str, Any] = {
        "proposal": proposal,
        "may_take_part": access.may_take_part(user),
        "is_proposer": user is not None and proposal.proposer_id == user.pk,
        "backs": access.backs(user, proposal),
        "ballot": ballot,
        "vote_open": access.vote_is_open(proposal),
        "vote_form": vote_form
        or VoteForm(initial={"choice": ballot.choice} if ballot is not None else None),
        "tally": access.tally_of(proposal),
        "coordinator": access.coordinates_in_session(request),
        "decline_form": decline_form or DeclineForm(),
        "campaign_url": _campaign_url(request, proposal),
        "problem": problem,
        **_rules(),
    }
    return render(request, "advocacy/proposals/detail.html", context, status=status)


@require_safe
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """One proposal: backing it, the vote, the result, and the coordinators' steps."""
    return _detail_page(request, _proposal(request, proposal_id))


# --- Proposing and backing ---------------------------------------------------------------


@form_methods
@login_required
def proposal_new(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The form to propose a campaign (GET) and proposing it (POST)."""
    form = ProposalForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {
        "form": form,
        "may_take_part": access.may_take_part(request.user),
        **_rules(),
    }
    template = "advocacy/proposals/new.html"
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        proposal = proposals.propose(request.user, **form.cleaned_data)
    except RateLimited as limited:
        return too_many_attempts(request, template, context, limited)
    except proposals.ProposalError as refused:
        form.add_error(None, refused.message)
        return render(request, template, context, status=400)
    flash.success(request, _("Thank you. Your proposal is open for members to back."))
    return redirect("advocacy:proposal", proposal_id=proposal.pk)


def _step(
    request: AuthenticatedHttpRequest, proposal: Proposal, done: str, step: Callable[[], object]
) -> HttpResponseBase:
    """Run ``step`` (a write); back to the proposal with ``done``, or its refusal (400)."""
    try:
        step()
    except proposals.ProposalError as refused:
        return _detail_page(request, proposal, problem=refused.message, status=400)
    flash.success(request, done)
    return redirect("advocacy:proposal", proposal_id=proposal.pk)


@require_POST
@login_required
def proposal_support(request: AuthenticatedHttpRequest, proposal_id: int) -> HttpResponseBase:
    """Back the proposal (once; backing again changes nothing)."""
    proposal = _proposal(request, proposal_id)
    return _step(
        request,
        proposal,
        _("You back this proposal. Thank you."),
        lambda: proposals.back(request.user, proposal),
    )


@require_POST
@login_required
def proposal_unsupport(request: AuthenticatedHttpRequest, proposal_id: int) -> HttpResponseBase:
    """Stop backing the proposal while it is gathering support."""
    proposal = _proposal(request, proposal_id)
    return _step(
        request,
        proposal,
        _("You no longer back this proposal."),
        lambda: proposals.take_back(request.user, proposal),
    )


@require_POST
@login_required
def proposal_withdraw(request: AuthenticatedHttpRequest, proposal_id: int) -> HttpResponseBase:
    """The proposer takes their proposal back while it is gathering support."""
    proposal = _proposal(request, proposal_id)
    if proposal.proposer_id != request.user.pk:
        raise Http404
    return _step(
        request,
        proposal,
        _("Your proposal is withdrawn. The people who backed it will be told."),
        lambda: proposals.withdraw(request.user, proposal),
    )


@require_POST
@login_required
def proposal_vote(request: AuthenticatedHttpRequest, proposal_id: int) -> HttpResponseBase:
    """Cast or change a vote while the vote is open."""
    proposal = _proposal(request, proposal_id)
    form = VoteForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, proposal, vote_form=form, status=400)
    return _step(
        request,
        proposal,
        _("Your vote is saved. You can change it until the vote closes."),
        lambda: proposals.vote(request.user, proposal, form.cleaned_data["choice"]),
    )


# --- Coordinators ------------------------------------------------------------------------


@require_POST
@staff_required(Role.COORDINATOR)
def proposal_decline(request: AuthenticatedHttpRequest, proposal_id: int) -> HttpResponseBase:
    """Decline a proposal that breaks the community's rules, with a reason for the proposer."""
    proposal = _proposal(request, proposal_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, proposal, decline_form=form, status=400)
    return _step(
        request,
        proposal,
        _("The proposal is declined. The proposer sees your reason."),
        lambda: proposals.decline(request.user, proposal, form.cleaned_data["reason"]),
    )


@require_POST
@staff_required(Role.COORDINATOR)
def proposal_make_campaign(
    request: AuthenticatedHttpRequest, proposal_id: int
) -> HttpResponseBase:
    """Turn a carried proposal into a draft campaign."""
    proposal = _proposal(request, proposal_id)
    return _step(
        request,
        proposal,
        _("A draft campaign is ready. Add its targets and actions before it goes live."),
        lambda: proposals.make_campaign(request.user, proposal),
    )


urlpatterns = [
    path("proposals/", proposal_list, name="proposal_list"),
    path("proposals/new/", proposal_new, name="proposal_new"),
    path("proposals/<int:proposal_id>/", proposal_detail, name="proposal"),
    path("proposals/<int:proposal_id>/back/", proposal_support, name="proposal_support"),
    path("proposals/<int:proposal_id>/unback/", proposal_unsupport, name="proposal_unsupport"),
    path("proposals/<int:proposal_id>/vote/", proposal_vote, name="proposal_vote"),
    path("proposals/<int:proposal_id>/withdraw/", proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<int:proposal_id>/decline/", proposal_decline, name="proposal_decline"),
    path(
        "proposals/<int:proposal_id>/campaign/",
        proposal_make_campaign,
        name="proposal_make_campaign",
    ),
]
