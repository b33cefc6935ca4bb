"""When circles meet: planned meetings, and the schedule in words.

A circle's rule (an RFC 5545 ``RRULE`` body) is read on the wall clock of
the circle's IANA zone, from ``first_date`` at ``start_time`` (see
``recurrence``, whose functions are offered here too).

Meetings are rows planned ahead (``plan_meetings``), at most
``DEFAULT_HORIZON_DAYS`` ahead, lazily when a page needs them
(``upcoming_meetings``, ``meetings_between``) and by the ``plan_all_circles``
task. Planning again after the circle's rule, time, zone or length changed
moves the plain future meetings to the new schedule; a cancelled or moved
meeting, or one whose room or attendance exists, is left as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import formats, timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from peerlight.circles.models import Attendance, Circle, Meeting

# The rules themselves live in ``recurrence``; their names are offered here
# too, as the schedule's one door for the rest of the app.
from peerlight.circles.recurrence import (
    DAY_CODES,
    RULE_KINDS,
    build_rule,
    clean_rule,
    first_start,
    occurrences,
    rule_parts,
    until_on_wall_clock,
    validate_rule,
    zone_info,
)

__all__ = [
    "DAY_CODES",
    "DEFAULT_HORIZON_DAYS",
    "RULE_KINDS",
    "build_rule",
    "circle_occurrences",
    "clean_rule",
    "describe_schedule",
    "first_occurrence",
    "meetings_between",
    "next_meeting",
    "occurrences",
    "plan_all_circles",
    "plan_meetings",
    "rule_parts",
    "until_on_wall_clock",
    "upcoming_meetings",
    "validate_rule",
    "zone_label",
]

DEFAULT_HORIZON_DAYS = 90
# Pages plan again when the planned meetings reach less far ahead than this.
REPLAN_WITHIN = dt.timedelta(days=30)
# ``meetings_between`` plans no further ahead than this, whatever it is asked.
LONGEST_HORIZON_DAYS = 366


# --- Occurrences -----------------------------------------------------------------


def circle_occurrences(circle: Circle, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The starts (UTC) ``circle``'s rule gives in ``[start, end)``."""
    return occurrences(
        circle.rrule,
        circle.time_zone,
        circle.first_date,
        circle.start_time,
        start=start,
        end=end,
    )


def first_occurrence(circle: Circle) -> dt.datetime | None:
    """The first start (UTC) the rule gives, on or after ``first_date``; None if none."""
    return first_start(circle.rrule, circle.time_zone, circle.first_date, circle.start_time)


# --- Planning ---------------------------------------------------------------------


def _is_plain(meeting: Meeting, with_attendance: set[int]) -> bool:
    """A meeting planning may move: scheduled, untouched by hand, no room, no attendance."""
    return (
        meeting.status == Meeting.Status.SCHEDULED
        and not meeting.is_changed
        and meeting.conversation_id is None
        and meeting.room_opened_at is None
        and meeting.attendance_taken_at is None
        and meeting.pk not in with_attendance
    )


def plan_meetings(
    circle: Circle, *, horizon_days: int = DEFAULT_HORIZON_DAYS, now: dt.datetime | None = None
) -> list[Meeting]:
    """Make the meetings the rule gives from a day ago to ``horizon_days`` ahead; return the new.

    Idempotent: a meeting is one row per (circle, original start). Plain
    future meetings (see ``_is_plain``) that the rule no longer gives are
    deleted, and their length follows the circle's; cancelled and moved
    ones, and those with a room or attendance, are never touched. Does
    nothing for a circle that no longer meets. Reminders of the new
    meetings are scheduled after commit. ``now`` is for tests.
    """
    now = now or timezone.now()
    start = now - dt.timedelta(days=1)
    end = now + dt.timedelta(days=horizon_days)
    with transaction.atomic():
        # The lock makes two planners of one circle take turns.
        circle = Circle.objects.select_for_update().get(pk=circle.pk)
        if not circle.is_active:
            return []
        rows = list(circle.meetings.filter(Q(recurrence_id__gte=start) | Q(starts_at__gt=now)))
        # Rows planned further ahead than this call looks are checked too.
        reach = max([end, *(row.recurrence_id + dt.timedelta(seconds=1) for row in rows)])
        wanted = set(circle_occurrences(circle, start, reach))
        _follow_the_rule(circle, rows, wanted, now)
        have = {row.recurrence_id for row in rows}
        missing = sorted(moment for moment in wanted if moment < end and moment not in have)
        length = dt.timedelta(minutes=circle.duration_minutes)
        Meeting.objects.bulk_create(
            [
                Meeting(
                    circle=circle, recurrence_id=moment, starts_at=moment, ends_at=moment + length
                )
                for moment in missing
            ],
            ignore_conflicts=True,
        )
        made = list(circle.meetings.filter(recurrence_id__in=missing).order_by("starts_at"))
        circle.planned_until = end
        circle.save(update_fields=["planned_until"])
        if made:
            ids = [meeting.pk for meeting in made]
            transaction.on_commit(lambda: _schedule_reminders(ids))
    return made


def _follow_the_rule(
    circle: Circle, rows: list[Meeting], wanted: set[dt.datetime], now: dt.datetime
) -> None:
    """Delete plain future rows the rule no longer gives; give the others the circle's length."""
    future = [row for row in rows if row.starts_at > now]
    with_attendance = set(
        Attendance.objects.filter(meeting__in=future).values_list("meeting_id", flat=True)
    )
    plain = [row for row in future if _is_plain(row, with_attendance)]
    gone = [row.pk for row in plain if row.recurrence_id not in wanted]
    if gone:
        Meeting.objects.filter(pk__in=gone).delete()
        rows[:] = [row for row in rows if row.pk not in gone]
    length = dt.timedelta(minutes=circle.duration_minutes)
    for row in plain:
        if row.pk not in gone and row.ends_at != row.starts_at + length:
            row.ends_at = row.starts_at + length
            row.updated_at = now
            row.save(update_fields=["ends_at", "updated_at"])


def _schedule_reminders(meeting_ids: list[int]) -> None:
    # Imported here: reminders imports this module's neighbours, and this
    # keeps planning importable on its own.
    from peerlight.circles import reminders

    reminders.schedule_reminders(meeting_ids)


def _plan_if_due(circle: Circle, until: dt.datetime) -> None:
    if circle.is_active and (circle.planned_until is None or circle.planned_until < until):
        days = (until - timezone.now()).days + 1
        horizon = min(LONGEST_HORIZON_DAYS, max(DEFAULT_HORIZON_DAYS, days))
        plan_meetings(circle, horizon_days=horizon)


def upcoming_meetings(
    circle: Circle, *, limit: int = 5, include_cancelled: bool = True
) -> list[Meeting]:
    """The circle's next ``limit`` meetings not over yet (planning first when due)."""
    now = timezone.now()
    _plan_if_due(circle, now + REPLAN_WITHIN)
    rows = circle.meetings.filter(ends_at__gt=now).order_by("starts_at")
    if not include_cancelled:
        rows = rows.filter(status=Meeting.Status.SCHEDULED)
    return list(rows[:limit])


def next_meeting(circle: Circle) -> Meeting | None:
    """The circle's next meeting that will take place (or is taking place), or None."""
    found = upcoming_meetings(circle, limit=1, include_cancelled=False)
    return found[0] if found else None


def meetings_between(
    circles: Iterable[Circle],
    start: dt.datetime,
    end: dt.datetime,
    *,
    include_cancelled: bool = False,
) -> list[Meeting]:
    """Meetings of ``circles`` starting in ``[start, end)``, each with its circle, by start.

    Circles whose planned meetings do not reach ``end`` are planned first
    (at most ``LONGEST_HORIZON_DAYS`` ahead).
    """
    ids = []
    for circle in circles:
        _plan_if_due(circle, end)
        ids.append(circle.pk)
    rows = Meeting.objects.filter(circle_id__in=ids, starts_at__gte=start, starts_at__lt=end)
    if not include_cancelled:
        rows = rows.filter(status=Meeting.Status.SCHEDULED)
    return list(rows.select_related("circle").order_by("starts_at", "pk"))


@task
def plan_all_circles() -> int:
    """Plan every circle that still meets; return how many meetings were made."""
    made = 0
    for circle in Circle.objects.filter(is_active=True).order_by("pk"):
        made += len(plan_meetings(circle))
    return made


# --- The schedule in words ----------------------------------------------------------


def _ordinal(number: int) -> str:
    words = {
        1: _("first"),
        2: _("second"),
        3: _("third"),
        4: _("fourth"),
        5: _("fifth"),
        -1: _("last"),
        -2: _("second to last"),
    }
    return words.get(number, str(number))


# Weekday names inside a sentence ("Every Monday"): Spanish and others write
# them in lower case there, unlike a heading or a list of opening hours.
DAYS_IN_A_SENTENCE = (
    pgettext_lazy("weekday in a sentence", "Monday"),
    pgettext_lazy("weekday in a sentence", "Tuesday"),
    pgettext_lazy("weekday in a sentence", "Wednesday"),
    pgettext_lazy("weekday in a sentence", "Thursday"),
    pgettext_lazy("weekday in a sentence", "Friday"),
    pgettext_lazy("weekday in a sentence", "Saturday"),
    pgettext_lazy("weekday in a sentence", "Sunday"),
)


def _weekdays(codes: Iterable[str]) -> list[tuple[int, str]]:
    """(ordinal or 0, weekday name) for each BYDAY item, like ``-1TH``."""
    days = []
    for code in codes:
        number = int(code[:-2]) if code[:-2] else 0
        days.append((number, str(DAYS_IN_A_SENTENCE[DAY_CODES.index(code[-2:])])))
    return days


def _describe_days(parts: dict[str, str], first_date: dt.date) -> str:
    freq = parts["FREQ"]
    interval = int(parts.get("INTERVAL", "1"))
    days = _weekdays(parts["BYDAY"].split(",")) if "BYDAY" in parts else []
    if "BYSETPOS" in parts and days and all(number == 0 for number, _name in days):
        days = [(int(pos), name) for pos in parts["BYSETPOS"].split(",") for _n, name in days]
    and_word = _("and")
    names = list(dict.fromkeys(name for _n, name in days))
    if freq == "WEEKLY":
        listed = (
            get_text_list(names, and_word)
            if names
            else str(DAYS_IN_A_SENTENCE[first_date.weekday()])
        )
        if interval == 1:
            return _("Every %(days)s") % {"days": listed}
        if interval == 2:
            return _("Every other %(days)s") % {"days": listed}
        return _("Every %(count)d weeks on %(days)s") % {"count": interval, "days": listed}
    if freq == "MONTHLY" and days:
        ordinals = [number for number, _name in days]
        if all(number == 0 for number in ordinals) and interval == 1:
            return _("Every %(days)s") % {"days": get_text_list(names, and_word)}
        if len(names) == 1 and all(number != 0 for number in ordinals):
            wording = ngettext(
                "On the %(ordinals)s %(day)s of the month",
                "On the %(ordinals)s %(day)s of every %(count)d months",
                interval,
            )
            return wording % {
                "ordinals": get_text_list([_ordinal(n) for n in ordinals], and_word),
                "day": names[0],
                "count": interval,
            }
    if freq == "MONTHLY" and "BYMONTHDAY" in parts and interval == 1:
        numbers = [str(int(n)) for n in parts["BYMONTHDAY"].split(",")]
        return ngettext(
            "On day %(days)s of every month", "On days %(days)s of every month", len(numbers)
        ) % {"days": get_text_list(numbers, and_word)}
    if freq == "YEARLY" and interval == 1:
        return _("Once a year, from %(date)s") % {
            "date": formats.date_format(first_date, "MONTH_DAY_FORMAT")
        }
    return _("On a repeating schedule from %(date)s") % {
        "date": formats.date_format(first_date, "DATE_FORMAT")
    }


def zone_label(zone_name: str) -> str:
    """A time zone in words: "Pacific Time" for the zones most used, else "Berlin time"."""
    known = {
        "America/Los_Angeles": _("Pacific Time"),
        "America/Vancouver": _("Pacific Time"),
        "America/Denver": _("Mountain Time"),
        "America/Edmonton": _("Mountain Time"),
        "America/Phoenix": _("Arizona time"),
        "America/Chicago": _("Central Time"),
        "America/Mexico_City": _("Mexico City time"),
        "America/New_York": _("Eastern Time"),
        "America/Toronto": _("Eastern Time"),
        "America/Anchorage": _("Alaska time"),
        "America/Puerto_Rico": _("Atlantic Time"),
        "Pacific/Honolulu": _("Hawaii time"),
        "Europe/London": _("UK time"),
        "UTC": _("UTC"),
    }
    if zone_name in known:
        return known[zone_name]
    place = zone_name.rsplit("/", 1)[-1].replace("_", " ")
    return _("%(place)s time") % {"place": place}


def describe_schedule(circle: Circle, language: str) -> str:
    """The circle's schedule in plain words, in ``language``.

    For example "Every Monday, 6:30 p.m. to 8 p.m. (Pacific Time)"; times are
    formatted the way ``language`` writes them (Spanish: "18:30").
    """
    with translation.override(language):
        parts = rule_parts(circle.rrule)
        start = dt.datetime.combine(circle.first_date, circle.start_time)
        finish = start + dt.timedelta(minutes=circle.duration_minutes)
        text = _("%(days)s, %(start)s to %(end)s (%(zone)s)") % {
            "days": _describe_days(parts, circle.first_date),
            "start": formats.time_format(start.time(), "TIME_FORMAT"),
            "end": formats.time_format(finish.time(), "TIME_FORMAT"),
            "zone": zone_label(circle.time_zone),
        }
        if "UNTIL" in parts:
            last = until_on_wall_clock(parts["UNTIL"], zone_info(circle.time_zone)).date()
            text += " " + _("until %(date)s") % {"date": formats.date_format(last, "DATE_FORMAT")}
        elif "COUNT" in parts:
            count = int(parts["COUNT"])
            text += " " + ngettext(
                "(%(count)d meeting in all)", "(%(count)d meetings in all)", count
            ) % {"count": count}
        return text
