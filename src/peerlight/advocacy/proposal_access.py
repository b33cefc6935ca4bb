"""Reads about member proposals, with who may see what.

Proposals that are gathering support, being voted on or decided are public:
anyone may read them, and nobody's name is shown with them. A proposal
being checked, one a coordinator declined and one its proposer withdrew are
seen only by the proposer and by coordinators past their second factor;
anyone else gets ``None``, as for a proposal that does not exist.

The tally of a vote is read only once the vote has closed
(``tally_of`` refuses an open one), so no page can show it early.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from peerlight.accounts.guards import is_two_factor_verified
from peerlight.accounts.models import Role, User
from peerlight.advocacy.proposal_models import Proposal, ProposalSupport, ProposalVote

Status = Proposal.Status

PUBLIC_STATUSES = frozenset({Status.OPEN, Status.VOTING, Status.CARRIED, Status.NOT_CARRIED})
DECIDED_STATUSES = frozenset({Status.CARRIED, Status.NOT_CARRIED})
# How many decided proposals the list shows.
DECIDED_SHOWN = 20


def signed_in(request: HttpRequest) -> User | None:
    """The person of ``request``, or None for a visitor."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def may_take_part(user: User | AnonymousUser | None) -> bool:
    """May propose, back and vote: every active account except guests.

    Guest accounts are made on the spot for one support request; a vote that
    anyone could join again with a fresh guest account would not mean much.
    """
    return isinstance(user, User) and user.is_active and not user.is_guest


def coordinates_in_session(request: HttpRequest) -> bool:
    """A coordinator who passed the second factor in this session."""
    user = signed_in(request)
    return (
        user is not None
        and user.is_active
        and user.has_role(Role.COORDINATOR)
        and is_two_factor_verified(request)
    )


def proposal_for(request: HttpRequest, proposal_id: int) -> Proposal | None:
    """The proposal if ``request``'s person may read it, else None (as for none at all)."""
    proposal = Proposal.objects.select_related("campaign").filter(pk=proposal_id).first()
    if proposal is None:
        return None
    if proposal.status in PUBLIC_STATUSES or coordinates_in_session(request):
        return proposal
    user = signed_in(request)
    if user is not None and proposal.proposer_id == user.pk:
        return proposal
    return None


def gathering_support() -> QuerySet[Proposal]:
    """Open proposals, the most backed first."""
    return Proposal.objects.filter(status=Status.OPEN).order_by("-support_count", "-created_at")


def in_vote() -> QuerySet[Proposal]:
    """Proposals being voted on, the one closing soonest first."""
    return Proposal.objects.filter(status=Status.VOTING).order_by("voting_closes_at", "pk")


def recently_decided() -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(status__in=DECIDED_STATUSES)
        .select_related("campaign")
        .order_by("-decided_at", "-pk")[:DECIDED_SHOWN]
    )


def carried_without_campaign() -> QuerySet[Proposal]:
    """Carried proposals a coordinator has not yet turned into a campaign."""
    return Proposal.objects.filter(status=Status.CARRIED, campaign__isnull=True).order_by(
        "decided_at", "pk"
    )


def own_proposals(user: User) -> QuerySet[Proposal]:
    return Proposal.objects.filter(proposer=user).order_by("-created_at", "-pk")


def backs(user: User | None, proposal: Proposal) -> bool:
    return (
        user is not None
        and ProposalSupport.objects.filter(proposal=proposal, member_id=user.pk).exists()
    )


def backed_ids(user: User | None, proposals: list[Proposal]) -> set[int]:
    """Which of ``proposals`` the person backs, in one query."""
    if user is None or not proposals:
        return set()
    rows = ProposalSupport.objects.filter(
        member_id=user.pk, proposal__in=[proposal.pk for proposal in proposals]
    ).values_list("proposal_id", flat=True)
    return set(rows)


def vote_of(user: User | None, proposal: Proposal) -> ProposalVote | None:
    if user is None:
        return None
    return ProposalVote.objects.filter(proposal=proposal, member_id=user.pk).first()


def vote_is_open(proposal: Proposal) -> bool:
    """Voting status and the closing time not yet reached."""
    return (
        proposal.status == Status.VOTING
        and proposal.voting_closes_at is not None
        and proposal.voting_closes_at > timezone.now()
    )


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int

    @property
    def total(self) -> int:
        return self.yes + self.no + self.abstain


def count_votes(proposal: Proposal) -> Tally:
    """The votes cast on ``proposal``, whatever its state (for the closing step only)."""
    Choice = ProposalVote.Choice
    counts = ProposalVote.objects.filter(proposal=proposal).aggregate(
        yes=Count("pk", filter=Q(choice=Choice.YES)),
        no=Count("pk", filter=Q(choice=Choice.NO)),
        abstain=Count("pk", filter=Q(choice=Choice.ABSTAIN)),
    )
    return Tally(yes=counts["yes"], no=counts["no"], abstain=counts["abstain"])


def tally_of(proposal: Proposal) -> Tally | None:
    """The result of a closed vote, or None while it is open or was never held."""
    if proposal.status not in DECIDED_STATUSES or proposal.voting_opens_at is None:
        return None
    return count_votes(proposal)
