"""The iCalendar feeds, read back with the icalendar package, and the private addresses."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.utils import timezone
from icalendar import Calendar, Event, vRecur
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import Role, User
from peerlight.circles import calendar, meetings, reminders, schedule
from peerlight.circles.models import CalendarFeed, Circle, Meeting, Membership
from peerlight.directory.models import Address, Location
from tests.circles.factories import make_circle, make_membership
from tests.conftest import make_user

LA = ZoneInfo("America/Los_Angeles")
AN_HOUR_AGO = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _site(settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PEERLIGHT_BASE_URL = "https://peers.example.org"
    # Telling members is the reminders' part, tested there.
    monkeypatch.setattr(reminders, "notify_members", lambda meeting, kind: [])
    monkeypatch.setattr(reminders, "schedule_reminders", lambda ids: None)


def parsed(feed: bytes) -> Calendar:
    return Calendar.from_ical(feed)


def events(feed: bytes) -> list[Event]:
    return [event for event in parsed(feed).walk("VEVENT") if isinstance(event, Event)]


def text(component: Calendar | Event, name: str) -> str:
    return str(component[name])


def number(event: Event, name: str) -> int:
    return int(str(event[name]))


def prop(event: Event, name: str) -> Any:
    """A property as icalendar parsed it (its value types vary by name)."""
    return event[name]


def master(feed: bytes) -> Event:
    [found] = [e for e in events(feed) if "RRULE" in e]
    return found


def planned(peer: User, **fields: Any) -> tuple[Circle, list[Meeting]]:
    """A Monday circle that began four weeks ago, last changed an hour ago, planned ahead."""
    start = timezone.localdate() - dt.timedelta(days=28)
    fields.setdefault("first_date", start - dt.timedelta(days=start.weekday()))
    circle = make_circle(peer, updated_at=timezone.now() - AN_HOUR_AGO, **fields)
    schedule.plan_meetings(circle, horizon_days=35)
    return circle, list(circle.meetings.order_by("starts_at"))


def test_a_circle_feed_is_one_recurring_event(db: None, peer_supporter: User) -> None:
    circle, _rows = planned(peer_supporter)

    feed = calendar.circle_feed(circle)
    whole = parsed(feed)
    event = master(feed)

    assert whole["PRODID"] == calendar.PRODID
    assert whole["VERSION"] == "2.0"
    assert whole["CALSCALE"] == "GREGORIAN"
    assert whole["METHOD"] == "PUBLISH"
    assert whole["X-WR-CALNAME"] == circle.name
    assert [zone.tz_name for zone in whole.timezones] == ["America/Los_Angeles"]
    assert len(events(feed)) == 1
    assert event["RRULE"] == vRecur.from_ical(circle.rrule)
    start = event.decoded("DTSTART")
    assert start == dt.datetime.combine(circle.first_date, dt.time(18, 30), tzinfo=LA)
    assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert event.decoded("DTEND") - start == dt.timedelta(minutes=90)
    assert event["UID"] == f"circle-{circle.pk}@peers.example.org"
    assert event["SUMMARY"] == circle.name
    assert event["URL"] == f"https://peers.example.org/circles/{circle.slug}/"
    assert text(event, "DESCRIPTION").startswith(circle.description)
    assert text(event, "URL") in text(event, "DESCRIPTION")
    assert event["LOCATION"] == "Online room on Peerlight"
    assert "DTSTAMP" in event


def test_the_uid_is_stable_between_builds(db: None, peer_supporter: User) -> None:
    circle, _rows = planned(peer_supporter)

    assert (
        master(calendar.circle_feed(circle))["UID"] == master(calendar.circle_feed(circle))["UID"]
    )


def test_cancelled_meetings_are_exdates_and_raise_the_sequence(
    db: None, peer_supporter: User
) -> None:
    circle, rows = planned(peer_supporter)
    before = number(master(calendar.circle_feed(circle)), "SEQUENCE")
    cancelled = [row for row in rows if row.starts_at > timezone.now()][:2]

    for row in cancelled:
        meetings.cancel_meeting(peer_supporter, row, "Holiday")
    event = master(calendar.circle_feed(circle))

    exdates = [when.dt for when in prop(event, "EXDATE").dts]
    assert exdates == [row.recurrence_id for row in cancelled]
    assert all(when.tzinfo == LA for when in exdates)
    assert number(event, "SEQUENCE") > before


def test_a_moved_meeting_is_an_override(db: None, peer_supporter: User) -> None:
    circle, rows = planned(peer_supporter)
    moved = next(row for row in rows if row.starts_at > timezone.now())
    new_start = (moved.starts_at + dt.timedelta(days=1)).astimezone(LA).replace(hour=12, minute=0)

    meetings.change_meeting(
        peer_supporter,
        moved,
        starts_at_local=new_start.replace(tzinfo=None),
        duration_minutes=60,
        note="At noon this once.",
    )
    first_feed = calendar.circle_feed(circle)
    [override] = [e for e in events(first_feed) if "RECURRENCE-ID" in e]
    moved.refresh_from_db()
    meetings.change_meeting(
        peer_supporter,
        moved,
        starts_at_local=new_start.replace(tzinfo=None, hour=13),
        duration_minutes=60,
        note="",
    )
    [again] = [e for e in events(calendar.circle_feed(circle)) if "RECURRENCE-ID" in e]

    assert override["UID"] == master(first_feed)["UID"]
    assert override.decoded("RECURRENCE-ID") == moved.recurrence_id
    assert override["RECURRENCE-ID"].params["TZID"] == "America/Los_Angeles"
    assert override.decoded("DTSTART") == new_start
    assert override.decoded("DTEND") == new_start + dt.timedelta(minutes=60)
    assert override["STATUS"] == "CONFIRMED"
    assert text(override, "DESCRIPTION").startswith("At noon this once.")
    assert number(override, "SEQUENCE") >= number(master(first_feed), "SEQUENCE")
    assert number(again, "SEQUENCE") > number(override, "SEQUENCE")
    assert again.decoded("DTSTART").hour == 13


def test_a_kept_meeting_the_new_rule_does_not_give_is_an_event_of_its_own(
    db: None, peer_supporter: User
) -> None:
    circle, rows = planned(peer_supporter)
    roomed = next(row for row in rows if row.starts_at > timezone.now())
    Meeting.objects.filter(pk=roomed.pk).update(room_opened_at=timezone.now())
    Circle.objects.filter(pk=circle.pk).update(rrule="FREQ=WEEKLY;BYDAY=TH")
    circle.refresh_from_db()
    schedule.plan_meetings(circle, horizon_days=35)

    feed = calendar.circle_feed(circle)
    own = {text(e, "UID"): e for e in events(feed) if "RRULE" not in e}
    kept = {
        f"circle-{circle.pk}-meeting-{row.pk}@peers.example.org"
        for row in circle.meetings.filter(starts_at__lt=timezone.now())
    }
    uid = f"circle-{circle.pk}-meeting-{roomed.pk}@peers.example.org"

    # Past Monday meetings stay where they were, as events of their own too.
    assert set(own) == kept | {uid}
    assert "RECURRENCE-ID" not in own[uid]
    assert own[uid].decoded("DTSTART") == roomed.starts_at
    assert master(feed)["RRULE"] == vRecur.from_ical("FREQ=WEEKLY;BYDAY=TH")


def test_an_end_date_is_given_in_utc(db: None, peer_supporter: User) -> None:
    circle, _rows = planned(peer_supporter, rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20991231")

    until = prop(master(calendar.circle_feed(circle)), "RRULE")["UNTIL"][0]

    # The end of 31 December 2099 in Los Angeles.
    assert until == dt.datetime(2100, 1, 1, 7, 59, 59, tzinfo=dt.UTC)


def test_an_in_person_circle_gives_its_place(db: None, peer_supporter: User) -> None:
    place = Location.objects.create(name="Harbor Community Hall")
    Address.objects.create(
        location=place,
        address_1="12 Water Street",
        city="Portland",
        state_province="OR",
        postal_code="97201",
        country="US",
        address_type="physical",
    )
    in_person, _rows = planned(
        peer_supporter,
        format=Circle.Format.IN_PERSON,
        location=place,
        place_notes="Room 2, ring the bell",
    )
    both, _rows = planned(peer_supporter, format=Circle.Format.BOTH, location=place)

    event = master(calendar.circle_feed(in_person))

    assert event["LOCATION"] == "Harbor Community Hall, 12 Water Street, Portland, OR 97201"
    assert "Room 2, ring the bell" in text(event, "DESCRIPTION")
    assert text(master(calendar.circle_feed(both)), "LOCATION").endswith("or online on Peerlight")


def test_the_member_feed_lists_only_the_persons_circles_and_names_no_one(
    db: None, member: User, other_member: User, peer_supporter: User
) -> None:
    mine, _rows = planned(peer_supporter, name="Tuesday evenings")
    asked, _rows = planned(peer_supporter, name="Asked to join")
    left, _rows = planned(peer_supporter, name="Left long ago")
    stopped, _rows = planned(peer_supporter, name="Stopped meeting")
    others, _rows = planned(peer_supporter, name="Someone else's")
    make_membership(mine, member)
    make_membership(mine, other_member)
    make_membership(asked, member, Membership.Status.REQUESTED)
    make_membership(left, member, Membership.Status.LEFT)
    make_membership(stopped, member)
    Circle.objects.filter(pk=stopped.pk).update(is_active=False)
    make_membership(others, other_member)

    feed = calendar.member_feed(member)

    assert parsed(feed)["X-WR-CALNAME"] == "Peerlight circles"
    assert [e["SUMMARY"] for e in events(feed)] == ["Tuesday evenings"]
    for name in (member.display_name, other_member.display_name, peer_supporter.display_name):
        assert name.encode() not in feed


def test_a_facilitator_feed_lists_the_circles_they_lead(
    db: None, peer_supporter: User, coordinator: User
) -> None:
    led, _rows = planned(peer_supporter, name="Led by Jordan")
    stranger = make_user("Robin", Role.PEER_SUPPORTER)
    planned(stranger, name="Led by Robin")

    feed = calendar.member_feed(peer_supporter)

    assert [e["SUMMARY"] for e in events(feed)] == [led.name]
    assert events(calendar.member_feed(coordinator)) == []


# --- Private addresses -----------------------------------------------------------------


def test_a_token_names_its_person_until_the_address_is_reset(db: None, member: User) -> None:
    token = calendar.feed_token(member)

    assert calendar.feed_token(member) == token
    assert calendar.user_for_token(token) == member
    assert CalendarFeed.objects.get(user=member).version == 1

    new = calendar.reset_feed(member)

    assert calendar.user_for_token(token) is None
    assert calendar.user_for_token(new) == member
    assert CalendarFeed.objects.get(user=member).version == 2


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        signing.Signer(salt="another.purpose").sign_object([1, 1]),
        signing.dumps([1, 1], salt=calendar.FEED_SALT),
        signing.Signer(salt=calendar.FEED_SALT).sign_object({"user": 1}),
        signing.Signer(salt=calendar.FEED_SALT).sign_object([True, 1]),
    ],
)
def test_other_tokens_name_no_one(db: None, member: User, token: str) -> None:
    calendar.feed_token(member)

    assert calendar.user_for_token(token) is None


def test_a_tampered_token_names_no_one(db: None, member: User, other_member: User) -> None:
    token = calendar.feed_token(member)
    calendar.feed_token(other_member)
    payload, _sep, signature = token.rpartition(":")

    assert calendar.user_for_token(payload + ":" + signature[::-1]) is None


def test_an_inactive_persons_token_names_no_one(db: None, member: User) -> None:
    token = calendar.feed_token(member)
    User.objects.filter(pk=member.pk).update(is_active=False)

    assert calendar.user_for_token(token) is None
