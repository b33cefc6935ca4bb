"""Recurrence rules of circles, read on the wall clock of a time zone.

Pure: no model is read here. A rule is an RFC 5545 ``RRULE`` body; it runs
from a first date at a start time on the wall clock of an IANA zone, so
"Mondays at 6:30 pm" stays 6:30 pm on both sides of a daylight-saving
change. A local time that does not exist (the hour skipped in spring) moves
forward by the gap; one that happens twice (the hour repeated in autumn) is
the first. Only rules that say which days are accepted (``clean_rule``):
the time of day is the circle's own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as dateutil_rrule
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = [
    "DAY_CODES",
    "RULE_KINDS",
    "build_rule",
    "clean_rule",
    "first_start",
    "occurrences",
    "on_the_clock",
    "rule_parts",
    "until_on_wall_clock",
    "validate_rule",
    "zone_info",
]

RULE_KINDS = ("weekly", "biweekly", "monthly")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Parts of a rule that can only say which days: the time is ``start_time``.
# FREQ finer than WEEKLY and BYHOUR/BYMINUTE/BYSECOND are refused, so a rule
# gives at most one meeting a day, hence never more than seven a week.
SUPPORTED_PARTS = frozenset(
    {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL", "WKST"}
)
SUPPORTED_FREQS = ("WEEKLY", "MONTHLY", "YEARLY")
MAX_INTERVAL = 52
MAX_COUNT = 1000
PROBE_START = dt.datetime(9900, 1, 1)


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="rule")


def rule_parts(rule: str) -> dict[str, str]:
    """The parts of ``rule`` (``"FREQ=WEEKLY;BYDAY=MO"`` -> ``{"FREQ": "WEEKLY", ...}``).

    An ``RRULE:`` prefix, spaces and letter case are forgiven. Raises
    ``ValidationError`` for text that is not a list of NAME=VALUE parts.
    """
    text = rule.strip().upper().replace(" ", "")
    text = text.removeprefix("RRULE:").strip(";")
    parts: dict[str, str] = {}
    for item in text.split(";") if text else []:
        name, equals, value = item.partition("=")
        if not equals or not name or not value or name in parts:
            raise _refuse(_("This repeat rule could not be read."))
        parts[name] = value
    if not parts:
        raise _refuse(_("Please say how often the circle meets."))
    return parts


def clean_rule(rule: str, *, first_date: dt.date | None = None) -> str:
    """``rule`` checked and written the standard way (no ``RRULE:`` prefix, capitals).

    Refused with a ``ValidationError`` in plain words: a rule that cannot be
    read, repeats more often than weekly, sets its own time of day, uses a
    part not supported here, or gives no meeting at all (from ``first_date``
    when given).
    """
    parts = rule_parts(rule)
    unknown = sorted(set(parts) - SUPPORTED_PARTS)
    if unknown:
        raise _refuse(
            _("This repeat rule uses something not supported here: %(parts)s.")
            % {"parts": ", ".join(unknown)}
        )
    if parts.get("FREQ") not in SUPPORTED_FREQS:
        raise _refuse(_("A circle can meet weekly, monthly or yearly, not more often."))
    if "COUNT" in parts and "UNTIL" in parts:
        raise _refuse(_("Give either a number of meetings or an end date, not both."))
    for name, largest in (("INTERVAL", MAX_INTERVAL), ("COUNT", MAX_COUNT)):
        if name in parts and not (parts[name].isdigit() and 1 <= int(parts[name]) <= largest):
            raise _refuse(
                _("%(name)s must be a whole number from 1 to %(largest)d.")
                % {"name": name, "largest": largest}
            )
    if parts["FREQ"] == "WEEKLY" and (
        "BYMONTHDAY" in parts or re.search(r"\d", parts.get("BYDAY", ""))
    ):
        raise _refuse(_("A weekly rule names weekdays only, like BYDAY=MO."))
    cleaned = ";".join(f"{name}={value}" for name, value in parts.items())
    pattern = ";".join(f"{n}={v}" for n, v in parts.items() if n not in ("UNTIL", "COUNT"))
    try:
        if "UNTIL" in parts:
            until_on_wall_clock(parts["UNTIL"], ZoneInfo("UTC"))
        # Probed near the end of the calendar, so the check costs a century
        # of iteration at most: for a rule that never matches (February 30th)
        # dateutil looks on until year 9999.
        if _dateutil_rule(pattern, PROBE_START, ZoneInfo("UTC")).after(PROBE_START) is None:
            raise _refuse(_("This repeat rule never gives a meeting."))
        if first_date is not None:
            start = dt.datetime.combine(first_date, dt.time())
            if _dateutil_rule(cleaned, start, ZoneInfo("UTC")).after(start, inc=True) is None:
                raise _refuse(_("This repeat rule gives no meeting from the first date on."))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise _refuse(_("This repeat rule could not be read.")) from None
    return cleaned


def validate_rule(rule: str, *, first_date: dt.date | None = None) -> None:
    """Raise ``ValidationError`` when ``rule`` is not one a circle can use (see ``clean_rule``)."""
    clean_rule(rule, first_date=first_date)


def build_rule(kind: str, weekday: int, ordinals: Sequence[int] = ()) -> str:
    """A rule from the simple choices of a form.

    ``kind`` is ``"weekly"``, ``"biweekly"`` (every other week) or
    ``"monthly"``; ``weekday`` 0 for Monday to 6 for Sunday; ``ordinals``,
    for monthly only, which of that weekday in the month (1 to 5, -1 the
    last): ``(1, 3)`` is the first and third. Raises ``ValidationError``.
    """
    if kind not in RULE_KINDS or weekday not in range(7):
        raise _refuse(_("Please choose how often and on which day the circle meets."))
    day = DAY_CODES[weekday]
    if kind == "weekly":
        return f"FREQ=WEEKLY;BYDAY={day}"
    if kind == "biweekly":
        return f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day}"
    chosen = sorted(set(ordinals), key=lambda n: (n < 0, n))
    if not chosen or any(n not in (1, 2, 3, 4, 5, -1) for n in chosen):
        raise _refuse(_("Please choose which weeks of the month the circle meets."))
    return "FREQ=MONTHLY;BYDAY=" + ",".join(f"{n}{day}" for n in chosen)


def until_on_wall_clock(value: str, zone: ZoneInfo) -> dt.datetime:
    """UNTIL as a naive time on the circle's wall clock.

    UTC (``...Z``) is converted; a floating time is taken as it is; a date
    alone ends with that whole day.
    """
    if len(value) == 8:
        return dt.datetime.combine(dt.datetime.strptime(value, "%Y%m%d").date(), dt.time.max)
    if value.endswith("Z"):
        moment = dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        return moment.astimezone(zone).replace(tzinfo=None)
    return dt.datetime.strptime(value, "%Y%m%dT%H%M%S")


def _dateutil_rule(rule: str, dtstart: dt.datetime, zone: ZoneInfo) -> dateutil_rrule.rrule:
    """dateutil's rule from ``dtstart`` (naive, wall clock), UNTIL read in ``zone``."""
    parts = rule_parts(rule)
    until = parts.pop("UNTIL", None)
    body = ";".join(f"{name}={value}" for name, value in parts.items())
    parsed = dateutil_rrule.rrulestr(body, dtstart=dtstart)
    assert isinstance(parsed, dateutil_rrule.rrule)
    if until is not None:
        parsed = parsed.replace(until=until_on_wall_clock(until, zone))
    return parsed


def zone_info(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _refuse(_("The time zone %(zone)s is not known.") % {"zone": name}) from None


def on_the_clock(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    # fold=0 reads a repeated hour as its first instance, and a skipped one
    # with the offset from before the change, which lands after the gap.
    return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def occurrences(
    rule: str,
    zone_name: str,
    first_date: dt.date,
    start_time: dt.time,
    *,
    start: dt.datetime,
    end: dt.datetime,
) -> list[dt.datetime]:
    """The starts (UTC) the rule gives in ``[start, end)``, oldest first.

    ``start`` and ``end`` are aware. The rule runs from ``first_date`` at
    ``start_time`` on the wall clock of ``zone_name``.
    """
    zone = zone_info(zone_name)
    wall = _dateutil_rule(rule, dt.datetime.combine(first_date, start_time), zone)
    # A day either side covers any offset; the exact bounds are applied in UTC.
    low = start.astimezone(zone).replace(tzinfo=None) - dt.timedelta(days=1)
    high = end.astimezone(zone).replace(tzinfo=None) + dt.timedelta(days=1)
    starts = (on_the_clock(local, zone) for local in wall.between(low, high, inc=True))
    return [moment for moment in starts if start <= moment < end]


def first_start(
    rule: str, zone_name: str, first_date: dt.date, start_time: dt.time
) -> dt.datetime | None:
    """The first start (UTC) the rule gives, on or after ``first_date``; None if none."""
    zone = zone_info(zone_name)
    dtstart = dt.datetime.combine(first_date, start_time)
    local = _dateutil_rule(rule, dtstart, zone).after(dtstart, inc=True)
    return None if local is None else on_the_clock(local, zone)
