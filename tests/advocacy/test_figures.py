"""Programme figures and counts of who acted: small cells are never shown, nor derivable."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from peerlight.accounts.models import User
from peerlight.advocacy import figures
from peerlight.advocacy.models import Campaign, Letter, Signature, Target
from peerlight.advocacy.models import TestimonyOffer as Offer
from peerlight.advocacy.small_cells import release_count, release_split
from peerlight.circles.models import Attendance
from peerlight.support.models import SupportRequest
from tests.advocacy.brief_factories import (
    make_call,
    make_letter,
    make_offer,
    make_paper,
    make_people,
    make_signatures,
)
from tests.advocacy.factories import make_campaign, make_target
from tests.circles.factories import make_circle, make_meeting
from tests.stories.factories import make_story

MINIMUM = 11
TODAY = datetime.date(2026, 3, 15)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


# --- small_cells (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [(0, None), (1, None), (10, None), (11, 11)])
def test_a_count_under_the_minimum_is_not_shown(count: int, shown: int | None) -> None:
    assert release_count(count, MINIMUM) == shown


def test_a_split_with_only_big_parts_is_shown_part_by_part() -> None:
    split = release_split({"in_district": 15, "elsewhere": 12}, MINIMUM)
    assert split.parts == (("in_district", 15), ("elsewhere", 12))
    assert (split.pooled, split.total) == (None, 27)


def test_a_small_part_takes_the_smallest_big_one_into_the_pool() -> None:
    # Showing 15 and a total of 18 would give the 3 back.
    split = release_split({"in_district": 15, "elsewhere": 3}, MINIMUM)
    assert split.parts == ()
    assert (split.pooled, split.pooled_keys, split.total) == (18, ("elsewhere", "in_district"), 18)


def test_small_parts_that_pool_big_enough_leave_the_big_parts_shown() -> None:
    split = release_split({"a": 40, "b": 6, "c": 5}, MINIMUM)
    assert split.parts == (("a", 40),)
    assert (split.pooled, split.pooled_keys, split.total) == (11, ("b", "c"), 51)


def test_a_small_total_suppresses_everything() -> None:
    split = release_split({"in_district": 6, "elsewhere": 4}, MINIMUM)
    assert split.suppressed
    assert (split.parts, split.pooled, split.total) == ((), None, None)
    assert release_split({}, MINIMUM).suppressed


def test_a_minimum_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        release_split({"a": 1}, 0)


@given(
    parts=st.dictionaries(
        st.sampled_from(["in_district", "elsewhere", "a", "b", "c"]),
        st.integers(min_value=0, max_value=60),
        max_size=5,
    ),
    minimum=st.integers(min_value=2, max_value=20),
)
def test_nothing_published_gives_back_a_small_cell(parts: dict[str, int], minimum: int) -> None:
    split = release_split(parts, minimum)
    real_total = sum(parts.values())
    if split.suppressed:
        assert (split.parts, split.pooled) == ((), None)
        assert real_total < minimum or any(0 < n < minimum for n in parts.values())
        return
    shown = dict(split.parts)
    # Every number on the page is at or above the minimum ...
    assert all(count >= minimum for count in shown.values())
    assert split.pooled is None or split.pooled >= minimum
    assert split.total is not None
    assert split.total >= minimum
    # ... each shown part is exact, the total is the true total ...
    assert all(parts[key] == count for key, count in shown.items())
    assert split.total == real_total
    # ... and what subtraction can give (the total less any shown parts) is
    # either nothing or the pooled rest, which is big enough.
    for leave_out in shown:
        rest = split.total - sum(count for key, count in shown.items() if key != leave_out)
        assert rest >= minimum
    residual = split.total - sum(shown.values())
    assert residual == 0 or residual >= minimum
    # Every small part that exists is hidden in the pool.
    for key, count in parts.items():
        if 0 < count < minimum:
            assert key in split.pooled_keys


# --- Programme figures -----------------------------------------------------------------------


def test_the_period_is_the_twelve_whole_months_before_this_one() -> None:
    assert figures.programme_period(TODAY) == (
        datetime.date(2025, 3, 1),
        datetime.date(2026, 2, 28),
    )
    assert figures.programme_period(datetime.date(2026, 1, 1)) == (
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )


def connect_requests(people: list[User], when: datetime.datetime) -> None:
    for person in people:
        SupportRequest.objects.create(
            member=person,
            language="en",
            status=SupportRequest.Status.ENDED,
            connected_at=when,
        )


def values(campaign: Campaign) -> dict[str, int | None]:
    return {item.key: item.value for item in figures.programme_figures(campaign, TODAY).items}


@pytest.mark.django_db
def test_conversations_count_from_eleven_and_only_inside_the_period() -> None:
    campaign = make_campaign()
    people = make_people(12)
    connect_requests(people[:10], at(datetime.date(2025, 3, 1), 0))  # first hour of the period
    assert values(campaign)["conversations"] is None, "10 is fewer than 11"
    connect_requests(people[10:11], at(datetime.date(2026, 2, 28), 23))  # last hour
    assert values(campaign)["conversations"] == 11
    # Outside: this month, and the month before the period; never reached a chat.
    connect_requests(people[11:], at(datetime.date(2026, 3, 1), 0))
    connect_requests(people[11:], at(datetime.date(2025, 2, 28), 23))
    SupportRequest.objects.create(member=people[0], language="en")
    assert values(campaign)["conversations"] == 11


@pytest.mark.django_db
def test_circle_meetings_count_only_those_someone_came_to(peer_supporter: User) -> None:
    campaign = make_campaign()
    circle = make_circle(peer_supporter)
    people = make_people(11)
    meetings = [
        make_meeting(circle, at(datetime.date(2025, 6, 1) + datetime.timedelta(days=7 * n)))
        for n in range(12)
    ]
    for meeting, person in zip(meetings[:10], people, strict=False):
        Attendance.objects.create(meeting=meeting, user=person)
    Attendance.objects.create(meeting=meetings[10], user=people[0], present=False)
    assert values(campaign)["circle_meetings"] is None
    Attendance.objects.create(meeting=meetings[11], user=people[10])
    Attendance.objects.create(meeting=meetings[11], user=people[0])
    counted = values(campaign)
    assert counted["circle_meetings"] == 11
    assert counted["circle_people"] == 11, "people are counted once however often they came"


@pytest.mark.django_db
def test_signatures_are_confirmed_online_and_paper_ones() -> None:
    campaign = make_campaign()
    make_signatures(campaign, 6)
    make_signatures(campaign, 5, status=Signature.Status.PENDING)
    make_paper(campaign, 4)
    assert values(campaign)["signatures"] is None
    make_paper(campaign, 1)
    assert values(campaign)["signatures"] == 11
    assert figures.petition_signatures(campaign) == 11


@pytest.mark.django_db
def test_the_archived_figures_hold_only_what_was_shown() -> None:
    campaign = make_campaign()
    connect_requests(make_people(7), at(datetime.date(2025, 9, 9)))
    make_signatures(campaign, 12)
    archived = figures.programme_figures(campaign, TODAY).as_json()
    assert archived == {
        "period": {"start": "2025-03-01", "end": "2026-02-28"},
        "minimum": 11,
        "figures": {
            "conversations": None,
            "circle_meetings": None,
            "circle_people": None,
            "signatures": 12,
        },
    }
    assert 7 not in archived["figures"].values()


@pytest.mark.django_db
def test_the_minimum_follows_the_setting(settings: object) -> None:
    campaign = make_campaign()
    make_signatures(campaign, 6)
    settings.PEERLIGHT_SMALL_CELL_MINIMUM = 5  # type: ignore[attr-defined]
    assert values(campaign)["signatures"] == 6
    assert figures.programme_figures(campaign, TODAY).minimum == 5


# --- What a target sees ---------------------------------------------------------------------


@pytest.fixture
def target(db: None) -> Target:
    return make_target(zip_codes=["97201", "97202"], district="District 7")


@pytest.fixture
def campaign(target: Target) -> Campaign:
    return make_campaign(targets=[target])


def test_signers_show_by_district_when_both_parts_are_big(
    campaign: Campaign, target: Target
) -> None:
    make_signatures(campaign, 9, zip_code="97201")
    make_paper(campaign, 20, {"97202": 6, "10001": 4})  # 6 inside, 14 elsewhere or unknown
    make_signatures(campaign, 3, zip_code="")
    counts = figures.acted_counts(campaign, target)
    assert counts.signers.parts == (("elsewhere", 17), ("in_district", 15))
    assert counts.signers.total == 32 == figures.petition_signatures(campaign)


def test_a_small_district_part_is_pooled_with_the_rest(campaign: Campaign, target: Target) -> None:
    make_signatures(campaign, 4, zip_code="97201")
    make_signatures(campaign, 20, zip_code="99999")
    counts = figures.acted_counts(campaign, target)
    assert counts.signers.parts == ()
    assert counts.signers.total == counts.signers.pooled == 24


def test_letters_calls_and_testimony_are_counted_without_names(
    campaign: Campaign, target: Target, member: User
) -> None:
    writers = make_people(12, "Writer")
    for writer in writers[:11]:
        make_letter(campaign, writer, zip_code="97201")
    make_letter(campaign, writers[0], district="District 7")  # the same writer again
    make_letter(campaign, writers[11], status=Letter.Status.WITHDRAWN)
    for _ in range(11):
        make_call(campaign, target)
    make_call(campaign, make_target("Someone else"))
    story = make_story(member)
    make_offer(campaign, story, member)
    counts = figures.acted_counts(campaign, target)
    assert counts.letter_writers.parts == (("in_district", 11),)
    assert counts.calls == 11
    assert counts.testimony_offers is None
    assert counts.district == "District 7"


def test_withdrawn_offers_and_other_campaigns_do_not_count(
    campaign: Campaign, target: Target
) -> None:
    other = make_campaign(targets=[target])
    authors = make_people(12, "Author")
    for author in authors[:11]:
        make_offer(campaign, make_story(author), author)
    make_offer(campaign, make_story(authors[11]), authors[11], Offer.Status.WITHDRAWN)
    make_signatures(other, 30, zip_code="97201")
    counts = figures.acted_counts(campaign, target)
    assert counts.testimony_offers == 11
    assert counts.signers.suppressed
