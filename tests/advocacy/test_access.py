"""The reads of campaigns, targets and petitions that others build on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.advocacy import access
from peerlight.advocacy.models import (
    CallAction,
    CallRecord,
    Campaign,
    Letter,
    LetterAction,
    PaperSignatures,
    Signature,
)
from peerlight.advocacy.models import (
    TestimonyOffer as Offer,
)
from tests.advocacy.factories import make_campaign, make_petition, make_target
from tests.conftest import make_user
from tests.stories.factories import make_story

# --- Who is a coordinator --------------------------------------------------------------


def test_only_active_coordinators_are_coordinators(
    member: User, coordinator: User, admin_user: User
) -> None:
    assert access.is_coordinator(coordinator)
    assert not access.is_coordinator(member)
    assert not access.is_coordinator(admin_user)
    assert not access.is_coordinator(AnonymousUser())
    assert not access.is_coordinator(None)
    RoleGrant.objects.filter(user=coordinator, role=Role.COORDINATOR).update(
        revoked_at=timezone.now()
    )
    assert not access.is_coordinator(User.objects.get(pk=coordinator.pk))


# --- Campaigns ------------------------------------------------------------------------


def test_drafts_are_listed_only_for_coordinators(member: User, coordinator: User) -> None:
    older = make_campaign(title="Older active")
    Campaign.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(days=9))
    won = make_campaign(title="Won", status=Campaign.Status.WON)
    draft = make_campaign(title="Draft", status=Campaign.Status.DRAFT)
    newer = make_campaign(title="Newer active")
    assert list(access.listed_campaigns(None)) == [newer, older, won]
    assert list(access.listed_campaigns(member)) == [newer, older, won]
    assert list(access.listed_campaigns(coordinator)) == [newer, older, draft, won]


def test_a_draft_is_not_found_for_anyone_but_coordinators(member: User, coordinator: User) -> None:
    draft = make_campaign(status=Campaign.Status.DRAFT)
    for viewer in (None, AnonymousUser(), member):
        with pytest.raises(Http404):
            access.campaign_for(viewer, draft.slug)
    assert access.campaign_for(coordinator, draft.slug) == draft
    with pytest.raises(Http404):
        access.campaign_for(coordinator, "nothing-here")


def test_campaigns_that_left_the_draft_stage_are_anyones(member: User) -> None:
    closed = make_campaign(status=Campaign.Status.CLOSED)
    assert access.campaign_for(None, closed.slug) == closed
    assert access.campaign_for(member, closed.slug) == closed


def test_members_who_acted_are_those_who_signed_wrote_called_or_offered(
    member: User, other_member: User, db: None
) -> None:
    campaign = make_campaign()
    elsewhere = make_campaign(title="Another campaign")
    writer, withdrawn_writer, caller, witness, other_witness, elsewhere_signer = (
        make_user(name)
        for name in ("Writer", "Gave up", "Caller", "Witness", "Took back", "Elsewhere")
    )
    petition = make_petition(campaign)
    Signature.objects.create(
        petition=petition, user=member, name="River", signer_digest="m", status="confirmed"
    )
    Signature.objects.create(petition=petition, name="Visitor", signer_digest="v")
    Signature.objects.create(
        petition=make_petition(elsewhere),
        user=elsewhere_signer,
        name="E",
        signer_digest="e",
        status="confirmed",
    )
    letters = LetterAction.objects.create(campaign=campaign, subject="Fund it", template="Dear")
    Letter.objects.create(action=letters, writer=writer)
    Letter.objects.create(action=letters, writer=withdrawn_writer, status=Letter.Status.WITHDRAWN)
    calls = CallAction.objects.create(campaign=campaign, script="Hello")
    CallRecord.objects.create(action=calls, target=campaign.targets.get(), caller=caller)
    CallRecord.objects.create(action=calls, target=campaign.targets.get(), caller=None)
    Offer.objects.create(campaign=campaign, story=make_story(witness), member=witness)
    Offer.objects.create(
        campaign=campaign,
        story=make_story(other_witness),
        member=other_witness,
        status=Offer.Status.WITHDRAWN,
    )
    assert set(access.members_who_acted(campaign)) == {member, writer, caller, witness}
    assert set(access.members_who_acted(elsewhere)) == {elsewhere_signer}
    assert not access.members_who_acted(make_campaign(title="Quiet")).exists()


# --- Targets --------------------------------------------------------------------------


def test_a_missing_target_is_not_found(db: None) -> None:
    target = make_target()
    assert access.target_for(target.pk) == target
    with pytest.raises(Http404):
        access.target_for(target.pk + 1)


def test_only_targets_with_zip_codes_make_districts(db: None) -> None:
    campaign = make_campaign(
        targets=[
            make_target("B Board", zip_codes=[]),
            make_target("A Senator", zip_codes=["97201"]),
        ]
    )
    assert access.district_zip_codes(campaign) == [("A Senator", ["97201"])]


# --- Petitions ------------------------------------------------------------------------


def test_the_petition_to_sign_is_found_by_slug_but_not_on_a_draft(db: None) -> None:
    campaign = make_campaign()
    petition = make_petition(campaign)
    draft = make_campaign(status=Campaign.Status.DRAFT)
    make_petition(draft)
    found = access.petition_for_signing(campaign.slug)
    assert found == petition
    assert access.petition_for_signing(draft.slug) is None
    assert access.petition_for_signing(make_campaign().slug) is None
    assert access.petition_for_signing("nothing") is None


def test_only_open_petitions_of_active_campaigns_take_signatures(db: None) -> None:
    petition = make_petition(make_campaign())
    assert access.is_taking_signatures(petition)
    petition.is_open = False
    assert not access.is_taking_signatures(petition)
    paused = make_petition(make_campaign(status=Campaign.Status.PAUSED))
    assert not access.is_taking_signatures(paused)


def test_the_public_count_adds_paper_to_online(db: None) -> None:
    petition = make_petition(make_campaign(), signature_count=7)
    assert access.public_count(petition) == 7
    PaperSignatures.objects.create(petition=petition, count=5)
    PaperSignatures.objects.create(petition=petition, count=3)
    assert access.paper_total(petition) == 8
    assert access.public_count(petition) == 15


def test_public_names_are_confirmed_chosen_and_newest_first(db: None) -> None:
    petition = make_petition(make_campaign())
    now = timezone.now()
    rows = [
        ("Shown early", True, "confirmed", 3),
        ("Hidden", False, "confirmed", 2),
        ("Waiting", True, "pending", 1),
        ("Shown late", True, "confirmed", 0),
    ]
    for number, (name, show, status, hours_ago) in enumerate(rows):
        Signature.objects.create(
            petition=petition,
            name=name,
            signer_digest=str(number),
            show_name=show,
            status=status,
            confirmed_at=now - dt.timedelta(hours=hours_ago) if status == "confirmed" else None,
        )
    assert access.public_names(petition) == ["Shown late", "Shown early"]
    assert access.public_names(petition, limit=1) == ["Shown late"]


def test_counts_by_district_add_online_and_paper(db: None) -> None:
    campaign = make_campaign(targets=[make_target("Sen. A", zip_codes=["97201"])])
    petition = make_petition(campaign)
    for number, zip_code in enumerate(["97201", "97201", "10001", ""]):
        Signature.objects.create(
            petition=petition,
            name="S",
            signer_digest=str(number),
            zip_code=zip_code,
            status="confirmed",
        )
    Signature.objects.create(petition=petition, name="P", signer_digest="p", zip_code="97201")
    PaperSignatures.objects.create(petition=petition, count=6, zip_counts={"97201": 2})
    counted = access.counts_by_district(petition, access.district_zip_codes(campaign))
    assert [(d.name, d.count) for d in counted.districts] == [("Sen. A", 4)]
    assert counted.outside == 1
    assert counted.no_zip == 5
