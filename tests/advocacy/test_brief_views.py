"""The brief pages: the public brief and PDF, and the coordinators' versions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.advocacy import brief_views, briefs, story_changes
from peerlight.advocacy.models import Campaign, EvidenceBrief, Target
from peerlight.lib import ratelimit
from tests.advocacy.brief_factories import make_letter_delivery
from tests.advocacy.factories import make_campaign, make_target
from tests.conftest import delete_with_csrf, post_with_csrf
from tests.stories.factories import give_consent, make_story

ClientFor = Callable[[User | None], Client]
PICK = ["smit-2023", "white-2020"]


@pytest.fixture
def target(db: None) -> Target:
    return make_target()


@pytest.fixture
def campaign(target: Target) -> Campaign:
    return make_campaign(tags=["loneliness"], targets=[target])


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rendering is tested in test_brief.py; here the pages around it are.
    monkeypatch.setattr(briefs, "render_pdf", lambda html: b"%PDF-1.7 " + html[:40].encode())


def url(name: str, campaign: Campaign, *args: object) -> str:
    return reverse(f"advocacy:{name}", args=[campaign.slug, *args])


# --- The public brief ------------------------------------------------------------------


def test_anyone_reads_the_brief(client_for: ClientFor, campaign: Campaign, member: User) -> None:
    make_story(member, title="The winter I found my people")
    for client in (client_for(None), client_for(member)):
        response = client.get(url("brief", campaign))
        html = response.content.decode()
        assert response.status_code == 200
        assert campaign.ask in html
        assert "The winter I found my people" in html
        assert "fewer than 11" in html
        assert "Download the brief as a PDF" in html
        assert url("brief_manage", campaign) not in html


def test_coordinators_find_their_tools_on_the_brief(
    client_for: ClientFor, campaign: Campaign, coordinator: User
) -> None:
    html = client_for(coordinator).get(url("brief", campaign)).content.decode()
    assert url("brief_manage", campaign) in html
    assert url("accountability", campaign) in html


def test_a_draft_campaigns_brief_is_there_only_for_coordinators(
    client_for: ClientFor, member: User, coordinator: User
) -> None:
    draft = make_campaign(status=Campaign.Status.DRAFT)
    assert client_for(None).get(url("brief", draft)).status_code == 404
    assert client_for(member).get(url("brief", draft)).status_code == 404
    assert client_for(member).get(url("brief_pdf", draft)).status_code == 404
    assert client_for(coordinator).get(url("brief", draft)).status_code == 200
    assert client_for(None).get("/act/no-such-campaign/brief/").status_code == 404


def test_the_pdf_is_the_brief_as_it_stands(
    client_for: ClientFor, campaign: Campaign, member: User
) -> None:
    response = client_for(None).get(url("brief_pdf", campaign))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{campaign.slug}-brief.pdf"'
    assert response.content.startswith(b"%PDF-1.7 <!doctype html>")


def test_many_pdfs_from_one_address_ask_for_a_break(
    client_for: ClientFor, campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(brief_views, "BRIEF_PDF", ratelimit.Policy("test-pdf", 2, 600))
    client = client_for(None)
    assert [client.get(url("brief_pdf", campaign)).status_code for _ in range(2)] == [200, 200]
    limited = client.get(url("brief_pdf", campaign))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "Please take a short break" in limited.content.decode()


def test_the_public_brief_is_read_only(client_for: ClientFor, campaign: Campaign) -> None:
    client = client_for(None)
    assert post_with_csrf(client, url("brief", campaign)).status_code == 405
    assert post_with_csrf(client, url("brief_pdf", campaign)).status_code == 405


# --- Versions --------------------------------------------------------------------------


def test_coordinators_build_a_version_and_see_its_hash(
    client_for: ClientFor, campaign: Campaign, coordinator: User
) -> None:
    client = client_for(coordinator)
    page = client.get(url("brief_manage", campaign)).content.decode()
    assert "No version has been built yet." in page
    for entry_id in briefs.default_evidence_ids(campaign):
        assert f'value="{entry_id}" id=' in page
        assert "checked" in page
    response = post_with_csrf(client, url("brief_build", campaign), {"evidence_ids": PICK})
    assert response.status_code == 302
    assert response["Location"] == url("brief_version", campaign, 1)
    version = EvidenceBrief.objects.get()
    assert version.evidence_ids == PICK
    shown = client.get(response["Location"]).content.decode()
    assert "Version 1 is built." in shown
    assert version.content_sha256 in shown
    assert 'name="targets"' in shown
    listing = client.get(url("brief_manage", campaign)).content.decode()
    assert version.content_sha256 in listing
    assert "Not yet (a draft)" in listing


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "Please choose from 2 to 4 sources."),
        ({"evidence_ids": ["smit-2023"]}, "Please choose from 2 to 4 sources."),
        ({"evidence_ids": ["smit-2023", "made-up"]}, "Select a valid choice."),
    ],
)
def test_a_bad_pick_is_explained_and_builds_nothing(
    client_for: ClientFor,
    campaign: Campaign,
    coordinator: User,
    data: dict[str, list[str]],
    problem: str,
) -> None:
    response = post_with_csrf(client_for(coordinator), url("brief_build", campaign), data)
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not EvidenceBrief.objects.exists()


def test_others_cannot_reach_the_versions(
    client_for: ClientFor, campaign: Campaign, coordinator: User, member: User, researcher: User
) -> None:
    briefs.build_version(coordinator, campaign, PICK)
    for name, args in (
        ("brief_manage", ()),
        ("brief_version", (1,)),
        ("brief_version_html", (1,)),
        ("brief_version_pdf", (1,)),
    ):
        assert client_for(member).get(url(name, campaign, *args)).status_code == 404
        assert client_for(researcher).get(url(name, campaign, *args)).status_code == 404
        anonymous = client_for(None).get(url(name, campaign, *args))
        assert anonymous["Location"].startswith(reverse("accounts:login"))
    for name, args, data in (
        ("brief_build", (), {"evidence_ids": PICK}),
        ("brief_deliver", (1,), {"targets": [campaign.targets.get().pk], "method": "hand"}),
    ):
        response = post_with_csrf(client_for(member), url(name, campaign, *args), data)
        assert response.status_code == 404
    assert EvidenceBrief.objects.get().delivered_at is None
    assert EvidenceBrief.objects.count() == 1


def test_coordinators_pass_their_second_factor_first(
    campaign: Campaign, coordinator: User
) -> None:
    client = Client()
    client.force_login(coordinator)
    response = client.get(url("brief_manage", campaign))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor-setup"))


def test_the_archive_downloads_exactly_as_hashed(
    client_for: ClientFor, campaign: Campaign, coordinator: User
) -> None:
    version = briefs.build_version(coordinator, campaign, PICK)
    client = client_for(coordinator)
    page = client.get(url("brief_version_html", campaign, 1))
    assert page["Content-Disposition"] == (f'attachment; filename="{campaign.slug}-brief-v1.html"')
    assert hashlib.sha256(page.content).hexdigest() == version.content_sha256
    pdf = client.get(url("brief_version_pdf", campaign, 1))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="{campaign.slug}-brief-v1.pdf"'
    assert client.get(url("brief_version", campaign, 2)).status_code == 404


def test_coordinators_deliver_by_hand_and_the_version_is_closed(
    client_for: ClientFor, campaign: Campaign, coordinator: User, target: Target
) -> None:
    briefs.build_version(coordinator, campaign, PICK)
    client = client_for(coordinator)
    data = {"targets": [target.pk], "method": "hand"}
    response = post_with_csrf(client, url("brief_deliver", campaign, 1), data)
    assert response.status_code == 302
    version = EvidenceBrief.objects.get()
    assert version.delivered_at is not None
    assert list(version.delivered_to.all()) == [target]
    page = client.get(response["Location"]).content.decode()
    assert "Delivered: download the PDF below" in page
    assert 'name="targets"' not in page
    again = post_with_csrf(client, url("brief_deliver", campaign, 1), data)
    assert again.status_code == 400
    assert "delivered already" in again.content.decode()


@pytest.mark.parametrize(
    ("who", "method", "problem"),
    [
        ([], "hand", "Please choose at least one decision maker."),
        (["target"], "", "Please choose how the brief is delivered."),
        (["target"], "pigeon", "Select a valid choice."),
        (["other"], "hand", "Select a valid choice."),
        (["no_email"], "email", "Mayor Park has no e-mail address"),
    ],
)
def test_bad_delivery_is_explained_and_delivers_nothing(
    client_for: ClientFor,
    campaign: Campaign,
    coordinator: User,
    target: Target,
    who: list[str],
    method: str,
    problem: str,
) -> None:
    no_email = make_target("Mayor Park", email="")
    campaign.targets.add(no_email)
    ids = {"target": target.pk, "other": make_target("Someone else").pk, "no_email": no_email.pk}
    data = {"targets": [ids[name] for name in who], "method": method}
    briefs.build_version(coordinator, campaign, PICK)
    response = post_with_csrf(client_for(coordinator), url("brief_deliver", campaign, 1), data)
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert EvidenceBrief.objects.get().delivered_at is None


def test_the_version_pages_take_the_right_methods(
    client_for: ClientFor, campaign: Campaign, coordinator: User
) -> None:
    briefs.build_version(coordinator, campaign, PICK)
    client = client_for(coordinator)
    assert client.get(url("brief_build", campaign)).status_code == 405
    assert client.get(url("brief_deliver", campaign, 1)).status_code == 405
    assert post_with_csrf(client, url("brief_manage", campaign)).status_code == 405
    assert post_with_csrf(client, url("brief_version", campaign, 1)).status_code == 405
    assert delete_with_csrf(client, url("brief_version_pdf", campaign, 1)).status_code == 405


# --- Following up ----------------------------------------------------------------------


def test_flagged_items_are_listed_and_marked_handled(
    client_for: ClientFor,
    campaign: Campaign,
    coordinator: User,
    member: User,
    target: Target,
) -> None:
    story = make_story(member)
    version = briefs.build_version(coordinator, campaign, PICK)
    briefs.deliver_version(coordinator, version, [target], briefs.HAND)
    delivery = make_letter_delivery(campaign, target, [story.pk])
    give_consent(story, withdrawn=True)
    story_changes.follow_story_change(story, member, "consent_withdrawn")
    client = client_for(coordinator)
    page = client.get(url("brief_manage", campaign)).content.decode()
    assert "To follow up" in page
    assert f"Story {story.pk}: the writer withdrew their consent." in page
    assert "Letters delivered to Sen. Alex Rivera" in page
    handled = url("brief_flag_handled", campaign, "brief", version.pk)
    assert post_with_csrf(client_for(member), handled).status_code == 404
    assert client.get(handled).status_code == 405
    response = post_with_csrf(client, handled)
    assert response.status_code == 302
    assert EvidenceBrief.objects.get().flagged_at is None
    missing = url("brief_flag_handled", campaign, "letters", delivery.pk + 1000)
    assert post_with_csrf(client, missing).status_code == 404
    handled_letters = url("brief_flag_handled", campaign, "letters", delivery.pk)
    assert post_with_csrf(client, handled_letters).status_code == 302
    follow = client.get(url("brief_manage", campaign)).content.decode()
    assert "To follow up" not in follow
