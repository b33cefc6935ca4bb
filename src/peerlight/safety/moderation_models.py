"""Models of the safety app's moderation part (imported by models.py).

One ``ModerationAction`` row per decision a coordinator takes about a
person: a note, a warning, a mute, a suspension or a ban. Rows are never
deleted: lifting one sets ``lifted_at`` and the effect ends at once, and the
row stays as the person's moderation history.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.lib.crypto import EncryptedTextField

__all__ = ["ModerationAction"]


class ModerationAction(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        WARN = "warn", _("Warning")
        MUTE = "mute", _("Mute")
        SUSPEND = "suspend", _("Suspension")
        BAN = "ban", _("Ban")

    # Kinds that stop a person from sending chat messages, and from using the site.
    SILENCING = (Kind.MUTE, Kind.SUSPEND, Kind.BAN)
    EXCLUDING = (Kind.SUSPEND, Kind.BAN)

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_actions",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Internal: what the coordinator wrote, for other coordinators only.
    reason = EncryptedTextField()
    report = models.ForeignKey(
        "safety.Report",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_actions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Mutes and suspensions end on their own; None is "until lifted".
    ends_at = models.DateTimeField(null=True, blank=True)
    # When the person saw a warning.
    seen_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lift_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(
                fields=["subject", "kind"],
                condition=Q(lifted_at__isnull=True),
                name="safety_moderation_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"Moderation {self.pk} ({self.kind})"

    def is_in_force(self, now: datetime | None = None) -> bool:
        """True while the action still has an effect (not lifted, not ended)."""
        if self.lifted_at is not None:
            return False
        return self.ends_at is None or self.ends_at > (now or timezone.now())
