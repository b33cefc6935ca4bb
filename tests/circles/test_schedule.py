"""When circles meet: rules, daylight-saving changes, planning, and the schedule in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.circles import reminders, schedule
from peerlight.circles.models import Attendance, Circle, Meeting
from tests.circles.factories import make_circle, make_meeting

LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def starts(
    rule: str,
    zone: str = "America/Los_Angeles",
    first: dt.date = dt.date(2026, 1, 5),
    time: dt.time = dt.time(18, 30),
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[dt.datetime]:
    return schedule.occurrences(
        rule, zone, first, time, start=start or at(2026, 1, 1), end=end or at(2026, 4, 1)
    )


def local_dates(moments: list[dt.datetime], zone: ZoneInfo = LA) -> list[dt.date]:
    return [moment.astimezone(zone).date() for moment in moments]


# --- Rules and daylight saving ---------------------------------------------------------


def test_it_keeps_the_wall_clock_across_the_spring_change_in_los_angeles() -> None:
    found = starts("FREQ=WEEKLY;BYDAY=MO", start=at(2026, 3, 1), end=at(2026, 3, 20))

    assert [(m.astimezone(LA).hour, m.astimezone(LA).minute) for m in found] == [(18, 30)] * 3
    # 6:30 pm PST is 02:30 UTC; after Sunday 8 March, 6:30 pm PDT is 01:30 UTC.
    assert [m.hour for m in found] == [2, 1, 1]


def test_it_keeps_the_wall_clock_across_the_autumn_change_in_london() -> None:
    found = starts(
        "FREQ=WEEKLY;BYDAY=SU",
        "Europe/London",
        dt.date(2026, 10, 18),
        dt.time(10, 0),
        start=at(2026, 10, 1),
        end=at(2026, 11, 2),
    )

    assert [m.astimezone(LONDON).hour for m in found] == [10, 10, 10]
    assert [m.hour for m in found] == [9, 10, 10]


def test_a_time_skipped_in_spring_moves_forward_by_the_gap() -> None:
    los_angeles = starts(
        "FREQ=WEEKLY;BYDAY=SU",
        first=dt.date(2026, 3, 1),
        time=dt.time(2, 30),
        start=at(2026, 3, 8),
        end=at(2026, 3, 9),
    )
    london = starts(
        "FREQ=WEEKLY;BYDAY=SU",
        "Europe/London",
        dt.date(2026, 3, 22),
        dt.time(1, 30),
        start=at(2026, 3, 29),
        end=at(2026, 3, 30),
    )

    assert [m.astimezone(LA).time() for m in los_angeles] == [dt.time(3, 30)]
    assert [m.astimezone(LONDON).time() for m in london] == [dt.time(2, 30)]


def test_a_time_that_happens_twice_in_autumn_is_the_first() -> None:
    found = starts(
        "FREQ=WEEKLY;BYDAY=SU",
        first=dt.date(2026, 10, 25),
        time=dt.time(1, 30),
        start=at(2026, 11, 1),
        end=at(2026, 11, 2),
    )

    # 1:30 am PDT (UTC-7), not the later 1:30 am PST.
    assert found == [at(2026, 11, 1, 8, 30)]


def test_every_other_week() -> None:
    found = starts(
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", first=dt.date(2026, 1, 7), end=at(2026, 2, 6)
    )

    assert local_dates(found) == [dt.date(2026, 1, 7), dt.date(2026, 1, 21), dt.date(2026, 2, 4)]


def test_first_and_third_monday() -> None:
    found = starts("FREQ=MONTHLY;BYDAY=1MO,3MO")

    assert local_dates(found) == [
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 19),
        dt.date(2026, 2, 2),
        dt.date(2026, 2, 16),
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 16),
    ]


def test_last_thursday() -> None:
    found = starts("FREQ=MONTHLY;BYDAY=-1TH")

    assert local_dates(found) == [dt.date(2026, 1, 29), dt.date(2026, 2, 26), dt.date(2026, 3, 26)]


def test_count_ends_the_rule() -> None:
    assert len(starts("FREQ=WEEKLY;BYDAY=MO;COUNT=3", end=at(2027, 1, 1))) == 3


def test_until_in_utc_and_until_as_a_whole_day() -> None:
    # 26 January 00:00 UTC is the evening of the 25th in Los Angeles.
    in_utc = starts("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260126T000000Z")
    whole_day = starts("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260126")

    assert local_dates(in_utc)[-1] == dt.date(2026, 1, 19)
    assert local_dates(whole_day)[-1] == dt.date(2026, 1, 26)


def test_the_first_meeting_is_the_first_the_rule_gives() -> None:
    circle = Circle(
        rrule="FREQ=MONTHLY;BYDAY=-1TH",
        time_zone="America/Los_Angeles",
        first_date=dt.date(2026, 1, 5),
        start_time=dt.time(18, 30),
    )

    assert schedule.first_occurrence(circle) == dt.datetime(2026, 1, 29, 18, 30, tzinfo=LA)


@pytest.mark.parametrize(
    ("rule", "cleaned"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO"),
        ("RRULE:freq=weekly;byday=mo,th", "FREQ=WEEKLY;BYDAY=MO,TH"),
        (" FREQ=MONTHLY;BYDAY=1MO,3MO; ", "FREQ=MONTHLY;BYDAY=1MO,3MO"),
        # Every day of the week: seven meetings, the most a week can hold.
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"),
    ],
)
def test_it_cleans_rules_it_accepts(rule: str, cleaned: str) -> None:
    assert schedule.clean_rule(rule, first_date=dt.date(2026, 1, 5)) == cleaned
    schedule.validate_rule(rule)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "how often"),
        ("FREQ", "could not be read"),
        ("FREQ=DAILY", "not more often"),
        ("FREQ=HOURLY;INTERVAL=1", "not more often"),
        ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9,10", "not supported here: BYHOUR"),
        ("FREQ=WEEKLY;BYDAY=XX", "could not be read"),
        ("FREQ=WEEKLY;BYDAY=1MO", "weekdays only"),
        ("FREQ=WEEKLY;INTERVAL=0;BYDAY=MO", "INTERVAL must be"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=3;UNTIL=20270101T000000Z", "not both"),
        ("FREQ=WEEKLY;BYDAY=MO;UNTIL=2027", "could not be read"),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", "never gives a meeting"),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2", "never gives a meeting"),
        ("FREQ=WEEKLY;BYDAY=MO;UNTIL=20251231T000000Z", "from the first date"),
    ],
)
def test_it_refuses_rules_in_plain_words(rule: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        schedule.validate_rule(rule, first_date=dt.date(2026, 1, 5))

    assert message in refused.value.messages[0]


def test_build_rule_makes_the_three_kinds() -> None:
    assert schedule.build_rule("weekly", 0) == "FREQ=WEEKLY;BYDAY=MO"
    assert schedule.build_rule("biweekly", 2) == "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"
    assert schedule.build_rule("monthly", 0, (3, 1)) == "FREQ=MONTHLY;BYDAY=1MO,3MO"
    assert schedule.build_rule("monthly", 3, (-1,)) == "FREQ=MONTHLY;BYDAY=-1TH"
    for rule in (schedule.build_rule("monthly", 6, (1, 2, 3, 4, -1)),):
        schedule.validate_rule(rule)


@pytest.mark.parametrize(
    ("kind", "weekday", "ordinals"),
    [("daily", 0, ()), ("weekly", 7, ()), ("monthly", 0, ()), ("monthly", 0, (6,))],
)
def test_build_rule_refuses_choices_it_cannot_use(
    kind: str, weekday: int, ordinals: tuple[int, ...]
) -> None:
    with pytest.raises(ValidationError):
        schedule.build_rule(kind, weekday, ordinals)


# --- The schedule in words -------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "Every Monday, 6:30 p.m. to 8 p.m. (Pacific Time)"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", "Every other Wednesday, 6:30 p.m."),
        ("FREQ=MONTHLY;BYDAY=1MO,3MO", "On the first and third Monday of the month, 6:30"),
        ("FREQ=MONTHLY;BYDAY=-1TH", "On the last Thursday of the month"),
        ("FREQ=MONTHLY;BYDAY=TH;BYSETPOS=-1", "On the last Thursday of the month"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "Every Monday and Thursday"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=6", "(6 meetings in all)"),
        ("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260630", "until June 30, 2026"),
    ],
)
def test_it_describes_the_schedule_in_english(rule: str, words: str) -> None:
    circle = Circle(
        rrule=rule,
        time_zone="America/Los_Angeles",
        first_date=dt.date(2026, 1, 5),
        start_time=dt.time(18, 30),
        duration_minutes=90,
    )

    assert words in schedule.describe_schedule(circle, "en")


def test_it_writes_times_the_spanish_way() -> None:
    circle = Circle(
        rrule="FREQ=WEEKLY;BYDAY=MO",
        time_zone="Europe/Madrid",
        first_date=dt.date(2026, 1, 5),
        start_time=dt.time(18, 30),
        duration_minutes=90,
    )

    words = schedule.describe_schedule(circle, "es")

    assert "18:30" in words
    assert "20:00" in words
    assert "Madrid" in words


def test_zone_labels() -> None:
    assert schedule.zone_label("America/New_York") == "Eastern Time"
    assert schedule.zone_label("America/Argentina/Buenos_Aires") == "Buenos Aires time"


# --- Planning --------------------------------------------------------------------------


@pytest.fixture
def scheduled(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The meeting ids handed to the reminders, one list per call."""
    calls: list[list[int]] = []
    monkeypatch.setattr(reminders, "schedule_reminders", lambda ids: calls.append(list(ids)))
    return calls


PlanCircle = Callable[..., Circle]
NOW = at(2026, 3, 1, 12)


def local_times(circle: Circle) -> list[tuple[dt.date, dt.time]]:
    zone = ZoneInfo(circle.time_zone)
    return [
        (m.starts_at.astimezone(zone).date(), m.starts_at.astimezone(zone).time())
        for m in circle.meetings.order_by("starts_at")
    ]


@pytest.mark.django_db
def test_plan_makes_the_meetings_of_the_horizon_and_schedules_reminders(
    scheduled: list[list[int]], django_capture_on_commit_callbacks: Any
) -> None:
    circle = make_circle()

    with django_capture_on_commit_callbacks(execute=True):
        made = schedule.plan_meetings(circle, horizon_days=30, now=NOW)

    assert [(d.day, t) for d, t in local_times(circle)] == [
        (day, dt.time(18, 30)) for day in (2, 9, 16, 23, 30)
    ]
    assert all(m.ends_at - m.starts_at == dt.timedelta(minutes=90) for m in made)
    assert all(m.recurrence_id == m.starts_at for m in made)
    assert scheduled == [[m.pk for m in made]]
    circle.refresh_from_db()
    assert circle.planned_until == NOW + dt.timedelta(days=30)


@pytest.mark.django_db
def test_plan_is_idempotent(scheduled: list[list[int]]) -> None:
    circle = make_circle()
    first = schedule.plan_meetings(circle, horizon_days=30, now=NOW)

    again = schedule.plan_meetings(circle, horizon_days=30, now=NOW)
    shorter = schedule.plan_meetings(circle, horizon_days=7, now=NOW)

    assert len(first) == 5
    assert again == []
    assert shorter == []
    # A shorter look ahead deletes nothing it did not look at.
    assert circle.meetings.count() == 5


@pytest.mark.django_db
def test_plan_starts_at_the_first_date_and_a_day_ago() -> None:
    later = make_circle(first_date=dt.date(2026, 3, 16))
    long_running = make_circle(first_date=dt.date(2025, 1, 6))

    schedule.plan_meetings(later, horizon_days=30, now=NOW)
    schedule.plan_meetings(long_running, horizon_days=30, now=at(2026, 3, 3, 12))

    assert [d.day for d, _t in local_times(later)] == [16, 23, 30]
    # Monday 2 March, 6:30 pm in Los Angeles, ended less than a day before.
    assert next(d.day for d, _t in local_times(long_running)) == 2


@pytest.mark.django_db
def test_plan_does_nothing_for_a_circle_that_stopped() -> None:
    circle = make_circle(is_active=False)

    assert schedule.plan_meetings(circle, now=NOW) == []
    assert not circle.meetings.exists()


@pytest.mark.django_db
def test_plan_after_a_rule_change_keeps_what_people_touched(peer_supporter: User) -> None:
    circle = make_circle()
    made = schedule.plan_meetings(circle, horizon_days=30, now=NOW)
    moved, cancelled, roomed, attended, plain = made
    Meeting.objects.filter(pk=moved.pk).update(
        is_changed=True, starts_at=moved.starts_at + dt.timedelta(hours=1)
    )
    Meeting.objects.filter(pk=cancelled.pk).update(status=Meeting.Status.CANCELLED)
    Meeting.objects.filter(pk=roomed.pk).update(room_opened_at=NOW)
    Attendance.objects.create(meeting=attended, user=peer_supporter)
    past = make_meeting(circle, at(2026, 2, 24, 2, 30))

    Circle.objects.filter(pk=circle.pk).update(rrule="FREQ=WEEKLY;BYDAY=TU")
    circle.refresh_from_db()
    new = schedule.plan_meetings(circle, horizon_days=30, now=NOW)

    kept = set(circle.meetings.values_list("pk", flat=True))
    assert {moved.pk, cancelled.pk, roomed.pk, attended.pk, past.pk} <= kept
    assert plain.pk not in kept
    zone = ZoneInfo(circle.time_zone)
    assert [m.starts_at.astimezone(zone).strftime("%a %d %H:%M") for m in new] == [
        "Tue 03 18:30",
        "Tue 10 18:30",
        "Tue 17 18:30",
        "Tue 24 18:30",
    ]  # Tuesday 31 March at 6:30 pm is past the 30 days.


@pytest.mark.django_db
def test_plan_after_a_new_start_time_and_length() -> None:
    circle = make_circle()
    first, second, *_rest = schedule.plan_meetings(circle, horizon_days=30, now=NOW)
    Meeting.objects.filter(pk=first.pk).update(is_changed=True)

    Circle.objects.filter(pk=circle.pk).update(duration_minutes=60)
    circle.refresh_from_db()
    schedule.plan_meetings(circle, horizon_days=30, now=NOW)
    second.refresh_from_db()
    first.refresh_from_db()

    assert second.ends_at - second.starts_at == dt.timedelta(minutes=60)
    assert first.ends_at - first.starts_at == dt.timedelta(minutes=90)

    Circle.objects.filter(pk=circle.pk).update(start_time=dt.time(19, 0))
    circle.refresh_from_db()
    schedule.plan_meetings(circle, horizon_days=30, now=NOW)

    assert not Meeting.objects.filter(pk=second.pk).exists()
    assert [t for _d, t in local_times(circle)] == [dt.time(18, 30)] + [dt.time(19, 0)] * 5


# --- Reading the plan ------------------------------------------------------------------


@pytest.mark.django_db
def test_upcoming_meetings_plans_when_due_and_can_leave_out_the_cancelled() -> None:
    today = timezone.localdate()
    circle = make_circle(rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", first_date=today)

    upcoming = schedule.upcoming_meetings(circle, limit=3)
    Meeting.objects.filter(pk=upcoming[0].pk).update(status=Meeting.Status.CANCELLED)
    without = schedule.upcoming_meetings(circle, limit=3, include_cancelled=False)

    circle.refresh_from_db()
    assert circle.planned_until is not None
    assert circle.meetings.count() > 80
    assert len(upcoming) == 3
    assert upcoming == sorted(upcoming, key=lambda m: m.starts_at)
    assert upcoming[0].pk not in [m.pk for m in without]
    assert schedule.next_meeting(circle) == without[0]


@pytest.mark.django_db
def test_upcoming_meetings_does_not_plan_again_while_far_enough_ahead() -> None:
    circle = make_circle(planned_until=timezone.now() + dt.timedelta(days=60))

    assert schedule.upcoming_meetings(circle) == []
    assert not circle.meetings.exists()


@pytest.mark.django_db
def test_meetings_between_gives_meetings_of_the_circles_in_the_window() -> None:
    now = timezone.now()
    mondays = make_circle(first_date=now.date() - dt.timedelta(days=14))
    thursdays = make_circle(rrule="FREQ=WEEKLY;BYDAY=TH", first_date=now.date())
    other = make_circle(rrule="FREQ=WEEKLY;BYDAY=TU", first_date=now.date())

    found = schedule.meetings_between([mondays, thursdays], now, now + dt.timedelta(days=14))

    assert {m.circle_id for m in found} == {mondays.pk, thursdays.pk}
    assert len(found) == 4
    assert all(now <= m.starts_at < now + dt.timedelta(days=14) for m in found)
    assert not other.meetings.exists()


@pytest.mark.django_db
def test_the_task_plans_every_circle_that_meets() -> None:
    meeting = make_circle(first_date=timezone.localdate())
    stopped = make_circle(first_date=timezone.localdate(), is_active=False)

    made = schedule.plan_all_circles.call()

    assert made == meeting.meetings.count() > 0
    assert not stopped.meetings.exists()
