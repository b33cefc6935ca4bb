import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import peerlight.lib.crypto


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("safety", "0002_escalations"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.CreateModel(
            name="SafetyPlan",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("warning_signs", peerlight.lib.crypto.EncryptedTextField(blank=True, default="")),
                (
                    "coping_strategies",
                    peerlight.lib.crypto.EncryptedTextField(blank=True, default=""),
                ),
                ("distractions", peerlight.lib.crypto.EncryptedTextField(blank=True, default="")),
                ("people_to_ask", peerlight.lib.crypto.EncryptedTextField(blank=True, default="")),
                ("professionals", peerlight.lib.crypto.EncryptedTextField(blank=True, default="")),
                (
                    "safer_surroundings",
                    peerlight.lib.crypto.EncryptedTextField(blank=True, default=""),
                ),
                (
                    "reasons_for_living",
                    peerlight.lib.crypto.EncryptedTextField(blank=True, default=""),
                ),
                ("version", models.PositiveIntegerField(default=1)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "member",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="safety_plan",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="PlanShare",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("conversation_id", models.PositiveBigIntegerField(db_index=True)),
                ("shared_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("stopped_at", models.DateTimeField(blank=True, null=True)),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="shares",
                        to="safety.safetyplan",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("stopped_at__isnull", True)),
                        fields=("plan", "conversation_id"),
                        name="safety_plan_share_active_once",
                    )
                ],
            },
        ),
    ]
