"""Reports and blocks; the other parts of the app add their models at the end.

The safety app knows nothing of where a reported thing lives beyond a
``source`` label and an id ("chat.conversation", 42).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from peerlight.lib.crypto import EncryptedTextField


class RiskLevel(models.TextChoices):
    NONE = "none", _("None")
    CONCERN = "concern", _("Concern")
    IMMINENT = "imminent", _("Imminent")


class Report(models.Model):
    class Reason(models.TextChoices):
        HARASSMENT = "harassment", _("Harassment or abuse")
        CONTACT = "contact", _("Asking for contact details or to meet")
        INAPPROPRIATE = "inappropriate", _("Sexual or inappropriate messages")
        SPAM = "spam", _("Spam or selling")
        SAFETY = "safety", _("I am worried about their safety")
        GROOMING = "grooming", _("Trying to win my trust to take advantage of me")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("report status", "Open")
        REVIEWING = "reviewing", pgettext_lazy("report status", "In review")
        CLOSED = "closed", pgettext_lazy("report status", "Closed")

    class Outcome(models.TextChoices):
        """What was done about a report when it was closed (``ModerationAction.Kind`` + none)."""

        NONE = "none", _("No action")
        NOTE = "note", _("Note")
        WARN = "warn", _("Warning")
        MUTE = "mute", _("Mute")
        SUSPEND = "suspend", _("Suspension")
        BAN = "ban", _("Ban")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_made",
    )
    reported = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_about",
    )
    source = models.CharField(max_length=40)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = EncryptedTextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    # Raised by the system (grooming detection), not by a person: the codes
    # of what was seen, never the words, and how many messages showed it.
    is_automatic = models.BooleanField(default=False)
    reason_codes = models.JSONField(default=list, blank=True)
    hits = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            # One automatic report per person and place while it is open;
            # further hits raise its counter instead.
            models.UniqueConstraint(
                fields=["source", "source_id", "reported"],
                condition=models.Q(is_automatic=True, status__in=["open", "reviewing"]),
                name="safety_one_open_automatic_report",
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.pk}"


class Block(models.Model):
    """``blocker`` never hears from ``blocked`` again: no match, no conversation."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="safety_block_once"),
        ]

    def __str__(self) -> str:
        return f"Block {self.pk}"


# The rest of the app's models live beside this file, one module per part.
from peerlight.safety.escalation_models import *  # noqa: E402, F403
from peerlight.safety.moderation_models import *  # noqa: E402, F403
from peerlight.safety.plan_models import *  # noqa: E402, F403
