"""Models of the safety app's plan part (imported by models.py).

A safety plan follows the Stanley-Brown structure: seven sections, each kept
as lines of text, every one encrypted at rest. A member has at most one plan.
A ``PlanShare`` lets the peer supporters of one chat read it while it lasts;
the chat is named by its id only, as the safety app knows nothing more of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from peerlight.lib.crypto import EncryptedTextField

__all__ = ["PLAN_SECTIONS", "PlanShare", "SafetyPlan"]

# The sections in the order the plan is written and read.
PLAN_SECTIONS = (
    "warning_signs",
    "coping_strategies",
    "distractions",
    "people_to_ask",
    "professionals",
    "safer_surroundings",
    "reasons_for_living",
)


class SafetyPlan(models.Model):
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_plan"
    )
    # Each section is lines of text; labels and guidance live in plans.py.
    warning_signs = EncryptedTextField(blank=True, default="")
    coping_strategies = EncryptedTextField(blank=True, default="")
    distractions = EncryptedTextField(blank=True, default="")
    people_to_ask = EncryptedTextField(blank=True, default="")
    professionals = EncryptedTextField(blank=True, default="")
    safer_surroundings = EncryptedTextField(blank=True, default="")
    reasons_for_living = EncryptedTextField(blank=True, default="")
    # Raised by every change, so an edit made from a stale page is noticed.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        # Never the contents: this string can reach logs.
        return f"Safety plan {self.pk}"

    def section_lines(self, name: str) -> list[str]:
        """The non-empty lines of section ``name``."""
        if name not in PLAN_SECTIONS:
            raise ValueError(f"Not a plan section: {name!r}")
        text: str = getattr(self, name)
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def is_empty(self) -> bool:
        return not any(str(getattr(self, name)).strip() for name in PLAN_SECTIONS)


class PlanShare(models.Model):
    """The plan, shared with the peer supporters of chat ``conversation_id``.

    Active while ``stopped_at`` is empty; sharing again after a stop makes a
    new row, so the history of who could read the plan, and when, stays.
    """

    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="shares")
    conversation_id = models.PositiveBigIntegerField(db_index=True)
    shared_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "conversation_id"],
                condition=models.Q(stopped_at__isnull=True),
                name="safety_plan_share_active_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan share {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None
