"""Finding a circle: filters over the listed circles, each with its next meeting.

The filters a person sets (a topic, a language, a day, a part of the day, a
format, "starting soon", a few words) become a ``CircleFilters``. What the
database can answer (language, format, words) it answers; the rest is
decided in Python on the circles it returns, because it depends on the
circle's own time zone and on codes kept in a JSON list that SQLite cannot
search. Peer-run organisations list tens of circles, not thousands, so this
stays cheap; the page costs two queries however many circles match.

The pure helpers at the top (``part_of_day``, ``rule_weekdays``,
``matches_when``) hold the rules and are tested alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from peerlight.circles import access
from peerlight.circles.models import Circle, Meeting, Membership

MORNING = "morning"
AFTERNOON = "afternoon"
EVENING = "evening"
PARTS_OF_DAY = (MORNING, AFTERNOON, EVENING)
NOON = dt.time(12, 0)
EVENING_STARTS = dt.time(17, 0)
# "Starting soon": a meeting that begins within this long from now.
SOON = dt.timedelta(hours=48)
# Free words: at most this many, each at most this long (longer input is cut).
MAX_WORDS = 6
MAX_WORD_LENGTH = 40
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
EVERY_DAY = frozenset(range(7))


@dataclass(frozen=True)
class CircleFilters:
    """What a person is looking for; empty values do not narrow anything."""

    topic: str = ""
    language: str = ""
    weekday: int | None = None
    part_of_day: str = ""
    # "online" or "in_person"; a circle that meets both ways matches either.
    format: str = ""
    starting_soon: bool = False
    words: str = ""

    @property
    def is_empty(self) -> bool:
        return self == CircleFilters()


@dataclass(frozen=True)
class FoundCircle:
    circle: Circle
    next_meeting: Meeting | None
    members: int

    @property
    def places_left(self) -> int:
        return max(0, self.circle.capacity - self.members)


# --- Pure helpers -----------------------------------------------------------------------


def part_of_day(moment: dt.time) -> str:
    """Morning before noon, afternoon until five, evening from five."""
    if moment < NOON:
        return MORNING
    if moment < EVENING_STARTS:
        return AFTERNOON
    return EVENING


def rule_parts(rule: str) -> dict[str, str]:
    """The ``NAME=value`` parts of an RRULE body, names in capitals."""
    parts: dict[str, str] = {}
    for piece in rule.removeprefix("RRULE:").split(";"):
        name, _, value = piece.partition("=")
        if name.strip():
            parts[name.strip().upper()] = value.strip().upper()
    return parts


def rule_weekdays(rule: str, first_date: dt.date) -> frozenset[int]:
    """The weekdays (Monday 0) a rule meets on; the first date's when the rule names none.

    "1MO,3MO" (first and third Monday) is a Monday; a daily rule meets every day.
    """
    parts = rule_parts(rule)
    if parts.get("FREQ") == "DAILY" and not parts.get("BYDAY"):
        return EVERY_DAY
    days = {
        WEEKDAY_CODES.index(item[-2:])
        for item in parts.get("BYDAY", "").split(",")
        if item[-2:] in WEEKDAY_CODES
    }
    return frozenset(days) or frozenset({first_date.weekday()})


def matches_when(
    filters: CircleFilters,
    weekdays: Iterable[int],
    start_times: Iterable[dt.time],
    next_start: dt.datetime | None,
    now: dt.datetime,
) -> bool:
    """Whether a circle meeting on ``weekdays`` at ``start_times`` (its own zone) fits."""
    if filters.weekday is not None and filters.weekday not in set(weekdays):
        return False
    if filters.part_of_day and filters.part_of_day not in {part_of_day(t) for t in start_times}:
        return False
    return not filters.starting_soon or (next_start is not None and next_start <= now + SOON)


def words_of(text: str) -> list[str]:
    return [word[:MAX_WORD_LENGTH] for word in text.split()][:MAX_WORDS]


def circle_zone(circle: Circle) -> dt.tzinfo:
    try:
        return ZoneInfo(circle.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        # Forms accept only known zones; a zone removed from the system's
        # database later should not break the list.
        return dt.UTC


# --- Reads ------------------------------------------------------------------------------


def find_circles(filters: CircleFilters, *, now: dt.datetime | None = None) -> list[FoundCircle]:
    """Listed circles that fit ``filters``, the soonest next meeting first.

    Two queries: the circles (with their member count and the id of their
    next meeting) and those meetings. Circles with no meeting planned come
    last, in name order.
    """
    now = now or timezone.now()
    upcoming = Meeting.objects.filter(
        circle=OuterRef("pk"), status=Meeting.Status.SCHEDULED, ends_at__gt=now
    ).order_by("starts_at", "pk")
    circles = list(
        _narrowed(access.listed_circles(), filters)
        .select_related("location")
        .annotate(
            members=Count(
                "memberships",
                filter=Q(memberships__status=Membership.Status.MEMBER),
                distinct=True,
            ),
            next_meeting_id=Subquery(upcoming.values("pk")[:1]),
        )
    )
    if filters.topic:
        circles = [circle for circle in circles if filters.topic in (circle.topics or [])]
    meetings = Meeting.objects.in_bulk(
        [circle.next_meeting_id for circle in circles if circle.next_meeting_id]
    )
    found = [
        FoundCircle(circle, meetings.get(circle.next_meeting_id), circle.members)
        for circle in circles
    ]
    found = [item for item in found if _fits_when(filters, item, now)]
    return sorted(found, key=_soonest_first)


def _narrowed(circles: QuerySet[Circle], filters: CircleFilters) -> QuerySet[Circle]:
    """What the database answers: language, format and free words."""
    if filters.language:
        circles = circles.filter(language=filters.language)
    if filters.format == Circle.Format.ONLINE:
        circles = circles.filter(format__in=[Circle.Format.ONLINE, Circle.Format.BOTH])
    elif filters.format == Circle.Format.IN_PERSON:
        circles = circles.filter(format__in=[Circle.Format.IN_PERSON, Circle.Format.BOTH])
    for word in words_of(filters.words):
        circles = circles.filter(Q(name__icontains=word) | Q(description__icontains=word))
    return circles


def _fits_when(filters: CircleFilters, item: FoundCircle, now: dt.datetime) -> bool:
    circle, meeting = item.circle, item.next_meeting
    weekdays = set(rule_weekdays(circle.rrule, circle.first_date))
    start_times = {circle.start_time}
    if meeting is not None:
        local = meeting.starts_at.astimezone(circle_zone(circle))
        weekdays.add(local.weekday())
        start_times.add(local.time())
    next_start = meeting.starts_at if meeting is not None else None
    return matches_when(filters, weekdays, start_times, next_start, now)


def _soonest_first(item: FoundCircle) -> tuple[bool, dt.datetime, str]:
    meeting = item.next_meeting
    start = meeting.starts_at if meeting is not None else dt.datetime.max.replace(tzinfo=dt.UTC)
    return (meeting is None, start, item.circle.name.casefold())
