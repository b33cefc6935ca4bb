"""Create the single audit head row, so appenders never race to create it."""

from django.db import migrations

GENESIS = "0" * 64


def create_head(apps, schema_editor):
    AuditHead = apps.get_model("audit", "AuditHead")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    last = AuditEntry.objects.order_by("-id").first()
    AuditHead.objects.update_or_create(
        pk=1,
        defaults={
            "last_hash": last.entry_hash if last else GENESIS,
            "last_entry_id": last.pk if last else None,
        },
    )


def remove_head(apps, schema_editor):
    apps.get_model("audit", "AuditHead").objects.filter(pk=1).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_head, remove_head),
    ]
