"""The calendar pages and feeds, and a meeting's page with its leaders' forms."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.circles import calendar, reminders
from peerlight.circles.models import CalendarFeed, Circle, Meeting
from tests.circles.factories import make_circle, make_meeting, make_membership
from tests.conftest import post_with_csrf

ClientFor = Callable[[User | None], Client]
LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture(autouse=True)
def _quiet_reminders(monkeypatch: pytest.MonkeyPatch) -> None:
    # Telling members is the reminders' part, tested there.
    monkeypatch.setattr(reminders, "notify_members", lambda meeting, kind: [])
    monkeypatch.setattr(reminders, "schedule_reminders", lambda ids: None)


@pytest.fixture
def circle(peer_supporter: User) -> Circle:
    return make_circle(peer_supporter, name="Tuesday evenings")


@pytest.fixture
def meeting(circle: Circle) -> Meeting:
    start = (timezone.now() + dt.timedelta(days=3)).astimezone(LA)
    return make_meeting(circle, start.replace(hour=18, minute=30, second=0, microsecond=0))


def meeting_url(meeting: Meeting, action: str = "") -> str:
    name = f"circles:meeting_{action}" if action else "circles:meeting"
    return reverse(name, args=[meeting.pk])


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and reverse("accounts:login") in response["Location"]


# --- A circle's feed -------------------------------------------------------------------


def test_it_serves_a_circles_feed_to_anyone(client_for: ClientFor, circle: Circle) -> None:
    response = client_for(None).get(reverse("circles:circle_calendar", args=[circle.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{circle.slug}.ics"'
    assert "max-age=900" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert event["SUMMARY"] == "Tuesday evenings"


def test_a_stopped_or_unknown_circle_has_no_feed(client_for: ClientFor, circle: Circle) -> None:
    Circle.objects.filter(pk=circle.pk).update(is_active=False)
    client = client_for(None)

    assert client.get(reverse("circles:circle_calendar", args=[circle.slug])).status_code == 404
    assert client.get(reverse("circles:circle_calendar", args=["nowhere"])).status_code == 404


def test_a_feed_is_read_only(client_for: ClientFor, circle: Circle) -> None:
    url = reverse("circles:circle_calendar", args=[circle.slug])

    assert post_with_csrf(client_for(None), url).status_code == 405


# --- A person's private feed -----------------------------------------------------------


def test_the_private_feed_needs_no_session(
    client_for: ClientFor, member: User, circle: Circle
) -> None:
    make_membership(circle, member)
    url = reverse("circles:member_calendar", args=[calendar.feed_token(member)])

    response = client_for(None).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    feed = Calendar.from_ical(response.content)
    assert feed["X-WR-CALNAME"] == "Peerlight circles"
    assert [event["SUMMARY"] for event in feed.walk("VEVENT")] == ["Tuesday evenings"]


def test_a_bad_token_is_not_found_and_never_logged(
    client_for: ClientFor, member: User, caplog: pytest.LogCaptureFixture
) -> None:
    token = calendar.feed_token(member)
    bad = token[:-4] + "abcd"
    old_token = token
    calendar.reset_feed(member)
    client = client_for(None)

    with caplog.at_level(logging.INFO):
        bad_response = client.get(reverse("circles:member_calendar", args=[bad]))
        old_response = client.get(reverse("circles:member_calendar", args=[old_token]))

    assert bad_response.status_code == 404
    assert old_response.status_code == 404
    assert caplog.records, "the miss is still logged"
    assert token[:8] not in caplog.text
    assert bad[-12:] not in caplog.text


def test_an_inactive_persons_feed_is_not_found(client_for: ClientFor, member: User) -> None:
    token = calendar.feed_token(member)
    User.objects.filter(pk=member.pk).update(is_active=False)

    response = client_for(None).get(reverse("circles:member_calendar", args=[token]))

    assert response.status_code == 404


def test_the_private_feed_is_read_only(
    client_for: ClientFor, member: User, caplog: pytest.LogCaptureFixture
) -> None:
    token = calendar.feed_token(member)
    url = reverse("circles:member_calendar", args=[token])

    with caplog.at_level(logging.INFO):
        response = post_with_csrf(client_for(None), url)

    assert response.status_code == 405
    assert "Method Not Allowed" in caplog.text
    assert token.split(":")[-1] not in caplog.text


# --- The calendar page -----------------------------------------------------------------


def test_the_calendar_page_gives_the_private_address(
    client_for: ClientFor, member: User, circle: Circle, settings: SettingsWrapper
) -> None:
    settings.PEERLIGHT_BASE_URL = "https://peers.example.org"
    make_membership(circle, member)
    client = client_for(member)

    response = client.get(reverse("circles:calendar"))
    again = client.get(reverse("circles:calendar"))

    assert response.status_code == 200
    token = calendar.feed_token(member)
    path = reverse("circles:member_calendar", args=[token])
    page = response.content.decode()
    assert f'value="https://peers.example.org{path}"' in page
    assert f'href="webcal://peers.example.org{path}"' in page
    assert f'href="{path}"' in page
    assert "Keep this address to yourself." in page
    assert "Tuesday evenings" in page
    assert CalendarFeed.objects.filter(user=member, version=1).count() == 1
    assert path in again.content.decode()


def test_the_calendar_page_is_for_people_signed_in(client_for: ClientFor) -> None:
    response = client_for(None).get(reverse("circles:calendar"))

    assert is_login_redirect(response)
    assert not CalendarFeed.objects.exists()


def test_the_calendar_page_takes_no_post(client_for: ClientFor, member: User) -> None:
    assert post_with_csrf(client_for(member), reverse("circles:calendar")).status_code == 405


def test_a_new_address_retires_the_old_one(client_for: ClientFor, member: User) -> None:
    old = calendar.feed_token(member)
    client = client_for(member)

    response = post_with_csrf(client, reverse("circles:calendar_reset"))
    page = client.get(reverse("circles:calendar")).content.decode()

    assert response.status_code == 302
    assert response["Location"] == reverse("circles:calendar")
    assert calendar.user_for_token(old) is None
    assert reverse("circles:member_calendar", args=[old]) not in page
    assert "Your old calendar address no longer works." in page
    assert CalendarFeed.objects.get(user=member).version == 2


def test_resetting_takes_a_post_from_someone_signed_in(
    client_for: ClientFor, member: User
) -> None:
    calendar.feed_token(member)
    url = reverse("circles:calendar_reset")

    assert client_for(member).get(url).status_code == 405
    assert is_login_redirect(post_with_csrf(client_for(None), url))
    assert CalendarFeed.objects.get(user=member).version == 1


# --- A meeting's page ------------------------------------------------------------------


def test_anyone_sees_a_meeting_of_a_circle_that_meets(
    client_for: ClientFor, meeting: Meeting
) -> None:
    response = client_for(None).get(meeting_url(meeting))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Tuesday evenings:" in page
    assert "6:30 p.m. to 8 p.m." in page
    assert "(Pacific Time)" in page
    assert reverse("circles:circle_calendar", args=[meeting.circle.slug]) in page
    assert "Move the meeting" not in page


def test_a_leader_sees_the_forms_and_the_note_of_a_cancelled_meeting(
    client_for: ClientFor, peer_supporter: User, meeting: Meeting
) -> None:
    client = client_for(peer_supporter)
    on = client.get(meeting_url(meeting)).content.decode()
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED, note="Snow")
    off = client.get(meeting_url(meeting)).content.decode()

    assert "Move the meeting" in on
    assert "Cancel the meeting" in on
    assert 'value="90"' in on
    assert 'value="18:30"' in on
    assert "This meeting is cancelled." in off
    assert "Snow" in off
    assert "Bring this meeting back" in off
    assert "Move the meeting" not in off


def test_a_meeting_of_a_stopped_circle_is_for_its_leaders(
    client_for: ClientFor, member: User, peer_supporter: User, meeting: Meeting
) -> None:
    Circle.objects.filter(pk=meeting.circle_id).update(is_active=False)

    assert client_for(None).get(meeting_url(meeting)).status_code == 404
    assert client_for(member).get(meeting_url(meeting)).status_code == 404
    assert client_for(peer_supporter).get(meeting_url(meeting)).status_code == 200
    assert client_for(None).get(reverse("circles:meeting", args=[999999])).status_code == 404


def test_a_meeting_page_takes_no_post(client_for: ClientFor, meeting: Meeting) -> None:
    assert post_with_csrf(client_for(None), meeting_url(meeting)).status_code == 405


# --- Changing a meeting ----------------------------------------------------------------


def change_data(meeting: Meeting, **overrides: Any) -> dict[str, Any]:
    start = (meeting.starts_at + dt.timedelta(days=1)).astimezone(LA)
    data = {
        "change-date": start.date().isoformat(),
        "change-time": "19:15",
        "change-duration_minutes": "60",
        "change-note": "The hall is booked.",
    }
    data.update({f"change-{name}": value for name, value in overrides.items()})
    return data


def test_a_facilitator_moves_a_meeting(
    client_for: ClientFor, peer_supporter: User, meeting: Meeting
) -> None:
    client = client_for(peer_supporter)

    response = post_with_csrf(client, meeting_url(meeting, "change"), change_data(meeting))

    assert response.status_code == 302
    assert response["Location"] == meeting_url(meeting)
    meeting.refresh_from_db()
    assert meeting.starts_at.astimezone(LA).time() == dt.time(19, 15)
    assert meeting.ends_at - meeting.starts_at == dt.timedelta(minutes=60)
    assert meeting.is_changed
    assert meeting.note == "The hall is booked."
    assert "The meeting is moved." in client.get(meeting_url(meeting)).content.decode()


def test_a_coordinator_moves_a_meeting(
    client_for: ClientFor, coordinator: User, meeting: Meeting
) -> None:
    response = post_with_csrf(
        client_for(coordinator), meeting_url(meeting, "change"), change_data(meeting)
    )

    assert response.status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).is_changed


def test_a_coordinator_passes_the_second_factor_first(coordinator: User, meeting: Meeting) -> None:
    client = Client()
    client.force_login(coordinator)

    response = client.post(meeting_url(meeting, "change"), change_data(meeting))

    assert response.status_code == 302
    assert reverse("accounts:two-factor-setup") in response["Location"]
    assert not Meeting.objects.get(pk=meeting.pk).is_changed


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"duration_minutes": "5"}, "greater than or equal to 15"),
        ({"date": "not a date"}, "Enter a valid date."),
        ({"note": "x" * 301}, "at most 300 characters"),
        ({"date": "2020-01-06"}, "Please choose a time that is still to come."),
    ],
)
def test_a_bad_move_says_why_and_changes_nothing(
    client_for: ClientFor,
    peer_supporter: User,
    meeting: Meeting,
    overrides: dict[str, str],
    message: str,
) -> None:
    response = post_with_csrf(
        client_for(peer_supporter),
        meeting_url(meeting, "change"),
        change_data(meeting, **overrides),
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="error-summary"' in response.content.decode()
    fresh = Meeting.objects.get(pk=meeting.pk)
    assert (fresh.starts_at, fresh.is_changed, fresh.sequence) == (meeting.starts_at, False, 0)


def test_someone_who_does_not_lead_may_not_change_a_meeting(
    client_for: ClientFor, member: User, meeting: Meeting
) -> None:
    make_membership(meeting.circle, member)
    client = client_for(member)

    moved = post_with_csrf(client, meeting_url(meeting, "change"), change_data(meeting))
    cancelled = post_with_csrf(client, meeting_url(meeting, "cancel"), {"cancel-note": "No"})
    restored = post_with_csrf(client, meeting_url(meeting, "restore"))

    assert (moved.status_code, cancelled.status_code, restored.status_code) == (403, 403, 403)
    fresh = Meeting.objects.get(pk=meeting.pk)
    assert (fresh.status, fresh.is_changed, fresh.sequence) == ("scheduled", False, 0)


def test_a_stranger_gets_not_found_for_a_stopped_circles_meeting(
    client_for: ClientFor, member: User, meeting: Meeting
) -> None:
    Circle.objects.filter(pk=meeting.circle_id).update(is_active=False)

    response = post_with_csrf(client_for(member), meeting_url(meeting, "cancel"))

    assert response.status_code == 404
    assert not Meeting.objects.get(pk=meeting.pk).is_cancelled


@pytest.mark.parametrize("action", ["change", "cancel", "restore"])
def test_changes_take_a_post_from_someone_signed_in(
    client_for: ClientFor, peer_supporter: User, meeting: Meeting, action: str
) -> None:
    assert client_for(peer_supporter).get(meeting_url(meeting, action)).status_code == 405
    assert is_login_redirect(post_with_csrf(client_for(None), meeting_url(meeting, action)))


def test_a_facilitator_cancels_and_restores_a_meeting(
    client_for: ClientFor, peer_supporter: User, meeting: Meeting
) -> None:
    client = client_for(peer_supporter)

    cancelled = post_with_csrf(client, meeting_url(meeting, "cancel"), {"cancel-note": "Snow"})
    after_cancel = Meeting.objects.get(pk=meeting.pk)
    restored = post_with_csrf(client, meeting_url(meeting, "restore"))
    after_restore = Meeting.objects.get(pk=meeting.pk)

    assert cancelled.status_code == 302
    assert restored.status_code == 302
    assert after_cancel.is_cancelled
    assert after_cancel.note == "Snow"
    assert not after_restore.is_cancelled
    assert after_restore.sequence == 2


def test_bad_cancel_and_restore_say_why(
    client_for: ClientFor, peer_supporter: User, meeting: Meeting
) -> None:
    client = client_for(peer_supporter)

    long_note = post_with_csrf(client, meeting_url(meeting, "cancel"), {"cancel-note": "x" * 301})
    not_cancelled = post_with_csrf(client, meeting_url(meeting, "restore"))

    assert long_note.status_code == 400
    assert "at most 300 characters" in long_note.content.decode()
    assert not_cancelled.status_code == 400
    assert "This meeting is not cancelled." in not_cancelled.content.decode()
    fresh = Meeting.objects.get(pk=meeting.pk)
    assert (fresh.status, fresh.sequence) == ("scheduled", 0)
