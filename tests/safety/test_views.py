"""The coordinators' report queue: list, one report, closing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from pytest_django import DjangoAssertNumQueries

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.lib.crisis import crisis_info
from peerlight.safety import actions
from peerlight.safety.access import describe_source
from peerlight.safety.models import Report
from tests.conftest import make_user, post_with_csrf

REPORTS = reverse("safety:reports")
SECRET_WORDS = "he asked where I live"

type ClientFor = Callable[[User | None], Client]


@pytest.fixture
def reported_case(member: User, other_member: User) -> Report:
    return actions.report(
        member,
        other_member,
        source="chat.conversation",
        source_id=42,
        reason=Report.Reason.CONTACT,
        details=SECRET_WORDS,
    )


def report_url(report: Report) -> str:
    return reverse("safety:report", args=[report.pk])


def close_url(report: Report) -> str:
    return reverse("safety:close_report", args=[report.pk])


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_who_why_and_where_but_not_what_was_said(
    client_for: ClientFor, coordinator: User, reported_case: Report
) -> None:
    response = client_for(coordinator).get(REPORTS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "River" in html  # the reporter
    assert "Sky" in html  # the person reported
    assert "Asking for contact details or to meet" in html
    assert escape(describe_source("chat.conversation", 42).text) in html
    assert report_url(reported_case) in html
    assert SECRET_WORDS not in html
    assert not AuditEntry.objects.filter(verb="safety.report.view").exists()


def test_the_list_says_when_there_is_nothing(client_for: ClientFor, coordinator: User) -> None:
    response = client_for(coordinator).get(REPORTS)
    assert "No reports" in response.content.decode()


def test_the_list_needs_a_fixed_number_of_queries(
    client_for: ClientFor,
    coordinator: User,
    member: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(coordinator)
    for index in range(6):
        actions.report(
            member,
            make_user(f"Person {index}"),
            source="chat.conversation",
            source_id=index,
            reason="spam",
        )
    with django_assert_max_num_queries(12):
        response = client.get(REPORTS)
    assert response.content.decode().count("Person ") == 6


def test_a_deleted_account_is_named_as_removed(
    client_for: ClientFor, coordinator: User, reported_case: Report
) -> None:
    Report.objects.filter(pk=reported_case.pk).update(reporter=None, reported=None)
    html = client_for(coordinator).get(REPORTS).content.decode()
    assert "Account removed" in html
    assert "No one named" in html


@pytest.mark.parametrize("persona", ["member", "other_member", "peer_supporter", "researcher"])
def test_the_list_is_hidden_from_everyone_else(
    client_for: ClientFor, persona: str, request: pytest.FixtureRequest
) -> None:
    person: User = request.getfixturevalue(persona)
    assert client_for(person).get(REPORTS).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client_for: ClientFor) -> None:
    response = client_for(None).get(REPORTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_coordinator_without_two_factor_is_asked_for_it(coordinator: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    response = client.get(REPORTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor-setup"))


def test_the_list_refuses_post(client_for: ClientFor, coordinator: User) -> None:
    assert post_with_csrf(client_for(coordinator), REPORTS).status_code == 405


def test_a_page_number_out_of_range_shows_the_last_page(
    client_for: ClientFor, coordinator: User, reported_case: Report
) -> None:
    response = client_for(coordinator).get(REPORTS, {"page": "nope"})
    assert response.status_code == 200
    assert "Sky" in response.content.decode()


# --- One report ---------------------------------------------------------------------------


def test_opening_a_report_shows_the_words_and_is_audited(
    client_for: ClientFor, coordinator: User, reported_case: Report, other_member: User
) -> None:
    response = client_for(coordinator).get(report_url(reported_case))
    assert response.status_code == 200
    html = response.content.decode()
    assert SECRET_WORDS in html
    assert close_url(reported_case) in html
    entry = AuditEntry.objects.get(verb="safety.report.view")
    assert entry.actor_id == coordinator.pk
    assert entry.subject_id == other_member.pk
    assert entry.target_id == str(reported_case.pk)


@pytest.mark.parametrize("persona", ["member", "other_member", "peer_supporter", "admin_user"])
def test_a_report_is_hidden_from_everyone_else(
    client_for: ClientFor, persona: str, request: pytest.FixtureRequest, reported_case: Report
) -> None:
    person: User = request.getfixturevalue(persona)
    assert client_for(person).get(report_url(reported_case)).status_code == 404
    assert not AuditEntry.objects.filter(verb="safety.report.view").exists()


def test_a_missing_report_is_not_found(client_for: ClientFor, coordinator: User) -> None:
    response = client_for(coordinator).get(reverse("safety:report", args=[999]))
    assert response.status_code == 404


def test_a_report_refuses_post(
    client_for: ClientFor, coordinator: User, reported_case: Report
) -> None:
    assert post_with_csrf(client_for(coordinator), report_url(reported_case)).status_code == 405


# --- Closing ------------------------------------------------------------------------------


def test_a_coordinator_closes_a_report(
    client_for: ClientFor, coordinator: User, reported_case: Report
) -> None:
    client = client_for(coordinator)
    response = post_with_csrf(client, close_url(reported_case))
    assert response.status_code == 302
    assert response["Location"] == REPORTS
    reported_case.refresh_from_db()
    assert reported_case.status == Report.Status.CLOSED
    assert reported_case.closed_by == coordinator
    page = client.get(report_url(reported_case)).content.decode()
    assert close_url(reported_case) not in page


def test_closing_twice_says_so_and_changes_nothing(
    client_for: ClientFor, coordinator: User, reported_case: Report
) -> None:
    client = client_for(coordinator)
    post_with_csrf(client, close_url(reported_case))
    reported_case.refresh_from_db()
    closed_at = reported_case.closed_at
    response = post_with_csrf(client, close_url(reported_case), follow=True)
    assert "already closed" in response.content.decode()
    reported_case.refresh_from_db()
    assert reported_case.closed_at == closed_at
    assert AuditEntry.objects.filter(verb="safety.report.close").count() == 1


@pytest.mark.parametrize("persona", ["member", "other_member", "peer_supporter", "admin_user"])
def test_no_one_else_can_close_a_report(
    client_for: ClientFor, persona: str, request: pytest.FixtureRequest, reported_case: Report
) -> None:
    person: User = request.getfixturevalue(persona)
    assert post_with_csrf(client_for(person), close_url(reported_case)).status_code == 404
    reported_case.refresh_from_db()
    assert reported_case.status == Report.Status.OPEN


def test_closing_a_missing_report_is_not_found(client_for: ClientFor, coordinator: User) -> None:
    url = reverse("safety:close_report", args=[999])
    assert post_with_csrf(client_for(coordinator), url).status_code == 404


def test_closing_needs_post_and_a_csrf_token(
    client_for: ClientFor, coordinator: User, reported_case: Report
) -> None:
    client = client_for(coordinator)
    assert client.get(close_url(reported_case)).status_code == 405
    assert client.post(close_url(reported_case)).status_code == 403
    reported_case.refresh_from_db()
    assert reported_case.status == Report.Status.OPEN


# --- The safety card ----------------------------------------------------------------------


def test_the_safety_card_shows_the_crisis_contacts() -> None:
    crisis = crisis_info("en")
    html = render_to_string("safety/_safety_card.html", {"crisis": crisis})
    assert "You matter" in html
    assert escape(crisis["contacts"][0]["name"]) in html
    assert crisis["contacts"][0]["actions"][0]["href"] in html
