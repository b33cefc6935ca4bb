"""Opening hours from HSDS schedules: open now, the next change, the week (pure Python).

Stable names other modules use:

- ``ScheduleRule``: one schedule as plain data; ``ScheduleRule.from_record(row)``
  reads anything with the HSDS schedule attributes (a ``Schedule`` model row),
- ``is_open(rules, at, *, default_zone="UTC") -> bool | None``: None when no
  hours are known for that day (no rule with opening times, or none in force),
- ``next_change(rules, at, *, default_zone="UTC") -> datetime | None``: when the
  service next opens or closes (in the first rule's zone), None if not within
  ``HORIZON_DAYS`` (or never, for a service that is always open),
- ``week(rules, *, on=None) -> tuple[Day, ...]``: Monday to Sunday, each with its
  ``Opening`` intervals, for the service page ("Mon 09:00-17:00"),
- ``openings(rules, start, end, *, default_zone="UTC")``: the open intervals
  between two moments, merged, in UTC,
- for the search index: ``index_slots(rules, default_zone)`` and
  ``slot_probe(at, zone)`` (see "Open now in SQL" below).

How a schedule is read (HSDS 3.0 with RFC 5545 recurrence):

- Times are local to the rule's zone: the IANA ``time_zone`` when given, else
  the offset written on ``opens_at`` ("09:00-08:00"), else HSDS's ``timezone``
  (a UTC offset in hours), else ``default_zone``.
- ``closes_at`` earlier than ``opens_at`` closes the next day (22:00-02:00);
  equal times mean open all day; "24:00" is the end of the day.
- ``freq`` WEEKLY: ``byday`` days ("MO,TU"); without ``byday`` the weekday of
  ``dtstart``, or every day when there is no ``dtstart``. ``interval`` > 1 counts
  weeks from ``dtstart`` (ignored without one). ``byweekno`` limits to ISO weeks.
- ``freq`` MONTHLY: ``byday`` with an occurrence ("1MO" the first Monday, "-1FR"
  the last Friday; a plain "MO" is every Monday), and/or ``bymonthday``
  ("1,15", "-1" the last day). ``interval`` > 1 counts months from ``dtstart``.
- No ``freq`` but opening times: read as WEEKLY.
- A rule is in force from the later of ``valid_from`` and ``dtstart`` to the
  earlier of ``valid_to``, ``until`` and its last occurrence when ``count`` is
  given (worked out with dateutil's rrule).
- A rule without usable opening times gives no hours.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as _rrule

__all__ = [
    "HORIZON_DAYS",
    "Day",
    "Opening",
    "ScheduleRule",
    "Slot",
    "SlotProbe",
    "index_slots",
    "is_open",
    "next_change",
    "openings",
    "slot_probe",
    "week",
    "zone_named",
]

HORIZON_DAYS = 62
MINUTES_PER_DAY = 1440
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?", re.I)
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)", re.I)


@dataclass(frozen=True, slots=True)
class ScheduleRule:
    """One HSDS schedule, as the data gives it (strings are the record's text)."""

    opens_at: str | None = None
    closes_at: str | None = None
    freq: str | None = None
    byday: str | None = None
    bymonthday: str | None = None
    byweekno: str | None = None
    interval: float | None = None
    count: float | None = None
    wkst: str | None = None
    dtstart: str | None = None
    until: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    # The IANA zone ("America/Los_Angeles"); "" when the record names none.
    time_zone: str = ""
    # HSDS's ``timezone``: a UTC offset in hours.
    utc_offset: float | None = None

    @classmethod
    def from_record(cls, record: object) -> ScheduleRule:
        """Read a ``Schedule`` row (or anything with the same attribute names)."""

        def text(name: str) -> str | None:
            value = getattr(record, name, None)
            return None if value is None else str(value)

        def number(name: str) -> float | None:
            value = getattr(record, name, None)
            return None if value is None else float(value)

        return cls(
            opens_at=text("opens_at"),
            closes_at=text("closes_at"),
            freq=text("freq"),
            byday=text("byday"),
            bymonthday=text("bymonthday"),
            byweekno=text("byweekno"),
            interval=number("interval"),
            count=number("count"),
            wkst=text("wkst"),
            dtstart=text("dtstart"),
            until=text("until"),
            valid_from=text("valid_from"),
            valid_to=text("valid_to"),
            time_zone=text("time_zone") or "",
            utc_offset=number("timezone"),
        )


@dataclass(frozen=True, slots=True)
class Opening:
    """One opening on a weekday, in the rule's own zone."""

    opens: time
    closes: time
    # Closes on the following day (22:00-02:00).
    next_day: bool = False
    all_day: bool = False
    # None: every week. 1..5: that occurrence in the month; -1: the last, ...
    occurrence: int | None = None
    # 2 for every other week, ...; 1 for every week.
    every_weeks: int = 1

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}\u2013{self.closes:%H:%M}"


@dataclass(frozen=True, slots=True)
class Day:
    weekday: int  # 0 = Monday ... 6 = Sunday
    openings: tuple[Opening, ...]


# --- Reading one rule -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Compiled:
    zone_name: str
    opens: int  # minutes after local midnight
    length: int  # minutes open, 1..1440
    weekly: bool
    # (weekday, occurrence or None); empty with ``monthdays`` only.
    days: tuple[tuple[int, int | None], ...]
    monthdays: tuple[int, ...]
    weeknos: tuple[int, ...]
    interval: int
    anchor: date | None
    wkst: int
    first: date | None
    last: date | None

    def in_force(self, day: date) -> bool:
        return (self.first is None or self.first <= day) and (
            self.last is None or day <= self.last
        )

    def occurs_on(self, day: date) -> bool:
        if not self.in_force(day):
            return False
        if self.weekly:
            if self.weeknos and not _in_iso_week(day, self.weeknos):
                return False
            if self.interval > 1 and self.anchor is not None:
                weeks = (_week_start(day, self.wkst) - _week_start(self.anchor, self.wkst)).days
                if (weeks // 7) % self.interval:
                    return False
            return any(weekday == day.weekday() for weekday, _ in self.days)
        if self.interval > 1 and self.anchor is not None:
            months = (day.year - self.anchor.year) * 12 + day.month - self.anchor.month
            if months % self.interval:
                return False
        if self.days and not any(
            weekday == day.weekday() and (occurrence is None or occurrence in _occurrences(day))
            for weekday, occurrence in self.days
        ):
            return False
        return not self.monthdays or any(k in _monthdays(day) for k in self.monthdays)


def _minutes(text: str | None) -> tuple[int, int | None] | None:
    """("09:30-08:00") -> (570, -480): minutes after midnight and the written offset."""
    if not text:
        return None
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    offset: int | None = None
    if suffix := match.group(4):
        if suffix.upper() == "Z":
            offset = 0
        else:
            digits = suffix[1:].replace(":", "")
            offset = int(digits[:2]) * 60 + int(digits[2:] or 0)
            offset = -offset if suffix[0] == "-" else offset
    return hours * 60 + minutes, offset


def _date(text: str | None) -> date | None:
    """An ISO date or date-time ("2026-01-31", "20260131T000000Z"), or None."""
    if not text:
        return None
    digits = re.sub(r"[^0-9]", "", text.strip()[:10])
    if len(digits) < 8:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _integers(text: str | None, low: int, high: int) -> tuple[int, ...]:
    found: list[int] = []
    for part in (text or "").replace(" ", "").split(","):
        try:
            value = int(part)
        except ValueError:
            continue
        if low <= abs(value) <= high:
            found.append(value)
    return tuple(found)


def _parse_days(text: str | None) -> tuple[tuple[int, int | None], ...]:
    days: list[tuple[int, int | None]] = []
    for part in (text or "").replace(" ", "").split(","):
        match = _BYDAY.fullmatch(part)
        if match is None:
            continue
        occurrence = int(match.group(1)) if match.group(1) else None
        if occurrence is not None and not 1 <= abs(occurrence) <= 5:
            continue
        days.append((WEEKDAYS.index(match.group(2).upper()), occurrence))
    return tuple(days)


def zone_named(name: str) -> tzinfo:
    """A zone from an IANA name or a fixed offset written "UTC+03:00"; UTC if unknown."""
    return _zone(name)


@lru_cache(maxsize=256)
def _zone(name: str) -> tzinfo:
    if name.startswith("UTC") and len(name) == 9:
        sign = -1 if name[3] == "-" else 1
        return timezone(sign * timedelta(hours=int(name[4:6]), minutes=int(name[7:9])))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _offset_name(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _zone_name(rule: ScheduleRule, written_offset: int | None, default_zone: str) -> str:
    if rule.time_zone and (_zone(rule.time_zone) is not UTC or rule.time_zone == "UTC"):
        # A name the zone database knows; an unknown one falls through.
        return rule.time_zone
    if written_offset is not None:
        return _offset_name(written_offset)
    if rule.utc_offset is not None and -18 <= rule.utc_offset <= 18:
        return _offset_name(round(rule.utc_offset * 60))
    return default_zone or "UTC"


@lru_cache(maxsize=8192)
def _compile(rule: ScheduleRule, default_zone: str) -> _Compiled | None:
    opens, closes = _minutes(rule.opens_at), _minutes(rule.closes_at)
    if opens is None or closes is None:
        return None
    length = (closes[0] - opens[0]) % MINUTES_PER_DAY or MINUTES_PER_DAY
    freq = (rule.freq or "WEEKLY").strip().upper()
    if freq not in ("WEEKLY", "MONTHLY"):
        return None
    weekly = freq == "WEEKLY"
    anchor = _date(rule.dtstart)
    days = _parse_days(rule.byday)
    monthdays = () if weekly else _integers(rule.bymonthday, 1, 31)
    if weekly:
        if days:
            days = tuple((weekday, None) for weekday, _ in days)
        else:
            every = (anchor.weekday(),) if anchor else range(7)
            days = tuple((weekday, None) for weekday in every)
    elif not days and not monthdays:
        if anchor is None:
            return None
        monthdays = (anchor.day,)
    interval = int(rule.interval) if rule.interval and rule.interval >= 1 else 1
    wkst = WEEKDAYS.index(rule.wkst.upper()) if rule.wkst and rule.wkst.upper() in WEEKDAYS else 0
    starts = [d for d in (_date(rule.valid_from), anchor) if d]
    ends = [d for d in (_date(rule.valid_to), _date(rule.until)) if d]
    compiled = _Compiled(
        zone_name=_zone_name(rule, opens[1], default_zone),
        opens=opens[0],
        length=length,
        weekly=weekly,
        days=days,
        monthdays=monthdays,
        weeknos=_integers(rule.byweekno, 1, 53) if weekly else (),
        interval=interval,
        anchor=anchor,
        wkst=wkst,
        first=max(starts) if starts else None,
        last=min(ends) if ends else None,
    )
    if rule.count and rule.count >= 1 and anchor is not None:
        last = _last_by_count(compiled, int(rule.count))
        if last is not None and (compiled.last is None or last < compiled.last):
            compiled = replace(compiled, last=last)
    return compiled


def _last_by_count(compiled: _Compiled, count: int) -> date | None:
    """The date of the ``count``-th occurrence, from dateutil's rrule."""
    assert compiled.anchor is not None
    byweekday = [
        _rrule.weekday(weekday, occurrence) if occurrence else _rrule.weekday(weekday)
        for weekday, occurrence in compiled.days
    ]
    rule = _rrule.rrule(
        _rrule.WEEKLY if compiled.weekly else _rrule.MONTHLY,
        dtstart=datetime.combine(compiled.anchor, time()),
        interval=compiled.interval,
        count=min(count, 10_000),
        wkst=compiled.wkst,
        byweekday=byweekday or None,
        bymonthday=compiled.monthdays or None,
        byweekno=compiled.weeknos or None,
    )
    occurrences = list(rule)
    return occurrences[-1].date() if occurrences else None


def _week_start(day: date, wkst: int) -> date:
    return day - timedelta(days=(day.weekday() - wkst) % 7)


def _occurrences(day: date) -> tuple[int, int]:
    """Which occurrence of its weekday this day is: from the start and from the end."""
    last = calendar.monthrange(day.year, day.month)[1]
    return (day.day - 1) // 7 + 1, -((last - day.day) // 7 + 1)


def _monthdays(day: date) -> tuple[int, int]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day, day.day - last - 1


def _in_iso_week(day: date, weeknos: tuple[int, ...]) -> bool:
    year, week_number, _ = day.isocalendar()
    weeks_in_year = date(year, 12, 28).isocalendar()[1]
    return week_number in weeknos or week_number - weeks_in_year - 1 in weeknos


def _usable(rules: Iterable[ScheduleRule], default_zone: str) -> list[_Compiled]:
    return [c for c in (_compile(rule, default_zone) for rule in rules) if c is not None]


# --- Questions about a moment ---------------------------------------------------------


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("Opening hours need an aware datetime (with a time zone).")
    return at


def _intervals(
    compiled: _Compiled, first: date, last: date
) -> Iterable[tuple[datetime, datetime]]:
    zone = _zone(compiled.zone_name)
    day = first
    while day <= last:
        if compiled.occurs_on(day):
            start = datetime.combine(day, time(), tzinfo=zone) + timedelta(minutes=compiled.opens)
            end = start + timedelta(minutes=compiled.length)
            yield start.astimezone(UTC), end.astimezone(UTC)
        day += timedelta(days=1)


def openings(
    rules: Iterable[ScheduleRule], start: datetime, end: datetime, *, default_zone: str = "UTC"
) -> list[tuple[datetime, datetime]]:
    """The open intervals that touch ``[start, end)``, merged across rules, in UTC."""
    start, end = _aware(start), _aware(end)
    found: list[tuple[datetime, datetime]] = []
    for compiled in _usable(rules, default_zone):
        zone = _zone(compiled.zone_name)
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date()
        found.extend((s, e) for s, e in _intervals(compiled, first, last) if s < end and e > start)
    found.sort()
    merged: list[tuple[datetime, datetime]] = []
    for s, e in found:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def is_open(
    rules: Iterable[ScheduleRule], at: datetime, *, default_zone: str = "UTC"
) -> bool | None:
    """Open at ``at``? None when no hours are known for that day."""
    at = _aware(at)
    usable = _usable(rules, default_zone)
    in_force = [
        c
        for c in usable
        if c.in_force(local := at.astimezone(_zone(c.zone_name)).date())
        # Yesterday's late opening may still run.
        or (c.opens + c.length > MINUTES_PER_DAY and c.in_force(local - timedelta(days=1)))
    ]
    if not in_force:
        return None
    moment = at.astimezone(UTC)
    for compiled in in_force:
        local = at.astimezone(_zone(compiled.zone_name)).date()
        for s, e in _intervals(compiled, local - timedelta(days=1), local):
            if s <= moment < e:
                return True
    return False


def next_change(
    rules: Sequence[ScheduleRule],
    at: datetime,
    *,
    default_zone: str = "UTC",
    horizon_days: int = HORIZON_DAYS,
) -> datetime | None:
    """When the service next opens (if closed at ``at``) or closes (if open).

    In the zone of the first rule with opening times. None when nothing
    changes within ``horizon_days`` (always open, or no hours ahead).
    """
    at = _aware(at)
    usable = _usable(rules, default_zone)
    if not usable:
        return None
    end = at + timedelta(days=horizon_days)
    zone = _zone(usable[0].zone_name)
    for s, e in openings(rules, at, end, default_zone=default_zone):
        if s <= at:
            return e.astimezone(zone) if e < end else None
        return s.astimezone(zone)
    return None


def week(rules: Iterable[ScheduleRule], *, on: date | None = None) -> tuple[Day, ...]:
    """Monday to Sunday with the openings each has, in the rules' own zones.

    With ``on``, only the rules in force that day. Rules by day of the month
    alone ("the 15th") belong to no weekday and are left out here.
    """
    by_day: list[list[Opening]] = [[] for _ in range(7)]
    for compiled in _usable(rules, "UTC"):
        if on is not None and not compiled.in_force(on):
            continue
        if compiled.monthdays and not compiled.days:
            continue
        opens = compiled.opens % MINUTES_PER_DAY
        closes = (compiled.opens + compiled.length) % MINUTES_PER_DAY
        for weekday, occurrence in compiled.days:
            by_day[weekday].append(
                Opening(
                    opens=time(opens // 60, opens % 60),
                    closes=time(closes // 60, closes % 60),
                    next_day=compiled.opens + compiled.length > MINUTES_PER_DAY,
                    all_day=compiled.length == MINUTES_PER_DAY,
                    occurrence=occurrence,
                    every_weeks=compiled.interval if compiled.weekly and compiled.anchor else 1,
                )
            )
    return tuple(
        Day(
            weekday,
            tuple(
                sorted(
                    set(found),
                    key=lambda o: (o.occurrence is not None, o.occurrence or 0, o.opens),
                )
            ),
        )
        for weekday, found in enumerate(by_day)
    )


# --- Open now in SQL ------------------------------------------------------------------
#
# The search filters "open now" inside the database. Each rule becomes slots:
# a zone, a day key, minutes of that day and the dates it is in force. A day
# key names a kind of day ("d0": any Monday, "d0n1": a first Monday, "d0n-1":
# a last Monday, "m15": the 15th, "m-1": the last day of a month). At query
# time ``slot_probe`` lists the keys that today and yesterday carry in a zone;
# a service is open when one of its slots matches today's keys and the
# minute, or yesterday's keys and a minute past midnight (the part of a
# late opening that runs into today).
#
# Week intervals, month intervals and ISO week numbers do not fit day keys:
# their slots are a superset (as if every week), and ``Slot.exact`` is False
# so the search checks those few services with ``is_open`` afterwards.


@dataclass(frozen=True, slots=True)
class Slot:
    zone: str
    key: str
    start: int  # minutes after local midnight
    end: int  # exclusive, at most 1440
    # The part after midnight of an opening that began the day before: the
    # key and the dates refer to that day before.
    from_previous_day: bool
    first: str | None  # ISO date, inclusive, or None
    last: str | None
    exact: bool


@dataclass(frozen=True, slots=True)
class SlotProbe:
    minute: int
    today: date
    yesterday: date
    today_keys: tuple[str, ...]
    yesterday_keys: tuple[str, ...]


def _day_keys(day: date) -> tuple[str, ...]:
    weekday = day.weekday()
    nth, nth_last = _occurrences(day)
    monthday, monthday_last = _monthdays(day)
    return (
        f"d{weekday}",
        f"d{weekday}n{nth}",
        f"d{weekday}n{nth_last}",
        f"m{monthday}",
        f"m{monthday_last}",
    )


def slot_probe(at: datetime, zone: str) -> SlotProbe:
    """What ``at`` looks like in ``zone``, for matching ``Slot`` rows."""
    local = _aware(at).astimezone(_zone(zone))
    today = local.date()
    yesterday = today - timedelta(days=1)
    return SlotProbe(
        minute=local.hour * 60 + local.minute,
        today=today,
        yesterday=yesterday,
        today_keys=_day_keys(today),
        yesterday_keys=_day_keys(yesterday),
    )


def _rule_keys(compiled: _Compiled) -> tuple[str, ...]:
    if compiled.days and compiled.monthdays:
        # Both at once (a Monday that is also the 1st..7th): rare; any of
        # those weekdays stands in, and the exact check follows.
        return tuple(f"d{weekday}" for weekday, _ in compiled.days)
    if compiled.days:
        return tuple(
            f"d{weekday}" if occurrence is None else f"d{weekday}n{occurrence}"
            for weekday, occurrence in compiled.days
        )
    return tuple(f"m{k}" for k in compiled.monthdays)


def index_slots(rules: Iterable[ScheduleRule], default_zone: str) -> list[Slot]:
    """The rows that let the database answer "open now" for these rules."""
    slots: set[Slot] = set()
    for compiled in _usable(rules, default_zone):
        exact = (
            compiled.interval == 1
            and not compiled.weeknos
            and not (compiled.days and compiled.monthdays)
        )
        first = compiled.first.isoformat() if compiled.first else None
        last = compiled.last.isoformat() if compiled.last else None
        end = compiled.opens + compiled.length
        for key in _rule_keys(compiled):
            slots.add(
                Slot(
                    compiled.zone_name,
                    key,
                    compiled.opens,
                    min(end, MINUTES_PER_DAY),
                    False,
                    first,
                    last,
                    exact,
                )
            )
            if end > MINUTES_PER_DAY:
                slots.add(
                    Slot(
                        compiled.zone_name,
                        key,
                        0,
                        end - MINUTES_PER_DAY,
                        True,
                        first,
                        last,
                        exact,
                    )
                )
    return sorted(slots, key=lambda s: (s.zone, s.key, s.start, s.from_previous_day))
