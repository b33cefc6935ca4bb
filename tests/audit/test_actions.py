"""Appending to the audit log: chained, by id only, in the caller's transaction."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from peerlight.accounts.models import User
from peerlight.audit.actions import HEAD_PK, record_change, record_read
from peerlight.audit.models import GENESIS, AuditAction, AuditEntry, AuditHead


def head() -> AuditHead:
    return AuditHead.objects.get(pk=HEAD_PK)


def test_the_head_row_is_created_by_the_migrations(db: None) -> None:
    assert head().last_hash == GENESIS
    assert head().last_entry_id is None


def test_it_chains_each_entry_to_the_one_before(five_entries: list[AuditEntry]) -> None:
    stored = list(AuditEntry.objects.order_by("id"))

    assert [entry.pk for entry in stored] == [entry.pk for entry in five_entries]
    assert stored[0].prev_hash == GENESIS
    for previous, entry in itertools.pairwise(stored):
        assert entry.prev_hash == previous.entry_hash
    for entry in stored:
        assert entry.entry_hash == entry.compute_hash()
    assert head().last_hash == stored[-1].entry_hash
    assert head().last_entry_id == stored[-1].pk


def test_it_records_people_and_targets_by_id_only(member: User, coordinator: User) -> None:
    entry = record_change(
        coordinator, "accounts.role_granted", member, reason="asked for it", subject=member
    )
    stored = AuditEntry.objects.get(pk=entry.pk)

    assert stored.action == AuditAction.CHANGE
    assert stored.actor_id == coordinator.pk
    assert stored.subject_id == member.pk
    assert (stored.target_type, stored.target_id) == ("accounts.user", str(member.pk))
    assert stored.reason == "asked for it"
    texts = [str(getattr(stored, field.attname)) for field in AuditEntry._meta.fields]
    assert not any(member.display_name in text for text in texts)
    assert not any(coordinator.display_name in text for text in texts)


def test_it_accepts_a_type_and_id_pair_as_target(db: None) -> None:
    entry = record_change(None, "directory.import_finished", ("directory.import", "42"))

    assert (entry.target_type, entry.target_id) == ("directory.import", "42")
    assert entry.actor_id is None
    assert entry.subject_id is None


def change_language_then_fail(member: User) -> None:
    """A change that writes its audit entry and then fails, in one transaction."""
    with transaction.atomic():
        member.language = "es"
        member.save()
        record_change(member, "accounts.language_changed", member, subject=member)
        raise RuntimeError("the change failed after the entry was written")


def test_it_leaves_no_entry_when_the_change_rolls_back(member: User, coordinator: User) -> None:
    kept = record_change(coordinator, "accounts.role_granted", member, subject=member)

    with pytest.raises(RuntimeError):
        change_language_then_fail(member)

    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [kept.pk]
    assert head().last_entry_id == kept.pk
    assert head().last_hash == kept.entry_hash
    member.refresh_from_db()
    assert member.language == "en"


def test_the_next_entry_links_to_the_last_kept_one_after_a_rollback(
    member: User, coordinator: User
) -> None:
    kept = record_change(coordinator, "accounts.role_granted", member)
    with pytest.raises(RuntimeError):
        change_language_then_fail(member)

    following = record_change(coordinator, "accounts.role_revoked", member)

    assert following.prev_hash == kept.entry_hash


def test_it_records_reads(member: User, coordinator: User) -> None:
    entry = record_read(
        coordinator, "accounts.profile_viewed", member, reason="escalation", subject=member
    )

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.action == AuditAction.READ
    assert stored.verb == "accounts.profile_viewed"
    assert stored.actor_id == coordinator.pk
    assert head().last_entry_id == stored.pk


@pytest.mark.parametrize(
    ("verb", "reason"),
    [("", ""), ("x" * 81, ""), ("accounts.note_added", "r" * 201)],
)
def test_it_refuses_an_empty_verb_or_overlong_text(db: None, verb: str, reason: str) -> None:
    with pytest.raises(ValueError, match=r"verb|longer than"):
        record_change(None, verb, ("accounts.user", "1"), reason=reason)

    assert not AuditEntry.objects.exists()
    assert head().last_hash == GENESIS


def test_it_rebuilds_a_missing_head_from_the_newest_entry(
    five_entries: list[AuditEntry],
) -> None:
    # A flushed database (as the test runner leaves it) has no head row.
    AuditHead.objects.all().delete()

    entry = record_read(None, "support.queue_listed", ("support.queue", "main"))

    assert entry.prev_hash == five_entries[-1].entry_hash
    assert head().last_entry_id == entry.pk
