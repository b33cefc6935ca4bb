"""``flush``, able to empty the append-only audit log on SQLite too.

Django's ``flush`` (which the test runner calls after every transactional
test) empties tables with DELETE on SQLite, which the audit log's triggers
refuse. This lifts the triggers for the flush and puts them back in the same
transaction, so no moment exists in which entries could be changed. On
PostgreSQL ``flush`` uses TRUNCATE, which row triggers do not see.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

SQLITE_TRIGGERS = {
    "audit_auditentry_refuse_update": "UPDATE",
    "audit_auditentry_refuse_delete": "DELETE",
}


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options.get("database", DEFAULT_DB_ALIAS)
        connection = connections[database]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            super().handle(**options)
            for name, operation in SQLITE_TRIGGERS.items():
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON audit_auditentry BEGIN "
                    f"SELECT RAISE(ABORT, 'audit entries are append-only: {operation} refused'); "
                    "END"
                )
