"""The campaigns list, a campaign's page, and the coordinators' campaign and update forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from peerlight.accounts.models import User
from peerlight.advocacy.models import (
    ActionNotice,
    Campaign,
    CampaignUpdate,
    PaperSignatures,
    Signature,
    Target,
)
from peerlight.audit.models import AuditEntry
from tests.advocacy.factories import make_campaign, make_petition, make_target
from tests.conftest import delete_with_csrf, post_with_csrf

type ClientFor = Callable[[User | None], Client]

LIST = reverse("advocacy:campaign_list")
CREATE = reverse("advocacy:campaign_create")


def page_url(campaign: Campaign) -> str:
    return reverse("advocacy:campaign", args=[campaign.slug])


def edit_url(campaign: Campaign) -> str:
    return reverse("advocacy:campaign_edit", args=[campaign.slug])


def update_url(campaign: Campaign) -> str:
    return reverse("advocacy:campaign_update", args=[campaign.slug])


def campaign_form(target: Target | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Crisis beds near home",
        "slug": "",
        "ask": "Open ten peer respite beds in the county.",
        "why": "People wait days in emergency rooms.",
        "deadline": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "status": "active",
        "tags": ["loneliness", "psychosis"],
    }
    if target is not None:
        data["targets"] = [str(target.pk)]
    data.update(changes)
    return data


# --- The list ---------------------------------------------------------------------------


def test_anyone_sees_the_campaigns_but_not_drafts(client_for: ClientFor, db: None) -> None:
    active = make_campaign(title="Respite in every county")
    make_petition(active)
    make_campaign(title="A quiet draft", status=Campaign.Status.DRAFT)
    make_campaign(title="Won last year", status=Campaign.Status.WON)
    response = client_for(None).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Respite in every county" in html
    assert page_url(active) in html
    assert "0 signatures" in html
    assert "Won last year" in html
    assert "Other campaigns" in html
    assert "A quiet draft" not in html
    assert CREATE not in html
    assert html.index("Respite in every county") < html.index("Won last year")


def test_coordinators_see_drafts_and_the_way_to_start_one(
    client_for: ClientFor, coordinator: User
) -> None:
    make_campaign(title="A quiet draft", status=Campaign.Status.DRAFT)
    html = client_for(coordinator).get(LIST).content.decode()
    assert "A quiet draft" in html
    assert CREATE in html
    assert reverse("advocacy:target_list") in html


def test_drafts_wait_for_the_coordinators_second_factor(coordinator: User) -> None:
    make_campaign(title="A quiet draft", status=Campaign.Status.DRAFT)
    client = Client()
    client.force_login(coordinator)
    assert "A quiet draft" not in client.get(LIST).content.decode()


def test_the_list_costs_the_same_for_many_campaigns(
    client_for: ClientFor, db: None, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_for(None)
    first = make_campaign()
    make_petition(first)
    client.get(LIST)
    with django_assert_num_queries(1):
        assert client.get(LIST).status_code == 200
    for number in range(4):
        campaign = make_campaign(title=f"Campaign {number}")
        petition = make_petition(campaign)
        PaperSignatures.objects.create(petition=petition, count=number + 1)
    with django_assert_num_queries(1):
        html = client.get(LIST).content.decode()
    assert "4 signatures" in html


def test_an_empty_list_says_so_calmly(client_for: ClientFor, db: None) -> None:
    html = client_for(None).get(LIST).content.decode()
    assert "No campaign is taking action right now." in html


def test_the_list_is_read_only(client_for: ClientFor, member: User) -> None:
    assert post_with_csrf(client_for(member), LIST).status_code == 405


# --- A campaign's page ------------------------------------------------------------------


def test_anyone_reads_a_campaign(client_for: ClientFor, db: None) -> None:
    target = make_target()
    Target.objects.filter(pk=target.pk).update(notes="Prefers morning calls; staff only")
    campaign = make_campaign(targets=[target])
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=timezone.localdate() + dt.timedelta(days=12)
    )
    CampaignUpdate.objects.create(
        campaign=campaign,
        body="First hearing set",
        created_at=timezone.now() - dt.timedelta(days=2),
    )
    CampaignUpdate.objects.create(campaign=campaign, body="Committee said yes")
    response = client_for(None).get(page_url(campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert campaign.title in html
    assert "Fund one peer respite house in every county by 2028." in html
    assert "People in crisis do better with peers" in html
    assert "Sen. Alex Rivera, State Senate" in html
    assert "staff only" not in html
    assert "rivera@senate.example" not in html
    assert "12 days left" in html
    assert "Active" in html
    assert html.index("Committee said yes") < html.index("First hearing set")
    assert edit_url(campaign) not in html
    assert "Sign the petition" not in html, "no petition, no form"


def test_a_passed_deadline_says_so(client_for: ClientFor, db: None) -> None:
    campaign = make_campaign(status=Campaign.Status.LOST)
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=timezone.localdate() - dt.timedelta(days=3)
    )
    html = client_for(None).get(page_url(campaign)).content.decode()
    assert "passed" in html
    assert "Not won" in html


def test_the_goal_rises_once_reached(client_for: ClientFor, db: None) -> None:
    campaign = make_campaign()
    petition = make_petition(campaign, goal=100, signature_count=90)
    PaperSignatures.objects.create(petition=petition, count=20)
    html = client_for(None).get(page_url(campaign)).content.decode()
    assert "110 signatures" in html
    assert "of a goal of 150" in html
    assert "the goal went up" in html


def test_coordinators_get_the_campaigns_tools(client_for: ClientFor, coordinator: User) -> None:
    campaign = make_campaign()
    make_petition(campaign)
    html = client_for(coordinator).get(page_url(campaign)).content.decode()
    for name in ("campaign_edit", "campaign_update", "petition_edit", "petition_paper"):
        assert reverse(f"advocacy:{name}", args=[campaign.slug]) in html
    assert reverse("advocacy:petition_signatures", args=[campaign.slug]) in html


def test_a_draft_is_there_only_for_coordinators(
    client_for: ClientFor, member: User, coordinator: User
) -> None:
    draft = make_campaign(status=Campaign.Status.DRAFT)
    assert client_for(None).get(page_url(draft)).status_code == 404
    assert client_for(member).get(page_url(draft)).status_code == 404
    response = client_for(coordinator).get(page_url(draft))
    assert response.status_code == 200
    assert "This campaign is being prepared." in response.content.decode()


def test_a_coordinator_passes_the_second_factor_before_a_draft(coordinator: User) -> None:
    draft = make_campaign(status=Campaign.Status.DRAFT)
    client = Client()
    client.force_login(coordinator)
    response = client.get(page_url(draft))
    assert response.status_code == 302
    assert reverse("accounts:two-factor-setup") in response["Location"]


def test_an_unknown_campaign_is_not_found(client_for: ClientFor, db: None) -> None:
    assert client_for(None).get("/act/no-such-campaign/").status_code == 404


def test_a_campaign_page_is_read_only(client_for: ClientFor, member: User) -> None:
    campaign = make_campaign()
    assert post_with_csrf(client_for(member), page_url(campaign)).status_code == 405


# --- Creating and editing ---------------------------------------------------------------


def test_a_coordinator_starts_a_campaign(client_for: ClientFor, coordinator: User) -> None:
    target = make_target()
    client = client_for(coordinator)
    page = client.get(CREATE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Start a campaign" in html
    assert "Sen. Alex Rivera" in html
    assert "Loneliness" in html
    response = post_with_csrf(client, CREATE, campaign_form(target))
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert response["Location"] == page_url(campaign)
    assert campaign.slug == "crisis-beds-near-home"
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.tags == ["loneliness", "psychosis"]
    assert list(campaign.targets.all()) == [target]
    assert campaign.created_by == coordinator
    assert AuditEntry.objects.filter(
        verb="advocacy.campaign.create", actor_id=coordinator.pk
    ).exists()


def test_a_chosen_address_is_kept(client_for: ClientFor, coordinator: User) -> None:
    response = post_with_csrf(client_for(coordinator), CREATE, campaign_form(slug="beds-2027"))
    assert response.status_code == 302
    assert Campaign.objects.get().slug == "beds-2027"


def test_a_title_like_a_fixed_page_gets_another_address(
    client_for: ClientFor, coordinator: User
) -> None:
    post_with_csrf(client_for(coordinator), CREATE, campaign_form(title="News"))
    assert Campaign.objects.get().slug == "news-2"


@pytest.mark.parametrize(
    "word", ["new", "news", "proposals", "targets", "answer", "manage", "export"]
)
def test_reserved_words_are_refused_as_addresses(
    client_for: ClientFor, coordinator: User, word: str
) -> None:
    response = post_with_csrf(client_for(coordinator), CREATE, campaign_form(slug=word))
    assert response.status_code == 400
    assert "This address is kept for a page of the site." in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "Not A Slug!"}, "Use lower-case letters, digits and single hyphens only"),
        ({"title": ""}, "This field is required."),
        ({"title": "x" * 161}, "Ensure this value has at most 160 characters"),
        ({"status": "sleeping"}, "Please choose from the list."),
        ({"tags": ["made-up"]}, "Please choose from the list."),
        ({"targets": ["999999"]}, "Please choose decision makers from the list."),
        ({"deadline": "tomorrow"}, "Please enter a date"),
        ({"deadline": "2001-01-01"}, "The deadline cannot be in the past."),
    ],
)
def test_mistakes_are_explained_and_nothing_is_made(
    client_for: ClientFor, coordinator: User, changes: dict[str, Any], message: str
) -> None:
    response = post_with_csrf(client_for(coordinator), CREATE, campaign_form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_taken_address_is_refused(client_for: ClientFor, coordinator: User) -> None:
    existing = make_campaign()
    response = post_with_csrf(client_for(coordinator), CREATE, campaign_form(slug=existing.slug))
    assert response.status_code == 400
    assert "Another campaign has this address." in response.content.decode()
    assert Campaign.objects.count() == 1


def test_inactive_targets_are_not_offered_for_new_campaigns(
    client_for: ClientFor, coordinator: User
) -> None:
    gone = make_target(name="Former Rep. Gone")
    Target.objects.filter(pk=gone.pk).update(is_active=False)
    client = client_for(coordinator)
    assert "Former Rep. Gone" not in client.get(CREATE).content.decode()
    response = post_with_csrf(client, CREATE, campaign_form(gone))
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_others_cannot_start_campaigns(
    client_for: ClientFor, member: User, peer_supporter: User
) -> None:
    assert client_for(member).get(CREATE).status_code == 404
    assert post_with_csrf(client_for(peer_supporter), CREATE, campaign_form()).status_code == 404
    anonymous = client_for(None).get(CREATE)
    assert anonymous.status_code == 302
    assert reverse("accounts:login") in anonymous["Location"]
    assert not Campaign.objects.exists()


def test_starting_a_campaign_takes_only_get_and_post(
    client_for: ClientFor, coordinator: User
) -> None:
    assert delete_with_csrf(client_for(coordinator), CREATE).status_code == 405


def test_a_coordinator_edits_a_campaign_and_its_address_stays(
    client_for: ClientFor, coordinator: User
) -> None:
    campaign = make_campaign()
    old_target = campaign.targets.get()
    new_target = make_target(name="County Board of Health", kind=Target.Kind.COUNTY_BOARD)
    client = client_for(coordinator)
    page = client.get(edit_url(campaign))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{campaign.title}"' in html
    assert 'name="slug"' not in html
    response = post_with_csrf(
        client,
        edit_url(campaign),
        campaign_form(new_target, title="New title", status="won", slug="ignored"),
    )
    assert response.status_code == 302
    old_slug = campaign.slug
    campaign.refresh_from_db()
    assert campaign.slug == old_slug
    assert campaign.title == "New title"
    assert campaign.status == Campaign.Status.WON
    assert list(campaign.targets.all()) == [new_target]
    assert old_target.is_active
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {"advocacy.campaign.update", "advocacy.campaign.status"} <= verbs


def test_a_past_deadline_may_stay_when_editing(client_for: ClientFor, coordinator: User) -> None:
    campaign = make_campaign()
    past = timezone.localdate() - dt.timedelta(days=5)
    Campaign.objects.filter(pk=campaign.pk).update(deadline=past)
    response = post_with_csrf(
        client_for(coordinator), edit_url(campaign), campaign_form(deadline=past.isoformat())
    )
    assert response.status_code == 302


def test_a_bad_edit_changes_nothing(client_for: ClientFor, coordinator: User) -> None:
    campaign = make_campaign()
    response = post_with_csrf(
        client_for(coordinator), edit_url(campaign), campaign_form(title="", status="won")
    )
    assert response.status_code == 400
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.title == "Fund peer respite in every county"


def test_others_cannot_edit_campaigns(client_for: ClientFor, member: User) -> None:
    campaign = make_campaign()
    assert client_for(member).get(edit_url(campaign)).status_code == 404
    response = post_with_csrf(client_for(member), edit_url(campaign), campaign_form(title="Mine"))
    assert response.status_code == 404
    assert client_for(None).get(edit_url(campaign)).status_code == 302
    campaign.refresh_from_db()
    assert campaign.title != "Mine"


def test_editing_takes_only_get_and_post(client_for: ClientFor, coordinator: User) -> None:
    assert delete_with_csrf(client_for(coordinator), edit_url(make_campaign())).status_code == 405


# --- Progress updates -------------------------------------------------------------------


def test_a_coordinator_posts_an_update(client_for: ClientFor, coordinator: User) -> None:
    campaign = make_campaign()
    client = client_for(coordinator)
    assert client.get(update_url(campaign)).status_code == 200
    response = post_with_csrf(client, update_url(campaign), {"body": "  The vote is on Friday. "})
    assert response.status_code == 302
    assert response["Location"] == page_url(campaign)
    update = CampaignUpdate.objects.get()
    assert update.body == "The vote is on Friday."
    assert update.author == coordinator
    assert AuditEntry.objects.filter(verb="advocacy.campaign_update.create").exists()
    assert "The vote is on Friday." in client.get(page_url(campaign)).content.decode()


def test_members_who_acted_hear_of_an_update(
    client_for: ClientFor, coordinator: User, member: User, other_member: User
) -> None:
    campaign = make_campaign()
    petition = make_petition(campaign)
    Signature.objects.create(
        petition=petition, user=member, name="River", signer_digest="m", status="confirmed"
    )
    post_with_csrf(client_for(coordinator), update_url(campaign), {"body": "Vote on Friday"})
    notice = ActionNotice.objects.get()
    assert (notice.user, notice.campaign, notice.kind) == (member, campaign, "update")


@pytest.mark.parametrize(
    ("body", "message"), [("", "This field is required."), ("x" * 2001, "at most 2000")]
)
def test_a_bad_update_is_explained_and_not_posted(
    client_for: ClientFor, coordinator: User, body: str, message: str
) -> None:
    campaign = make_campaign()
    response = post_with_csrf(client_for(coordinator), update_url(campaign), {"body": body})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CampaignUpdate.objects.exists()


def test_others_cannot_post_updates(client_for: ClientFor, member: User) -> None:
    campaign = make_campaign()
    response = post_with_csrf(client_for(member), update_url(campaign), {"body": "Hi"})
    assert response.status_code == 404
    assert client_for(None).get(update_url(campaign)).status_code == 302
    assert not CampaignUpdate.objects.exists()


def test_updates_take_only_get_and_post(client_for: ClientFor, coordinator: User) -> None:
    assert (
        delete_with_csrf(client_for(coordinator), update_url(make_campaign())).status_code == 405
    )
