"""The call page: who to call, the script, "I made the call" and its tally; the script's set-up."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.advocacy import calls
from peerlight.advocacy.models import CallAction, CallRecord, Campaign, Target
from peerlight.audit.models import AuditEntry
from peerlight.lib import ratelimit
from tests.advocacy.factories import make_campaign, make_target
from tests.conftest import delete_with_csrf, post_with_csrf

ClientFor = Callable[[User | None], Client]


@pytest.fixture
def senator(db: None) -> Target:
    return make_target()


@pytest.fixture
def board(db: None) -> Target:
    target = make_target("County Board", kind=Target.Kind.COUNTY_BOARD, district="")
    Target.objects.filter(pk=target.pk).update(phone="(503) 555-0199")
    target.refresh_from_db()
    return target


@pytest.fixture
def campaign(senator: Target, board: Target) -> Campaign:
    return make_campaign(targets=[senator, board])


@pytest.fixture
def action(campaign: Campaign) -> CallAction:
    return CallAction.objects.create(
        campaign=campaign, script="Hello, I live in your district and I ask you to fund respite."
    )


def url(campaign: Campaign) -> str:
    return reverse("advocacy:call", args=[campaign.slug])


def made_url(campaign: Campaign) -> str:
    return reverse("advocacy:call_made", args=[campaign.slug])


def test_anyone_sees_the_script_tap_to_call_links_and_the_tallies(
    client_for: ClientFor, senator: Target, board: Target, action: CallAction, campaign: Campaign
) -> None:
    CallRecord.objects.create(action=action, target=senator)
    CallRecord.objects.create(action=action, target=senator)
    CallRecord.objects.create(action=action, target=board)
    response = client_for(None).get(url(campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert "I ask you to fund respite." in html
    assert 'href="tel:+15035550100"' in html
    assert 'href="tel:(503)555-0199"' in html
    assert "3 calls made so far." in html
    assert "2 calls so far." in html
    assert "1 call so far." in html
    assert f'name="target" value="{senator.pk}"' in html


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_i_made_the_call_adds_one_to_the_tally(
    client_for: ClientFor,
    member: User,
    senator: Target,
    action: CallAction,
    campaign: Campaign,
    who: str,
) -> None:
    person = member if who == "member" else None
    client = client_for(person)
    response = post_with_csrf(client, made_url(campaign), {"target": senator.pk})
    assert response.status_code == 302
    assert response["Location"] == url(campaign)
    record = CallRecord.objects.get()
    assert (record.action, record.target, record.caller) == (action, senator, person)
    assert AuditEntry.objects.filter(verb="advocacy.call.record").count() == 1
    page = client.get(url(campaign)).content.decode()
    assert "Thank you for calling." in page
    assert "1 call made so far." in page


def test_pressing_again_and_again_is_limited_per_session(
    client_for: ClientFor, senator: Target, action: CallAction, campaign: Campaign
) -> None:
    client = client_for(None)
    for _ in range(calls.CALL_PERSON.limit):
        assert (
            post_with_csrf(client, made_url(campaign), {"target": senator.pk}).status_code == 302
        )
    response = post_with_csrf(client, made_url(campaign), {"target": senator.pk})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert "Please take a short break" in response.content.decode()
    assert CallRecord.objects.count() == calls.CALL_PERSON.limit


def test_many_sessions_from_one_address_are_limited_too(
    client_for: ClientFor,
    senator: Target,
    action: CallAction,
    campaign: Campaign,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(calls, "CALL_IP", ratelimit.Policy("test-call-ip", limit=2, period=60))
    for _ in range(2):
        response = post_with_csrf(client_for(None), made_url(campaign), {"target": senator.pk})
        assert response.status_code == 302
    response = post_with_csrf(client_for(None), made_url(campaign), {"target": senator.pk})
    assert response.status_code == 429
    assert CallRecord.objects.count() == 2


@pytest.mark.parametrize("target", ["", "abc", "elsewhere", "no phone", "inactive"])
def test_bad_input_is_explained_and_nothing_is_counted(
    client_for: ClientFor, senator: Target, action: CallAction, campaign: Campaign, target: str
) -> None:
    value = target
    if target == "elsewhere":
        value = str(make_target("Someone else").pk)
    elif target == "no phone":
        Target.objects.filter(pk=senator.pk).update(phone="")
        value = str(senator.pk)
    elif target == "inactive":
        Target.objects.filter(pk=senator.pk).update(is_active=False)
        value = str(senator.pk)
    response = post_with_csrf(client_for(None), made_url(campaign), {"target": value})
    assert response.status_code == 400
    assert "Please choose one of the people listed to call." in response.content.decode()
    assert not CallRecord.objects.exists()


@pytest.mark.parametrize("closed", ["calls closed", "campaign won"])
def test_no_calls_are_counted_once_calling_ended(
    client_for: ClientFor,
    senator: Target,
    action: CallAction,
    campaign: Campaign,
    closed: str,
) -> None:
    if closed == "calls closed":
        CallAction.objects.filter(pk=action.pk).update(is_open=False)
    else:
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.WON)
    page = client_for(None).get(url(campaign)).content.decode()
    assert "This campaign is not asking for calls at the moment." in page
    assert "I made the call" not in page
    response = post_with_csrf(client_for(None), made_url(campaign), {"target": senator.pk})
    assert response.status_code == 400
    assert not CallRecord.objects.exists()


def test_a_campaign_without_calls_or_being_prepared_is_not_there(
    client_for: ClientFor, member: User, senator: Target, campaign: Campaign
) -> None:
    assert client_for(None).get(url(campaign)).status_code == 404
    draft = make_campaign(status=Campaign.Status.DRAFT, targets=[senator])
    CallAction.objects.create(campaign=draft, script="Hello")
    assert client_for(member).get(url(draft)).status_code == 404
    response = post_with_csrf(client_for(member), made_url(draft), {"target": senator.pk})
    assert response.status_code == 404
    assert not CallRecord.objects.exists()


def test_wrong_methods_are_refused(
    client_for: ClientFor, action: CallAction, campaign: Campaign
) -> None:
    assert client_for(None).get(made_url(campaign)).status_code == 405
    assert delete_with_csrf(client_for(None), url(campaign)).status_code == 405


# --- The script's set-up (coordinators) ------------------------------------------------


def setup_url(campaign: Campaign) -> str:
    return reverse("advocacy:call_setup", args=[campaign.slug])


def test_a_coordinator_writes_and_changes_the_script(
    client_for: ClientFor, coordinator: User, campaign: Campaign
) -> None:
    client = client_for(coordinator)
    assert client.get(setup_url(campaign)).status_code == 200
    data = {"script": "Hello, please fund respite.", "is_open": "on"}
    response = post_with_csrf(client, setup_url(campaign), data)
    assert response.status_code == 302
    assert response["Location"] == url(campaign)
    action = CallAction.objects.get(campaign=campaign)
    assert (action.script, action.is_open) == ("Hello, please fund respite.", True)
    post_with_csrf(client, setup_url(campaign), {"script": "Thank them."})
    action.refresh_from_db()
    assert (action.script, action.is_open) == ("Thank them.", False)
    assert AuditEntry.objects.filter(verb__startswith="advocacy.call_action.").count() == 2


@pytest.mark.parametrize(
    ("script", "error"),
    [("", "This field is required."), ("x" * 4001, "at most 4000 characters")],
)
def test_a_bad_script_is_explained_and_nothing_is_saved(
    client_for: ClientFor, coordinator: User, campaign: Campaign, script: str, error: str
) -> None:
    response = post_with_csrf(client_for(coordinator), setup_url(campaign), {"script": script})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not CallAction.objects.exists()


def test_only_coordinators_write_scripts(
    client_for: ClientFor, member: User, campaign: Campaign
) -> None:
    data = {"script": "Hello", "is_open": "on"}
    assert client_for(member).get(setup_url(campaign)).status_code == 404
    assert post_with_csrf(client_for(member), setup_url(campaign), data).status_code == 404
    response = post_with_csrf(client_for(None), setup_url(campaign), data)
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not CallAction.objects.exists()


def test_the_call_page_asks_the_same_number_of_queries_however_many_targets(
    client_for: ClientFor, action: CallAction, campaign: Campaign
) -> None:
    client = client_for(None)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(campaign)).status_code == 200
    for number in range(4):
        target = make_target(f"Commissioner {number}")
        campaign.targets.add(target)
        CallRecord.objects.create(action=action, target=target)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url(campaign)).content.decode()
    assert "Commissioner 3" in html
    assert len(many) == len(few)
