"""Demo circles: what the demo shows, and that seeding twice changes nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.utils import timezone

from peerlight.accounts import demo as accounts_demo
from peerlight.accounts.models import User
from peerlight.circles import demo
from peerlight.circles.finding import CircleFilters, find_circles
from peerlight.circles.models import Circle, Meeting, Membership
from peerlight.directory.models import Location
from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db

# The demo directory's places the in-person circles meet at (directory.demo).
PLACES = ("2215 NE Glisan St", "5110 NE Killingsworth St", "215 N Williams Ave")


@pytest.fixture
def demo_world() -> None:
    accounts_demo.seed(StringIO())
    for address in PLACES:
        make_service(f"Place at {address}", address={"address_1": address}, index=False)


def snapshot() -> dict[str, Any]:
    return {
        "circles": list(Circle.objects.order_by("slug").values()),
        "meetings": list(Meeting.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "users": User.objects.count(),
    }


def test_seeding_twice_changes_nothing(demo_world: None) -> None:
    out = StringIO()
    demo.seed(out)
    assert "Circles: 8 created, 0 already there." in out.getvalue()
    first = snapshot()
    again = StringIO()
    demo.seed(again)
    assert "Circles: 0 created, 8 already there." in again.getvalue()
    assert snapshot() == first


def test_the_demo_shows_every_kind_of_circle(demo_world: None) -> None:
    demo.seed(StringIO())
    circles = {circle.slug: circle for circle in Circle.objects.all()}
    assert len(circles) == 8
    assert {c.format for c in circles.values()} == set(Circle.Format.values)
    assert {c.joining for c in circles.values()} == set(Circle.Joining.values)
    assert [c.slug for c in circles.values() if c.language == "es"] == ["circulo-de-mamas"]
    assert {c.time_zone for c in circles.values()} == {"America/Los_Angeles"}
    rules = {c.rrule for c in circles.values()}
    assert {"FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "FREQ=MONTHLY;BYDAY=1MO,3MO"} <= rules
    in_person = [c for c in circles.values() if c.meets_in_person]
    assert in_person
    assert all(isinstance(c.location, Location) for c in in_person)
    for circle in circles.values():
        leaders = list(circle.facilitators.all())
        assert leaders
        assert all(person.has_role("peer_supporter") for person in leaders)
        assert Meeting.objects.filter(circle=circle, starts_at__gt=timezone.now()).exists()


def test_one_circle_is_full_with_a_waiting_list(demo_world: None) -> None:
    demo.seed(StringIO())
    found = {item.circle.slug: item for item in find_circles(CircleFilters())}
    full = found["sunday-walk-and-talk"]
    assert full.places_left == 0
    assert Membership.objects.filter(circle=full.circle, status=Membership.Status.WAITING).exists()


def test_the_demo_members_belong_to_circles(demo_world: None) -> None:
    demo.seed(StringIO())
    for name in ("quietfern", "Luz del Mar", "nightowl"):
        memberships = Membership.objects.filter(
            user__display_name=name, status=Membership.Status.MEMBER
        )
        assert 1 <= memberships.count() <= 2, name


def test_a_meeting_starts_soon_so_a_room_can_be_opened(demo_world: None) -> None:
    before = timezone.now()
    demo.seed(StringIO())
    soon = Meeting.objects.filter(circle__slug=demo.SOON_SLUG, is_changed=True).get()
    assert before < soon.starts_at <= before + dt.timedelta(minutes=16)
    found = find_circles(CircleFilters(starting_soon=True))
    assert demo.SOON_SLUG in [item.circle.slug for item in found]


def test_without_the_demo_people_no_circle_is_made(db: None) -> None:
    out = StringIO()
    demo.seed(out)
    assert not Circle.objects.exists()
    assert "8 skipped" in out.getvalue()
