"""Testimony: members offer consented stories; coordinators decide and build packets."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.advocacy import letters, outreach, testimony
from peerlight.advocacy.models import Campaign
from peerlight.advocacy.models import TestimonyOffer as Offer
from peerlight.advocacy.models import TestimonyPacket as Packet
from peerlight.audit.models import AuditEntry
from peerlight.stories.models import Story, StoryConsent
from tests.advocacy.factories import make_campaign
from tests.conftest import delete_with_csrf, post_with_csrf
from tests.stories.factories import give_consent, make_story

ClientFor = Callable[[User | None], Client]
Status = Offer.Status
Advocacy = StoryConsent.Advocacy
Attribution = StoryConsent.Attribution


@pytest.fixture(autouse=True)
def _site_name(settings: SettingsWrapper) -> None:
    settings.PEERLIGHT_SITE_NAME = "Peerlight"


@pytest.fixture
def campaign(db: None) -> Campaign:
    return make_campaign(title="Fund peer respite")


@pytest.fixture
def story(member: User) -> Story:
    return make_story(member, title="The winter I found my people", body="It got *better*.")


def url(campaign: Campaign) -> str:
    return reverse("advocacy:testimony_offer", args=[campaign.slug])


def offers_url(campaign: Campaign) -> str:
    return reverse("advocacy:testimony_offers", args=[campaign.slug])


def offer(
    member: User,
    campaign: Campaign,
    story: Story,
    *,
    note: str = "",
    willing_to_speak: bool = False,
) -> Offer:
    return testimony.offer_testimony(
        member,
        campaign,
        story_public_id=story.public_id,
        note=note,
        willing_to_speak=willing_to_speak,
    )


# --- Members offer ---------------------------------------------------------------------


def test_a_member_offers_one_of_their_stories(
    client_for: ClientFor, member: User, campaign: Campaign, story: Story
) -> None:
    client = client_for(member)
    page = client.get(url(campaign))
    assert page.status_code == 200
    assert f'value="{story.public_id}"' in page.content.decode()
    data = {"story": story.public_id, "note": "Tuesdays are best.", "willing_to_speak": "on"}
    response = post_with_csrf(client, url(campaign), data)
    assert response.status_code == 302
    row = Offer.objects.get()
    assert (row.member, row.story, row.campaign, row.status) == (
        member,
        story,
        campaign,
        Status.OFFERED,
    )
    assert (row.note, row.willing_to_speak) == ("Tuesdays are best.", True)
    assert AuditEntry.objects.filter(verb="advocacy.testimony.offer").count() == 1
    html = client.get(url(campaign)).content.decode()
    assert "Thank you for offering your story." in html
    assert "The winter I found my people" in html
    assert "You said you would be willing to speak in person." in html


def test_a_member_cannot_offer_someone_elses_story(
    client_for: ClientFor, member: User, other_member: User, campaign: Campaign
) -> None:
    theirs = make_story(other_member, title="Someone else's story")
    client = client_for(member)
    assert "Someone else" not in client.get(url(campaign)).content.decode()
    response = post_with_csrf(client, url(campaign), {"story": theirs.public_id})
    assert response.status_code == 400
    assert not Offer.objects.exists()
    with pytest.raises(outreach.OutreachError):
        offer(member, campaign, theirs)
    assert not Offer.objects.exists()


@pytest.mark.parametrize("consent", ["none", "another campaign", "ended"])
def test_a_story_without_consent_for_this_campaign_is_refused(
    client_for: ClientFor, member: User, campaign: Campaign, consent: str
) -> None:
    if consent == "none":
        refused = make_story(member, advocacy=Advocacy.NONE)
    elif consent == "another campaign":
        refused = make_story(member, advocacy=Advocacy.CHOSEN, campaign_ids=[make_campaign().pk])
    else:
        refused = make_story(member)
        give_consent(refused, ends_on=datetime.date(2000, 1, 1))
    response = post_with_csrf(client_for(member), url(campaign), {"story": refused.public_id})
    assert response.status_code == 400
    assert not Offer.objects.exists()
    with pytest.raises(outreach.OutreachError):
        offer(member, campaign, refused)
    assert not Offer.objects.exists()


def test_a_story_chosen_for_this_campaign_may_be_offered(member: User, campaign: Campaign) -> None:
    chosen = make_story(member, advocacy=Advocacy.CHOSEN, campaign_ids=[campaign.pk])
    assert offer(member, campaign, chosen).status == Status.OFFERED


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Please choose one of your own stories shared for this campaign."),
        ({"note": "x" * 501}, "at most 500 characters"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    client_for: ClientFor,
    member: User,
    campaign: Campaign,
    story: Story,
    data: dict[str, str],
    error: str,
) -> None:
    if data:
        data = {"story": story.public_id, **data}
    response = post_with_csrf(client_for(member), url(campaign), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Offer.objects.exists()


def test_a_story_is_offered_once_and_again_after_a_withdrawal(
    client_for: ClientFor, member: User, campaign: Campaign, story: Story
) -> None:
    client = client_for(member)
    first = offer(member, campaign, story)
    response = post_with_csrf(client, url(campaign), {"story": story.public_id})
    assert response.status_code == 400
    assert "You have already offered this story" in response.content.decode()
    testimony.withdraw_offer(member, first)
    assert post_with_csrf(client, url(campaign), {"story": story.public_id}).status_code == 302
    again = Offer.objects.get()
    assert (again.pk, again.status) == (first.pk, Status.OFFERED)


def test_offers_are_closed_when_the_campaign_is_not_active(
    client_for: ClientFor, member: User, campaign: Campaign, story: Story
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    client = client_for(member)
    assert "not gathering testimony" in client.get(url(campaign)).content.decode()
    response = post_with_csrf(client, url(campaign), {"story": story.public_id})
    assert response.status_code == 400
    assert not Offer.objects.exists()


def test_visitors_sign_in_first_and_drafts_are_not_there(
    client_for: ClientFor, member: User, campaign: Campaign, story: Story
) -> None:
    response = client_for(None).get(url(campaign))
    assert response["Location"].startswith(reverse("accounts:login"))
    response = post_with_csrf(client_for(None), url(campaign), {"story": story.public_id})
    assert response["Location"].startswith(reverse("accounts:login"))
    draft = make_campaign(status=Campaign.Status.DRAFT)
    assert client_for(member).get(url(draft)).status_code == 404
    assert delete_with_csrf(client_for(member), url(campaign)).status_code == 405
    assert not Offer.objects.exists()


def withdraw_url(campaign: Campaign, row: Offer) -> str:
    return reverse("advocacy:testimony_withdraw", args=[campaign.slug, row.pk])


def test_a_member_withdraws_their_offer_and_unsent_packets_are_flagged(
    client_for: ClientFor, member: User, coordinator: User, campaign: Campaign, story: Story
) -> None:
    row = offer(member, campaign, story)
    testimony.decide_offer(coordinator, row, include=True)
    unsent, _ = testimony.build_packet(coordinator, campaign, hearing="Budget", hearing_on=None)
    sent, _ = testimony.build_packet(coordinator, campaign, hearing="Earlier", hearing_on=None)
    testimony.mark_packet_delivered(coordinator, sent)
    response = post_with_csrf(client_for(member), withdraw_url(campaign, row))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == Status.WITHDRAWN
    unsent.refresh_from_db()
    sent.refresh_from_db()
    assert unsent.flagged_at is not None
    assert sent.flagged_at is None  # handed in already: its archive stays as it was
    again = post_with_csrf(client_for(member), withdraw_url(campaign, row))
    assert again.status_code == 400


def test_nobody_else_withdraws_an_offer(
    client_for: ClientFor, member: User, other_member: User, campaign: Campaign, story: Story
) -> None:
    row = offer(member, campaign, story)
    assert post_with_csrf(client_for(other_member), withdraw_url(campaign, row)).status_code == 404
    response = post_with_csrf(client_for(None), withdraw_url(campaign, row))
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client_for(member).get(withdraw_url(campaign, row)).status_code == 405
    row.refresh_from_db()
    assert row.status == Status.OFFERED


# --- Coordinators ----------------------------------------------------------------------


def test_coordinators_see_the_offers_and_the_read_is_audited(
    client_for: ClientFor, member: User, coordinator: User, campaign: Campaign, story: Story
) -> None:
    offer(member, campaign, story, note="Tuesdays are best.", willing_to_speak=True)
    response = client_for(coordinator).get(offers_url(campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert "offered by River" in html
    assert "willing to speak in person" in html
    assert "Tuesdays are best." in html
    assert "<em>better</em>" in html
    entry = AuditEntry.objects.get(verb="advocacy.testimony.view_offers")
    assert (entry.actor_id, entry.target_id, entry.action) == (
        coordinator.pk,
        str(campaign.pk),
        "read",
    )


def test_only_coordinators_see_the_offers(
    client_for: ClientFor, member: User, peer_supporter: User, campaign: Campaign, story: Story
) -> None:
    offer(member, campaign, story)
    for person in (member, peer_supporter):
        assert client_for(person).get(offers_url(campaign)).status_code == 404
    response = client_for(None).get(offers_url(campaign))
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not AuditEntry.objects.filter(verb="advocacy.testimony.view_offers").exists()


def decide_url(campaign: Campaign, row: Offer) -> str:
    return reverse("advocacy:testimony_decide", args=[campaign.slug, row.pk])


def test_a_coordinator_includes_an_offer_or_leaves_it_out(
    client_for: ClientFor, member: User, coordinator: User, campaign: Campaign, story: Story
) -> None:
    row = offer(member, campaign, story)
    client = client_for(coordinator)
    assert (
        post_with_csrf(client, decide_url(campaign, row), {"decision": "include"}).status_code
        == 302
    )
    row.refresh_from_db()
    assert row.status == Status.INCLUDED
    post_with_csrf(client, decide_url(campaign, row), {"decision": "not_use"})
    row.refresh_from_db()
    assert row.status == Status.NOT_USED
    verbs = AuditEntry.objects.filter(verb__startswith="advocacy.testimony.").values_list(
        "verb", flat=True
    )
    assert list(verbs) == [
        "advocacy.testimony.offer",
        "advocacy.testimony.include",
        "advocacy.testimony.not_use",
    ]


@pytest.mark.parametrize("case", ["bad decision", "consent lost", "withdrawn", "stranger"])
def test_a_decision_that_cannot_be_made_changes_nothing(
    client_for: ClientFor,
    member: User,
    coordinator: User,
    campaign: Campaign,
    story: Story,
    case: str,
) -> None:
    row = offer(member, campaign, story)
    data = {"decision": "include"}
    expected = 400
    client = client_for(coordinator)
    if case == "bad decision":
        data = {"decision": "maybe"}
    elif case == "consent lost":
        give_consent(story, advocacy=Advocacy.NONE)
    elif case == "withdrawn":
        testimony.withdraw_offer(member, row)
        expected = 404
    else:
        client = client_for(member)
        expected = 404
    before = Offer.objects.get().status
    response = post_with_csrf(client, decide_url(campaign, row), data)
    assert response.status_code == expected
    assert Offer.objects.get().status == before


# --- Packets ---------------------------------------------------------------------------


def build_url(campaign: Campaign) -> str:
    return reverse("advocacy:testimony_build", args=[campaign.slug])


def test_a_packet_holds_the_included_stories_under_their_consented_bylines(
    client_for: ClientFor,
    member: User,
    other_member: User,
    coordinator: User,
    campaign: Campaign,
) -> None:
    anonymous = make_story(
        member, title="Anonymous one", body="Words A.", attribution=Attribution.ANONYMOUS
    )
    named = make_story(
        other_member,
        title="Named one",
        body="Words B.",
        attribution=Attribution.OTHER_NAME,
        other_name="Robin",
    )
    left = make_story(member, title="Not used one", body="Words C.")
    for chosen in (anonymous, named):
        testimony.decide_offer(coordinator, offer(chosen.author, campaign, chosen), include=True)
    testimony.decide_offer(coordinator, offer(member, campaign, left), include=False)
    client = client_for(coordinator)
    data = {"hearing": "County budget hearing", "hearing_on": "2027-03-02"}
    response = post_with_csrf(client, build_url(campaign), data)
    packet = Packet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "advocacy:testimony_packet", args=[campaign.slug, packet.pk]
    )
    content = packet.content
    assert "Testimony for County budget hearing" in content
    assert "Words A." in content
    assert "Words B." in content
    assert "Words C." not in content
    assert "A member of Peerlight" in content
    assert "Robin" in content
    assert "River" not in content
    assert "Sky" not in content
    assert sorted(packet.story_ids) == sorted([anonymous.pk, named.pk])
    assert packet.content_sha256 == letters.sha256_hex(content)
    assert (packet.built_by, str(packet.hearing_on)) == (coordinator, "2027-03-02")
    assert packet.offers.count() == 2
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert content in page.content.decode()
    assert 'class="plan-print"' in page.content.decode()
    assert AuditEntry.objects.filter(verb="advocacy.testimony_packet.view").count() == 1
    assert AuditEntry.objects.filter(verb="advocacy.testimony_packet.build").count() == 1


def test_building_checks_every_consent_again(
    client_for: ClientFor,
    member: User,
    other_member: User,
    coordinator: User,
    campaign: Campaign,
) -> None:
    kept = make_story(member, title="Kept", body="Still consented.")
    lost = make_story(other_member, title="Lost", body="Consent withdrawn since.")
    for chosen in (kept, lost):
        testimony.decide_offer(coordinator, offer(chosen.author, campaign, chosen), include=True)
    give_consent(lost, withdrawn=True)
    response = post_with_csrf(
        client_for(coordinator), build_url(campaign), {"hearing": "Budget"}, follow=True
    )
    packet = Packet.objects.get()
    assert packet.story_ids == [kept.pk]
    assert "Consent withdrawn since." not in packet.content
    assert "1 story was left out" in response.content.decode()


@pytest.mark.parametrize("case", ["no hearing", "bad date", "nothing included", "all lost"])
def test_a_packet_that_cannot_be_built_is_explained_and_nothing_is_saved(
    client_for: ClientFor,
    member: User,
    coordinator: User,
    campaign: Campaign,
    story: Story,
    case: str,
) -> None:
    row = offer(member, campaign, story)
    data = {"hearing": "Budget"}
    error = "No included story may be used for this campaign now."
    if case == "no hearing":
        data, error = {"hearing": ""}, "Please name the hearing."
    elif case == "bad date":
        data, error = {"hearing": "Budget", "hearing_on": "someday"}, "year-month-day"
    if case != "nothing included":
        testimony.decide_offer(coordinator, row, include=True)
    if case == "all lost":
        give_consent(story, advocacy=Advocacy.NONE)
    response = post_with_csrf(client_for(coordinator), build_url(campaign), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Packet.objects.exists()


def test_only_coordinators_build_and_open_packets(
    client_for: ClientFor, member: User, coordinator: User, campaign: Campaign, story: Story
) -> None:
    testimony.decide_offer(coordinator, offer(member, campaign, story), include=True)
    response = post_with_csrf(client_for(member), build_url(campaign), {"hearing": "Budget"})
    assert response.status_code == 404
    assert not Packet.objects.exists()
    packet, _ = testimony.build_packet(coordinator, campaign, hearing="Budget", hearing_on=None)
    packet_url = reverse("advocacy:testimony_packet", args=[campaign.slug, packet.pk])
    assert client_for(member).get(packet_url).status_code == 404
    assert client_for(None).get(packet_url)["Location"].startswith(reverse("accounts:login"))
    other = make_campaign()
    elsewhere = reverse("advocacy:testimony_packet", args=[other.slug, packet.pk])
    assert client_for(coordinator).get(elsewhere).status_code == 404
    assert client_for(coordinator).get(build_url(campaign)).status_code == 405


def test_a_packet_is_marked_delivered_once(
    client_for: ClientFor, member: User, coordinator: User, campaign: Campaign, story: Story
) -> None:
    testimony.decide_offer(coordinator, offer(member, campaign, story), include=True)
    packet, _ = testimony.build_packet(coordinator, campaign, hearing="Budget", hearing_on=None)
    delivered_url = reverse("advocacy:testimony_delivered", args=[campaign.slug, packet.pk])
    assert post_with_csrf(client_for(member), delivered_url).status_code == 404
    packet.refresh_from_db()
    assert packet.delivered_at is None
    client = client_for(coordinator)
    assert post_with_csrf(client, delivered_url).status_code == 302
    packet.refresh_from_db()
    assert packet.delivered_at is not None
    first = packet.delivered_at
    assert post_with_csrf(client, delivered_url).status_code == 400
    packet.refresh_from_db()
    assert packet.delivered_at == first
    assert client.get(delivered_url).status_code == 405


def test_the_offers_page_asks_the_same_number_of_queries_however_many_offers(
    client_for: ClientFor, member: User, other_member: User, coordinator: User, campaign: Campaign
) -> None:
    client = client_for(coordinator)
    offer(member, campaign, make_story(member, title="First"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(offers_url(campaign)).status_code == 200
    for number in range(3):
        offer(other_member, campaign, make_story(other_member, title=f"More {number}"))
    with CaptureQueriesContext(connection) as many:
        html = client.get(offers_url(campaign)).content.decode()
    assert "More 2" in html
    assert len(many) == len(few)
