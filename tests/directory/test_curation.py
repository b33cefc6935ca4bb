"""Curation: reports from anyone, the coordinators' queues, verifying and editing listings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.directory import access, actions, search
from peerlight.directory.hsds import serialise, validate
from peerlight.directory.models import InfoReport, Metadata, Phone, Schedule, Service
from peerlight.lib import ratelimit
from tests.conftest import post_with_csrf
from tests.directory.factories import make_service, weekly

type ClientFor = Callable[[User | None], Client]

CURATION = reverse("directory:curation")
REPORTS = reverse("directory:reports_queue")


@pytest.fixture
def service(db: None) -> Service:
    return make_service("Harbor Clinic", phones=["541-555-0134"])


@pytest.fixture
def reindexed(monkeypatch: pytest.MonkeyPatch) -> list[UUID]:
    """The service ids the actions asked the search to re-index (the index still runs)."""
    seen: list[UUID] = []
    original = search.reindex

    def spy(ids: Any) -> None:
        ids = list(ids)
        seen.extend(ids)
        original(ids)

    monkeypatch.setattr(search, "reindex", spy)
    return seen


def report_url(service: Service) -> str:
    return reverse("directory:report", args=[service.id])


def edit_url(service: Service) -> str:
    return reverse("directory:edit_service", args=[service.id])


def verify_url(service: Service) -> str:
    return reverse("directory:verify_service", args=[service.id])


def close_url(report: InfoReport) -> str:
    return reverse("directory:close_report", args=[report.pk])


# --- Reports of outdated information ---------------------------------------------------------


def test_a_visitor_sees_the_report_form(client_for: ClientFor, service: Service) -> None:
    response = client_for(None).get(report_url(service))
    assert response.status_code == 200
    html = response.content.decode()
    assert "What is out of date?" in html
    assert "Opening hours" in html


def test_a_visitor_can_report_outdated_information(
    client_for: ClientFor, service: Service
) -> None:
    client = client_for(None)
    data = {"topic": "phone", "details": "The number now rings a pizza place."}
    response = post_with_csrf(client, report_url(service), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:service", args=[service.id])
    report = InfoReport.objects.get()
    assert report.service == service
    assert report.reporter is None
    assert report.topic == InfoReport.Topic.PHONE
    assert report.details == "The number now rings a pizza place."
    assert report.status == InfoReport.Status.OPEN
    entry = AuditEntry.objects.get(verb="directory.report.make")
    assert entry.actor_id is None
    assert (
        "A coordinator will check this listing."
        in client.get(response["Location"]).content.decode()
    )


def test_a_member_reports_under_their_account(
    client_for: ClientFor, member: User, service: Service
) -> None:
    post_with_csrf(client_for(member), report_url(service), {"topic": "hours"})
    report = InfoReport.objects.get()
    assert report.reporter == member
    assert report.details == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"topic": "gossip"}, "Please choose what is out of date."),
        ({}, "Please choose what is out of date."),
        ({"topic": "other", "details": "x" * 1001}, "Please keep this to 1000 characters"),
    ],
)
def test_a_bad_report_changes_nothing(
    client_for: ClientFor, service: Service, data: dict[str, str], message: str
) -> None:
    response = post_with_csrf(client_for(None), report_url(service), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not InfoReport.objects.exists()


def test_reports_are_rate_limited_per_address(
    client_for: ClientFor, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "REPORT_IP", ratelimit.Policy("test-report-ip", 2, 3600))
    client = client_for(None)
    for _ in range(2):
        assert post_with_csrf(client, report_url(service), {"topic": "hours"}).status_code == 302
    response = post_with_csrf(client_for(None), report_url(service), {"topic": "hours"})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert InfoReport.objects.count() == 2


def test_reports_are_rate_limited_per_account(
    client_for: ClientFor, member: User, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "REPORT_PERSON", ratelimit.Policy("test-report-me", 1, 3600))
    client = client_for(member)
    assert post_with_csrf(client, report_url(service), {"topic": "hours"}).status_code == 302
    assert post_with_csrf(client, report_url(service), {"topic": "phone"}).status_code == 429
    assert InfoReport.objects.count() == 1


def test_reporting_an_unknown_service_is_not_found(client_for: ClientFor, db: None) -> None:
    url = reverse("directory:report", args=[uuid.uuid4()])
    assert client_for(None).get(url).status_code == 404
    assert post_with_csrf(client_for(None), url, {"topic": "hours"}).status_code == 404


def test_coordinators_see_open_reports_first(
    client_for: ClientFor, coordinator: User, service: Service
) -> None:
    InfoReport.objects.create(service=service, topic="phone", details="Rings out.")
    InfoReport.objects.create(
        service=service, topic="hours", details="Done already.", status="fixed"
    )
    client = client_for(coordinator)
    html = client.get(REPORTS).content.decode()
    assert "Harbor Clinic" in html
    assert "Phone number" in html
    assert "Rings out." in html
    assert "Done already." not in html
    fixed = client.get(REPORTS, {"status": "fixed"}).content.decode()
    assert "Done already." in fixed
    assert "Rings out." not in fixed


@pytest.mark.parametrize("status", ["fixed", "dismissed"])
def test_a_coordinator_closes_a_report(
    client_for: ClientFor, coordinator: User, service: Service, status: str
) -> None:
    report = InfoReport.objects.create(service=service, topic="phone")
    response = post_with_csrf(client_for(coordinator), close_url(report), {"status": status})
    assert response.status_code == 302
    assert response["Location"] == REPORTS
    report.refresh_from_db()
    assert report.status == status
    assert report.handled_by == coordinator
    assert report.handled_at is not None
    assert AuditEntry.objects.filter(verb=f"directory.report.{status}").count() == 1


def test_a_strange_decision_or_a_closed_report_changes_nothing(
    client_for: ClientFor, coordinator: User, service: Service
) -> None:
    report = InfoReport.objects.create(service=service, topic="phone")
    client = client_for(coordinator)
    assert post_with_csrf(client, close_url(report), {"status": "open"}).status_code == 400
    report.refresh_from_db()
    assert report.status == InfoReport.Status.OPEN
    post_with_csrf(client, close_url(report), {"status": "dismissed"})
    assert post_with_csrf(client, close_url(report), {"status": "fixed"}).status_code == 404
    report.refresh_from_db()
    assert report.status == InfoReport.Status.DISMISSED


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher", "admin_user"])
def test_only_coordinators_handle_reports(
    request: pytest.FixtureRequest, client_for: ClientFor, service: Service, persona: str
) -> None:
    report = InfoReport.objects.create(service=service, topic="phone")
    client = client_for(request.getfixturevalue(persona))
    assert client.get(REPORTS).status_code == 404
    assert post_with_csrf(client, close_url(report), {"status": "fixed"}).status_code == 404
    report.refresh_from_db()
    assert report.status == InfoReport.Status.OPEN


# --- The flag list ---------------------------------------------------------------------------


def test_the_curation_page_counts_and_lists_what_needs_doing(
    client_for: ClientFor, coordinator: User, peer_supporter: User, db: None
) -> None:
    today = access.today()
    recent = make_service("Checked Last Week", assured_date=str(today - timedelta(days=7)))
    make_service("Checked Long Ago", assured_date="2020-02-02")
    make_service("Never Checked")
    make_service("Closed For Good", status=Service.Status.DEFUNCT)
    InfoReport.objects.create(service=recent, topic="phone")
    InfoReport.objects.create(service=recent, topic="hours", status="fixed")
    recent.peer_notes.create(author=peer_supporter, body="Calm.")
    response = client_for(coordinator).get(CURATION)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 open report" in html
    assert "1 peer note waiting" in html
    assert "2 listings not verified recently" in html
    assert html.index("Never Checked") < html.index("Checked Long Ago")
    assert "Not verified recently (last checked 2 February 2020)" in html
    assert "Checked Last Week" not in html
    assert "Closed For Good" not in html


def test_the_verify_days_setting_decides_what_is_stale(
    client_for: ClientFor, coordinator: User, settings: SettingsWrapper, db: None
) -> None:
    settings.PEERLIGHT_DIRECTORY_VERIFY_DAYS = 5
    make_service("Checked Last Week", assured_date=str(access.today() - timedelta(days=7)))
    html = client_for(coordinator).get(CURATION).content.decode()
    assert "Checked Last Week" in html
    assert "1 listing not verified recently" in html


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher", "admin_user"])
def test_the_curation_page_is_for_coordinators(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str
) -> None:
    assert client_for(request.getfixturevalue(persona)).get(CURATION).status_code == 404


def test_visitors_are_sent_to_sign_in(client_for: ClientFor, service: Service) -> None:
    for url in (CURATION, REPORTS, edit_url(service)):
        response = client_for(None).get(url)
        assert response["Location"].startswith(reverse("accounts:login"))


# --- Verifying -------------------------------------------------------------------------------


def test_mark_as_verified_today_records_who_and_when(
    client_for: ClientFor, coordinator: User, service: Service, reindexed: list[UUID]
) -> None:
    before = service.last_modified
    response = post_with_csrf(client_for(coordinator), verify_url(service), {"next": CURATION})
    assert response.status_code == 302
    assert response["Location"] == CURATION
    service.refresh_from_db()
    assert service.assured_date == access.today().isoformat()
    assert service.assurer_email
    assert "@" in service.assurer_email
    assert service.last_modified
    assert service.last_modified != before
    rows = Metadata.objects.filter(resource_id=service.id, field_name="assured_date")
    assert [(row.previous_value, row.replacement_value) for row in rows] == [
        ("", access.today().isoformat())
    ]
    assert rows[0].last_action_type == "verify"
    assert coordinator.display_name not in rows[0].updated_by
    assert AuditEntry.objects.filter(
        verb="directory.service.verify", actor_id=coordinator.pk
    ).exists()
    assert reindexed == [service.id]


def test_verifying_goes_back_only_to_this_site(
    client_for: ClientFor, coordinator: User, service: Service
) -> None:
    response = post_with_csrf(
        client_for(coordinator), verify_url(service), {"next": "https://elsewhere.example/"}
    )
    assert response["Location"] == reverse("directory:service", args=[service.id])


@pytest.mark.parametrize("persona", ["member", "peer_supporter"])
def test_only_coordinators_verify(
    request: pytest.FixtureRequest, client_for: ClientFor, service: Service, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert post_with_csrf(client, verify_url(service)).status_code == 404
    service.refresh_from_db()
    assert service.assured_date is None
    assert not Metadata.objects.exists()


def test_verifying_needs_a_post(
    client_for: ClientFor, coordinator: User, service: Service
) -> None:
    assert client_for(coordinator).get(verify_url(service)).status_code == 405


# --- Editing ---------------------------------------------------------------------------------


def edit_data(service: Service, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it in for ``service``, with ``changes``."""
    data = {
        "name": service.name,
        "alternate_name": service.alternate_name or "",
        "status": service.status,
        "description": service.description or "",
        "eligibility_description": "",
        "minimum_age": "",
        "maximum_age": "",
        "fees_description": "",
        "application_process": "",
        "wait_time": "",
        "interpretation_services": "",
        "url": "",
        "email": "",
        "alert": "",
        "version": service.last_modified or "",
        "phones-TOTAL_FORMS": "2",
        "phones-INITIAL_FORMS": "1",
        "phones-MIN_NUM_FORMS": "0",
        "phones-MAX_NUM_FORMS": "10",
        "hours-time_zone": settings.PEERLIGHT_DIRECTORY_TIME_ZONE,
    }
    phones = list(service.phones.order_by("id"))
    for index, phone in enumerate(phones):
        data.update(
            {
                f"phones-{index}-id": str(phone.id),
                f"phones-{index}-number": phone.number,
                f"phones-{index}-extension": "",
                f"phones-{index}-type": phone.type or "voice",
                f"phones-{index}-description": "",
            }
        )
    data["phones-INITIAL_FORMS"] = str(len(phones))
    data["phones-TOTAL_FORMS"] = str(len(phones) + 1)
    blank = len(phones)
    data.update({f"phones-{blank}-type": "voice"})
    data.update(changes)
    return data


def test_a_coordinator_sees_the_edit_form(
    client_for: ClientFor, coordinator: User, service: Service
) -> None:
    response = client_for(coordinator).get(edit_url(service))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Harbor Clinic"' in html
    assert 'value="541-555-0134"' in html
    assert 'name="hours-MO_opens"' in html
    assert "Mark as verified today" in html


def test_editing_records_every_change(
    client_for: ClientFor, coordinator: User, service: Service, reindexed: list[UUID]
) -> None:
    data = edit_data(service, name="Harbor Community Clinic", alert="Closed on Friday.")
    response = post_with_csrf(client_for(coordinator), edit_url(service), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:service", args=[service.id])
    service.refresh_from_db()
    assert service.name == "Harbor Community Clinic"
    assert service.alert == "Closed on Friday."
    assert service.alternate_name is None  # left empty: absent, as HSDS keeps it
    assert service.last_modified
    changes = {
        row.field_name: (row.previous_value, row.replacement_value, row.last_action_type)
        for row in Metadata.objects.filter(resource_id=service.id)
    }
    assert changes == {
        "name": ("Harbor Clinic", "Harbor Community Clinic", "update"),
        "alert": ("", "Closed on Friday.", "update"),
    }
    entry = AuditEntry.objects.get(verb="directory.service.edit")
    assert entry.actor_id == coordinator.pk
    assert entry.target_id == str(service.id)
    assert reindexed == [service.id]
    found = search.search(search.Query(words="community"))
    assert [hit.service_id for hit in found.hits] == [service.id]


def test_phones_are_changed_added_and_removed(
    client_for: ClientFor, coordinator: User, db: None
) -> None:
    service = make_service(phones=["541-555-0134", "541-555-0199"])
    kept = service.phones.get(number="541-555-0134")
    removed = service.phones.get(number="541-555-0199")
    data = edit_data(service)
    index_of = {data[f"phones-{i}-id"]: i for i in range(2)}
    data[f"phones-{index_of[str(kept.id)]}-number"] = "541-555-0100"
    data[f"phones-{index_of[str(removed.id)]}-DELETE"] = "on"
    data.update({"phones-2-number": "988", "phones-2-type": "text"})
    response = post_with_csrf(client_for(coordinator), edit_url(service), data)
    assert response.status_code == 302
    numbers = dict(Phone.objects.filter(service=service).values_list("number", "type"))
    assert numbers == {"541-555-0100": "voice", "988": "text"}
    actions_taken = sorted(
        (row.resource_type, row.last_action_type, row.previous_value, row.replacement_value)
        for row in Metadata.objects.filter(resource_type="phone", field_name="number")
    )
    assert actions_taken == [
        ("phone", "create", "", "988"),
        ("phone", "delete", "541-555-0199", ""),
        ("phone", "update", "541-555-0134", "541-555-0100"),
    ]


def test_weekly_hours_become_hsds_schedules(
    client_for: ClientFor, coordinator: User, service: Service
) -> None:
    data = edit_data(
        service,
        **{
            "hours-time_zone": "America/Los_Angeles",
            "hours-MO_opens": "09:00",
            "hours-MO_closes": "17:00",
            "hours-TU_opens": "09:00",
            "hours-TU_closes": "17:00",
            "hours-SA_opens": "22:00",
            "hours-SA_closes": "02:00",
        },
    )
    response = post_with_csrf(client_for(coordinator), edit_url(service), data)
    assert response.status_code == 302
    rows = {
        row.byday: (row.freq, row.opens_at, row.closes_at, row.time_zone)
        for row in Schedule.objects.filter(service=service)
    }
    assert rows == {
        "MO,TU": ("WEEKLY", "09:00", "17:00", "America/Los_Angeles"),
        "SA": ("WEEKLY", "22:00", "02:00", "America/Los_Angeles"),
    }
    assert (
        Metadata.objects.filter(resource_type="schedule", last_action_type="create").count() == 2
    )
    page = client_for(None).get(reverse("directory:service", args=[service.id]))
    assert "22:00\u20132:00 (closes the next day)" in page.content.decode()


def test_hours_left_alone_are_not_rewritten(
    client_for: ClientFor, coordinator: User, db: None
) -> None:
    service = make_service(
        schedules=[
            weekly("MO", "09:00", "12:00", time_zone="America/New_York"),
            weekly("MO", "13:00", "17:00", time_zone="America/New_York"),
        ]
    )
    before = set(Schedule.objects.values_list("id", flat=True))
    html = client_for(coordinator).get(edit_url(service)).content.decode()
    assert "These hours hold more detail than this form shows" in html
    data = edit_data(service, description="New words.")
    assert post_with_csrf(client_for(coordinator), edit_url(service), data).status_code == 302
    assert set(Schedule.objects.values_list("id", flat=True)) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "Please give the service a name."),
        ({"minimum_age": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"minimum_age": "30", "maximum_age": "20"}, "The oldest age must not be below"),
        ({"url": "not a web address"}, "Enter a valid URL."),
        ({"hours-MO_opens": "09:00"}, "Please give both times, or neither for a closed day."),
        ({"hours-time_zone": "Mars/Olympus"}, "Please enter a time zone name"),
        ({"phones-0-number": "call me maybe"}, "Please enter a phone number with digits only"),
    ],
)
def test_bad_input_changes_nothing(
    client_for: ClientFor,
    coordinator: User,
    service: Service,
    changes: dict[str, str],
    message: str,
) -> None:
    data = edit_data(service, description="Should not be saved.", **changes)
    response = post_with_csrf(client_for(coordinator), edit_url(service), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    service.refresh_from_db()
    assert service.description != "Should not be saved."
    assert not Metadata.objects.exists()
    assert not AuditEntry.objects.filter(verb="directory.service.edit").exists()


def test_a_change_made_meanwhile_is_not_overwritten(
    client_for: ClientFor, coordinator: User, service: Service
) -> None:
    data = edit_data(service, name="My version")
    actions.update_service(coordinator, service.id, values={"name": "Their version"})
    client = client_for(coordinator)
    response = post_with_csrf(client, edit_url(service), data)
    assert response.status_code == 302
    assert response["Location"] == edit_url(service)
    service.refresh_from_db()
    assert service.name == "Their version"
    assert "Someone else changed this service" in client.get(edit_url(service)).content.decode()


def test_saving_without_changes_writes_nothing(
    client_for: ClientFor, coordinator: User, service: Service
) -> None:
    response = post_with_csrf(client_for(coordinator), edit_url(service), edit_data(service))
    assert response.status_code == 302
    assert not Metadata.objects.exists()
    assert not AuditEntry.objects.filter(verb="directory.service.edit").exists()


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher", "admin_user"])
def test_only_coordinators_edit(
    request: pytest.FixtureRequest, client_for: ClientFor, service: Service, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(edit_url(service)).status_code == 404
    response = post_with_csrf(client, edit_url(service), edit_data(service, name="Hijacked"))
    assert response.status_code == 404
    service.refresh_from_db()
    assert service.name == "Harbor Clinic"


def test_editing_an_unknown_service_is_not_found(client_for: ClientFor, coordinator: User) -> None:
    url = reverse("directory:edit_service", args=[uuid.uuid4()])
    assert client_for(coordinator).get(url).status_code == 404


def test_an_edited_and_verified_service_is_still_valid_hsds(
    client_for: ClientFor, coordinator: User, service: Service
) -> None:
    client = client_for(coordinator)
    data = edit_data(
        service,
        name="Harbor Community Clinic",
        minimum_age="18",
        url="harbor.example.org",
        **{"hours-MO_opens": "09:00", "hours-MO_closes": "17:00", "phones-1-number": "988"},
    )
    assert post_with_csrf(client, edit_url(service), data).status_code == 302
    assert post_with_csrf(client, verify_url(service)).status_code == 302
    record = serialise.service(serialise.prefetch_services(Service.objects.all()).get())
    assert validate.check(record, "service", label="edited") == []
    assert record["assured_date"] == access.today().isoformat()
    assert {row["field_name"] for row in record["metadata"]} >= {"name", "assured_date"}
