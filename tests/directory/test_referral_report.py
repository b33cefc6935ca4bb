"""The coordinators' referral report: outcomes per service, flagged services first, no people."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.directory.models import Referral
from tests.conftest import delete_with_csrf
from tests.directory.factories import make_service
from tests.directory.test_referrals import answers

ClientFor = Callable[[User | None], Client]
REPORT = "directory:referral_report"
U, C = Referral.Outcome.UNREACHABLE, Referral.Outcome.CONNECTED


@pytest.fixture
def two_services(db: None) -> None:
    answers(make_service("Fine Clinic", index=False), [C] * 6, open_=1)
    answers(make_service("Busy Line", index=False), [U, U, U, C, C], declined=2)


def rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)', html)


@pytest.mark.usefixtures("two_services")
def test_the_coordinator_sees_counts_per_service_flagged_first(
    coordinator: User, client_for: ClientFor
) -> None:
    response = client_for(coordinator).get(reverse(REPORT))
    html = response.content.decode()
    assert response.status_code == 200
    assert rows(html) == ["Busy Line", "Fine Clinic"]
    assert "Flagged: often cannot be reached" in html
    assert html.count("Flagged: often cannot be reached") == 1
    assert "<td>60%</td>" in html
    # Shared 7, answered 5 for the busy line: 2 connected, 3 unreachable, 2 declined.
    busy = html[html.index("Busy Line") : html.index("Fine Clinic")]
    cells = re.findall(r"<td>([^<]*)</td>", busy)
    assert cells == ["7", "5", "2", "3", "0", "0", "0", "2", "60%"]


def test_the_report_names_no_member(
    coordinator: User, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    Referral.objects.create(
        service=make_service("Named Service", index=False),
        member=member,
        referred_by=peer_supporter,
        follow_up_at=timezone.now(),
        outcome=U,
        outcome_at=timezone.now(),
    )
    html = client_for(coordinator).get(reverse(REPORT)).content.decode()
    assert rows(html) == ["Named Service"]
    assert member.display_name not in html
    assert peer_supporter.display_name not in html


def test_few_answers_show_no_share(coordinator: User, client_for: ClientFor) -> None:
    answers(make_service("Small Service", index=False), [U, U])
    html = client_for(coordinator).get(reverse(REPORT)).content.decode()
    assert "too few answers" in html
    assert "Flagged" not in html.replace("A service is flagged", "")


def test_the_period_leaves_out_older_referrals(coordinator: User, client_for: ClientFor) -> None:
    answers(make_service("Old Service", index=False), [U])
    Referral.objects.update(created_at=timezone.now() - timedelta(days=200))
    client = client_for(coordinator)
    assert rows(client.get(reverse(REPORT), {"period": "90"}).content.decode()) == []
    assert rows(client.get(reverse(REPORT)).content.decode()) == ["Old Service"]
    assert rows(client.get(reverse(REPORT), {"period": "all"}).content.decode()) == ["Old Service"]


def test_a_bad_period_is_a_400_that_still_shows_the_last_year(
    coordinator: User, client_for: ClientFor
) -> None:
    answers(make_service("Recent Service", index=False), [C])
    response = client_for(coordinator).get(reverse(REPORT), {"period": "forever"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "That period is not one of the choices." in html
    assert rows(html) == ["Recent Service"]


def test_nothing_shared_says_so(coordinator: User, client_for: ClientFor) -> None:
    html = client_for(coordinator).get(reverse(REPORT)).content.decode()
    assert "No services were shared in this period." in html


@pytest.mark.usefixtures("two_services")
def test_everyone_but_coordinators_is_refused(
    member: User,
    peer_supporter: User,
    researcher: User,
    admin_user: User,
    client_for: ClientFor,
) -> None:
    for person in (member, peer_supporter, researcher, admin_user):
        assert client_for(person).get(reverse(REPORT)).status_code == 404
    anonymous = client_for(None).get(reverse(REPORT))
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]


def test_the_report_refuses_other_methods(coordinator: User, client_for: ClientFor) -> None:
    assert delete_with_csrf(client_for(coordinator), reverse(REPORT)).status_code == 405
