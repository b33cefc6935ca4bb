"""The escalation console, one case, its steps, the rota and the banner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.shortcuts import resolve_url
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.safety import actions, dispatcher, escalations
from peerlight.safety.context import escalation_banner
from peerlight.safety.models import Escalation, OnCallShift
from tests.conftest import post_with_csrf

type ClientFor = Callable[[User | None], Client]

CONSOLE = reverse("safety:escalations:console")
ROTA = reverse("safety:escalations:rota")
BANNER = reverse("safety:escalations:banner")


@pytest.fixture
def case(member: User) -> Escalation:
    return actions.raise_risk(
        person_id=member.pk,
        source="chat.conversation",
        source_id=42,
        level="imminent",
        reasons=["en:intent:kill myself"],
    )


def url(name: str, case: Escalation) -> str:
    return reverse(f"safety:escalations:{name}", args=[case.pk])


def state_of(case: Escalation) -> str:
    case.refresh_from_db()
    return case.state


# --- The console --------------------------------------------------------------------------


def test_the_console_lists_open_cases_with_level_reasons_and_age(
    client_for: ClientFor, coordinator: User, case: Escalation
) -> None:
    response = client_for(coordinator).get(CONSOLE)
    assert response.status_code == 200
    html = response.content.decode()
    assert url("detail", case) in html
    assert "Level: imminent risk" in html
    assert "Talk of ending their life: “kill myself”" in html
    assert "Raised by the safety check." in html
    assert 'hx-trigger="every 2s"' in html
    assert '<meta http-equiv="refresh"' in html


def test_htmx_gets_the_fragment_alone_and_sees_the_dispatchers_work(
    client_for: ClientFor, coordinator: User, case: Escalation
) -> None:
    client = client_for(coordinator)
    OnCallShift.objects.create(
        coordinator=coordinator,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    before = client.get(CONSOLE, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in before
    assert "data-notified" not in before
    dispatcher.run_once()
    after = client.get(CONSOLE, headers={"HX-Request": "true"}).content.decode()
    assert "data-notified" in after
    assert "You are asked to respond." in after


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher"])
def test_the_console_is_not_there_for_anyone_else(
    client_for: ClientFor, persona: str, request: pytest.FixtureRequest, case: Escalation
) -> None:
    someone: User = request.getfixturevalue(persona)
    client = client_for(someone)
    for page in (CONSOLE, url("detail", case), ROTA, BANNER):
        assert client.get(page).status_code == 404
    assert post_with_csrf(client, url("acknowledge", case)).status_code == 404
    assert state_of(case) == "open"


def test_anonymous_visitors_are_sent_to_log_in(client_for: ClientFor, case: Escalation) -> None:
    client = client_for(None)
    response = client.get(url("detail", case))
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(django_settings.LOGIN_URL))
    response = post_with_csrf(client, url("acknowledge", case))
    assert response.status_code == 302
    assert state_of(case) == "open"


def test_steps_refuse_get(client_for: ClientFor, coordinator: User, case: Escalation) -> None:
    assert client_for(coordinator).get(url("acknowledge", case)).status_code == 405


# --- One case and its steps ---------------------------------------------------------------


def test_opening_a_case_shows_its_timeline_and_is_audited(
    client_for: ClientFor, coordinator: User, case: Escalation, member: User
) -> None:
    response = client_for(coordinator).get(url("detail", case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Timeline" in html
    assert "Raised" in html
    assert "River" in html
    entry = AuditEntry.objects.get(verb="safety.escalation.view")
    assert entry.actor_id == coordinator.pk


def test_acknowledge_start_and_resolve(
    client_for: ClientFor, coordinator: User, case: Escalation
) -> None:
    client = client_for(coordinator)
    response = post_with_csrf(client, url("acknowledge", case))
    assert response.status_code == 302
    assert state_of(case) == "acknowledged"
    post_with_csrf(client, url("start", case))
    assert state_of(case) == "in_progress"
    response = post_with_csrf(
        client, url("resolve", case), {"outcome": "safety_plan", "note": "we wrote it"}
    )
    assert response.status_code == 302
    assert response["Location"] == CONSOLE
    assert state_of(case) == "resolved"
    assert case.outcome == "safety_plan"
    assert case.outcome_note == "we wrote it"


def test_resolving_without_or_with_an_unknown_outcome_is_refused(
    client_for: ClientFor, coordinator: User, case: Escalation
) -> None:
    client = client_for(coordinator)
    post_with_csrf(client, url("acknowledge", case))
    for data in ({}, {"outcome": "vanished"}):
        response = post_with_csrf(client, url("resolve", case), data)
        assert response.status_code == 400
        assert "errorlist" in response.content.decode()
    assert state_of(case) == "acknowledged"


def test_acting_on_a_resolved_case_is_refused_with_a_reason(
    client_for: ClientFor, coordinator: User, case: Escalation
) -> None:
    escalations.acknowledge(coordinator, case.pk)
    escalations.resolve(coordinator, case.pk, outcome="other")
    client = client_for(coordinator)
    for name in ("acknowledge", "start"):
        response = post_with_csrf(client, url(name, case))
        assert response.status_code == 409
        assert "This case is already resolved." in response.content.decode()
    response = post_with_csrf(client, url("resolve", case), {"outcome": "de_escalated"})
    assert response.status_code == 409
    assert state_of(case) == "resolved"
    assert case.outcome == "other"


def test_a_missing_case_is_not_found(client_for: ClientFor, coordinator: User) -> None:
    assert client_for(coordinator).get("/safety/escalations/999/").status_code == 404


# --- The rota -----------------------------------------------------------------------------


def test_adding_and_removing_a_shift(client_for: ClientFor, coordinator: User) -> None:
    client = client_for(coordinator)
    assert client.get(ROTA).status_code == 200
    now = timezone.localtime()
    response = post_with_csrf(
        client,
        ROTA,
        {
            "coordinator": coordinator.pk,
            "starts_at": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
            "order": 0,
        },
    )
    assert response.status_code == 302
    assert escalations.on_call() == [coordinator]
    shift = OnCallShift.objects.get()
    post_with_csrf(client, reverse("safety:escalations:remove_shift", args=[shift.pk]))
    assert not OnCallShift.objects.exists()


def test_a_shift_that_ends_before_it_starts_or_for_a_non_coordinator_is_refused(
    client_for: ClientFor, coordinator: User, peer_supporter: User
) -> None:
    client = client_for(coordinator)
    now = timezone.localtime()
    bad = [
        {
            "coordinator": coordinator.pk,
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "order": 0,
        },
        {
            "coordinator": peer_supporter.pk,
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "order": 0,
        },
        {"coordinator": coordinator.pk, "starts_at": "soon", "ends_at": "", "order": -1},
    ]
    for data in bad:
        response = post_with_csrf(client, ROTA, data)
        assert response.status_code == 400
    assert not OnCallShift.objects.exists()


# --- The banner ---------------------------------------------------------------------------


def test_the_banner_shows_a_case_past_the_fallback_to_every_coordinator(
    client_for: ClientFor, coordinator: User, case: Escalation, settings: SettingsWrapper
) -> None:
    settings.TEMPLATES[0]["OPTIONS"]["context_processors"].append(
        "peerlight.safety.context.escalation_banner"
    )
    client = client_for(coordinator)
    assert "urgent case" not in client.get(BANNER).content.decode()
    dispatcher.run_once()  # nobody on call: fallback and banner
    html = client.get(BANNER).content.decode()
    assert "An urgent case needs a responder" in html
    assert 'hx-get="/safety/escalations/banner/"' in html


def test_the_context_processor_reads_nothing_for_others(
    member: User, coordinator: User, case: Escalation
) -> None:
    request = RequestFactory().get("/")
    request.user = member
    assert escalation_banner(request) == {}
    request.user = coordinator
    assert escalation_banner(request) == {"escalation_banner": {"cases": []}}
