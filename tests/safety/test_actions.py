"""Reports, closing them, blocks and unblocks: validation, transactions, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.safety import actions
from peerlight.safety.actions import DETAILS_MAX_LENGTH, SafetyError
from peerlight.safety.models import Block, Report


def make_report(
    reporter: User,
    reported: User | None,
    *,
    source: str = "chat.conversation",
    source_id: int | None = 42,
    reason: str = Report.Reason.HARASSMENT,
    details: str = "",
) -> Report:
    return actions.report(
        reporter, reported, source=source, source_id=source_id, reason=reason, details=details
    )


# --- Reports ------------------------------------------------------------------------------


def test_it_stores_a_report_and_audits_it_without_the_details(
    member: User, other_member: User
) -> None:
    made = make_report(member, other_member, details="  He kept asking for my number.  ")
    made.refresh_from_db()
    assert made.reporter == member
    assert made.reported == other_member
    assert made.source == "chat.conversation"
    assert made.source_id == 42
    assert made.status == Report.Status.OPEN
    assert made.details == "He kept asking for my number."
    entry = AuditEntry.objects.get(verb="safety.report.create")
    assert entry.actor_id == member.pk
    assert entry.subject_id == other_member.pk
    assert entry.target_id == str(made.pk)
    assert entry.reason == "harassment"
    assert "number" not in entry.reason


def test_a_report_may_name_no_one(member: User) -> None:
    made = make_report(member, None, source="support.request", source_id=None)
    assert made.reported is None


@pytest.mark.parametrize("reason", ["", "rude", "HARASSMENT"])
def test_an_unknown_reason_is_refused(member: User, other_member: User, reason: str) -> None:
    with pytest.raises(SafetyError, match="choose a reason"):
        make_report(member, other_member, reason=reason)
    assert not Report.objects.exists()
    assert not AuditEntry.objects.filter(verb="safety.report.create").exists()


def test_details_over_the_limit_are_refused(member: User, other_member: User) -> None:
    make_report(member, other_member, details="x" * DETAILS_MAX_LENGTH)
    with pytest.raises(SafetyError, match="under 2000 characters"):
        make_report(member, other_member, details="x" * (DETAILS_MAX_LENGTH + 1))
    assert Report.objects.count() == 1


def test_reporting_yourself_is_refused(member: User) -> None:
    with pytest.raises(SafetyError, match="cannot report yourself"):
        make_report(member, member)
    assert not Report.objects.exists()


@pytest.mark.parametrize("source", ["", "Chat", "chat conversation", "chat.", "x" * 41])
def test_a_malformed_source_is_a_programming_error(
    member: User, other_member: User, source: str
) -> None:
    with pytest.raises(ValueError, match="source"):
        make_report(member, other_member, source=source)


def test_a_coordinator_closes_a_report_once(
    member: User, other_member: User, coordinator: User
) -> None:
    made = make_report(member, other_member)
    assert actions.close_report(coordinator, made)
    made.refresh_from_db()
    assert made.status == Report.Status.CLOSED
    assert made.closed_by == coordinator
    assert made.closed_at is not None
    assert not actions.close_report(coordinator, made)
    assert AuditEntry.objects.filter(verb="safety.report.close").count() == 1


def test_only_coordinators_close_reports(
    member: User, other_member: User, peer_supporter: User
) -> None:
    made = make_report(member, other_member)
    for person in (member, other_member, peer_supporter):
        with pytest.raises(PermissionDenied):
            actions.close_report(person, made)
    made.refresh_from_db()
    assert made.status == Report.Status.OPEN


# --- Blocks -------------------------------------------------------------------------------


def test_blocking_is_idempotent_and_audited_once(member: User, other_member: User) -> None:
    first = actions.block(member, other_member)
    again = actions.block(member, other_member)
    assert first.pk == again.pk
    assert Block.objects.count() == 1
    entries = AuditEntry.objects.filter(verb="safety.block.create")
    assert entries.count() == 1
    assert entries.get().subject_id == other_member.pk


def test_blocking_yourself_is_refused(member: User) -> None:
    with pytest.raises(SafetyError, match="cannot block yourself"):
        actions.block(member, member)
    assert not Block.objects.exists()


def test_unblocking_lifts_only_your_own_block(member: User, other_member: User) -> None:
    actions.block(member, other_member)
    actions.block(other_member, member)
    assert actions.unblock(member, other_member)
    assert not actions.unblock(member, other_member)
    assert list(Block.objects.values_list("blocker_id", "blocked_id")) == [
        (other_member.pk, member.pk)
    ]
    assert AuditEntry.objects.filter(verb="safety.block.delete").count() == 1
