"""The campaign page's block of letters, calls and testimony (outreach/_actions.html)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.advocacy.models import CallAction, CallRecord, Campaign, LetterAction
from tests.advocacy.factories import make_campaign

PARTIAL = "advocacy/outreach/_actions.html"


@pytest.fixture
def campaign(db: None) -> Campaign:
    return make_campaign()


def rendered(campaign: Campaign, user: User | AnonymousUser) -> str:
    return render_to_string(PARTIAL, {"campaign": campaign, "user": user})


def test_it_offers_each_action_the_campaign_has(campaign: Campaign) -> None:
    html = rendered(campaign, AnonymousUser())
    assert reverse("advocacy:testimony_offer", args=[campaign.slug]) in html
    assert reverse("advocacy:letter_write", args=[campaign.slug]) not in html
    assert reverse("advocacy:call", args=[campaign.slug]) not in html
    LetterAction.objects.create(campaign=campaign, subject="s", template="t")
    calls = CallAction.objects.create(campaign=campaign, script="Hello")
    target = campaign.targets.get()
    CallRecord.objects.create(action=calls, target=target)
    CallRecord.objects.create(action=calls, target=target)
    campaign.refresh_from_db()
    html = rendered(campaign, AnonymousUser())
    assert reverse("advocacy:letter_write", args=[campaign.slug]) in html
    assert reverse("advocacy:call", args=[campaign.slug]) in html
    assert "2 calls made so far." in html
    assert "Your name goes only if you choose." in html


def test_a_closed_letter_says_so_and_a_finished_campaign_takes_no_testimony(
    campaign: Campaign,
) -> None:
    LetterAction.objects.create(campaign=campaign, subject="s", template="t", is_open=False)
    campaign.refresh_from_db()
    assert "Letters for this campaign are closed." in rendered(campaign, AnonymousUser())
    campaign.status = Campaign.Status.WON
    html = rendered(campaign, AnonymousUser())
    assert reverse("advocacy:testimony_offer", args=[campaign.slug]) not in html


def test_only_coordinators_get_the_set_up_links(
    campaign: Campaign, member: User, coordinator: User, admin_user: User
) -> None:
    setup = reverse("advocacy:letter_setup", args=[campaign.slug])
    assert setup in rendered(campaign, coordinator)
    for person in (member, admin_user):
        assert setup not in rendered(campaign, person)


def test_the_campaign_page_includes_it(
    campaign: Campaign, client_for: Callable[[User | None], Client]
) -> None:
    CallAction.objects.create(campaign=campaign, script="Hello")
    page = client_for(None).get(reverse("advocacy:campaign", args=[campaign.slug]))
    assert page.status_code == 200
    assert reverse("advocacy:call", args=[campaign.slug]) in page.content.decode()
