"""``peerlight audit verify``: an intact log passes; any tampering is named."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from peerlight.audit.actions import HEAD_PK, record_read
from peerlight.audit.management.commands.audit import check_chain
from peerlight.audit.models import AuditEntry, AuditHead


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def verify_failure() -> CommandError:
    with pytest.raises(CommandError) as failure:
        verify()
    assert failure.value.returncode == 1
    return failure.value


def raw_sql(sql: str, params: list[str | int | None]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_it_passes_an_intact_log(five_entries: list[AuditEntry]) -> None:
    output = verify()

    assert "Audit log intact: 5 entries." in output
    assert f"Newest hash: {five_entries[-1].entry_hash}" in output


def test_it_passes_an_empty_log(db: None) -> None:
    assert "Audit log intact: 0 entries." in verify()


@pytest.mark.usefixtures("append_only_bypassed")
def test_it_names_the_old_entry_changed_by_one_byte(five_entries: list[AuditEntry]) -> None:
    old = five_entries[2]
    assert old.reason == "weekly review"
    raw_sql("UPDATE audit_auditentry SET reason = %s WHERE id = %s", ["weekly reviex", old.pk])

    failure = verify_failure()

    assert str(failure) == (
        f"Audit log broken at entry #{old.pk}: its contents do not match its hash."
    )


@pytest.mark.usefixtures("append_only_bypassed")
def test_it_names_the_entry_after_a_rewritten_hash(five_entries: list[AuditEntry]) -> None:
    # A careful attacker also recomputes the changed entry's own hash: the
    # next entry still holds the old one, so the link to it breaks.
    old, following = five_entries[1], five_entries[2]
    old.actor_id = None
    raw_sql(
        "UPDATE audit_auditentry SET actor_id = NULL, entry_hash = %s WHERE id = %s",
        [old.compute_hash(), old.pk],
    )

    failure = verify_failure()

    assert str(failure) == (
        f"Audit log broken at entry #{following.pk}: it does not link to entry #{old.pk}."
    )


@pytest.mark.usefixtures("append_only_bypassed")
def test_it_catches_a_deleted_middle_entry(five_entries: list[AuditEntry]) -> None:
    before, deleted, after = five_entries[1:4]
    raw_sql("DELETE FROM audit_auditentry WHERE id = %s", [deleted.pk])

    failure = verify_failure()

    assert str(failure) == (
        f"Audit log broken at entry #{after.pk}: it does not link to entry #{before.pk}."
    )


@pytest.mark.usefixtures("append_only_bypassed")
def test_it_catches_a_deleted_first_entry(five_entries: list[AuditEntry]) -> None:
    raw_sql("DELETE FROM audit_auditentry WHERE id = %s", [five_entries[0].pk])

    failure = verify_failure()

    assert str(failure) == (
        f"Audit log broken at entry #{five_entries[1].pk}: "
        "it does not link to the start of the log."
    )


@pytest.mark.usefixtures("append_only_bypassed")
def test_it_catches_a_deleted_newest_entry(five_entries: list[AuditEntry]) -> None:
    newest = five_entries[-1]
    raw_sql("DELETE FROM audit_auditentry WHERE id = %s", [newest.pk])

    failure = verify_failure()

    assert str(failure) == (
        f"Audit log broken at entry #{newest.pk}: "
        "the head names it as the newest entry, but it is missing."
    )


def test_it_catches_a_head_that_holds_another_hash(five_entries: list[AuditEntry]) -> None:
    AuditHead.objects.filter(pk=HEAD_PK).update(last_hash="f" * 64)

    failure = verify_failure()

    assert str(failure) == (
        f"Audit log broken at entry #{five_entries[-1].pk}: "
        "the head holds a different hash for it."
    )


def test_it_catches_a_missing_head(five_entries: list[AuditEntry]) -> None:
    AuditHead.objects.all().delete()

    failure = verify_failure()

    assert str(failure) == (
        f"Audit log broken at entry #{five_entries[-1].pk}: the head row is missing."
    )


def test_entries_appended_after_the_head_was_read_still_chain(
    five_entries: list[AuditEntry],
) -> None:
    # A walk over a busy log: the head was read before these two were added.
    head_before = AuditHead.objects.get(pk=HEAD_PK)
    record_read(None, "support.queue_listed", ("support.queue", "main"))
    newest = record_read(None, "support.queue_listed", ("support.queue", "main"))

    report = check_chain(AuditEntry.objects.order_by("id"), head_before)

    assert report.intact
    assert report.count == 7
    assert report.newest_hash == newest.entry_hash
