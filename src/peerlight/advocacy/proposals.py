"""Member priorities: proposing campaigns, backing them, voting, and what follows.

A member proposes a campaign (title, the ask, why); it is open for support at
once, and a coordinator may decline it when it breaks the community's rules,
with a reason the proposer sees. Members back an open proposal, once each;
the ``support_count`` moves in the same transaction as the row, under a lock
on the proposal, so it never drifts from the rows. The backing that reaches
``PEERLIGHT_PROPOSAL_SUPPORT_THRESHOLD`` opens a member vote at once, for
``PEERLIGHT_PROPOSAL_VOTE_DAYS`` days.

Members vote yes, no or abstain, and may change their vote while it is open.
The vote closes (``close_due_votes``, run hourly by the worker; pages close
a due vote too, so nothing waits for the worker): it is carried when more
members voted yes than no and at least a quorum voted at all, abstentions
included. The quorum is the support threshold: a proposal needs as many
voters as it needed backers. A coordinator then turns a carried proposal
into a draft campaign.

Whenever a proposal moves on (to the vote, decided, declined, withdrawn, made
a campaign), its proposer, backers and voters get an ``ActionNotice``. Every
write checks who may make it, runs in one transaction and leaves an audit
entry with ids only (never a proposal's words, never how someone voted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import Role, User
from peerlight.advocacy import actions as campaign_actions
from peerlight.advocacy.models import ActionNotice, Campaign
from peerlight.advocacy.proposal_access import Tally, count_votes, may_take_part
from peerlight.advocacy.proposal_models import Proposal, ProposalSupport, ProposalVote
from peerlight.audit.actions import record_change
from peerlight.lib import ratelimit

Status = Proposal.Status

# Fixed pages under /act/ that a campaign's address must not take (the
# campaigns part refuses the same words in its own form).
DECLINE_REASON_MAX = 1_000
# Proposing is rare; a burst of proposals from one account is spam or a mistake.
PROPOSE = ratelimit.Policy("advocacy-propose", limit=5, period=24 * 3600)


class ProposalError(Exception):
    """A refused step, with a sentence for the person (in the active language)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def support_threshold() -> int:
    return int(settings.PEERLIGHT_PROPOSAL_SUPPORT_THRESHOLD)


def vote_days() -> int:
    return int(settings.PEERLIGHT_PROPOSAL_VOTE_DAYS)


def carries(tally: Tally, quorum: int) -> bool:
    """The rule of a member vote: more yes than no, and at least ``quorum`` votes cast."""
    return tally.total >= quorum and tally.yes > tally.no


def _is_coordinator(user: User) -> bool:
    return user.is_active and user.has_role(Role.COORDINATOR)


def _require_member(user: User) -> None:
    if not may_take_part(user):
        raise ProposalError(_("Please make an account to take part. You can stay anonymous."))


def _locked(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().get(pk=proposal.pk)


# --- Notices -----------------------------------------------------------------------------


def _people_involved(proposal: Proposal) -> list[int]:
    """Ids of the proposer, backers and voters who still have an active account."""
    ids: set[int] = set(
        ProposalSupport.objects.filter(proposal=proposal).values_list("member_id", flat=True)
    )
    ids.update(ProposalVote.objects.filter(proposal=proposal).values_list("member_id", flat=True))
    if proposal.proposer_id is not None:
        ids.add(proposal.proposer_id)
    return sorted(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))


def _tell_people(proposal: Proposal, campaign: Campaign | None = None) -> int:
    """Leave each person involved a "proposal" notice; return how many."""
    notices = [
        ActionNotice(user_id=user_id, campaign=campaign, kind=ActionNotice.Kind.PROPOSAL)
        for user_id in _people_involved(proposal)
    ]
    ActionNotice.objects.bulk_create(notices)
    return len(notices)


# --- Proposing ---------------------------------------------------------------------------


def propose(actor: User, *, title: str, ask: str, why: str) -> Proposal:
    """A new proposal by ``actor``, open for support at once.

    ``ProposalError`` for guests and for empty parts; ``RateLimited`` after
    ``PROPOSE.limit`` proposals in a day.
    """
    _require_member(actor)
    title, ask, why = title.strip(), ask.strip(), why.strip()
    if not (title and ask and why):
        raise ProposalError(_("Please give a title, what to ask for and why it matters."))
    ratelimit.hit(PROPOSE, str(actor.pk))
    with transaction.atomic():
        proposal = Proposal.objects.create(
            proposer=actor, title=title, ask=ask, why=why, status=Status.OPEN
        )
        record_change(actor, "advocacy.proposal.create", proposal, subject=actor)
    return proposal


def withdraw(actor: User, proposal: Proposal) -> Proposal:
    """The proposer takes back their proposal while it is still gathering support."""
    with transaction.atomic():
        proposal = _locked(proposal)
        if proposal.proposer_id != actor.pk:
            raise PermissionDenied
        if proposal.status != Status.OPEN:
            raise ProposalError(
                _("Only a proposal that is still gathering support can be taken back.")
            )
        proposal.status = Status.WITHDRAWN
        proposal.decided_at = timezone.now()
        proposal.save(update_fields=["status", "decided_at"])
        record_change(actor, "advocacy.proposal.withdraw", proposal, subject=actor)
        _tell_people(proposal)
    return proposal


def decline(actor: User, proposal: Proposal, reason: str) -> Proposal:
    """A coordinator declines a proposal that breaks the community's rules.

    The reason is shown to the proposer. Open proposals and proposals in a
    vote can be declined; a declined one is no longer shown to others.
    """
    if not _is_coordinator(actor):
        raise PermissionDenied
    reason = reason.strip()
    if not reason or len(reason) > DECLINE_REASON_MAX:
        raise ProposalError(_("Please say in up to 1,000 characters why it is declined."))
    with transaction.atomic():
        proposal = _locked(proposal)
        if proposal.status not in (Status.PENDING_REVIEW, Status.OPEN, Status.VOTING):
            raise ProposalError(_("This proposal has already been decided."))
        proposal.status = Status.DECLINED
        proposal.staff_note = reason
        proposal.decided_at = timezone.now()
        proposal.save(update_fields=["status", "staff_note", "decided_at"])
        record_change(actor, "advocacy.proposal.decline", proposal, subject=proposal.proposer)
        _tell_people(proposal)
    return proposal


# --- Backing -----------------------------------------------------------------------------


def back(actor: User, proposal: Proposal) -> bool:
    """``actor`` backs an open proposal; True if this is new, False if they already did.

    The backing that reaches the threshold opens the member vote in the same
    transaction.
    """
    _require_member(actor)
    with transaction.atomic():
        proposal = _locked(proposal)
        if ProposalSupport.objects.filter(proposal=proposal, member=actor).exists():
            return False
        if proposal.status != Status.OPEN:
            raise ProposalError(_("This proposal is no longer gathering support."))
        ProposalSupport.objects.create(proposal=proposal, member=actor)
        Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") + 1)
        proposal.refresh_from_db(fields=["support_count"])
        record_change(actor, "advocacy.proposal.support", proposal, subject=actor)
        if proposal.support_count >= support_threshold():
            _open_vote(proposal)
    return True


def take_back(actor: User, proposal: Proposal) -> bool:
    """``actor`` stops backing an open proposal; True if they had backed it."""
    with transaction.atomic():
        proposal = _locked(proposal)
        support = ProposalSupport.objects.filter(proposal=proposal, member=actor).first()
        if support is None:
            return False
        if proposal.status != Status.OPEN:
            raise ProposalError(_("The vote has started, so backing can no longer be taken back."))
        support.delete()
        Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") - 1)
        record_change(actor, "advocacy.proposal.support_withdrawn", proposal, subject=actor)
    return True


def _open_vote(proposal: Proposal) -> None:
    """Open the member vote now (inside the caller's transaction, proposal locked)."""
    now = timezone.now()
    proposal.status = Status.VOTING
    proposal.voting_opens_at = now
    proposal.voting_closes_at = now + dt.timedelta(days=vote_days())
    proposal.save(update_fields=["status", "voting_opens_at", "voting_closes_at"])
    record_change(None, "advocacy.proposal.vote_opened", proposal)
    _tell_people(proposal)


# --- Voting ------------------------------------------------------------------------------


def vote(actor: User, proposal: Proposal, choice: str) -> ProposalVote:
    """Cast or change ``actor``'s vote while the vote is open."""
    _require_member(actor)
    if choice not in ProposalVote.Choice.values:
        raise ProposalError(_("Please choose yes, no or abstain."))
    with transaction.atomic():
        proposal = _locked(proposal)
        closes = proposal.voting_closes_at
        if proposal.status != Status.VOTING or closes is None or closes <= timezone.now():
            raise ProposalError(_("This vote is not open."))
        ballot, created = ProposalVote.objects.update_or_create(
            proposal=proposal, member=actor, defaults={"choice": choice}
        )
        verb = "advocacy.proposal.vote" if created else "advocacy.proposal.vote_changed"
        record_change(actor, verb, proposal, subject=actor)
    return ballot


def close_vote(proposal: Proposal, now: dt.datetime | None = None) -> bool:
    """Close the proposal's vote if its time has come; True if this call closed it.

    Safe to call twice and from several places at once: the proposal is
    locked and its state checked again first. The result is written to the
    audit entry as counts only (``reason``), so it stays on record whatever
    happens to the ballots later.
    """
    now = now or timezone.now()
    with transaction.atomic():
        proposal = _locked(proposal)
        closes = proposal.voting_closes_at
        if proposal.status != Status.VOTING or closes is None or closes > now:
            return False
        tally = count_votes(proposal)
        proposal.status = (
            Status.CARRIED if carries(tally, support_threshold()) else Status.NOT_CARRIED
        )
        proposal.decided_at = now
        proposal.save(update_fields=["status", "decided_at"])
        reason = f"yes={tally.yes} no={tally.no} abstain={tally.abstain}"
        record_change(None, "advocacy.proposal.vote_closed", proposal, reason=reason)
        _tell_people(proposal)
    return True


def close_if_due(proposals: Iterable[Proposal]) -> list[Proposal]:
    """Close the due votes among ``proposals``; return them as they are now."""
    now = timezone.now()
    fresh = []
    for proposal in proposals:
        due = proposal.status == Status.VOTING and (
            proposal.voting_closes_at is not None and proposal.voting_closes_at <= now
        )
        if due and close_vote(proposal, now):
            proposal.refresh_from_db()
        fresh.append(proposal)
    return fresh


@task
def close_due_votes() -> int:
    """Close every member vote whose time has come; return how many this run closed.

    Run hourly by the worker (``PEERLIGHT_PERIODIC_TASKS``); running it twice,
    or beside a page that closes a vote, closes nothing twice.
    """
    now = timezone.now()
    due = Proposal.objects.filter(status=Status.VOTING, voting_closes_at__lte=now).order_by("pk")
    return sum(close_vote(proposal, now) for proposal in due)


# --- From proposal to campaign -----------------------------------------------------------


def make_campaign(actor: User, proposal: Proposal) -> Campaign:
    """A coordinator turns a carried proposal into a draft campaign; return it.

    The campaign starts with the proposal's title, ask and why; the
    coordinator adds targets, actions and a deadline before it goes live.
    """
    if not _is_coordinator(actor):
        raise PermissionDenied
    with transaction.atomic():
        proposal = _locked(proposal)
        if proposal.status != Status.CARRIED:
            raise ProposalError(_("Only a proposal the members carried can become a campaign."))
        if proposal.campaign_id is not None:
            raise ProposalError(_("This proposal is a campaign already."))
        # Two coordinators making campaigns at the same moment could pick the
        # same free address; the unique slug then refuses the second, whose
        # transaction rolls back whole. Rare enough to leave to a retry.
        campaign = Campaign.objects.create(
            slug=campaign_actions.free_slug(proposal.title),
            title=proposal.title,
            ask=proposal.ask,
            why=proposal.why,
            status=Campaign.Status.DRAFT,
            created_by=actor,
        )
        proposal.campaign = campaign
        proposal.save(update_fields=["campaign"])
        record_change(actor, "advocacy.campaign.create", campaign)
        record_change(actor, "advocacy.proposal.campaign_made", proposal)
        _tell_people(proposal, campaign)
    return campaign
