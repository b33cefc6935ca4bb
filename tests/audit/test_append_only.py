"""Entries cannot be changed or deleted: not by the model, not by SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from peerlight.audit.actions import record_read
from peerlight.audit.models import AuditEntry, AuditImmutableError


def test_the_model_refuses_to_save_an_existing_entry(five_entries: list[AuditEntry]) -> None:
    entry = AuditEntry.objects.get(pk=five_entries[0].pk)
    entry.reason = "rewritten"

    with pytest.raises(AuditImmutableError):
        entry.save()

    assert AuditEntry.objects.get(pk=entry.pk).reason == ""


def test_the_model_refuses_to_delete_an_entry(five_entries: list[AuditEntry]) -> None:
    with pytest.raises(AuditImmutableError):
        five_entries[0].delete()

    assert AuditEntry.objects.count() == 5


def test_the_database_refuses_a_queryset_update(five_entries: list[AuditEntry]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=five_entries[1].pk).update(reason="rewritten")

    assert AuditEntry.objects.get(pk=five_entries[1].pk).reason == ""


def test_the_database_refuses_a_queryset_delete(five_entries: list[AuditEntry]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=five_entries[1].pk).delete()

    assert AuditEntry.objects.count() == 5


def test_the_database_refuses_raw_update_and_delete(five_entries: list[AuditEntry]) -> None:
    target = five_entries[2].pk

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditentry SET verb = 'x' WHERE id = %s", [target])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [target])

    assert AuditEntry.objects.get(pk=target).verb == "accounts.email_changed"
    assert AuditEntry.objects.count() == 5


def test_the_log_grows_on_after_a_refused_update(five_entries: list[AuditEntry]) -> None:
    # The triggers guard UPDATE and DELETE only; INSERT is how the log grows.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.update(reason="rewritten")

    entry = record_read(None, "support.queue_listed", ("support.queue", "main"))

    assert entry.prev_hash == five_entries[-1].entry_hash
    assert AuditEntry.objects.count() == 6
