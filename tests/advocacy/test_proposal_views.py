"""The member-priorities pages: list, propose, a proposal, backing, voting, coordinators' steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.advocacy.models import (
    ActionNotice,
    Campaign,
    Proposal,
    ProposalSupport,
    ProposalVote,
)
from tests.advocacy.proposal_factories import add_backers, add_votes, make_proposal
from tests.conftest import delete_with_csrf, make_user, post_with_csrf

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

Status = Proposal.Status
Choice = ProposalVote.Choice
ClientFor = Callable[[User | None], Client]


@pytest.fixture(autouse=True)
def _small_threshold(settings: SettingsWrapper) -> None:
    settings.PEERLIGHT_PROPOSAL_SUPPORT_THRESHOLD = 3
    settings.PEERLIGHT_PROPOSAL_VOTE_DAYS = 7


def url(name: str, proposal: Proposal | None = None) -> str:
    return reverse(f"advocacy:{name}", args=[proposal.pk] if proposal else [])


def text(response: TestResponse) -> str:
    return response.content.decode()


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_public_proposals_and_how_it_works(
    client_for: ClientFor, member: User
) -> None:
    make_proposal(member, title="Gathering one", support_count=1)
    make_proposal(member, title="Voting one", closes_in=dt.timedelta(days=2))
    make_proposal(member, title="Carried one", status=Status.CARRIED)
    make_proposal(member, title="Declined one", status=Status.DECLINED)
    make_proposal(member, title="Withdrawn one", status=Status.WITHDRAWN)
    page = text(client_for(None).get(url("proposal_list")))
    for title in ("Gathering one", "Voting one", "Carried one"):
        assert title in page
    assert "Declined one" not in page
    assert "Withdrawn one" not in page
    assert "1 of 3 members back it" in page
    assert "Results stay hidden until it closes" in page
    assert "at least 3 members vote" in page
    assert member.display_name not in page
    assert "Sign in to propose a campaign" in page


def test_the_proposer_sees_their_own_in_every_state(client_for: ClientFor, member: User) -> None:
    make_proposal(member, title="Declined one", status=Status.DECLINED)
    page = text(client_for(member).get(url("proposal_list")))
    assert reverse("advocacy:export") not in page
    assert "Your proposals" in page
    assert "Declined one" in page
    assert "Propose a campaign" in page


def test_the_list_closes_due_votes_on_the_way(client_for: ClientFor, member: User) -> None:
    proposal = make_proposal(member, title="Due one", closes_in=dt.timedelta(seconds=-1))
    add_votes(proposal, Choice.YES, 3)
    page = text(client_for(None).get(url("proposal_list")))
    proposal.refresh_from_db()
    assert proposal.status == Status.CARRIED
    assert "No vote is open right now." in page


def test_the_list_takes_the_same_queries_however_many_proposals(
    client_for: ClientFor, member: User
) -> None:
    client = client_for(member)
    make_proposal(member)
    client.get(url("proposal_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(url("proposal_list"))
    for n in range(5):
        make_proposal(member, title=f"More {n}", support_count=n)
        make_proposal(member, title=f"Vote {n}", closes_in=dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as many:
        client.get(url("proposal_list"))
    assert len(many) == len(few)


def test_the_list_refuses_other_methods(client_for: ClientFor, member: User) -> None:
    assert delete_with_csrf(client_for(member), url("proposal_list")).status_code == 405


# --- Proposing -----------------------------------------------------------------------------


def test_a_member_proposes_a_campaign(client_for: ClientFor, member: User) -> None:
    client = client_for(member)
    assert 'name="title"' in text(client.get(url("proposal_new")))
    data = {"title": "Respite", "ask": "Fund respite.", "why": "It helps."}
    response = post_with_csrf(client, url("proposal_new"), data)
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("proposal", proposal)
    assert (proposal.title, proposal.proposer, proposal.status) == ("Respite", member, Status.OPEN)
    assert "Your proposal is open for members to back." in text(client.get(response["Location"]))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"title": "", "ask": "A", "why": "B"}, "Please give the proposal a title."),
        ({"title": "T", "ask": "", "why": "B"}, "Please say what the campaign should ask for."),
        ({"title": "x" * 161, "ask": "A", "why": "B"}, "at most 160 characters"),
        ({"title": "T", "ask": "A", "why": "w" * 3001}, "at most 3000 characters"),
    ],
)
def test_bad_proposals_are_explained_and_nothing_is_saved(
    client_for: ClientFor, member: User, data: dict[str, str], error: str
) -> None:
    response = post_with_csrf(client_for(member), url("proposal_new"), data)
    assert response.status_code == 400
    assert error in text(response)
    assert not Proposal.objects.exists()


def test_guests_are_asked_to_make_an_account(client_for: ClientFor) -> None:
    guest = make_user("Guest 7")
    guest.is_guest = True
    guest.save()
    client = client_for(guest)
    assert "Making one takes a minute" in text(client.get(url("proposal_new")))
    response = post_with_csrf(client, url("proposal_new"), {"title": "T", "ask": "A", "why": "B"})
    assert response.status_code == 400
    assert not Proposal.objects.exists()


def test_too_many_proposals_are_slowed_down(client_for: ClientFor, member: User) -> None:
    client = client_for(member)
    data = {"title": "T", "ask": "A", "why": "B"}
    for _ in range(5):
        assert post_with_csrf(client, url("proposal_new"), data).status_code == 302
    response = post_with_csrf(client, url("proposal_new"), data)
    assert response.status_code == 429
    assert "Please wait about" in text(response)
    assert Proposal.objects.count() == 5


def test_visitors_are_sent_to_sign_in_to_propose(client_for: ClientFor) -> None:
    response = client_for(None).get(url("proposal_new"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    post_with_csrf(client_for(None), url("proposal_new"), {"title": "T", "ask": "A", "why": "B"})
    assert not Proposal.objects.exists()


def test_proposing_refuses_other_methods(client_for: ClientFor, member: User) -> None:
    assert delete_with_csrf(client_for(member), url("proposal_new")).status_code == 405


# --- A proposal ----------------------------------------------------------------------------


def test_anyone_reads_an_open_proposal_without_the_proposers_name(
    client_for: ClientFor, member: User
) -> None:
    proposal = make_proposal(member, title="Respite now")
    page = text(client_for(None).get(url("proposal", proposal)))
    assert "Respite now" in page
    assert "Fund a peer respite house" in page
    assert "0 of 3 members back it." in page
    assert "Sign in to back this proposal" in page
    assert member.display_name not in page


@pytest.mark.parametrize("status", [Status.DECLINED, Status.WITHDRAWN, Status.PENDING_REVIEW])
def test_hidden_proposals_are_there_only_for_the_proposer_and_coordinators(
    client_for: ClientFor, member: User, other_member: User, coordinator: User, status: str
) -> None:
    proposal = make_proposal(member, status=status, staff_note="It names someone.")
    assert client_for(None).get(url("proposal", proposal)).status_code == 404
    assert client_for(other_member).get(url("proposal", proposal)).status_code == 404
    assert client_for(member).get(url("proposal", proposal)).status_code == 200
    assert client_for(coordinator).get(url("proposal", proposal)).status_code == 200
    assert client_for(member).get("/act/proposals/999999/").status_code == 404


def test_the_proposer_reads_why_it_was_declined(
    client_for: ClientFor, member: User, other_member: User
) -> None:
    proposal = make_proposal(member, status=Status.DECLINED, staff_note="It names someone.")
    page = text(client_for(member).get(url("proposal", proposal)))
    assert "Why it was declined" in page
    assert "It names someone." in page


def test_a_vote_in_progress_hides_the_tally(client_for: ClientFor, member: User) -> None:
    proposal = make_proposal(member, closes_in=dt.timedelta(days=2))
    add_votes(proposal, Choice.YES, 2)
    page = text(client_for(member).get(url("proposal", proposal)))
    assert "The results stay hidden until it closes" in page
    assert 'id="result-heading"' not in page
    assert "Votes cast" not in page
    assert 'name="choice"' in page


def test_a_closed_vote_shows_its_result_and_the_rule(client_for: ClientFor, member: User) -> None:
    proposal = make_proposal(member, closes_in=dt.timedelta(seconds=-1))
    add_votes(proposal, Choice.YES, 2)
    add_votes(proposal, Choice.NO, 1)
    add_votes(proposal, Choice.ABSTAIN, 4)
    page = text(client_for(None).get(url("proposal", proposal)))
    proposal.refresh_from_db()
    assert proposal.status == Status.CARRIED  # closed by the page, the worker being late
    assert "Carried: members chose to make this a campaign." in page
    assert "<td>2</td>" in page
    assert "<td>1</td>" in page
    assert "<td>4</td>" in page
    assert "abstaining counts as voting" in page


def test_the_proposal_page_refuses_other_methods(client_for: ClientFor, member: User) -> None:
    proposal = make_proposal(member)
    assert delete_with_csrf(client_for(member), url("proposal", proposal)).status_code == 405


# --- Backing -------------------------------------------------------------------------------


def test_a_member_backs_and_stops_backing(
    client_for: ClientFor, member: User, other_member: User
) -> None:
    proposal = make_proposal(other_member)
    client = client_for(member)
    response = post_with_csrf(client, url("proposal_support", proposal))
    assert response.status_code == 302
    assert response["Location"] == url("proposal", proposal)
    post_with_csrf(client, url("proposal_support", proposal))  # twice changes nothing
    proposal.refresh_from_db()
    assert proposal.support_count == 1
    assert "Stop backing it" in text(client.get(url("proposal", proposal)))
    post_with_csrf(client, url("proposal_unsupport", proposal))
    proposal.refresh_from_db()
    assert proposal.support_count == 0
    assert not ProposalSupport.objects.exists()


def test_the_third_backer_opens_the_vote(client_for: ClientFor, member: User) -> None:
    proposal = make_proposal(None)
    add_backers(proposal, 2)
    page = text(post_with_csrf(client_for(member), url("proposal_support", proposal), follow=True))
    proposal.refresh_from_db()
    assert proposal.status == Status.VOTING
    assert "The member vote" in page


def test_backing_a_proposal_in_a_vote_is_refused_kindly(
    client_for: ClientFor, member: User
) -> None:
    proposal = make_proposal(None, closes_in=dt.timedelta(days=1))
    response = post_with_csrf(client_for(member), url("proposal_support", proposal))
    assert response.status_code == 400
    assert "no longer gathering support" in text(response)
    assert not ProposalSupport.objects.exists()


def test_strangers_cannot_back(client_for: ClientFor, member: User, other_member: User) -> None:
    proposal = make_proposal(member)
    response = post_with_csrf(client_for(None), url("proposal_support", proposal))
    assert response["Location"].startswith(reverse("accounts:login"))
    hidden = make_proposal(member, status=Status.DECLINED)
    assert (
        post_with_csrf(client_for(other_member), url("proposal_support", hidden)).status_code
        == 404
    )
    assert not ProposalSupport.objects.exists()


@pytest.mark.parametrize("name", ["proposal_support", "proposal_unsupport", "proposal_withdraw"])
def test_backing_steps_refuse_get(client_for: ClientFor, member: User, name: str) -> None:
    proposal = make_proposal(member)
    assert client_for(member).get(url(name, proposal)).status_code == 405


# --- Withdrawing ---------------------------------------------------------------------------


def test_the_proposer_withdraws(client_for: ClientFor, member: User, other_member: User) -> None:
    proposal = make_proposal(member)
    assert (
        post_with_csrf(client_for(other_member), url("proposal_withdraw", proposal)).status_code
        == 404
    )
    response = post_with_csrf(client_for(member), url("proposal_withdraw", proposal))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Status.WITHDRAWN


# --- Voting --------------------------------------------------------------------------------


def test_a_member_votes_and_changes_their_vote(client_for: ClientFor, member: User) -> None:
    proposal = make_proposal(None, closes_in=dt.timedelta(days=2))
    client = client_for(member)
    response = post_with_csrf(client, url("proposal_vote", proposal), {"choice": "yes"})
    assert response.status_code == 302
    post_with_csrf(client, url("proposal_vote", proposal), {"choice": "abstain"})
    assert list(ProposalVote.objects.values_list("choice", flat=True)) == ["abstain"]
    assert "Your vote: I abstain." in text(client.get(url("proposal", proposal)))


@pytest.mark.parametrize("data", [{}, {"choice": "maybe"}])
def test_a_bad_vote_is_explained_and_nothing_is_saved(
    client_for: ClientFor, member: User, data: dict[str, str]
) -> None:
    proposal = make_proposal(None, closes_in=dt.timedelta(days=2))
    response = post_with_csrf(client_for(member), url("proposal_vote", proposal), data)
    assert response.status_code == 400
    assert "Please choose yes, no or abstain." in text(response)
    assert not ProposalVote.objects.exists()


def test_a_vote_after_the_close_is_refused(client_for: ClientFor, member: User) -> None:
    proposal = make_proposal(None, closes_in=dt.timedelta(seconds=-1))
    response = post_with_csrf(
        client_for(member), url("proposal_vote", proposal), {"choice": "yes"}
    )
    assert response.status_code == 400
    assert "This vote is not open." in text(response)
    assert not ProposalVote.objects.exists()


def test_visitors_cannot_vote(client_for: ClientFor) -> None:
    proposal = make_proposal(None, closes_in=dt.timedelta(days=2))
    response = post_with_csrf(client_for(None), url("proposal_vote", proposal), {"choice": "yes"})
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client_for(None).get(url("proposal_vote", proposal)).status_code == 405
    assert not ProposalVote.objects.exists()


# --- Coordinators --------------------------------------------------------------------------


def test_a_coordinator_declines_with_a_reason(
    client_for: ClientFor, member: User, coordinator: User
) -> None:
    proposal = make_proposal(member)
    client = client_for(coordinator)
    assert "Decline this proposal" in text(client.get(url("proposal", proposal)))
    response = post_with_csrf(
        client, url("proposal_decline", proposal), {"reason": "It names a person."}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.staff_note) == (Status.DECLINED, "It names a person.")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Please say why the proposal is declined."),
        ({"reason": "x" * 1001}, "at most 1000 characters"),
    ],
)
def test_a_decline_without_a_good_reason_changes_nothing(
    client_for: ClientFor, member: User, coordinator: User, data: dict[str, str], error: str
) -> None:
    proposal = make_proposal(member)
    response = post_with_csrf(client_for(coordinator), url("proposal_decline", proposal), data)
    assert response.status_code == 400
    assert error in text(response)
    proposal.refresh_from_db()
    assert proposal.status == Status.OPEN


def test_members_cannot_decline_or_make_campaigns(
    client_for: ClientFor, member: User, peer_supporter: User
) -> None:
    proposal = make_proposal(member, status=Status.CARRIED)
    for person in (member, peer_supporter):
        client = client_for(person)
        assert "For coordinators" not in text(client.get(url("proposal", proposal)))
        response = post_with_csrf(client, url("proposal_decline", proposal), {"reason": "No."})
        assert response.status_code == 404
        assert post_with_csrf(client, url("proposal_make_campaign", proposal)).status_code == 404
    anonymous = post_with_csrf(client_for(None), url("proposal_make_campaign", proposal))
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    proposal.refresh_from_db()
    assert (proposal.status, proposal.campaign) == (Status.CARRIED, None)


def test_a_coordinator_makes_a_carried_proposal_a_campaign(
    client_for: ClientFor, member: User, coordinator: User
) -> None:
    proposal = make_proposal(member, status=Status.CARRIED, title="Respite now")
    client = client_for(coordinator)
    listing = text(client.get(url("proposal_list")))
    assert "Carried, waiting to become campaigns" in listing
    assert reverse("advocacy:export") in listing
    response = post_with_csrf(client, url("proposal_make_campaign", proposal), follow=True)
    campaign = Campaign.objects.get()
    assert (campaign.slug, campaign.status) == ("respite-now", Campaign.Status.DRAFT)
    assert "A draft campaign is ready." in text(response)
    assert ActionNotice.objects.filter(user=member, campaign=campaign).exists()
    again = post_with_csrf(client, url("proposal_make_campaign", proposal))
    assert again.status_code == 400
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize("name", ["proposal_decline", "proposal_make_campaign"])
def test_coordinator_steps_refuse_get(client_for: ClientFor, coordinator: User, name: str) -> None:
    proposal = make_proposal(None, status=Status.CARRIED)
    assert client_for(coordinator).get(url(name, proposal)).status_code == 405


def test_the_campaign_link_waits_until_the_campaign_is_live(
    client_for: ClientFor, member: User, coordinator: User
) -> None:
    proposal = make_proposal(member, status=Status.CARRIED, title="Respite now")
    post_with_csrf(client_for(coordinator), url("proposal_make_campaign", proposal))
    campaign = Campaign.objects.get()
    link = reverse("advocacy:campaign", args=[campaign.slug])
    assert link in text(client_for(coordinator).get(url("proposal", proposal)))
    page = text(client_for(member).get(url("proposal", proposal)))
    assert link not in page
    assert "Coordinators are turning it into a campaign." in page
    campaign.status = Campaign.Status.ACTIVE
    campaign.save()
    assert link in text(client_for(member).get(url("proposal", proposal)))
