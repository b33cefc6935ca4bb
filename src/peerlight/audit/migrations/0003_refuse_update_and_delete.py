"""Make the audit entry table append-only in the database itself.

Triggers refuse every UPDATE and DELETE on ``audit_auditentry``, whatever
code or console issues them. Someone who owns the database can still drop the
triggers; the hash chain (``peerlight audit verify``) is what reveals that.

PostgreSQL's TRUNCATE does not fire row triggers and is left allowed, so that
``flush`` (used by the test runner) keeps working; it empties the whole log,
which ``audit verify`` reports as a head that points at a missing entry.
"""

from django.db import migrations

SQLITE_CREATE = [
    """
    CREATE TRIGGER audit_auditentry_refuse_update
    BEFORE UPDATE ON audit_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused');
    END
    """,
    """
    CREATE TRIGGER audit_auditentry_refuse_delete
    BEFORE DELETE ON audit_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'audit entries are append-only: DELETE refused');
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditentry_refuse_update",
    "DROP TRIGGER IF EXISTS audit_auditentry_refuse_delete",
]

POSTGRESQL_CREATE = [
    """
    CREATE OR REPLACE FUNCTION audit_auditentry_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_auditentry_refuse_update
    BEFORE UPDATE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_refuse_change()
    """,
    """
    CREATE TRIGGER audit_auditentry_refuse_delete
    BEFORE DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_refuse_change()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditentry_refuse_update ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_auditentry_refuse_delete ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_auditentry_refuse_change()",
]

STATEMENTS = {
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
    "postgresql": (POSTGRESQL_CREATE, POSTGRESQL_DROP),
}


def _run(schema_editor, statements):
    for statement in statements:
        # No parameters: the PostgreSQL function's "%" is not a placeholder.
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(f"No append-only triggers written for the {vendor} database.")
    _run(schema_editor, STATEMENTS[vendor][0])


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in STATEMENTS:
        _run(schema_editor, STATEMENTS[vendor][1])


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_create_audit_head"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
