from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from peerlight.audit.actions import record_change
from peerlight.audit.models import AuditEntry


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_keeps_it_append_only() -> None:
    record_change(None, "tests.flush", ("tests.thing", "1"))
    assert AuditEntry.objects.count() == 1

    call_command("flush", interactive=False, verbosity=0)

    assert AuditEntry.objects.count() == 0
    entry = record_change(None, "tests.after_flush", ("tests.thing", "2"))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET verb = 'forged' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).verb == "tests.after_flush"
