"""Advocacy in the privacy centre: what "Download my data" holds, and what erasure does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.advocacy.models import (
    ActionNotice,
    AnswerLink,
    CallRecord,
    Campaign,
    CampaignUpdate,
    Commitment,
    EvidenceBrief,
    Letter,
    LetterDelivery,
    PaperSignatures,
    Petition,
    Proposal,
    ProposalSupport,
    ProposalVote,
    Signature,
)

# Imported under other names so that pytest does not take them for test classes.
from peerlight.advocacy.models import TestimonyOffer as Offer
from peerlight.advocacy.models import TestimonyPacket as Packet
from tests.advocacy.factories import make_campaign, make_petition, make_target
from tests.advocacy.osdi_factories import (
    deliver,
    make_calls,
    make_letter,
    make_letter_action,
    make_offer,
    make_signature,
)
from tests.advocacy.proposal_factories import make_proposal
from tests.conftest import with_sudo
from tests.stories.factories import make_story

Status = Proposal.Status


def test_every_advocacy_model_that_points_at_a_person_is_registered() -> None:
    uncovered = [
        reference
        for reference in privacy.uncovered_user_references()
        if reference.startswith("advocacy.")
    ]
    assert uncovered == []
    registry = privacy.registry()
    for label in ("advocacy.signature", "advocacy.letter", "advocacy.proposalvote"):
        assert str(registry[label].erase.reason).strip()


def test_the_deletion_page_says_what_goes_and_what_stays(
    member: User, client_for: Callable[[User | None], Client]
) -> None:
    page = with_sudo(client_for(member)).get(reverse("privacy:delete")).content.decode()
    shown = [r for r in privacy.registrations() if r.label.startswith("advocacy.")]
    assert len(shown) == 16
    for registration in shown:
        assert str(registration.description) in page
        if registration.erase.action != privacy.ErasureAction.DELETE:
            assert str(registration.erase.reason) in page


@pytest.fixture
def acted(member: User, other_member: User) -> dict[str, Any]:
    """The member signed, wrote, called, offered, proposed, backed, voted and was told."""
    campaign = make_campaign(title="Respite for all")
    petition = make_petition(campaign)
    someone_elses_story = make_story(other_member)
    signature = make_signature(
        petition,
        name="River Stone",
        user=member,
        email="river@example.org",
        comment="For my sister.",
        signer="member-river",
    )
    other_signature = make_signature(petition, name="Someone else", signer="other")
    pending_petition = make_petition(make_campaign(title="Second campaign"))
    make_signature(pending_petition, user=member, confirmed=False, signer="member-pending")
    action = make_letter_action(campaign)
    delivered = make_letter(
        action,
        member,
        own_words="Respite gave me my life back.",
        share_name=True,
        signed_name="River S.",
        status=Letter.Status.DELIVERED,
    )
    draft = make_letter(action, member, own_words="Still thinking.", story=someone_elses_story)
    delivery = deliver(action, make_target(), [delivered])
    make_calls(campaign, make_target("Rep. Dana Lee"), [member, other_member])
    offer = make_offer(campaign, someone_elses_story, member)
    own_alone = make_proposal(member, title="Only mine")
    own_backed = make_proposal(member, title="Backed by others", support_count=1)
    ProposalSupport.objects.create(proposal=own_backed, member=other_member)
    theirs = make_proposal(other_member, title="Theirs", support_count=2)
    ProposalSupport.objects.bulk_create(
        [
            ProposalSupport(proposal=theirs, member=member),
            ProposalSupport(proposal=theirs, member=other_member),
        ]
    )
    in_vote = make_proposal(other_member, title="In a vote", closes_in=dt.timedelta(days=1))
    ProposalVote.objects.create(proposal=in_vote, member=member, choice=ProposalVote.Choice.YES)
    ActionNotice.objects.create(user=member, campaign=campaign, kind=ActionNotice.Kind.PROPOSAL)
    return {
        "campaign": campaign,
        "petition": petition,
        "signature": signature,
        "other_signature": other_signature,
        "delivered": delivered,
        "draft": draft,
        "delivery": delivery,
        "offer": offer,
        "own_alone": own_alone,
        "own_backed": own_backed,
        "theirs": theirs,
        "in_vote": in_vote,
    }


def section(user: User, label: str) -> Any:
    return privacy.build_export(user)["sections"][label]["records"]


def test_the_export_holds_what_the_person_did(member: User, acted: dict[str, Any]) -> None:
    signatures = section(member, "advocacy.signature")
    assert [(s["petition"], s["status"]) for s in signatures] == [
        ("Respite for all", "confirmed"),
        ("Second campaign", "pending"),
    ]
    assert signatures[0]["email"] == "river@example.org"
    assert signatures[0]["comment"] == "For my sister."
    letters = section(member, "advocacy.letter")
    assert sorted(letter["own_words"] for letter in letters) == [
        "Respite gave me my life back.",
        "Still thinking.",
    ]
    assert {letter["signed_name"] for letter in letters} == {"River S.", ""}
    assert [c["called"] for c in section(member, "advocacy.callrecord")] == [
        "Rep. Dana Lee, State Senate"
    ]
    (offer,) = section(member, "advocacy.testimonyoffer")
    assert offer["note"] == "I can speak on Tuesdays."
    assert sorted(p["title"] for p in section(member, "advocacy.proposal")) == [
        "Backed by others",
        "Only mine",
    ]
    assert [s["proposal"] for s in section(member, "advocacy.proposalsupport")] == ["Theirs"]
    assert [(v["proposal"], v["vote"]) for v in section(member, "advocacy.proposalvote")] == [
        ("In a vote", "yes")
    ]
    (notice,) = section(member, "advocacy.actionnotice")
    assert (notice["kind"], notice["campaign"]) == ("proposal", "Respite for all")


def test_the_export_of_someone_else_holds_none_of_it(
    other_member: User, acted: dict[str, Any]
) -> None:
    assert [s["name"] for s in section(other_member, "advocacy.signature")] == []
    assert section(other_member, "advocacy.letter") == []
    assert sorted(p["title"] for p in section(other_member, "advocacy.proposal")) == [
        "In a vote",
        "Theirs",
    ]


def test_erasure_deletes_what_was_theirs_and_recounts(
    member: User, other_member: User, acted: dict[str, Any]
) -> None:
    erased_id = privacy.erase_account(member)

    # Signatures go; the counter drops by the confirmed one only.
    assert not Signature.objects.filter(signer_digest__startswith="member-").exists()
    assert Signature.objects.filter(pk=acted["other_signature"].pk).exists()
    assert Petition.objects.get(pk=acted["petition"].pk).signature_count == 1
    # Letters go, delivered ones too; the delivery keeps what was sent.
    assert not Letter.objects.exists()
    delivery = LetterDelivery.objects.get(pk=acted["delivery"].pk)
    assert "Respite gave me my life back." in delivery.content
    assert delivery.counts_by_district == {"District 7": 1}
    # Calls stay in the tally without the caller.
    assert CallRecord.objects.count() == 2
    assert not CallRecord.objects.filter(caller_id=erased_id).exists()
    assert not Offer.objects.exists()
    assert not ActionNotice.objects.filter(user_id=erased_id).exists()
    # Proposals: the one nobody else touched goes; the backed one stays, nameless.
    assert not Proposal.objects.filter(pk=acted["own_alone"].pk).exists()
    backed = Proposal.objects.get(pk=acted["own_backed"].pk)
    assert (backed.proposer_id, backed.support_count) == (None, 1)
    # Backing and votes go; counts are taken again.
    theirs = Proposal.objects.get(pk=acted["theirs"].pk)
    assert theirs.support_count == 1
    assert list(theirs.supports.values_list("member_id", flat=True)) == [other_member.pk]
    assert not ProposalVote.objects.exists()


def test_erasure_of_a_coordinator_keeps_their_work_without_their_name(
    coordinator: User, member: User
) -> None:
    campaign = make_campaign(created_by=coordinator)
    target = make_target()
    petition = make_petition(campaign)
    update = CampaignUpdate.objects.create(campaign=campaign, body="News.", author=coordinator)
    link = AnswerLink.objects.create(
        campaign=campaign,
        target=target,
        token_digest="d" * 64,
        created_by=coordinator,
        expires_at=campaign.created_at + dt.timedelta(days=30),
    )
    commitment = Commitment.objects.create(
        campaign=campaign,
        target=target,
        kind=Commitment.Kind.VOTE,
        description="Voted for the ask.",
        occurred_on=dt.date(2026, 3, 1),
        recorded_by=coordinator,
    )
    brief = EvidenceBrief.objects.create(
        campaign=campaign,
        version=1,
        html="<p>Brief</p>",
        content_sha256="b" * 64,
        evidence_library_version="1",
        built_by=coordinator,
    )
    packet = Packet.objects.create(
        campaign=campaign,
        hearing="Budget hearing",
        content="...",
        content_sha256="c" * 64,
        built_by=coordinator,
    )
    paper = PaperSignatures.objects.create(petition=petition, count=12, entered_by=coordinator)
    action = make_letter_action(campaign)
    delivery = deliver(
        action, target, [make_letter(action, member, status="delivered")], by=coordinator
    )
    carried = make_proposal(member, status=Status.CARRIED)

    assert section(coordinator, "advocacy.campaign") == [campaign.title]
    assert section(coordinator, "advocacy.campaignupdate")[0]["update"] == "News."

    privacy.erase_account(coordinator)

    for model, row, field in [
        (Campaign, campaign, "created_by_id"),
        (CampaignUpdate, update, "author_id"),
        (AnswerLink, link, "created_by_id"),
        (Commitment, commitment, "recorded_by_id"),
        (EvidenceBrief, brief, "built_by_id"),
        (Packet, packet, "built_by_id"),
        (PaperSignatures, paper, "entered_by_id"),
        (LetterDelivery, delivery, "delivered_by_id"),
    ]:
        kept = model.objects.get(pk=row.pk)  # type: ignore[attr-defined]
        assert getattr(kept, field) is None, model
    carried.refresh_from_db()
    assert carried.proposer_id == member.pk
