import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import peerlight.lib.crypto


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("safety", "0003_safety_plans"),
    ]

    operations = [
        migrations.CreateModel(
            name="ModerationAction",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("note", "Note"),
                            ("warn", "Warning"),
                            ("mute", "Mute"),
                            ("suspend", "Suspension"),
                            ("ban", "Ban"),
                        ],
                        max_length=10,
                    ),
                ),
                ("reason", peerlight.lib.crypto.EncryptedTextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("ends_at", models.DateTimeField(blank=True, null=True)),
                ("seen_at", models.DateTimeField(blank=True, null=True)),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lift_reason", peerlight.lib.crypto.EncryptedTextField(blank=True, default="")),
            ],
        ),
        migrations.AddField(
            model_name="report",
            name="hits",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="report",
            name="is_automatic",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="report",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("none", "No action"),
                    ("note", "Note"),
                    ("warn", "Warning"),
                    ("mute", "Mute"),
                    ("suspend", "Suspension"),
                    ("ban", "Ban"),
                ],
                default="",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="reason_codes",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name="report",
            name="reason",
            field=models.CharField(
                choices=[
                    ("harassment", "Harassment or abuse"),
                    ("contact", "Asking for contact details or to meet"),
                    ("inappropriate", "Sexual or inappropriate messages"),
                    ("spam", "Spam or selling"),
                    ("safety", "I am worried about their safety"),
                    ("grooming", "Trying to win my trust to take advantage of me"),
                    ("other", "Something else"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_automatic", True), ("status__in", ["open", "reviewing"])),
                fields=("source", "source_id", "reported"),
                name="safety_one_open_automatic_report",
            ),
        ),
        migrations.AddField(
            model_name="moderationaction",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="moderationaction",
            name="lifted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="moderationaction",
            name="report",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="moderation_actions",
                to="safety.report",
            ),
        ),
        migrations.AddField(
            model_name="moderationaction",
            name="subject",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="moderation_actions",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="moderationaction",
            index=models.Index(
                condition=models.Q(("lifted_at__isnull", True)),
                fields=["subject", "kind"],
                name="safety_moderation_in_force",
            ),
        ),
    ]
