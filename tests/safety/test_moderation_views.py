"""Moderation pages and the middleware: acting, lifting, suspensions, warnings, filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import Role, User
from peerlight.audit.models import AuditEntry
from peerlight.safety import actions, moderation
from peerlight.safety.access import describe_source
from peerlight.safety.models import ModerationAction, Report
from tests.conftest import make_user, post_with_csrf

type ClientFor = Callable[[User | None], Client]

MIDDLEWARE = "peerlight.safety.moderation_middleware.moderation_middleware"
REASON = "Asked a member for their number twice"
HOME = reverse("home")


@pytest.fixture(autouse=True)
def _moderation_middleware(settings: SettingsWrapper) -> None:
    # The integrator adds it to settings.MIDDLEWARE; until then the tests do.
    if MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]


@pytest.fixture
def case(member: User, peer_supporter: User) -> Report:
    return actions.report(
        member, peer_supporter, source="chat.conversation", source_id=7, reason="contact"
    )


def act_url(report: Report) -> str:
    return reverse("safety:act_on_report", args=[report.pk])


def lift_url(action: ModerationAction) -> str:
    return reverse("safety:lift", args=[action.pk])


# --- Acting from a report -----------------------------------------------------------------


def test_a_coordinator_mutes_from_the_report_and_sees_the_history(
    client_for: ClientFor, coordinator: User, case: Report, peer_supporter: User
) -> None:
    client = client_for(coordinator)
    response = post_with_csrf(client, act_url(case), {"kind": "mute", "reason": REASON})
    assert response.status_code == 302
    action = ModerationAction.objects.get()
    assert (action.kind, action.subject, action.report) == ("mute", peer_supporter, case)
    page = client.get(reverse("safety:report", args=[case.pk])).content.decode()
    assert REASON in page
    assert lift_url(action) in page
    assert act_url(case) in page
    assert reverse("safety:person", args=[peer_supporter.pk]) in page
    assert moderation.send_refusal(peer_supporter) is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "mute", "reason": ""}, "write the reason"),
        ({"kind": "explode", "reason": REASON}, "choose an action"),
        ({"kind": "suspend", "reason": REASON}, "when the suspension ends"),
        ({"kind": "suspend", "reason": REASON, "until": "2001-01-01T10:00"}, "in the future"),
        ({"kind": "mute", "reason": REASON, "until": "soon"}, "enter a date and time"),
    ],
)
def test_bad_input_shows_a_clear_error_and_changes_nothing(
    client_for: ClientFor, coordinator: User, case: Report, data: dict[str, str], message: str
) -> None:
    response = post_with_csrf(client_for(coordinator), act_url(case), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ModerationAction.objects.exists()


def test_a_coordinator_cannot_be_acted_on(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    other = make_user("Lee", Role.COORDINATOR)
    made = actions.report(member, other, source="chat.conversation", source_id=1, reason="spam")
    response = post_with_csrf(
        client_for(coordinator), act_url(made), {"kind": "ban", "reason": REASON}
    )
    assert response.status_code == 400
    assert "cannot be moderated here" in response.content.decode()
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher", "admin_user"])
def test_no_one_else_can_act(
    client_for: ClientFor, persona: str, request: pytest.FixtureRequest, case: Report
) -> None:
    person: User = request.getfixturevalue(persona)
    response = post_with_csrf(client_for(person), act_url(case), {"kind": "ban", "reason": REASON})
    assert response.status_code == 404
    assert not ModerationAction.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client_for: ClientFor, case: Report) -> None:
    response = client_for(None).get(reverse("safety:person", args=[case.reported_id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_coordinator_without_two_factor_is_asked_for_it(coordinator: User, case: Report) -> None:
    client = Client()
    client.force_login(coordinator)
    response = client.get(reverse("safety:person", args=[case.reported_id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor-setup"))


def test_acting_needs_post(client_for: ClientFor, coordinator: User, case: Report) -> None:
    assert client_for(coordinator).get(act_url(case)).status_code == 405


# --- The person's page and lifting --------------------------------------------------------


def test_the_person_page_acts_and_lifts(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    client = client_for(coordinator)
    page_url = reverse("safety:person", args=[member.pk])
    response = client.get(page_url)
    assert response.status_code == 200
    assert AuditEntry.objects.filter(verb="safety.moderation.view", subject_id=member.pk).exists()
    act = reverse("safety:act_on_person", args=[member.pk])
    post_with_csrf(client, act, {"kind": "note", "reason": REASON})
    note = ModerationAction.objects.get()
    response = post_with_csrf(client, lift_url(note), {"reason": "", "next": page_url})
    assert response["Location"] == page_url
    note.refresh_from_db()
    assert note.lifted_at is None
    response = post_with_csrf(client, lift_url(note), {"reason": "Wrong person", "next": page_url})
    note.refresh_from_db()
    assert note.lifted_at is not None
    assert note.lift_reason == "Wrong person"


def test_lifting_goes_back_only_to_this_site(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    action = moderation.take_action(coordinator, member, "mute", reason=REASON)
    response = post_with_csrf(
        client_for(coordinator),
        lift_url(action),
        {"reason": "ok", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("safety:person", args=[member.pk])


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "admin_user"])
def test_no_one_else_can_lift(
    client_for: ClientFor, persona: str, request: pytest.FixtureRequest, coordinator: User
) -> None:
    target = User.objects.create_user("Kim")
    action = moderation.take_action(coordinator, target, "mute", reason=REASON)
    person: User = request.getfixturevalue(persona)
    assert post_with_csrf(client_for(person), lift_url(action), {"reason": "x"}).status_code == 404
    action.refresh_from_db()
    assert action.lifted_at is None


def test_a_missing_person_or_action_is_not_found(client_for: ClientFor, coordinator: User) -> None:
    client = client_for(coordinator)
    assert client.get(reverse("safety:person", args=[999999])).status_code == 404
    assert (
        post_with_csrf(client, reverse("safety:lift", args=[999999]), {"reason": "x"}).status_code
        == 404
    )


# --- Suspensions: signed out, let back after lift or after the date ------------------------


def test_a_suspended_person_is_signed_out_with_a_calm_page(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    until = timezone.now() + timedelta(days=3)
    suspension = moderation.take_action(coordinator, member, "suspend", reason=REASON, until=until)
    client = client_for(member)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == reverse("safety:suspended")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Your account is paused" in html
    assert "until" in html
    assert "mailto:" in html
    assert REASON not in html
    assert "_auth_user_id" not in client.session
    # Lifted: signing in again works at once.
    moderation.lift_action(coordinator, suspension, reason="Appeal upheld")
    client = client_for(member)
    assert client.get(HOME).status_code == 200


def test_a_suspension_ends_on_its_date(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    action = moderation.take_action(
        coordinator, member, "suspend", reason=REASON, until=timezone.now() + timedelta(hours=1)
    )
    assert client_for(member).get(HOME).status_code == 302
    ModerationAction.objects.filter(pk=action.pk).update(
        ends_at=timezone.now() - timedelta(seconds=1)
    )
    assert client_for(member).get(HOME).status_code == 200


def test_a_ban_lasts_until_lifted_and_htmx_is_sent_away_too(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    ban = moderation.take_action(coordinator, member, "ban", reason=REASON)
    client = client_for(member)
    response = client.get(HOME, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("safety:suspended")
    html = client.get(reverse("safety:suspended")).content.decode()
    assert "until they lift it" in html
    moderation.lift_action(coordinator, ban, reason="ok")
    assert client_for(member).get(HOME).status_code == 200


def test_the_paused_page_is_public_and_plain(client_for: ClientFor) -> None:
    response = client_for(None).get(reverse("safety:suspended"))
    assert response.status_code == 200
    assert "If a coordinator has paused your account" in response.content.decode()


# --- Warnings: shown once, recorded -------------------------------------------------------


def test_a_warning_is_shown_once_and_recorded(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    warning = moderation.take_action(coordinator, member, "warn", reason=REASON)
    client = client_for(member)
    first = client.get(HOME + "?from=test").content.decode()
    assert "A note from the coordinators" in first
    assert 'href="/?from=test"' in first
    assert REASON not in first
    warning.refresh_from_db()
    assert warning.seen_at is not None
    assert AuditEntry.objects.filter(verb="safety.moderation.warning_seen").count() == 1
    second = client.get(HOME).content.decode()
    assert "A note from the coordinators" not in second


def test_a_warning_waits_for_a_full_page(
    client_for: ClientFor, coordinator: User, member: User
) -> None:
    warning = moderation.take_action(coordinator, member, "warn", reason=REASON)
    client = client_for(member)
    client.get(HOME, headers={"HX-Request": "true"})
    warning.refresh_from_db()
    assert warning.seen_at is None


# --- The queue: filters and automatic reports ---------------------------------------------


def test_the_queue_filters_by_status_and_source(
    client_for: ClientFor, coordinator: User, member: User, peer_supporter: User
) -> None:
    actions.report(member, peer_supporter, source="chat.conversation", source_id=1, reason="spam")
    story = actions.report(member, None, source="stories.story", source_id=2, reason="other")
    actions.close_report(coordinator, story)
    client = client_for(coordinator)
    reports = reverse("safety:reports")
    chat_case = describe_source("chat.conversation", 1)
    story_case = describe_source("stories.story", 2)
    # Linked when a coordinator may open the place: the link is what tells them apart.
    chat_mark = escape(chat_case.url or chat_case.text)
    story_mark = escape(story_case.url or story_case.text)
    html = client.get(reports, {"source": "stories.story"}).content.decode()
    assert story_mark in html
    assert chat_mark not in html
    html = client.get(reports, {"status": "open"}).content.decode()
    assert chat_mark in html
    assert story_mark not in html
    response = client.get(reports, {"status": "nonsense"})
    assert response.status_code == 400
    assert chat_mark in response.content.decode()


def test_an_automatic_report_shows_codes_not_words(
    client_for: ClientFor, coordinator: User, member: User, peer_supporter: User
) -> None:
    made = moderation.screen_for_grooming(
        "how old are you? send me a pic",
        author_id=int(peer_supporter.pk),
        source="chat.conversation",
        source_id=5,
        recipient_ids=[int(member.pk)],
    )
    assert made is not None
    client = client_for(coordinator)
    listing = client.get(reverse("safety:reports")).content.decode()
    assert "raised automatically" in listing
    page = client.get(reverse("safety:report", args=[made.pk])).content.decode()
    assert "Asking their age" in page
    assert "Asking for photos or video" in page
    assert "send me a pic" not in page


def test_closing_from_the_page_records_the_outcome(
    client_for: ClientFor, coordinator: User, case: Report
) -> None:
    client = client_for(coordinator)
    post_with_csrf(client, act_url(case), {"kind": "warn", "reason": REASON})
    url = reverse("safety:close_report", args=[case.pk])
    response = post_with_csrf(client, url, {"outcome": "bogus"})
    case.refresh_from_db()
    assert case.status == Report.Status.OPEN
    assert response.status_code == 302
    post_with_csrf(client, url, {"outcome": "warn"})
    case.refresh_from_db()
    assert case.status == Report.Status.CLOSED
    assert case.outcome == "warn"


def test_under_asgi_a_banned_person_is_signed_out_too(coordinator: User, member: User) -> None:
    moderation.take_action(coordinator, member, "ban", reason=REASON)
    client = AsyncClient()
    client.force_login(member)
    response = async_to_sync(client.get)(HOME)
    assert response.status_code == 302
    assert response["Location"] == reverse("safety:suspended")
