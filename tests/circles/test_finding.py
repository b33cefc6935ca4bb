"""Finding circles: the pure rules, each filter, filters together, order and query cost."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pytest_django import DjangoAssertNumQueries

from peerlight.accounts.models import User
from peerlight.circles import finding
from peerlight.circles.finding import CircleFilters, find_circles
from peerlight.circles.models import Circle, Meeting, Membership
from tests.circles.factories import make_circle, make_meeting, make_membership
from tests.conftest import make_user

PORTLAND = ZoneInfo("America/Los_Angeles")
NOW = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)  # Tuesday 12:00 in Portland


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of December 2026 on Portland's clock."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=PORTLAND)


def slugs(filters: CircleFilters, now: dt.datetime = NOW) -> list[str]:
    return [found.circle.slug for found in find_circles(filters, now=now)]


# --- Pure helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "part"),
    [
        (dt.time(0, 0), "morning"),
        (dt.time(11, 59), "morning"),
        (dt.time(12, 0), "afternoon"),
        (dt.time(16, 59), "afternoon"),
        (dt.time(17, 0), "evening"),
        (dt.time(23, 30), "evening"),
    ],
)
def test_it_names_the_part_of_the_day(moment: dt.time, part: str) -> None:
    assert finding.part_of_day(moment) == part


@pytest.mark.parametrize(
    ("rule", "days"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", {0}),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", {3}),
        ("FREQ=MONTHLY;BYDAY=1MO,3MO", {0}),
        ("FREQ=MONTHLY;BYDAY=-1FR", {4}),
        ("FREQ=WEEKLY;BYDAY=TU,SA", {1, 5}),
        ("RRULE:FREQ=WEEKLY", {2}),  # no day named: the first date's (a Wednesday)
        ("FREQ=DAILY", set(range(7))),
    ],
)
def test_it_reads_the_weekdays_of_a_rule(rule: str, days: set[int]) -> None:
    assert finding.rule_weekdays(rule, dt.date(2026, 12, 2)) == days


def test_it_matches_day_time_and_soon_together() -> None:
    monday_evening = ({0}, {dt.time(18, 30)})
    soon = NOW + dt.timedelta(hours=47)
    later = NOW + dt.timedelta(hours=49)
    everything = CircleFilters(weekday=0, part_of_day="evening", starting_soon=True)
    assert finding.matches_when(everything, *monday_evening, soon, NOW)
    assert not finding.matches_when(everything, *monday_evening, later, NOW)
    assert not finding.matches_when(everything, *monday_evening, None, NOW)
    assert not finding.matches_when(CircleFilters(weekday=1), *monday_evening, None, NOW)
    assert not finding.matches_when(
        CircleFilters(part_of_day="morning"), *monday_evening, None, NOW
    )
    assert finding.matches_when(CircleFilters(), *monday_evening, None, NOW)


def test_it_keeps_a_few_short_words() -> None:
    words = finding.words_of("one two  three four five six seven " + "x" * 60)
    assert words == ["one", "two", "three", "four", "five", "six"]
    assert finding.words_of("x" * 60) == ["x" * finding.MAX_WORD_LENGTH]


# --- Each filter ------------------------------------------------------------------------


@pytest.fixture
def leader(db: None) -> User:
    return make_user("Harbor", "peer_supporter")


def test_it_lists_only_active_circles(leader: User) -> None:
    make_circle(leader, slug="open-circle")
    make_circle(leader, slug="stopped-circle", is_active=False)
    assert slugs(CircleFilters()) == ["open-circle"]


def test_it_filters_by_topic_from_experiences_and_topics(leader: User) -> None:
    make_circle(leader, slug="grief", topics=["grief", "loss"])
    make_circle(leader, slug="voices", topics=["voices"])
    assert slugs(CircleFilters(topic="grief")) == ["grief"]  # an experience
    assert slugs(CircleFilters(topic="voices")) == ["voices"]  # a topic
    assert slugs(CircleFilters(topic="sleep")) == []


def test_it_filters_by_language(leader: User) -> None:
    make_circle(leader, slug="english")
    make_circle(leader, slug="spanish", language="es")
    assert slugs(CircleFilters(language="es")) == ["spanish"]


def test_it_filters_by_format_and_both_matches_either(leader: User) -> None:
    make_circle(leader, slug="online")
    make_circle(leader, slug="in-person", format=Circle.Format.IN_PERSON)
    make_circle(leader, slug="both", format=Circle.Format.BOTH)
    assert sorted(slugs(CircleFilters(format="online"))) == ["both", "online"]
    assert sorted(slugs(CircleFilters(format="in_person"))) == ["both", "in-person"]


def test_it_filters_by_words_in_name_or_description(leader: User) -> None:
    make_circle(leader, slug="walk", name="Sunday Walk", description="We walk and talk.")
    make_circle(leader, slug="quiet", name="Quiet hour", description="Tea and a calm WALK.")
    make_circle(leader, slug="other", name="Other", description="Nothing alike.")
    assert sorted(slugs(CircleFilters(words="walk"))) == ["quiet", "walk"]
    assert slugs(CircleFilters(words="sunday walk")) == ["walk"]


def test_it_filters_by_weekday_in_the_circles_own_zone(leader: User) -> None:
    # Monday 18:30 in Portland is already Tuesday in UTC.
    make_circle(leader, slug="portland-monday")
    make_circle(leader, slug="tokyo-tuesday", time_zone="Asia/Tokyo", rrule="FREQ=WEEKLY;BYDAY=TU")
    assert slugs(CircleFilters(weekday=0)) == ["portland-monday"]
    assert slugs(CircleFilters(weekday=1)) == ["tokyo-tuesday"]


def test_a_moved_next_meeting_counts_for_its_day_and_time(leader: User) -> None:
    circle = make_circle(leader, slug="moved")
    # Moved from Monday evening to Wednesday morning (Portland).
    make_meeting(circle, at(2, 10), is_changed=True)
    assert slugs(CircleFilters(weekday=2)) == ["moved"]
    assert slugs(CircleFilters(part_of_day="morning")) == ["moved"]
    assert slugs(CircleFilters(weekday=0, part_of_day="evening")) == ["moved"]


def test_it_filters_by_part_of_the_day(leader: User) -> None:
    make_circle(leader, slug="morning", start_time=dt.time(9, 0))
    make_circle(leader, slug="afternoon", start_time=dt.time(12, 0))
    make_circle(leader, slug="evening", start_time=dt.time(17, 0))
    assert slugs(CircleFilters(part_of_day="morning")) == ["morning"]
    assert slugs(CircleFilters(part_of_day="afternoon")) == ["afternoon"]
    assert slugs(CircleFilters(part_of_day="evening")) == ["evening"]


def test_starting_soon_means_a_scheduled_meeting_within_two_days(leader: User) -> None:
    soon = make_circle(leader, slug="soon")
    make_meeting(soon, NOW + dt.timedelta(hours=30))
    later = make_circle(leader, slug="later")
    make_meeting(later, NOW + dt.timedelta(hours=50))
    cancelled = make_circle(leader, slug="cancelled")
    make_meeting(cancelled, NOW + dt.timedelta(hours=3), status=Meeting.Status.CANCELLED)
    make_meeting(cancelled, NOW + dt.timedelta(days=7))
    make_circle(leader, slug="nothing-planned")
    assert slugs(CircleFilters(starting_soon=True)) == ["soon"]


def test_filters_work_together(leader: User) -> None:
    match = make_circle(leader, slug="match", language="es", topics=["grief"])
    make_meeting(match, NOW + dt.timedelta(hours=5))
    make_circle(leader, slug="wrong-language", topics=["grief"])
    make_circle(leader, slug="wrong-topic", language="es", topics=["voices"])
    filters = CircleFilters(
        topic="grief",
        language="es",
        weekday=0,
        part_of_day="evening",
        format="online",
        starting_soon=True,
        words="evening circle",
    )
    assert slugs(filters) == ["match"]


# --- Results ----------------------------------------------------------------------------


def test_it_orders_by_next_meeting_and_puts_unplanned_last(leader: User) -> None:
    later = make_circle(leader, slug="later", name="A later one")
    make_meeting(later, NOW + dt.timedelta(days=3))
    sooner = make_circle(leader, slug="sooner", name="B sooner one")
    make_meeting(sooner, NOW + dt.timedelta(days=1))
    # A meeting going on now is the circle's next one.
    now_on = make_circle(leader, slug="now-on", name="C on now")
    make_meeting(now_on, NOW - dt.timedelta(minutes=30))
    past = make_circle(leader, slug="only-past", name="D past")
    make_meeting(past, NOW - dt.timedelta(days=2))
    make_circle(leader, slug="unplanned", name="E unplanned")
    assert slugs(CircleFilters()) == ["now-on", "sooner", "later", "only-past", "unplanned"]


def test_each_result_has_its_next_meeting_and_places_left(leader: User) -> None:
    circle = make_circle(leader, capacity=3)
    make_meeting(circle, NOW + dt.timedelta(days=9))
    first = make_meeting(circle, NOW + dt.timedelta(days=2))
    make_meeting(circle, NOW + dt.timedelta(days=1), status=Meeting.Status.CANCELLED)
    make_membership(circle, make_user("Ash"))
    make_membership(circle, make_user("Birch"))
    make_membership(circle, make_user("Cedar"), Membership.Status.WAITING)
    make_membership(circle, make_user("Dune"), Membership.Status.LEFT)
    [found] = find_circles(CircleFilters(), now=NOW)
    assert found.next_meeting == first
    assert found.members == 2
    assert found.places_left == 1


def test_a_full_circle_has_no_places_left(leader: User) -> None:
    circle = make_circle(leader, capacity=2)
    for name in ("Ash", "Birch", "Cedar"):  # one more than the places, moved in by hand
        make_membership(circle, make_user(name))
    [found] = find_circles(CircleFilters(), now=NOW)
    assert found.places_left == 0


def test_the_cost_does_not_grow_with_the_number_of_circles(
    leader: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for number in range(6):
        circle = make_circle(leader)
        make_meeting(circle, NOW + dt.timedelta(days=number + 1))
        make_membership(circle, make_user(f"Member {number}"))
    with django_assert_num_queries(2):
        found = find_circles(CircleFilters(), now=NOW)
        # Reading what a card shows costs nothing more.
        assert [item.places_left for item in found] == [11] * 6
        assert all(item.next_meeting is not None for item in found)
        assert all(item.circle.location is None for item in found)
