"""The answer page of a target, the coordinators' tracker page, and the campaign page's part."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.advocacy import accountability, briefs, story_changes
from peerlight.advocacy.models import (
    ActionNotice,
    AnswerLink,
    Campaign,
    Commitment,
    Target,
    TargetAnswer,
)
from tests.advocacy.brief_factories import make_people, make_signatures
from tests.advocacy.factories import make_campaign, make_target
from tests.conftest import delete_with_csrf, post_with_csrf, sign_in
from tests.stories.factories import give_consent, make_story

ClientFor = Callable[[User | None], Client]


@pytest.fixture
def target(db: None) -> Target:
    return make_target(zip_codes=["97201"], district="District 7")


@pytest.fixture
def campaign(target: Target) -> Campaign:
    return make_campaign(targets=[target])


@pytest.fixture
def made(campaign: Campaign, target: Target, coordinator: User) -> accountability.NewAnswerLink:
    return accountability.make_answer_link(coordinator, campaign, target, 30)


def answer_url(made: accountability.NewAnswerLink) -> str:
    return reverse("advocacy:answer", args=[made.token])


def url(name: str, campaign: Campaign, *args: object) -> str:
    return reverse(f"advocacy:{name}", args=[campaign.slug, *args])


# --- The answer page -------------------------------------------------------------------


def test_a_target_sees_counts_never_people(
    client_for: ClientFor, made: accountability.NewAnswerLink, campaign: Campaign, member: User
) -> None:
    make_signatures(campaign, 14, zip_code="97201", user=None)
    make_signatures(campaign, 12, zip_code="10001")
    make_signatures(campaign, 1, user=member, zip_code="97201")
    response = client_for(None).get(answer_url(made))
    html = response.content.decode()
    assert response.status_code == 200
    assert campaign.ask in html
    assert "Signed the petition" in html
    assert "<td>27</td>" in html
    assert "of them in District 7" in html
    assert "<td>15</td>" in html
    assert "<td>12</td>" in html
    assert "Wrote a letter" in html
    assert "fewer than 11" in html
    for private in ("A signer", "signer@example.org", "river@example.org", "97201"):
        assert private not in html
    assert not re.search(r"\bRiver\b", html), "the member who signed is not named"
    assert 'name="body"' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html


def test_the_target_answers_once_and_members_who_acted_hear_of_it(
    client_for: ClientFor, made: accountability.NewAnswerLink, campaign: Campaign, member: User
) -> None:
    make_signatures(campaign, 1, user=member)
    client = client_for(None)
    response = post_with_csrf(client, answer_url(made), {"body": "We will fund two houses."})
    assert response.status_code == 200
    assert "Thank you for your answer" in response.content.decode()
    answer = TargetAnswer.objects.get()
    assert (answer.body, answer.link, answer.is_visible) == (
        "We will fund two houses.",
        made.link,
        True,
    )
    assert ActionNotice.objects.get().user == member
    page = client.get(answer_url(made)).content.decode()
    assert "You have answered already" in page
    assert 'name="body"' not in page
    again = post_with_csrf(client, answer_url(made), {"body": "And one more."})
    assert again.status_code == 400
    assert "used to answer already" in again.content.decode()
    assert TargetAnswer.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [("", "Please write your answer."), ("x" * 4001, "under 4000 characters")],
)
def test_a_bad_answer_is_explained_and_nothing_is_published(
    client_for: ClientFor,
    made: accountability.NewAnswerLink,
    body: str,
    problem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = post_with_csrf(client_for(None), answer_url(made), {"body": body})
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not TargetAnswer.objects.exists()
    assert made.token not in caplog.text


def test_a_link_that_does_not_work_is_not_found_and_never_logged(
    client_for: ClientFor,
    made: accountability.NewAnswerLink,
    coordinator: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = made.token[:-4] + "abcd"
    with caplog.at_level(logging.DEBUG):
        assert client_for(None).get(reverse("advocacy:answer", args=[wrong])).status_code == 404
        accountability.revoke_answer_link(coordinator, made.link)
        assert client_for(None).get(answer_url(made)).status_code == 404
        response = post_with_csrf(client_for(None), answer_url(made), {"body": "Hello."})
        assert response.status_code == 404
    assert made.token[:10] not in caplog.text
    assert wrong[:10] not in caplog.text
    assert "an answer link that does not work" in caplog.text
    assert not TargetAnswer.objects.exists()


def test_the_answer_page_takes_only_get_and_post(
    client_for: ClientFor, made: accountability.NewAnswerLink, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = delete_with_csrf(client_for(None), answer_url(made))
    assert response.status_code == 405
    assert made.token[:10] not in caplog.text


# --- The coordinators' page ------------------------------------------------------------


def test_coordinators_make_a_link_shown_once(
    client_for: ClientFor, campaign: Campaign, target: Target, coordinator: User
) -> None:
    client = client_for(coordinator)
    assert client.get(url("accountability", campaign)).status_code == 200
    response = post_with_csrf(
        client, url("answer_link_create", campaign), {"target": target.pk, "days": 14}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Copy it now" in html
    link = AnswerLink.objects.get()
    start = html.index("/act/answer/")
    token = html[start + len("/act/answer/") : html.index("/", start + len("/act/answer/"))]
    assert accountability.link_for_token(token) == link
    assert client_for(None).get(reverse("advocacy:answer", args=[token])).status_code == 200
    later = client.get(url("accountability", campaign)).content.decode()
    assert token not in later
    assert "Works until" in later


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"days": 14}, "Please choose who will answer."),
        ({"target": "OTHER", "days": 14}, "Please choose one of this campaign"),
        ({"target": "TARGET", "days": 0}, "greater than or equal to 1"),
        ({"target": "TARGET", "days": 91}, "less than or equal to 90"),
    ],
)
def test_a_bad_link_request_makes_nothing(
    client_for: ClientFor,
    campaign: Campaign,
    target: Target,
    coordinator: User,
    data: dict[str, object],
    problem: str,
) -> None:
    ids = {"TARGET": target.pk, "OTHER": make_target("Someone else").pk}
    posted = {key: ids.get(str(value), value) for key, value in data.items()}
    response = post_with_csrf(client_for(coordinator), url("answer_link_create", campaign), posted)
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not AnswerLink.objects.exists()


def test_coordinators_stop_a_link(
    client_for: ClientFor,
    made: accountability.NewAnswerLink,
    campaign: Campaign,
    coordinator: User,
) -> None:
    other = make_campaign(targets=[made.link.target])
    client = client_for(coordinator)
    assert (
        post_with_csrf(client, url("answer_link_revoke", other, made.link.pk)).status_code == 404
    )
    response = post_with_csrf(client, url("answer_link_revoke", campaign, made.link.pk))
    assert response.status_code == 302
    assert AnswerLink.objects.get().revoked_at is not None


def test_coordinators_hide_an_answer_from_the_campaign_page(
    client_for: ClientFor,
    made: accountability.NewAnswerLink,
    campaign: Campaign,
    coordinator: User,
) -> None:
    answer = accountability.answer_campaign(made.link, "Not this year.")
    client = client_for(coordinator)
    visibility = url("answer_visibility", campaign, answer.pk)
    assert post_with_csrf(client, visibility, {"visible": "maybe"}).status_code == 302
    assert TargetAnswer.objects.get().is_visible
    assert post_with_csrf(client, visibility, {"visible": "no"}).status_code == 302
    assert not TargetAnswer.objects.get().is_visible
    page = client.get(url("accountability", campaign)).content.decode()
    assert "Not this year." in page
    assert "Show this answer again" in page


def test_coordinators_record_a_commitment(
    client_for: ClientFor, campaign: Campaign, target: Target, coordinator: User, member: User
) -> None:
    make_signatures(campaign, 1, user=member)
    data = {
        "kind": "vote",
        "target": target.pk,
        "stance": "for",
        "description": "Voted for the respite budget.",
        "occurred_on": "2026-01-20",
        "source_url": "https://county.example/minutes",
    }
    response = post_with_csrf(client_for(coordinator), url("commitment_create", campaign), data)
    assert response.status_code == 302
    row = Commitment.objects.get()
    assert (row.kind, row.target, row.amount) == ("vote", target, None)
    assert ActionNotice.objects.get().kind == "commitment"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"kind": "budget_line"}, "Please give the amount of the budget line."),
        ({"occurred_on": "2999-01-01"}, "Please give a date that has passed"),
        ({"occurred_on": "last week"}, "Please give the date as year-month-day"),
        ({"description": ""}, "Please describe what happened."),
        ({"amount": "-5"}, "greater than or equal to 0"),
        ({"source_url": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"kind": "promise"}, "Select a valid choice."),
    ],
)
def test_a_bad_commitment_is_explained_and_nothing_is_recorded(
    client_for: ClientFor,
    campaign: Campaign,
    coordinator: User,
    member: User,
    changes: dict[str, str],
    problem: str,
) -> None:
    make_signatures(campaign, 1, user=member)
    data = {
        "kind": "commitment",
        "stance": "for",
        "description": "Promised a pilot.",
        "occurred_on": "2026-01-20",
        **changes,
    }
    response = post_with_csrf(client_for(coordinator), url("commitment_create", campaign), data)
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not Commitment.objects.exists()
    assert not ActionNotice.objects.exists()


def test_others_cannot_reach_the_tracker(
    client_for: ClientFor,
    made: accountability.NewAnswerLink,
    campaign: Campaign,
    target: Target,
    member: User,
) -> None:
    answer = accountability.answer_campaign(made.link, "Yes.")
    assert client_for(member).get(url("accountability", campaign)).status_code == 404
    anonymous = client_for(None).get(url("accountability", campaign))
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    for name, args, data in (
        ("answer_link_create", (), {"target": target.pk, "days": 5}),
        ("answer_link_revoke", (made.link.pk,), {}),
        ("answer_visibility", (answer.pk,), {"visible": "no"}),
        (
            "commitment_create",
            (),
            {"kind": "vote", "description": "x", "occurred_on": "2026-01-01"},
        ),
    ):
        assert (
            post_with_csrf(client_for(member), url(name, campaign, *args), data).status_code == 404
        )
    assert AnswerLink.objects.count() == 1
    assert AnswerLink.objects.get().revoked_at is None
    assert TargetAnswer.objects.get().is_visible
    assert not Commitment.objects.exists()


def test_the_tracker_pages_take_the_right_methods(
    client_for: ClientFor, campaign: Campaign, coordinator: User
) -> None:
    client = client_for(coordinator)
    assert post_with_csrf(client, url("accountability", campaign)).status_code == 405
    for name in ("answer_link_create", "commitment_create"):
        assert client.get(url(name, campaign)).status_code == 405


# --- On the campaign page --------------------------------------------------------------


def campaign_part(campaign: Campaign, user: User | None = None) -> str:
    request = RequestFactory().get("/")
    if user is None:
        request.user = AnonymousUser()
    else:
        client = Client()
        sign_in(client, user)
        request.user = user
        request.session = client.session
        user.is_verified = lambda: True  # type: ignore[attr-defined]
    return render_to_string(
        "advocacy/briefs/_accountability.html", {"campaign": campaign}, request=request
    )


def test_the_campaign_page_shows_the_brief_visible_answers_and_the_tracker(
    made: accountability.NewAnswerLink, campaign: Campaign, target: Target, coordinator: User
) -> None:
    empty = campaign_part(campaign)
    assert "No answers yet." in empty
    assert "Nothing recorded yet." in empty
    assert reverse("advocacy:brief", args=[campaign.slug]) in empty
    shown = accountability.answer_campaign(made.link, "We hear you.")
    second = accountability.make_answer_link(coordinator, campaign, target, 3)
    hidden = accountability.answer_campaign(second.link, "Something rude.")
    accountability.set_answer_visible(coordinator, hidden, False)
    accountability.record_commitment(
        coordinator,
        campaign,
        {
            "target": target,
            "kind": "budget_line",
            "description": "Respite line in the budget.",
            "amount": Decimal("125000.00"),
            "occurred_on": datetime.date(2026, 1, 31),
        },
    )
    html = campaign_part(campaign)
    assert "We hear you." in html
    assert shown.target.name in html
    assert "Something rude." not in html
    assert "Respite line in the budget." in html
    assert "125000.00" in html
    assert "Evidence and answers (coordinators)" not in html


def test_coordinators_see_how_many_items_need_a_follow_up(
    campaign: Campaign, target: Target, coordinator: User, member: User
) -> None:
    campaign.tags = ["loneliness"]
    campaign.save()
    story = make_story(member)
    version = briefs.build_version(coordinator, campaign, ["smit-2023", "white-2020"])
    briefs.deliver_version(coordinator, version, [target], briefs.HAND)
    give_consent(story, withdrawn=True)
    story_changes.follow_story_change(story, member, "consent_withdrawn")
    html = campaign_part(campaign, coordinator)
    assert "1 delivered item needs a follow-up" in html
    assert reverse("advocacy:brief_manage", args=[campaign.slug]) in html
    assert "needs a follow-up" not in campaign_part(campaign, make_people(1)[0])
