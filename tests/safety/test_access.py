"""Who blocked whom, and who may see the report queue in what order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.safety import access, actions
from peerlight.safety.models import Report
from tests.conftest import make_user


def test_a_block_counts_in_both_directions(member: User, other_member: User) -> None:
    third = make_user("Lake")
    assert not access.is_blocked_between(member.pk, other_member.pk)
    actions.block(member, other_member)
    assert access.is_blocked_between(member.pk, other_member.pk)
    assert access.is_blocked_between(other_member.pk, member.pk)
    assert not access.is_blocked_between(member.pk, third.pk)
    assert access.has_blocked(member.pk, other_member.pk)
    assert not access.has_blocked(other_member.pk, member.pk)


def test_blocked_ids_lists_both_directions(member: User, other_member: User) -> None:
    third = make_user("Lake")
    fourth = make_user("Fern")
    actions.block(member, other_member)
    actions.block(third, member)
    actions.block(third, fourth)
    assert access.blocked_ids(member.pk) == frozenset({other_member.pk, third.pk})
    assert access.blocked_ids(fourth.pk) == frozenset({third.pk})
    assert access.blocked_ids(make_user("Moss").pk) == frozenset()


def _report(reporter: User, reported: User, minutes_ago: int) -> Report:
    made = actions.report(
        reporter, reported, source="chat.conversation", source_id=1, reason="spam"
    )
    Report.objects.filter(pk=made.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return made


def test_the_queue_puts_open_reports_first_then_newest(
    member: User, other_member: User, coordinator: User
) -> None:
    old_open = _report(member, other_member, minutes_ago=60)
    new_closed = _report(member, other_member, minutes_ago=1)
    new_open = _report(other_member, member, minutes_ago=5)
    reviewing = _report(other_member, member, minutes_ago=2)
    Report.objects.filter(pk=reviewing.pk).update(status=Report.Status.REVIEWING)
    actions.close_report(coordinator, new_closed)
    queue = list(access.reports_for_staff(coordinator))
    assert [report.pk for report in queue] == [
        new_open.pk,
        old_open.pk,
        reviewing.pk,
        new_closed.pk,
    ]


def test_only_coordinators_see_reports(
    member: User,
    other_member: User,
    peer_supporter: User,
    researcher: User,
    admin_user: User,
    coordinator: User,
) -> None:
    made = _report(member, other_member, minutes_ago=1)
    assert access.get_report_for_staff(coordinator, made.pk) == made
    for person in (member, other_member, peer_supporter, researcher, admin_user):
        with pytest.raises(Http404):
            access.reports_for_staff(person)
        with pytest.raises(Http404):
            access.get_report_for_staff(person, made.pk)
    with pytest.raises(Http404):
        access.get_report_for_staff(coordinator, made.pk + 100)


def test_a_closed_coordinator_account_sees_nothing(coordinator: User) -> None:
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    with pytest.raises(Http404):
        access.reports_for_staff(coordinator)
