"""Circles and meetings for tests, made directly (no planning, no views)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.circles.models import Circle, Meeting, Membership

_numbers = itertools.count(1)


def make_circle(*facilitators: User, **fields: Any) -> Circle:
    """An open online circle meeting on Mondays at 18:30 in Portland, Oregon."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "slug": f"circle-{number}",
        "name": f"Evening circle {number}",
        "description": "A calm hour to share how the week went.",
        "topics": ["depression", "loneliness"],
        "language": "en",
        "format": Circle.Format.ONLINE,
        "agreement": "What is said here stays here.\nOne voice at a time.",
        "capacity": 12,
        "time_zone": "America/Los_Angeles",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "first_date": dt.date(2026, 1, 5),
        "start_time": dt.time(18, 30),
        "duration_minutes": 90,
    }
    values.update(fields)
    circle = Circle.objects.create(**values)
    if facilitators:
        circle.facilitators.add(*facilitators)
    return circle


def make_meeting(circle: Circle, starts_at: dt.datetime | None = None, **fields: Any) -> Meeting:
    """One meeting of ``circle`` (in an hour, unless told), lasting the circle's length."""
    start = starts_at or timezone.now() + dt.timedelta(hours=1)
    values: dict[str, Any] = {
        "recurrence_id": start,
        "starts_at": start,
        "ends_at": start + dt.timedelta(minutes=circle.duration_minutes),
    }
    values.update(fields)
    return Meeting.objects.create(circle=circle, **values)


def make_membership(
    circle: Circle, user: User, status: str = Membership.Status.MEMBER, **fields: Any
) -> Membership:
    now = timezone.now()
    values: dict[str, Any] = {"status": status, "age_confirmed": True}
    if status == Membership.Status.MEMBER:
        values["joined_at"] = now
    if status == Membership.Status.WAITING:
        values["waiting_since"] = now
    values.update(fields)
    return Membership.objects.create(circle=circle, user=user, **values)
