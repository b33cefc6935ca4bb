"""Circles as iCalendar (RFC 5545) feeds, and the private addresses of members' feeds.

Each circle is one recurring event: a master ``VEVENT`` whose ``DTSTART``
(the rule's first meeting, on the wall clock of the circle's zone, with its
``VTIMEZONE``) and ``RRULE`` are the circle's, with an ``EXDATE`` for every
cancelled meeting and one override ``VEVENT`` (same ``UID``,
``RECURRENCE-ID`` = the original start) for every meeting moved by hand. A
meeting the current rule does not give (kept after the rule changed,
because it was moved, or has a room or attendance) becomes an event of its
own. Every circle's rule is expressible: ``schedule.clean_rule`` accepts
only RFC 5545 parts.

The master's ``SEQUENCE`` is the number of seconds from 2024 to the latest
change of the circle or of a cancellation: it rises with every change of
the rule or of the cancelled dates, without a counter on the circle.

Discretion: a member's feed is called "Peerlight circles" and holds the
circles' public details only; no feed names a person.

A member's private address carries a signed token of (user id, version);
``reset_feed`` raises the version, so old addresses stop working.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vRecur

from peerlight.accounts.models import Role, User
from peerlight.audit.actions import record_change
from peerlight.circles import schedule
from peerlight.circles.models import CalendarFeed, Circle, Meeting, Membership
from peerlight.directory.models import Location
from peerlight.directory.presenters import address_lines

__all__ = [
    "FEED_SALT",
    "circle_feed",
    "feed_circles",
    "feed_token",
    "member_feed",
    "reset_feed",
    "user_for_token",
]

FEED_SALT = "peerlight.circles.calendar"
PRODID = "-//Peerlight//Circles//EN"
# Calendar apps that honour it fetch the feed again after this long.
REFRESH_INTERVAL = dt.timedelta(hours=6)
DESCRIPTION_CHARS = 200
SEQUENCE_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
TIMEZONE_YEARS = 10
_SECOND = dt.timedelta(seconds=1)


# --- Private addresses ----------------------------------------------------------------


def _token(user: User, feed: CalendarFeed) -> str:
    # No timestamp: the same person and version always give the same address.
    return signing.Signer(salt=FEED_SALT).sign_object([user.pk, feed.version])


def feed_token(user: User) -> str:
    """The token of the user's private feed address (made on first use)."""
    with transaction.atomic():
        feed, created = CalendarFeed.objects.get_or_create(user=user)
        if created:
            record_change(user, "circles.calendar.create", feed, subject=user)
    return _token(user, feed)


def reset_feed(user: User) -> str:
    """Retire the user's private address; return the new token."""
    with transaction.atomic():
        feed, _created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
        feed.version += 1
        feed.save(update_fields=["version"])
        record_change(user, "circles.calendar.reset", feed, subject=user)
    return _token(user, feed)


def user_for_token(token: str) -> User | None:
    """The active person whose current address ``token`` is; None for any other token."""
    try:
        payload = signing.Signer(salt=FEED_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        # ValueError: a signed value that is not a signed object (not ours).
        return None
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(item, int) and not isinstance(item, bool) for item in payload)
    ):
        return None
    user_id, version = payload
    feed = (
        CalendarFeed.objects.filter(user_id=user_id, version=version, user__is_active=True)
        .select_related("user")
        .first()
    )
    return None if feed is None else feed.user


# --- Feeds ----------------------------------------------------------------------------


def _host() -> str:
    return urlsplit(settings.PEERLIGHT_BASE_URL).hostname or "peerlight.invalid"


def _absolute(path: str) -> str:
    return urljoin(settings.PEERLIGHT_BASE_URL + "/", path.lstrip("/"))


def _sequence(moment: dt.datetime) -> int:
    return max(0, int((moment - SEQUENCE_EPOCH).total_seconds()))


def _location(circle: Circle) -> str:
    online = _("Online room on Peerlight")
    if not circle.meets_in_person:
        return online
    place = (
        Location.objects.filter(pk=circle.location_id).prefetch_related("addresses").first()
        if circle.location_id
        else None
    )
    lines: list[str] = []
    if place is not None:
        lines = [place.name or ""]
        addresses = list(place.addresses.all())
        if addresses:
            lines += address_lines(addresses[0])
    text = ", ".join(line for line in lines if line)
    if circle.meets_online:
        return _("%(place)s, or online on Peerlight") % {"place": text} if text else online
    return text


def _description(circle: Circle, page: str, note: str) -> str:
    lines = [note] if note else []
    lines.append(Truncator(circle.description).chars(DESCRIPTION_CHARS))
    if circle.meets_in_person and circle.place_notes:
        lines.append(circle.place_notes)
    lines.append(page)
    return "\n\n".join(lines)


def _event(
    circle: Circle,
    uid: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    page: str,
    place: str,
    sequence: int,
    note: str = "",
) -> Event:
    zone = ZoneInfo(circle.time_zone)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("sequence", sequence)
    event.add("summary", circle.name)
    event.add("description", _description(circle, page, note))
    event.add("url", page)
    event.add("location", place)
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    return event


def _feed_rule(circle: Circle) -> vRecur:
    """The circle's rule, with UNTIL in UTC as RFC 5545 asks beside a DTSTART with a zone."""
    parts = schedule.rule_parts(circle.rrule)
    if "UNTIL" in parts and not parts["UNTIL"].endswith("Z"):
        zone = ZoneInfo(circle.time_zone)
        local = schedule.until_on_wall_clock(parts["UNTIL"], zone)
        parts["UNTIL"] = local.replace(tzinfo=zone).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    recur: vRecur = vRecur.from_ical(";".join(f"{name}={value}" for name, value in parts.items()))
    return recur


def _meeting_page(meeting: Meeting) -> str:
    return _absolute(reverse("circles:meeting", args=[meeting.pk]))


def _circle_events(circle: Circle) -> list[Event]:
    """The master event of ``circle``, its overrides, then meetings of their own."""
    zone = ZoneInfo(circle.time_zone)
    first = schedule.first_occurrence(circle)
    rows = list(circle.meetings.order_by("recurrence_id"))
    given: set[dt.datetime] = set()
    if first is not None and rows:
        low = min(first, rows[0].recurrence_id)
        given = set(schedule.circle_occurrences(circle, low, rows[-1].recurrence_id + _SECOND))
    changed = [row.updated_at for row in rows if row.sequence > 0]
    # Overrides count on from the master, so none is ever older than it.
    base = _sequence(max([circle.updated_at, *changed]))
    page = _absolute(reverse("circles:detail", args=[circle.slug]))
    uid = f"circle-{circle.pk}@{_host()}"
    place = _location(circle)
    events: list[Event] = []
    if first is not None:
        length = dt.timedelta(minutes=circle.duration_minutes)
        master = _event(circle, uid, first, first + length, page=page, place=place, sequence=base)
        master.add("rrule", _feed_rule(circle))
        cancelled = [
            row.recurrence_id.astimezone(zone)
            for row in rows
            if row.is_cancelled and row.recurrence_id in given
        ]
        if cancelled:
            master.add("exdate", cancelled)
        master.add("last-modified", circle.updated_at)
        events.append(master)
    for row in rows:
        if row.recurrence_id in given and (row.is_cancelled or not row.is_changed):
            continue  # The master gives it, or its EXDATE takes it away.
        own = row.recurrence_id not in given
        event = _event(
            circle,
            f"circle-{circle.pk}-meeting-{row.pk}@{_host()}" if own else uid,
            row.starts_at,
            row.ends_at,
            page=_meeting_page(row),
            place=place,
            sequence=base + row.sequence,
            note=row.note,
        )
        if not own:
            event.add("recurrence-id", row.recurrence_id.astimezone(zone))
        event.add("status", "CANCELLED" if row.is_cancelled else "CONFIRMED")
        event.add("last-modified", row.updated_at)
        events.append(event)
    return events


def _calendar(name: str, circles: Iterable[Circle]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    earliest = timezone.now().date()
    for circle in circles:
        for event in _circle_events(circle):
            calendar.add_component(event)
            earliest = min(earliest, event.decoded("dtstart").date())
    # The zones' changes from the first meeting on, ten years past today.
    calendar.add_missing_timezones(
        first_date=earliest - dt.timedelta(days=1),
        last_date=timezone.now().date() + dt.timedelta(days=TIMEZONE_YEARS * 366),
    )
    return bytes(calendar.to_ical())


def circle_feed(circle: Circle) -> bytes:
    """The public feed of one circle, in the active language."""
    return _calendar(circle.name, [circle])


def feed_circles(user: User) -> list[Circle]:
    """The active circles in a person's feed: those they are a member of, or lead."""
    leads = Q(facilitators=user) if user.has_role(Role.PEER_SUPPORTER) else Q(pk__in=[])
    rows = Circle.objects.filter(is_active=True).filter(
        Q(memberships__user=user, memberships__status=Membership.Status.MEMBER) | leads
    )
    return list(rows.distinct().order_by("name", "pk"))


def member_feed(user: User) -> bytes:
    """The private feed of ``user``'s circles, in their language; it names no one."""
    with translation.override(user.language):
        return _calendar(_("Peerlight circles"), feed_circles(user))
