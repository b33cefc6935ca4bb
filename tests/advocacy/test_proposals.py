"""Member priorities: proposing, backing, the vote and its closing, and making a campaign."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.advocacy import actions as campaign_actions
from peerlight.advocacy import proposals
from peerlight.advocacy.models import (
    ActionNotice,
    Campaign,
    Proposal,
    ProposalSupport,
    ProposalVote,
)
from peerlight.advocacy.proposal_access import Tally
from peerlight.audit.models import AuditEntry
from peerlight.lib.ratelimit import RateLimited
from tests.advocacy.factories import make_campaign
from tests.advocacy.proposal_factories import add_backers, add_votes, make_proposal
from tests.conftest import make_user

Status = Proposal.Status
Choice = ProposalVote.Choice


@pytest.fixture(autouse=True)
def _small_threshold(settings: SettingsWrapper) -> None:
    settings.PEERLIGHT_PROPOSAL_SUPPORT_THRESHOLD = 3
    settings.PEERLIGHT_PROPOSAL_VOTE_DAYS = 7


def verbs(proposal: Proposal) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="advocacy.proposal", target_id=str(proposal.pk))
        .order_by("pk")
        .values_list("verb", flat=True)
    )


def notified(kind: str = ActionNotice.Kind.PROPOSAL) -> list[int]:
    return sorted(ActionNotice.objects.filter(kind=kind).values_list("user_id", flat=True))


# --- The rule of a vote --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "carried"),
    [
        (3, 0, 0, True),  # quorum exactly, all yes
        (2, 1, 0, True),
        (2, 0, 1, True),  # abstentions count towards the quorum
        (2, 0, 0, False),  # below the quorum
        (2, 2, 0, False),  # a tie is not carried
        (1, 2, 5, False),
    ],
)
def test_a_vote_carries_with_more_yes_than_no_and_a_quorum(
    yes: int, no: int, abstain: int, carried: bool
) -> None:
    assert proposals.carries(Tally(yes=yes, no=no, abstain=abstain), quorum=3) is carried


# --- Proposing -----------------------------------------------------------------------------


def test_a_proposal_is_open_for_support_at_once_and_audited(member: User) -> None:
    proposal = proposals.propose(member, title="  Respite  ", ask="Fund it.", why="It helps.")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.title, proposal.proposer_id) == (
        Status.OPEN,
        "Respite",
        member.pk,
    )
    entry = AuditEntry.objects.get(verb="advocacy.proposal.create")
    assert (entry.actor_id, entry.subject_id, entry.target_id) == (
        member.pk,
        member.pk,
        str(proposal.pk),
    )
    assert "Respite" not in entry.reason


def test_guests_and_empty_proposals_are_refused(member: User) -> None:
    guest = make_user("Guest 1")
    guest.is_guest = True
    guest.save()
    with pytest.raises(proposals.ProposalError):
        proposals.propose(guest, title="A", ask="B", why="C")
    with pytest.raises(proposals.ProposalError):
        proposals.propose(member, title="A", ask="   ", why="C")
    assert not Proposal.objects.exists()


def test_proposing_is_rate_limited_per_account(member: User, other_member: User) -> None:
    for n in range(proposals.PROPOSE.limit):
        proposals.propose(member, title=f"Idea {n}", ask="Ask", why="Why")
    with pytest.raises(RateLimited):
        proposals.propose(member, title="One more", ask="Ask", why="Why")
    proposals.propose(other_member, title="Someone else's", ask="Ask", why="Why")
    assert Proposal.objects.filter(proposer=member).count() == proposals.PROPOSE.limit


# --- Backing -------------------------------------------------------------------------------


def test_backing_is_once_each_and_counted_in_step(member: User, other_member: User) -> None:
    proposal = make_proposal(other_member)
    assert proposals.back(member, proposal) is True
    assert proposals.back(member, proposal) is False
    proposal.refresh_from_db()
    assert proposal.support_count == 1
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 1
    assert verbs(proposal) == ["advocacy.proposal.support"]


def test_backing_can_be_taken_back_while_open(member: User, other_member: User) -> None:
    proposal = make_proposal(other_member)
    proposals.back(member, proposal)
    assert proposals.take_back(member, proposal) is True
    assert proposals.take_back(member, proposal) is False
    proposal.refresh_from_db()
    assert proposal.support_count == 0
    assert not ProposalSupport.objects.exists()
    assert verbs(proposal) == ["advocacy.proposal.support", "advocacy.proposal.support_withdrawn"]


def test_the_backing_that_reaches_the_threshold_opens_the_vote(
    member: User, other_member: User
) -> None:
    proposal = make_proposal(other_member)
    backers = add_backers(proposal, 2)
    before = timezone.now()
    proposals.back(member, proposal)
    proposal.refresh_from_db()
    assert proposal.status == Status.VOTING
    assert proposal.support_count == 3
    assert proposal.voting_opens_at is not None
    assert proposal.voting_opens_at >= before
    assert proposal.voting_closes_at == proposal.voting_opens_at + dt.timedelta(days=7)
    assert "advocacy.proposal.vote_opened" in verbs(proposal)
    # The proposer and every backer hear that it moved on.
    assert notified() == sorted([other_member.pk, member.pk, *(b.pk for b in backers)])
    # Once the vote is open, backing is frozen.
    with pytest.raises(proposals.ProposalError):
        proposals.take_back(member, proposal)
    with pytest.raises(proposals.ProposalError):
        proposals.back(make_user("Late"), proposal)
    proposal.refresh_from_db()
    assert proposal.support_count == 3


@pytest.mark.django_db(transaction=True)
def test_backers_at_the_same_moment_are_counted_once_each_and_open_one_vote() -> None:
    """Eight threads, each with its own connection, back a proposal needing three."""
    proposal = make_proposal(None)
    racers = [make_user(f"Racer {n}") for n in range(8)]
    start = threading.Barrier(len(racers))
    outcomes: list[object] = []

    def race(person: User) -> None:
        try:
            start.wait()
            outcomes.append(proposals.back(person, proposal))
        except proposals.ProposalError:
            outcomes.append("refused")
        except BaseException as error:  # reported below, in the test's thread
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(person,)) for person in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == ["True"] * 3 + ["refused"] * 5
    proposal.refresh_from_db()
    assert proposal.status == Status.VOTING
    assert proposal.support_count == ProposalSupport.objects.filter(proposal=proposal).count() == 3
    assert verbs(proposal).count("advocacy.proposal.vote_opened") == 1


def test_a_proposal_that_is_not_open_cannot_be_backed(member: User) -> None:
    proposal = make_proposal(None, status=Status.DECLINED)
    with pytest.raises(proposals.ProposalError):
        proposals.back(member, proposal)
    assert not ProposalSupport.objects.exists()


# --- Voting --------------------------------------------------------------------------------


def test_members_vote_once_and_may_change_it(member: User) -> None:
    proposal = make_proposal(None, closes_in=dt.timedelta(days=3))
    proposals.vote(member, proposal, Choice.YES)
    proposals.vote(member, proposal, Choice.NO)
    assert list(ProposalVote.objects.values_list("member_id", "choice")) == [
        (member.pk, Choice.NO)
    ]
    assert verbs(proposal) == ["advocacy.proposal.vote", "advocacy.proposal.vote_changed"]
    # How someone voted is never in the audit log.
    assert not AuditEntry.objects.filter(reason__contains="no").exists()


@pytest.mark.parametrize(
    ("fields", "choice"),
    [
        ({"closes_in": dt.timedelta(days=3)}, "maybe"),
        ({"closes_in": dt.timedelta(seconds=-1)}, Choice.YES),
        ({"status": Status.OPEN}, Choice.YES),
    ],
)
def test_votes_outside_an_open_vote_are_refused(
    member: User, fields: dict[str, object], choice: str
) -> None:
    proposal = make_proposal(None, **fields)  # type: ignore[arg-type]
    with pytest.raises(proposals.ProposalError):
        proposals.vote(member, proposal, choice)
    assert not ProposalVote.objects.exists()


def test_closing_a_vote_decides_it_once_and_tells_everyone(member: User) -> None:
    proposal = make_proposal(member, closes_in=dt.timedelta(seconds=-1))
    backers = add_backers(proposal, 3)
    voters = add_votes(proposal, Choice.YES, 2) + add_votes(proposal, Choice.ABSTAIN, 1)
    assert proposals.close_vote(proposal) is True
    assert proposals.close_vote(proposal) is False
    proposal.refresh_from_db()
    assert proposal.status == Status.CARRIED
    assert proposal.decided_at is not None
    entry = AuditEntry.objects.get(verb="advocacy.proposal.vote_closed")
    assert (entry.actor_id, entry.reason) == (None, "yes=2 no=0 abstain=1")
    everyone = sorted([member.pk, *(p.pk for p in backers), *(p.pk for p in voters)])
    assert notified() == everyone


def test_a_vote_below_the_quorum_is_not_carried(member: User) -> None:
    proposal = make_proposal(member, closes_in=dt.timedelta(seconds=-1))
    add_votes(proposal, Choice.YES, 2)
    proposals.close_vote(proposal)
    proposal.refresh_from_db()
    assert proposal.status == Status.NOT_CARRIED


def test_a_vote_that_is_not_due_stays_open(member: User) -> None:
    proposal = make_proposal(member, closes_in=dt.timedelta(hours=1))
    add_votes(proposal, Choice.YES, 3)
    assert proposals.close_vote(proposal) is False
    proposal.refresh_from_db()
    assert proposal.status == Status.VOTING
    assert not ActionNotice.objects.exists()


def test_the_task_closes_every_due_vote_and_is_safe_to_run_twice(member: User) -> None:
    due = [make_proposal(member, closes_in=dt.timedelta(minutes=-n)) for n in (1, 2)]
    later = make_proposal(member, closes_in=dt.timedelta(days=1))
    add_votes(due[0], Choice.YES, 3)
    assert proposals.close_due_votes.call() == 2
    assert proposals.close_due_votes.call() == 0
    statuses = {p.pk: p.status for p in Proposal.objects.all()}
    assert statuses == {
        due[0].pk: Status.CARRIED,
        due[1].pk: Status.NOT_CARRIED,
        later.pk: Status.VOTING,
    }
    assert AuditEntry.objects.filter(verb="advocacy.proposal.vote_closed").count() == 2


# --- Declining and withdrawing -------------------------------------------------------------


def test_a_coordinator_declines_with_a_reason(
    coordinator: User, member: User, other_member: User
) -> None:
    proposal = make_proposal(member)
    proposals.back(other_member, proposal)
    proposals.decline(coordinator, proposal, "  It names a person.  ")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.staff_note) == (Status.DECLINED, "It names a person.")
    entry = AuditEntry.objects.get(verb="advocacy.proposal.decline")
    assert entry.actor_id == coordinator.pk
    assert "person" not in entry.reason
    assert notified() == sorted([member.pk, other_member.pk])


def test_only_coordinators_decline_and_only_with_a_reason(
    coordinator: User, member: User, peer_supporter: User
) -> None:
    proposal = make_proposal(member)
    with pytest.raises(PermissionDenied):
        proposals.decline(peer_supporter, proposal, "No.")
    with pytest.raises(proposals.ProposalError):
        proposals.decline(coordinator, proposal, "   ")
    with pytest.raises(proposals.ProposalError):
        proposals.decline(coordinator, proposal, "x" * (proposals.DECLINE_REASON_MAX + 1))
    decided = make_proposal(member, status=Status.CARRIED)
    with pytest.raises(proposals.ProposalError):
        proposals.decline(coordinator, decided, "Too late.")
    assert set(Proposal.objects.values_list("status", flat=True)) == {Status.OPEN, Status.CARRIED}


def test_the_proposer_withdraws_an_open_proposal_only(member: User, other_member: User) -> None:
    proposal = make_proposal(member)
    with pytest.raises(PermissionDenied):
        proposals.withdraw(other_member, proposal)
    proposals.withdraw(member, proposal)
    proposal.refresh_from_db()
    assert proposal.status == Status.WITHDRAWN
    voting = make_proposal(member, closes_in=dt.timedelta(days=1))
    with pytest.raises(proposals.ProposalError):
        proposals.withdraw(member, voting)


# --- From proposal to campaign -------------------------------------------------------------


def test_a_carried_proposal_becomes_a_draft_campaign(coordinator: User, member: User) -> None:
    proposal = make_proposal(member, status=Status.CARRIED, title="Respite for all")
    voters = add_votes(proposal, Choice.YES, 3)
    campaign = proposals.make_campaign(coordinator, proposal)
    proposal.refresh_from_db()
    assert proposal.campaign == campaign
    assert (campaign.slug, campaign.title, campaign.status, campaign.created_by) == (
        "respite-for-all",
        "Respite for all",
        Campaign.Status.DRAFT,
        coordinator,
    )
    assert (campaign.ask, campaign.why) == (proposal.ask, proposal.why)
    assert set(
        ActionNotice.objects.filter(campaign=campaign).values_list("user_id", flat=True)
    ) == {member.pk, *(v.pk for v in voters)}
    assert "advocacy.proposal.campaign_made" in verbs(proposal)
    assert AuditEntry.objects.filter(
        verb="advocacy.campaign.create", target_id=str(campaign.pk)
    ).exists()
    with pytest.raises(proposals.ProposalError):
        proposals.make_campaign(coordinator, proposal)
    assert Campaign.objects.count() == 1


def test_only_coordinators_make_campaigns_and_only_of_carried_proposals(
    coordinator: User, member: User
) -> None:
    carried = make_proposal(member, status=Status.CARRIED)
    with pytest.raises(PermissionDenied):
        proposals.make_campaign(member, carried)
    lost = make_proposal(member, status=Status.NOT_CARRIED)
    with pytest.raises(proposals.ProposalError):
        proposals.make_campaign(coordinator, lost)
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("title", "taken", "expected"),
    [
        ("News", [], "news-2"),
        ("Export", ["export-2"], "export-3"),
        ("Fund respite", ["fund-respite"], "fund-respite-2"),
        ("¿¡!?", [], "campaign"),
        ("Proposals", [], "proposals-2"),
    ],
)
def test_campaign_addresses_avoid_reserved_words_and_taken_ones(
    db: None, title: str, taken: list[str], expected: str
) -> None:
    for slug in taken:
        campaign = make_campaign()
        campaign.slug = slug
        campaign.save()
    assert campaign_actions.free_slug(title) == expected
