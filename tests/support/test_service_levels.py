"""Service levels from plain rows, checked against figures worked out by hand."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_django import DjangoAssertNumQueries

from peerlight.accounts.models import User
from peerlight.support import service_levels as service_levels_module
from peerlight.support.models import SupportRequest
from peerlight.support.service_levels import (
    RequestRow,
    chats_per_peer,
    nearest_rank,
    service_levels,
)
from peerlight.support.service_queries import service_levels_between

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def connected(wait: float, peer: int | None = 1, *, status: str = "ended") -> RequestRow:
    at = T0 + timedelta(seconds=wait)
    return RequestRow(T0, at, at + timedelta(minutes=20), status, peer)


def abandoned(after: float = 30) -> RequestRow:
    return RequestRow(T0, None, T0 + timedelta(seconds=after), "cancelled", None)


def waiting(status: str = "waiting") -> RequestRow:
    return RequestRow(T0, None, None, status, None)


def test_it_says_nothing_rather_than_zero_for_no_data() -> None:
    levels = service_levels([])
    assert levels.requests == levels.settled == levels.connected == levels.abandoned == 0
    assert levels.answered_share is None
    assert levels.median_wait_seconds is None
    assert levels.p90_wait_seconds is None
    assert levels.abandonment_rate is None
    assert levels.chats_per_peer.peers == 0
    assert levels.chats_per_peer.mean is None
    assert levels.chats_per_peer.most == 0


def test_it_leaves_requests_still_in_the_queue_out_of_every_figure() -> None:
    levels = service_levels([waiting(), waiting("offered"), connected(10)])
    assert levels.requests == 3
    assert levels.unsettled == 2
    assert levels.settled == 1
    assert levels.answered_share == 1.0
    assert levels.abandonment_rate == 0.0


def test_it_computes_a_mixed_window_by_hand() -> None:
    # Waits 5, 30, 60 (answered in time, the boundary included), 61, 300;
    # two people left the queue, one after 10 s, one after 10 minutes.
    rows = [
        connected(5, peer=1),
        connected(30, peer=2),
        connected(60, peer=1, status="connected"),
        connected(61, peer=3),
        connected(300, peer=1),
        abandoned(10),
        abandoned(600),
        waiting(),
    ]
    levels = service_levels(rows)
    assert levels.settled == 7
    assert levels.connected == 5
    assert levels.abandoned == 2
    assert levels.answered_in_time == 3
    # A quick leaver counts as not answered: 3 of 7, not 3 of 6.
    assert levels.answered_share == pytest.approx(3 / 7)
    assert levels.median_wait_seconds == 60
    # Nearest rank: ceil(0.9 * 5) = 5th of the sorted waits.
    assert levels.p90_wait_seconds == 300
    assert levels.abandonment_rate == pytest.approx(2 / 7)
    per_peer = levels.chats_per_peer
    assert per_peer.peers == 3
    assert per_peer.chats == 5
    assert per_peer.mean == pytest.approx(5 / 3)
    assert per_peer.most == 3
    assert per_peer.by_peer == ((1, 3), (2, 1), (3, 1))


def test_it_handles_a_window_where_everyone_left() -> None:
    levels = service_levels([abandoned(5), abandoned(90)])
    assert levels.answered_share == 0.0
    assert levels.abandonment_rate == 1.0
    assert levels.median_wait_seconds is None
    assert levels.p90_wait_seconds is None
    assert levels.chats_per_peer.peers == 0


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    levels = service_levels([connected(10), connected(20), connected(40), connected(100)])
    assert levels.median_wait_seconds == 30


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([42.0], 42.0),
        ([3.0, 1.0], 3.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 9.0),
        ([float(n) for n in range(1, 12)], 10.0),  # ceil(9.9) = 10th of 11
    ],
)
def test_p90_is_always_a_wait_that_happened(values: list[float], expected: float | None) -> None:
    assert nearest_rank(values, 90) == expected


def test_a_connection_logged_before_the_request_is_no_negative_wait() -> None:
    row = RequestRow(T0, T0 - timedelta(seconds=2), None, "connected", 1)
    assert row.wait_seconds == 0.0


def test_chats_without_a_peer_are_not_counted_for_anyone() -> None:
    per_peer = chats_per_peer([connected(5, peer=None), connected(5, peer=7)])
    assert per_peer.by_peer == ((7, 1),)


def test_the_threshold_can_be_changed() -> None:
    levels = service_levels([connected(20), connected(40)], answer_within_seconds=30)
    assert levels.answered_share == 0.5
    assert levels.answer_within_seconds == 30


def test_the_module_imports_nothing_of_django() -> None:
    source = Path(service_levels_module.__file__ or "").read_text(encoding="utf-8")
    imported: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
    assert "statistics" in imported
    assert not [name for name in imported if name.split(".")[0] in {"django", "peerlight"}]


@pytest.mark.django_db
def test_the_window_is_read_in_one_query(
    member: User, peer_supporter: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    start = T0
    end = T0 + timedelta(hours=1)
    SupportRequest.objects.create(
        member=member,
        language="en",
        status="ended",
        created_at=start,
        connected_at=start + timedelta(seconds=30),
        closed_at=start + timedelta(minutes=20),
        peer=peer_supporter,
    )
    SupportRequest.objects.create(
        member=member, language="en", status="cancelled", created_at=start + timedelta(minutes=5)
    )
    SupportRequest.objects.create(
        member=member, language="en", created_at=start + timedelta(minutes=9)
    )
    # Outside the window on either side; the end is excluded.
    SupportRequest.objects.create(
        member=member, language="en", created_at=start - timedelta(seconds=1)
    )
    SupportRequest.objects.create(member=member, language="en", created_at=end)
    with django_assert_num_queries(1):
        levels = service_levels_between(start, end)
    assert (levels.requests, levels.settled, levels.unsettled) == (3, 2, 1)
    assert levels.answered_share == 0.5
    assert levels.abandonment_rate == 0.5
    assert levels.median_wait_seconds == 30
    assert levels.chats_per_peer.by_peer == ((peer_supporter.pk, 1),)
