"""Escalations: the on-call rota, the cases, their timeline and the outbox that carries them.

An escalation names where the risk was seen (a ``source`` label and an id)
and who is at risk, never what they wrote: the reasons are the detector's
codes. The outbox row is written in the same transaction as the message that
raised the risk, so a crash can delay an escalation but never lose it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from peerlight.lib.crypto import EncryptedTextField

__all__ = ["Escalation", "EscalationEvent", "EscalationOutbox", "OnCallShift"]

_RISK_LEVELS = [
    ("none", _("None")),
    ("concern", _("Concern")),
    ("imminent", _("Imminent")),
]


class OnCallShift(models.Model):
    """One coordinator on call from ``starts_at`` to ``ends_at``.

    ``order`` is the place in the chain: 0 is asked first, 1 next when 0 does
    not acknowledge in time, and so on.
    """

    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call_shifts"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)
    order = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["starts_at", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="safety_shift_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"On-call shift {self.pk}"


class Escalation(models.Model):
    """A person at risk that a coordinator must acknowledge: open → acknowledged →
    in progress → resolved, with an outcome."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("escalation state", "Waiting for a responder")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("escalation state", "Acknowledged")
        IN_PROGRESS = "in_progress", pgettext_lazy("escalation state", "In progress")
        RESOLVED = "resolved", pgettext_lazy("escalation state", "Resolved")

    class Outcome(models.TextChoices):
        DE_ESCALATED = "de_escalated", _("De-escalated")
        SAFETY_PLAN = "safety_plan", _("Safety plan made")
        WARM_HANDOFF = "warm_handoff", _("Warm hand-off to a crisis line done")
        EMERGENCY = (
            "emergency",
            _("Emergency services contacted and confirmed to have reached the person"),
        )
        OTHER = "other", _("Other")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalations",
    )
    source = models.CharField(max_length=40)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    message_seq = models.PositiveIntegerField(null=True, blank=True)
    level = models.CharField(max_length=10, choices=_RISK_LEVELS)
    reasons = models.JSONField(default=list, blank=True)
    # None: raised automatically by the safety check.
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    outcome_note = EncryptedTextField(blank=True, default="")
    # The coordinator asked to respond now, then the one who acknowledged.
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The place in the rota last asked (``OnCallShift.order`` rank, 0 first).
    tier = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    fallback_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    in_progress_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # When the dispatcher must look again (the acknowledgement deadline).
    next_step_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            # One risky conversation opens one case: more risk adds to it.
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(state="resolved"),
                name="safety_one_open_escalation_per_source",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="safety_esc_state_created")]

    def __str__(self) -> str:
        return f"Escalation {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state != self.State.RESOLVED


class EscalationEvent(models.Model):
    """One step of an escalation, for its timeline: codes and ids only."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("Raised")
        RISK_ADDED = "risk_added", _("More risk seen")
        NOTIFIED_IN_APP = "notified_in_app", _("Responder alerted in the app")
        NOTIFIED_EMAIL = "notified_email", _("Responder e-mailed")
        REASSIGNED = "reassigned", _("No answer in time: next responder asked")
        NOBODY_ON_CALL = "nobody_on_call", _("Nobody on call")
        FALLBACK_CONTACTED = "fallback_contacted", _("Fallback contact e-mailed")
        FALLBACK_MISSING = "fallback_missing", _("No fallback contact configured")
        BANNER_SHOWN = "banner_shown", _("Banner shown to every coordinator")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        IN_PROGRESS = "in_progress", _("Work started")
        RESOLVED = "resolved", _("Resolved")

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who was alerted, for the notification kinds.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalation_alerts",
    )
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Escalation event {self.pk}"


class EscalationOutbox(models.Model):
    """Work for the dispatcher, written in the transaction that made it necessary.

    ``raised``: a new escalation to carry to the rota (written by
    ``raise_risk`` with the message). ``email``: one e-mail to send (to
    ``recipient``, or to the fallback contact when ``recipient`` is empty).
    A dispatcher claims a row by setting ``locked_until``; a dispatcher that
    dies leaves the lease to run out and another claims the row again.
    """

    class Kind(models.TextChoices):
        RAISED = "raised", "raised"
        EMAIL = "email", "email"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="outbox")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["available_at"],
                condition=Q(done_at__isnull=True),
                name="safety_outbox_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Escalation outbox {self.pk}"
