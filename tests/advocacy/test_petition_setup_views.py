"""The coordinators' petition pages: setting a petition up, paper signatures, who signed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.advocacy.models import Campaign, PaperSignatures, Petition, Signature
from peerlight.audit.models import AuditAction, AuditEntry
from tests.advocacy.factories import make_campaign, make_petition, make_target
from tests.conftest import delete_with_csrf, post_with_csrf

type ClientFor = Callable[[User | None], Client]


@pytest.fixture
def campaign(db: None) -> Campaign:
    return make_campaign(
        targets=[
            make_target("Sen. Alex Rivera", zip_codes=["97201", "97202"]),
            make_target("Rep. Sam Chen", zip_codes=["97202", "97203"], email="chen@house.example"),
        ]
    )


def edit_url(campaign: Campaign) -> str:
    return reverse("advocacy:petition_edit", args=[campaign.slug])


def paper_url(campaign: Campaign) -> str:
    return reverse("advocacy:petition_paper", args=[campaign.slug])


def signatures_url(campaign: Campaign) -> str:
    return reverse("advocacy:petition_signatures", args=[campaign.slug])


def petition_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "statement": "We ask the county to fund peer respite.",
        "goal": "250",
        "requires_confirmation": "on",
        "check_district": "on",
        "is_open": "on",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def sign(petition: Petition, name: str, zip_code: str, **fields: Any) -> Signature:
    number = Signature.objects.count()
    return Signature.objects.create(
        petition=petition,
        name=name,
        email=f"{number}@example.org",
        signer_digest=f"digest-{number}",
        zip_code=zip_code,
        status=fields.pop("status", Signature.Status.CONFIRMED),
        **fields,
    )


# --- Setting a petition up --------------------------------------------------------------


def test_a_coordinator_adds_a_petition(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    client = client_for(coordinator)
    page = client.get(edit_url(campaign))
    assert page.status_code == 200
    assert "Add a petition" in page.content.decode()
    response = post_with_csrf(client, edit_url(campaign), petition_form())
    assert response.status_code == 302
    assert response["Location"] == reverse("advocacy:campaign", args=[campaign.slug])
    petition = Petition.objects.get(campaign=campaign)
    assert petition.goal == 250
    assert petition.check_district
    assert petition.requires_confirmation
    assert petition.is_open
    assert AuditEntry.objects.filter(verb="advocacy.petition.create").exists()


def test_district_only_is_kept_only_with_the_district_check(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    client = client_for(coordinator)
    post_with_csrf(client, edit_url(campaign), petition_form(district_only="on"))
    assert Petition.objects.get(campaign=campaign).district_only
    post_with_csrf(
        client, edit_url(campaign), petition_form(district_only="on", check_district=None)
    )
    petition = Petition.objects.get(campaign=campaign)
    assert not petition.check_district
    assert not petition.district_only


def test_a_coordinator_changes_a_petition_but_never_its_count(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    petition = make_petition(campaign, signature_count=42)
    client = client_for(coordinator)
    assert "Change the petition" in client.get(edit_url(campaign)).content.decode()
    response = post_with_csrf(
        client,
        edit_url(campaign),
        petition_form(goal="500", is_open=None, requires_confirmation=None, signature_count="0"),
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.goal == 500
    assert not petition.is_open
    assert not petition.requires_confirmation
    assert petition.signature_count == 42
    assert AuditEntry.objects.filter(verb="advocacy.petition.update").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"goal": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"goal": "lots"}, "Enter a whole number."),
        ({"statement": ""}, "This field is required."),
        ({"statement": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_a_bad_petition_is_explained_and_not_saved(
    client_for: ClientFor,
    coordinator: User,
    campaign: Campaign,
    changes: dict[str, str],
    message: str,
) -> None:
    response = post_with_csrf(
        client_for(coordinator), edit_url(campaign), petition_form(**changes)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Petition.objects.exists()


def test_others_cannot_set_up_petitions(
    client_for: ClientFor, member: User, campaign: Campaign
) -> None:
    assert client_for(member).get(edit_url(campaign)).status_code == 404
    assert (
        post_with_csrf(client_for(member), edit_url(campaign), petition_form()).status_code == 404
    )
    anonymous = client_for(None).get(edit_url(campaign))
    assert anonymous.status_code == 302
    assert reverse("accounts:login") in anonymous["Location"]
    assert not Petition.objects.exists()


def test_setting_up_takes_only_get_and_post(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    assert delete_with_csrf(client_for(coordinator), edit_url(campaign)).status_code == 405


# --- Paper signatures -------------------------------------------------------------------


def test_a_coordinator_enters_paper_signatures_that_count(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    petition = make_petition(campaign, signature_count=3)
    client = client_for(coordinator)
    assert client.get(paper_url(campaign)).status_code == 200
    response = post_with_csrf(
        client,
        paper_url(campaign),
        {"count": "40", "zip_counts": "97201 12\n97203: 5\n\n97201, 3", "note": "Health fair"},
    )
    assert response.status_code == 302
    batch = PaperSignatures.objects.get()
    assert batch.count == 40
    assert batch.zip_counts == {"97201": 15, "97203": 5}
    assert batch.note == "Health fair"
    assert batch.entered_by == coordinator
    assert AuditEntry.objects.filter(
        verb="advocacy.paper_signatures.create", actor_id=coordinator.pk
    ).exists()
    html = client.get(paper_url(campaign)).content.decode()
    assert "40 signatures on paper so far" in html
    assert "Health fair" in html
    assert "Morgan" in html
    page = client_for(None).get(reverse("advocacy:campaign", args=[campaign.slug]))
    assert "43 signatures" in page.content.decode()
    petition.refresh_from_db()
    assert petition.signature_count == 3, "paper is counted beside, never into, the online count"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"count": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"count": "100001"}, "less than or equal to 100000"),
        ({"count": "10", "zip_counts": "97201 12"}, "add up to more than the batch"),
        ({"count": "10", "zip_counts": "00000 2"}, "Line 1 needs a real ZIP code"),
        ({"count": "10", "zip_counts": "97201 2\nsome words"}, "Line 2 needs a real ZIP code"),
        ({"count": "10", "note": "x" * 201}, "at most 200 characters"),
    ],
)
def test_a_bad_batch_is_explained_and_not_counted(
    client_for: ClientFor,
    coordinator: User,
    campaign: Campaign,
    data: dict[str, str],
    message: str,
) -> None:
    make_petition(campaign)
    response = post_with_csrf(client_for(coordinator), paper_url(campaign), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PaperSignatures.objects.exists()


def test_others_cannot_enter_paper_signatures(
    client_for: ClientFor, member: User, peer_supporter: User, campaign: Campaign
) -> None:
    make_petition(campaign)
    assert client_for(member).get(paper_url(campaign)).status_code == 404
    response = post_with_csrf(client_for(peer_supporter), paper_url(campaign), {"count": "5"})
    assert response.status_code == 404
    assert client_for(None).get(paper_url(campaign)).status_code == 302
    assert not PaperSignatures.objects.exists()


def test_paper_needs_a_petition(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    assert client_for(coordinator).get(paper_url(campaign)).status_code == 404


def test_paper_takes_only_get_and_post(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    make_petition(campaign)
    assert delete_with_csrf(client_for(coordinator), paper_url(campaign)).status_code == 405


# --- Who signed -------------------------------------------------------------------------


def test_a_coordinator_sees_who_signed_with_counts_by_district_and_it_is_audited(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    petition = make_petition(campaign, signature_count=4)
    sign(petition, "Ana Lopez", "97201", comment="My brother", in_district=True)
    sign(petition, "Bo Park", "97202")
    sign(petition, "Cy Diaz", "10001")
    sign(petition, "Di No-Zip", "")
    sign(petition, "Ed Waiting", "97203", status=Signature.Status.PENDING)
    PaperSignatures.objects.create(petition=petition, count=10, zip_counts={"97203": 4})
    response = client_for(coordinator).get(signatures_url(campaign))
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ("Ana Lopez", "0@example.org", "My brother", "Ed Waiting"):
        assert shown in html
    rows = dict(_table_rows(html))
    assert rows["Sen. Alex Rivera"] == "2"
    assert rows["Rep. Sam Chen"] == "5"
    assert rows["Outside every listed district"] == "1"
    assert rows["No ZIP code given"] == "7"
    entry = AuditEntry.objects.get(verb="advocacy.petition.signatures")
    assert entry.action == AuditAction.READ
    assert entry.actor_id == coordinator.pk
    assert entry.target_id == str(petition.pk)


def _table_rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", html)


def test_the_signature_list_comes_in_pages(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    petition = make_petition(campaign)
    for number in range(52):
        sign(petition, f"Signer {number:02d}", "")
    client = client_for(coordinator)
    first = client.get(signatures_url(campaign)).content.decode()
    assert "Signer 51" in first
    assert "Signer 01" not in first
    assert "Page 1 of 2" in first
    second = client.get(signatures_url(campaign), {"page": "2"}).content.decode()
    assert "Signer 01" in second


def test_others_never_see_who_signed(
    client_for: ClientFor, member: User, researcher: User, campaign: Campaign
) -> None:
    petition = make_petition(campaign)
    sign(petition, "Ana Lopez", "97201")
    for person in (member, researcher):
        assert client_for(person).get(signatures_url(campaign)).status_code == 404
    assert client_for(None).get(signatures_url(campaign)).status_code == 302
    assert not AuditEntry.objects.filter(verb="advocacy.petition.signatures").exists()


def test_the_signature_list_is_read_only(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    make_petition(campaign)
    assert post_with_csrf(client_for(coordinator), signatures_url(campaign)).status_code == 405
