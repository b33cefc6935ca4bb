"""The coordinators' writes, called directly: who may make them and the rules they check again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from peerlight.accounts.models import User
from peerlight.advocacy import actions
from peerlight.advocacy.models import (
    Campaign,
    CampaignUpdate,
    PaperSignatures,
    Petition,
    Target,
)
from peerlight.audit.models import AuditEntry
from tests.advocacy.factories import make_campaign, make_petition, make_target

TARGET = {
    "name": "Rep. Sam Chen",
    "office": "State House",
    "kind": "legislator",
    "district": "District 36",
    "district_zip_codes": ["97201"],
    "contact_route": "email",
    "email": "chen@house.example",
    "phone": "",
    "postal_address": "",
    "web_form_url": "",
    "notes": "",
}
CAMPAIGN = {
    "title": "Crisis beds near home",
    "ask": "Open ten beds.",
    "why": "People wait days.",
    "deadline": None,
    "status": "draft",
    "tags": ["loneliness"],
}
PETITION = {
    "statement": "We ask.",
    "goal": 100,
    "check_district": False,
    "requires_confirmation": True,
    "is_open": True,
}


def _writes(campaign: Campaign, target: Target, petition: Petition) -> list[Callable[[User], Any]]:
    return [
        lambda actor: actions.create_target(actor, TARGET),
        lambda actor: actions.update_target(actor, target, TARGET),
        lambda actor: actions.set_target_active(actor, target, False),
        lambda actor: actions.create_campaign(actor, CAMPAIGN, []),
        lambda actor: actions.update_campaign(actor, campaign, CAMPAIGN, []),
        lambda actor: actions.post_update(actor, campaign, "News"),
        lambda actor: actions.save_petition(actor, campaign, PETITION),
        lambda actor: actions.add_paper_signatures(actor, petition, count=3, zip_counts={}),
    ]


def test_only_coordinators_write(
    member: User, peer_supporter: User, researcher: User, admin_user: User
) -> None:
    target = make_target()
    campaign = make_campaign(targets=[target])
    petition = make_petition(campaign)
    before = AuditEntry.objects.count()
    for actor in (member, peer_supporter, researcher, admin_user):
        for write in _writes(campaign, target, petition):
            with pytest.raises(PermissionDenied):
                write(actor)
    assert Target.objects.count() == 1
    assert Target.objects.get().is_active
    assert Campaign.objects.count() == 1
    assert not CampaignUpdate.objects.exists()
    assert not PaperSignatures.objects.exists()
    assert AuditEntry.objects.count() == before


def test_each_write_is_audited(coordinator: User) -> None:
    target = make_target()
    campaign = make_campaign(targets=[target])
    petition = make_petition(campaign)
    for write in _writes(campaign, target, petition):
        write(coordinator)
    verbs = list(AuditEntry.objects.filter(actor_id=coordinator.pk).values_list("verb", flat=True))
    assert verbs == [
        "advocacy.target.create",
        "advocacy.target.update",
        "advocacy.target.deactivate",
        "advocacy.campaign.create",
        "advocacy.campaign.update",
        "advocacy.campaign.status",
        "advocacy.campaign_update.create",
        "advocacy.petition.update",
        "advocacy.paper_signatures.create",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"kind": "king"}, "kind"),
        ({"contact_route": "pigeon"}, "contact_route"),
        ({"contact_route": "post"}, "postal_address"),
        ({"district_zip_codes": ["00000"]}, "district_zip_codes"),
    ],
)
def test_a_target_is_checked_again(coordinator: User, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.create_target(coordinator, {**TARGET, **changes})
    assert field in refused.value.error_dict
    assert not Target.objects.exists()


def test_unknown_fields_are_a_programming_error(coordinator: User) -> None:
    with pytest.raises(ValueError, match="is_active"):
        actions.create_target(coordinator, {**TARGET, "is_active": False})
    with pytest.raises(ValueError, match="slug"):
        actions.create_campaign(coordinator, {**CAMPAIGN, "slug": "x"}, [])


@pytest.mark.parametrize(
    ("changes", "slug", "field"),
    [
        ({"title": ""}, "", "title"),
        ({"status": "sleeping"}, "", "status"),
        ({"tags": ["made-up"]}, "", "tags"),
        ({}, "news", "slug"),
        ({}, "Bad Slug", "slug"),
    ],
)
def test_a_campaign_is_checked_again(
    coordinator: User, changes: dict[str, Any], slug: str, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.create_campaign(coordinator, {**CAMPAIGN, **changes}, [], slug=slug)
    assert field in refused.value.error_dict
    assert not Campaign.objects.exists()


def test_addresses_made_from_titles_do_not_collide(coordinator: User) -> None:
    first = actions.create_campaign(coordinator, CAMPAIGN, [])
    second = actions.create_campaign(coordinator, CAMPAIGN, [])
    untitled = actions.create_campaign(coordinator, {**CAMPAIGN, "title": "!!!"}, [])
    assert (first.slug, second.slug) == ("crisis-beds-near-home", "crisis-beds-near-home-2")
    assert untitled.slug == "campaign"


def test_an_empty_update_is_refused(coordinator: User) -> None:
    with pytest.raises(ValidationError):
        actions.post_update(coordinator, make_campaign(), "   ")
    assert not CampaignUpdate.objects.exists()


def test_a_petition_is_checked_again(coordinator: User) -> None:
    campaign = make_campaign()
    with pytest.raises(ValidationError):
        actions.save_petition(coordinator, campaign, {**PETITION, "goal": 0})
    with pytest.raises(ValidationError):
        actions.save_petition(coordinator, campaign, {**PETITION, "statement": " "})
    assert not Petition.objects.exists()
    petition = actions.save_petition(coordinator, campaign, PETITION)
    assert AuditEntry.objects.filter(verb="advocacy.petition.create").count() == 1
    assert actions.save_petition(coordinator, campaign, {**PETITION, "goal": 5}).pk == petition.pk


@pytest.mark.parametrize(
    ("count", "zip_counts"),
    [(0, {}), (100_001, {}), (5, {"97201": 6}), (5, {"00000": 1}), (5, {"97201": 0})],
)
def test_a_paper_batch_is_checked_again(
    coordinator: User, count: int, zip_counts: dict[str, int]
) -> None:
    petition = make_petition(make_campaign())
    with pytest.raises(ValidationError):
        actions.add_paper_signatures(coordinator, petition, count=count, zip_counts=zip_counts)
    assert not PaperSignatures.objects.exists()
