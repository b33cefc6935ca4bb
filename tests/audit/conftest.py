"""Fixtures for the audit log tests: a short log, and an attacker's way around the triggers."""

from __future__ import annotations

import pytest
from django.db import connection

from peerlight.accounts.models import User
from peerlight.audit.actions import record_change, record_read
from peerlight.audit.models import AuditEntry


@pytest.fixture
def five_entries(member: User, coordinator: User) -> list[AuditEntry]:
    """Five entries of both kinds, oldest first."""
    return [
        record_change(coordinator, "accounts.role_granted", member, subject=member),
        record_read(coordinator, "accounts.profile_viewed", member, subject=member),
        record_change(member, "accounts.email_changed", member, reason="weekly review"),
        record_read(None, "support.queue_listed", ("support.queue", "main")),
        record_change(coordinator, "accounts.role_revoked", member, subject=member),
    ]


@pytest.fixture
def append_only_bypassed(db: None) -> None:
    """What someone with full database access can do: switch the triggers off.

    Done inside the test's transaction, so the rollback at the end of the
    test puts the triggers back.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_auditentry_refuse_update")
            cursor.execute("DROP TRIGGER audit_auditentry_refuse_delete")
