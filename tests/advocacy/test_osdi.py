"""The OSDI export: its shape, what it holds, what it never holds, and who may take it."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.advocacy import osdi
from peerlight.advocacy.models import Campaign, Letter, PaperSignatures, Target
from peerlight.audit.models import AuditEntry
from tests.advocacy.factories import make_campaign, make_petition, make_target
from tests.advocacy.osdi_factories import (
    deliver,
    make_calls,
    make_letter,
    make_letter_action,
    make_signature,
)
from tests.circles.factories import make_circle, make_meeting
from tests.conftest import delete_with_csrf, make_user, post_with_csrf
from tests.stories.factories import make_story

ClientFor = Callable[[User | None], Client]
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
COMMON = ("identifiers", "origin_system", "created_date", "modified_date", "_links")
# OSDI fields that would carry personal data Peerlight never hands on.
FORBIDDEN = {
    "email_addresses",
    "postal_addresses",
    "phone_numbers",
    "family_name",
    "comments",
    "message",
    "subject",
    "custom_fields",
}
# Words that must never leave: the person's own, and what identifies them.
SECRETS = (
    "hidden-signer@example.org",
    "shown-signer@example.org",
    "90210",
    "Please hurry",
    "Hidden Signer",
    "Respite gave me my life back.",
    "Casey Writer",
    '"River"',  # the member's display name, as a JSON string
    "What helped me through the winter",  # a story's title
    "Finding people who had been there too",  # a story's body
    "Evening circle",
)


@pytest.fixture
def world(member: User, other_member: User, coordinator: User) -> dict[str, Any]:
    """A live campaign with every kind of action, a draft campaign and a circle meeting."""
    target = make_target()
    campaign = make_campaign(targets=[target], created_by=coordinator)
    petition = make_petition(campaign)
    story = make_story(member)
    shown = make_signature(
        petition,
        name="Shown Signer",
        email="shown-signer@example.org",
        show_name=True,
        comment="Please hurry",
        signer="shown",
    )
    hidden = make_signature(
        petition, name="Hidden Signer", email="hidden-signer@example.org", zip_code="90210"
    )
    by_member = make_signature(petition, name=member.display_name, user=member, signer="member")
    pending = make_signature(petition, name="Pending Shown", show_name=True, confirmed=False)
    PaperSignatures.objects.create(petition=petition, count=40)
    action = make_letter_action(campaign)
    letters = [
        make_letter(action, member, story=story, status=Letter.Status.DELIVERED),
        make_letter(
            action,
            other_member,
            share_name=True,
            signed_name="Casey Writer",
            status=Letter.Status.DELIVERED,
        ),
    ]
    make_letter(action, member, own_words="Not sent yet.")
    second = make_target("Rep. Dana Lee", office="State House")
    deliver(action, target, letters, by=coordinator)
    deliver(action, second, letters[:1], by=coordinator)
    make_calls(campaign, target, [member, other_member, None])
    draft = make_campaign(title="Secret draft", status=Campaign.Status.DRAFT)
    make_petition(draft)
    make_meeting(make_circle())
    return {
        "campaign": campaign,
        "petition": petition,
        "target": target,
        "second": second,
        "shown": shown,
        "hidden": hidden,
        "by_member": by_member,
        "pending": pending,
    }


def embedded(document: dict[str, Any], resource: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = document["_embedded"][f"osdi:{resource}"]
    return items


def all_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in all_keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in all_keys(item)}
    return set()


# --- Shape ---------------------------------------------------------------------------------


def test_the_document_has_every_osdi_resource_with_its_common_fields(
    world: dict[str, Any],
) -> None:
    document = osdi.build_export("https://peers.example")
    assert set(document["_embedded"]) == {f"osdi:{name}" for name in osdi.RESOURCES}
    assert document["_links"]["self"] == {"href": "https://peers.example/act/export/osdi.json"}
    assert document["_links"]["curies"][0]["name"] == "osdi"
    assert DATE.match(document["created_date"])
    for name in osdi.RESOURCES:
        items = embedded(document, name)
        assert document["peerlight:total_records"][name] == len(items)
        assert document["_links"][f"osdi:{name}"] == [item["_links"]["self"] for item in items]
        for item in items:
            for key in COMMON:
                assert key in item, f"{name} lacks {key}"
            assert all(i.startswith("peerlight:") for i in item["identifiers"])
            assert DATE.match(item["created_date"])
            assert DATE.match(item["modified_date"])
            assert item["_links"]["self"]["href"].startswith(
                "https://peers.example/act/export/osdi.json#"
            )
    assert all_keys(document) & FORBIDDEN == set()
    json.loads(osdi.dumps(document))  # plain JSON throughout


def test_campaigns_are_live_ones_with_their_targets_and_outreach_total(
    world: dict[str, Any],
) -> None:
    (campaign,) = embedded(osdi.build_export("https://peers.example"), "advocacy_campaigns")
    live: Campaign = world["campaign"]
    assert campaign["browser_url"] == f"https://peers.example/act/{live.slug}/"
    assert campaign["title"] == live.title
    assert campaign["summary"] == live.ask
    assert campaign["description"] == live.why
    assert campaign["targets"] == [{"name": "Sen. Alex Rivera", "organization": "State Senate"}]
    # Two letters delivered (one of them to two targets: still one letter) and three calls.
    assert campaign["total_outreaches"] == 5
    assert len(campaign["_links"]["osdi:outreaches"]) == 3


def test_outreaches_are_counts_without_words_or_people(world: dict[str, Any]) -> None:
    outreaches = embedded(osdi.build_export(), "outreaches")
    letters = sorted(
        (item["targets"][0]["name"], item["peerlight:letters"], item["type"])
        for item in outreaches
        if "peerlight:letters" in item
    )
    assert letters == [("Rep. Dana Lee", 1, "email"), ("Sen. Alex Rivera", 2, "email")]
    (calls,) = [item for item in outreaches if item["type"] == "phone"]
    assert calls["peerlight:calls"] == 3
    assert calls["targets"] == [{"name": "Sen. Alex Rivera", "organization": "State Senate"}]
    for item in outreaches:
        assert "osdi:person" not in item["_links"]
        assert DATE.match(item["action_date"])


def test_petitions_count_online_and_paper_signatures(world: dict[str, Any]) -> None:
    (petition,) = embedded(osdi.build_export(), "petitions")
    assert petition["petition_text"] == world["petition"].statement
    assert petition["total_signatures"] == 3 + 40
    assert petition["peerlight:online_signatures"] == 3
    assert petition["peerlight:paper_signatures"] == 40
    assert petition["target"] == [{"name": "Sen. Alex Rivera", "organization": "State Senate"}]
    assert len(petition["_links"]["osdi:signatures"]) == 3


# --- Who appears ---------------------------------------------------------------------------


def test_only_signers_who_showed_their_name_appear_as_people(world: dict[str, Any]) -> None:
    document = osdi.build_export()
    signatures = embedded(document, "signatures")
    people = embedded(document, "people")
    # Confirmed signatures only: the pending one is not there.
    assert sorted(s["identifiers"][0] for s in signatures) == sorted(
        f"peerlight:signature-{world[k].pk}" for k in ("shown", "hidden", "by_member")
    )
    linked = [s for s in signatures if "osdi:person" in s["_links"]]
    assert [s["identifiers"][0] for s in linked] == [f"peerlight:signature-{world['shown'].pk}"]
    (person,) = people
    assert person["given_name"] == "Shown Signer"
    assert person["_links"]["self"] == linked[0]["_links"]["osdi:person"]
    assert person["_links"]["osdi:signatures"] == [linked[0]["_links"]["self"]]
    assert set(person) == {*COMMON, "given_name"}


def test_a_member_who_shows_their_name_appears_but_never_as_an_account(
    member: User, world: dict[str, Any]
) -> None:
    world["by_member"].show_name = True
    world["by_member"].save()
    people = embedded(osdi.build_export(), "people")
    assert sorted(p["given_name"] for p in people) == ["River", "Shown Signer"]
    for person in people:
        (identifier,) = person["identifiers"]
        assert re.fullmatch(r"peerlight:person-[0-9a-f]{24}", identifier)


def test_one_signer_on_two_petitions_is_one_person(db: None) -> None:
    petitions = [make_petition(make_campaign()) for _ in range(2)]
    for petition in petitions:
        make_signature(petition, name="Sam Same", show_name=True, signer="same-signer")
    (person,) = embedded(osdi.build_export(), "people")
    assert len(person["_links"]["osdi:signatures"]) == 2
    again = embedded(osdi.build_export(), "people")[0]
    assert again["identifiers"] == person["identifiers"]  # stable between exports


def test_nothing_personal_or_private_leaves(world: dict[str, Any]) -> None:
    text = osdi.dumps(osdi.build_export())
    for secret in SECRETS:
        assert secret not in text, secret
    assert "Secret draft" not in text
    assert "Shown Signer" in text  # the one name that was shown publicly


def test_events_are_always_empty(world: dict[str, Any]) -> None:
    assert embedded(osdi.build_export(), "events") == []


def test_the_export_takes_the_same_queries_however_many_campaigns(db: None) -> None:
    def campaign_with_everything() -> None:
        campaign = make_campaign()
        petition = make_petition(campaign)
        make_signature(petition, name="Shown", show_name=True)
        make_signature(petition)
        action = make_letter_action(campaign)
        deliver(
            action, make_target(), [make_letter(action, make_user(f"W{Target.objects.count()}"))]
        )
        make_calls(campaign, make_target(), [None])

    campaign_with_everything()
    with CaptureQueriesContext(connection) as one:
        osdi.build_export()
    for _ in range(3):
        campaign_with_everything()
    with CaptureQueriesContext(connection) as four:
        document = osdi.build_export()
    assert len(embedded(document, "advocacy_campaigns")) == 4
    assert len(four) == len(one)


def test_an_empty_site_exports_an_empty_document(db: None) -> None:
    document = osdi.build_export()
    assert all(embedded(document, name) == [] for name in osdi.RESOURCES)


# --- The pages -----------------------------------------------------------------------------


def test_a_coordinator_downloads_the_export_and_it_is_audited(
    client_for: ClientFor, coordinator: User, world: dict[str, Any]
) -> None:
    client = client_for(coordinator)
    page = client.get(reverse("advocacy:export")).content.decode()
    assert "What is never in it" in page
    assert "E-mail addresses." in page
    response = client.get(reverse("advocacy:export_osdi"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/hal+json")
    assert response["Content-Disposition"].startswith('attachment; filename="advocacy-osdi-')
    document = json.loads(response.content)
    assert len(embedded(document, "signatures")) == 3
    entry = AuditEntry.objects.get(verb="advocacy.osdi.export")
    assert (entry.actor_id, entry.action) == (coordinator.pk, "read")


@pytest.mark.parametrize("name", ["advocacy:export", "advocacy:export_osdi"])
def test_nobody_else_sees_the_export(
    client_for: ClientFor,
    member: User,
    peer_supporter: User,
    researcher: User,
    admin_user: User,
    name: str,
) -> None:
    for person in (member, peer_supporter, researcher, admin_user):
        assert client_for(person).get(reverse(name)).status_code == 404
    response = client_for(None).get(reverse(name))
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not AuditEntry.objects.filter(verb="advocacy.osdi.export").exists()


def test_a_coordinator_without_the_second_factor_is_asked_for_it(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("Kai", "coordinator"))
    response = client.get(reverse("advocacy:export_osdi"))
    assert response.status_code == 302
    assert "two-factor" in response["Location"]
    assert not AuditEntry.objects.filter(verb="advocacy.osdi.export").exists()


@pytest.mark.parametrize("name", ["advocacy:export", "advocacy:export_osdi"])
def test_the_export_refuses_other_methods(
    client_for: ClientFor, coordinator: User, name: str
) -> None:
    client = client_for(coordinator)
    assert post_with_csrf(client, reverse(name)).status_code == 405
    assert delete_with_csrf(client, reverse(name)).status_code == 405


# --- The command ---------------------------------------------------------------------------


def test_the_command_writes_the_export_for_its_owner_only(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    out = StringIO()
    path = tmp_path / "export.json"
    call_command("advocacy", "export-osdi", "--out", str(path), stdout=out)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert len(embedded(document, "people")) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "1 people" in out.getvalue()
    entry = AuditEntry.objects.get(verb="advocacy.osdi.export")
    assert (entry.actor_id, entry.reason) == (None, "command line")


def test_the_command_writes_to_standard_output(world: dict[str, Any]) -> None:
    out = StringIO()
    call_command("advocacy", "export-osdi", "--out", "-", stdout=out)
    assert len(embedded(json.loads(out.getvalue()), "petitions")) == 1


def test_the_command_says_when_the_folder_is_missing(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match="There is no folder"):
        call_command("advocacy", "export-osdi", "--out", str(tmp_path / "no" / "x.json"))


def test_the_peerlight_cli_maps_the_subcommand(
    tmp_path: Path, world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from peerlight import cli

    path = tmp_path / "cli.json"
    cli.main(["advocacy", "export-osdi", "--out", str(path)])
    assert json.loads(path.read_text())["_embedded"]["osdi:events"] == []


def test_targets_without_an_office_have_only_a_name(db: None) -> None:
    lone = Target.objects.create(name="County Board", kind=Target.Kind.COUNTY_BOARD)
    make_petition(make_campaign(targets=[lone]))
    (petition,) = embedded(osdi.build_export(), "petitions")
    assert petition["target"] == [{"name": "County Board"}]
