"""Opening hours from HSDS schedules (``directory.hours``): pure, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerlight.directory import hours
from peerlight.directory.hours import ScheduleRule

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")


def rule(
    days: str = "MO,TU,WE,TH,FR", opens: str = "09:00", closes: str = "17:00", **more: Any
) -> ScheduleRule:
    more.setdefault("time_zone", "America/Los_Angeles")
    more.setdefault("freq", "WEEKLY")
    return ScheduleRule(opens_at=opens, closes_at=closes, byday=days, **more)


def la(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LA)


# 2026-03-02 is a Monday; 2026-03-08 is the day the US moves its clocks on.


class TestIsOpen:
    def test_it_is_open_inside_the_hours_in_the_services_zone(self) -> None:
        rules = [rule()]
        assert hours.is_open(rules, la(2026, 3, 2, 9, 0)) is True
        assert hours.is_open(rules, la(2026, 3, 2, 16, 59)) is True
        # The same moment seen from elsewhere is the same moment.
        assert hours.is_open(rules, la(2026, 3, 2, 12).astimezone(NY)) is True

    def test_it_is_closed_before_opening_at_closing_and_on_other_days(self) -> None:
        rules = [rule()]
        assert hours.is_open(rules, la(2026, 3, 2, 8, 59)) is False
        assert hours.is_open(rules, la(2026, 3, 2, 17, 0)) is False
        assert hours.is_open(rules, la(2026, 3, 7, 12)) is False  # Saturday

    def test_it_knows_nothing_without_rules_or_times(self) -> None:
        at = la(2026, 3, 2, 12)
        assert hours.is_open([], at) is None
        assert hours.is_open([ScheduleRule(freq="WEEKLY", byday="MO")], at) is None
        assert hours.is_open([rule(opens="9am")], at) is None

    def test_it_knows_nothing_once_every_rule_has_expired(self) -> None:
        rules = [rule(valid_to="2026-02-28")]
        assert hours.is_open(rules, la(2026, 3, 2, 12)) is None
        assert hours.is_open(rules, la(2026, 2, 27, 12)) is True

    def test_it_refuses_a_moment_without_a_zone(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            hours.is_open([rule()], datetime(2026, 3, 2, 12))

    def test_a_late_opening_runs_past_midnight(self) -> None:
        rules = [rule("FR", "22:00", "02:00")]
        assert hours.is_open(rules, la(2026, 3, 6, 23, 30)) is True
        assert hours.is_open(rules, la(2026, 3, 7, 1, 59)) is True
        assert hours.is_open(rules, la(2026, 3, 7, 2, 0)) is False
        assert hours.is_open(rules, la(2026, 3, 6, 1, 0)) is False  # Friday early: Thursday shut

    def test_midnight_written_as_24_ends_the_day_and_equal_times_mean_all_day(self) -> None:
        assert hours.is_open([rule("MO", "18:00", "24:00")], la(2026, 3, 2, 23, 59)) is True
        assert hours.is_open([rule("MO", "18:00", "24:00")], la(2026, 3, 3, 0, 0)) is False
        all_day = [rule("MO", "00:00", "00:00")]
        assert hours.is_open(all_day, la(2026, 3, 2, 0, 0)) is True
        assert hours.is_open(all_day, la(2026, 3, 2, 23, 59)) is True
        assert hours.is_open(all_day, la(2026, 3, 3, 0, 0)) is False

    def test_monthly_occurrences_from_the_start_and_the_end(self) -> None:
        first_monday = [rule("1MO", freq="MONTHLY")]
        assert hours.is_open(first_monday, la(2026, 3, 2, 10)) is True
        assert hours.is_open(first_monday, la(2026, 3, 9, 10)) is False
        last_friday = [rule("-1FR", freq="MONTHLY")]
        assert hours.is_open(last_friday, la(2026, 3, 27, 10)) is True
        assert hours.is_open(last_friday, la(2026, 3, 20, 10)) is False

    def test_monthly_days_of_the_month(self) -> None:
        rules = [rule("", freq="MONTHLY", bymonthday="15,-1")]
        assert hours.is_open(rules, la(2026, 3, 15, 10)) is True
        assert hours.is_open(rules, la(2026, 3, 31, 10)) is True
        assert hours.is_open(rules, la(2026, 2, 28, 10)) is True
        assert hours.is_open(rules, la(2026, 3, 16, 10)) is False

    def test_every_other_week_counts_from_dtstart(self) -> None:
        rules = [rule("MO", interval=2, dtstart="2026-03-02")]
        assert hours.is_open(rules, la(2026, 3, 2, 10)) is True
        assert hours.is_open(rules, la(2026, 3, 9, 10)) is False
        assert hours.is_open(rules, la(2026, 3, 16, 10)) is True
        assert hours.is_open(rules, la(2026, 2, 23, 10)) is None  # before dtstart

    def test_count_ends_the_rule_after_that_many_times(self) -> None:
        rules = [rule("MO,WE", dtstart="2026-03-02", count=3)]
        assert hours.is_open(rules, la(2026, 3, 9, 10)) is True  # the third
        assert hours.is_open(rules, la(2026, 3, 11, 10)) is None  # a fourth would be

    def test_until_and_valid_from_bound_the_rule(self) -> None:
        rules = [rule(valid_from="2026-03-03", until="2026-03-04")]
        assert hours.is_open(rules, la(2026, 3, 2, 10)) is None
        assert hours.is_open(rules, la(2026, 3, 3, 10)) is True
        assert hours.is_open(rules, la(2026, 3, 4, 10)) is True
        assert hours.is_open(rules, la(2026, 3, 5, 10)) is None

    def test_the_zone_comes_from_the_name_then_the_written_offset_then_hsds_then_default(
        self,
    ) -> None:
        at = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)  # 09:30 in Los Angeles, 12:30 New York
        named = rule(time_zone="America/New_York", opens="12:00", closes="13:00")
        assert hours.is_open([named], at) is True
        written = rule(time_zone="", opens="12:00-05:00", closes="13:00-05:00")
        assert hours.is_open([written], at) is True
        offset = rule(time_zone="", utc_offset=-5, opens="12:00", closes="13:00")
        assert hours.is_open([offset], at) is True
        default = rule(time_zone="", opens="12:00", closes="13:00")
        assert hours.is_open([default], at, default_zone="America/New_York") is True
        assert hours.is_open([default], at, default_zone="America/Los_Angeles") is False
        unknown = rule(time_zone="Mars/Olympus", opens="12:00", closes="13:00")
        assert hours.is_open([unknown], at, default_zone="America/New_York") is True

    def test_local_hours_hold_across_the_clock_change(self) -> None:
        rules = [rule("MO,TU,WE,TH,FR,SA,SU")]
        # 09:00 in Los Angeles is 17:00 UTC in winter and 16:00 UTC in summer.
        assert hours.is_open(rules, datetime(2026, 3, 7, 16, 30, tzinfo=UTC)) is False
        assert hours.is_open(rules, datetime(2026, 3, 9, 16, 30, tzinfo=UTC)) is True


class TestNextChange:
    def test_when_open_it_is_the_closing_time_in_the_services_zone(self) -> None:
        change = hours.next_change([rule()], la(2026, 3, 2, 12))
        assert change == la(2026, 3, 2, 17)
        assert change is not None
        assert change.utcoffset() == timedelta(hours=-8)

    def test_when_closed_it_is_the_next_opening(self) -> None:
        assert hours.next_change([rule()], la(2026, 3, 6, 18)) == la(2026, 3, 9, 9)

    def test_touching_openings_merge(self) -> None:
        rules = [rule("MO", "09:00", "12:00"), rule("MO", "12:00", "17:00")]
        assert hours.next_change(rules, la(2026, 3, 2, 10)) == la(2026, 3, 2, 17)

    def test_always_open_or_no_hours_ahead_has_no_change(self) -> None:
        always = [rule("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00")]
        assert hours.next_change(always, la(2026, 3, 2, 12)) is None
        assert hours.next_change([], la(2026, 3, 2, 12)) is None
        ended = [rule(valid_to="2026-03-01")]
        assert hours.next_change(ended, la(2026, 3, 2, 12)) is None


class TestWeek:
    def test_it_lists_each_weekday_with_its_openings(self) -> None:
        days = hours.week([rule(), rule("SA", "10:00", "12:00"), rule("FR", "22:00", "02:00")])
        assert [day.weekday for day in days] == list(range(7))
        assert [str(o) for o in days[0].openings] == ["09:00\u201317:00"]
        assert [str(o) for o in days[4].openings] == ["09:00\u201317:00", "22:00\u201302:00"]
        assert days[4].openings[1].next_day is True
        assert [str(o) for o in days[5].openings] == ["10:00\u201312:00"]
        assert days[6].openings == ()

    def test_it_marks_monthly_occurrences_all_day_and_alternate_weeks(self) -> None:
        days = hours.week(
            [
                rule("-1FR", "10:00", "11:00", freq="MONTHLY"),
                rule("SU", "00:00", "00:00"),
                rule("TU", interval=2, dtstart="2026-03-03"),
            ]
        )
        assert days[4].openings[0].occurrence == -1
        assert days[6].openings[0].all_day is True
        assert days[1].openings[0].every_weeks == 2

    def test_on_a_day_only_the_rules_in_force_count(self) -> None:
        rules = [rule(valid_to="2026-02-28"), rule("SA", "10:00", "12:00")]
        days = hours.week(rules, on=date(2026, 3, 2))
        assert days[0].openings == ()
        assert len(days[5].openings) == 1
        assert len(hours.week(rules)[0].openings) == 1

    def test_days_of_the_month_belong_to_no_weekday(self) -> None:
        days = hours.week([rule("", freq="MONTHLY", bymonthday="15")])
        assert all(day.openings == () for day in days)


def test_from_record_reads_a_schedule_row() -> None:
    row = SimpleNamespace(
        opens_at="09:00:00",
        closes_at="17:00:00",
        freq="WEEKLY",
        byday="MO",
        bymonthday=None,
        byweekno=None,
        interval=1.0,
        count=None,
        wkst=None,
        dtstart=None,
        until=None,
        valid_from=None,
        valid_to=None,
        time_zone="",
        timezone=-8.0,
    )
    read = ScheduleRule.from_record(row)
    assert read.utc_offset == -8.0
    assert read.time_zone == ""
    assert hours.is_open([read], datetime(2026, 3, 2, 17, 30, tzinfo=UTC)) is True


# --- The slots the search filters on agree with is_open --------------------------------


def open_by_slots(slots: list[hours.Slot], at: datetime) -> bool:
    """What the search's SQL does with the slots, written in Python."""
    for slot in slots:
        probe = hours.slot_probe(at, slot.zone)
        day = probe.yesterday if slot.from_previous_day else probe.today
        keys = probe.yesterday_keys if slot.from_previous_day else probe.today_keys
        in_force = (slot.first is None or slot.first <= day.isoformat()) and (
            slot.last is None or slot.last >= day.isoformat()
        )
        starts = slot.from_previous_day or slot.start <= probe.minute
        if slot.key in keys and in_force and starts and probe.minute < slot.end:
            return True
    return False


DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
times = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 24), st.sampled_from([0, 30]))
weekly_rules = st.builds(
    lambda days, opens, closes, zone, bound: ScheduleRule(
        opens_at=opens if opens != "24:00" else "00:00",
        closes_at=closes,
        freq="WEEKLY",
        byday=",".join(days),
        time_zone=zone,
        valid_to=bound,
    ),
    st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True),
    times,
    times,
    st.sampled_from(["America/Los_Angeles", "America/New_York", "Europe/Madrid", ""]),
    st.sampled_from([None, "2026-03-20"]),
)
monthly_rules = st.builds(
    lambda day, occurrence, opens, closes: ScheduleRule(
        opens_at=opens if opens != "24:00" else "00:00",
        closes_at=closes,
        freq="MONTHLY",
        byday=f"{occurrence}{day}",
        time_zone="America/Chicago",
    ),
    st.sampled_from(DAYS),
    st.sampled_from(["1", "2", "-1", "-2", ""]),
    times,
    times,
)
moments = st.builds(
    lambda minutes: datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=minutes),
    st.integers(0, 40 * 24 * 60),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(weekly_rules, monthly_rules), min_size=1, max_size=3), moments)
def test_slots_answer_like_is_open(rules: list[ScheduleRule], at: datetime) -> None:
    slots = hours.index_slots(rules, "America/Denver")
    assert all(slot.exact for slot in slots)
    assert open_by_slots(slots, at) == bool(
        hours.is_open(rules, at, default_zone="America/Denver")
    )


def test_slots_of_alternate_weeks_are_a_superset_marked_inexact() -> None:
    rules = [rule("MO", interval=2, dtstart="2026-03-02")]
    slots = hours.index_slots(rules, "UTC")
    assert slots
    assert not any(slot.exact for slot in slots)
    closed_week = la(2026, 3, 9, 10)
    assert open_by_slots(slots, closed_week) is True
    assert hours.is_open(rules, closed_week) is False


def test_slot_probe_names_the_kinds_of_day() -> None:
    probe = hours.slot_probe(datetime(2026, 3, 31, 7, tzinfo=UTC), "America/Los_Angeles")
    # 00:00 on Tuesday 31 March in Los Angeles: the last Tuesday, the last day.
    assert probe.minute == 0
    assert probe.today == date(2026, 3, 31)
    assert set(probe.today_keys) == {"d1", "d1n5", "d1n-1", "m31", "m-1"}
    assert probe.yesterday == date(2026, 3, 30)


def test_opening_text_is_hours_and_minutes() -> None:
    assert str(hours.Opening(time(9), time(17, 30))) == "09:00\u201317:30"
