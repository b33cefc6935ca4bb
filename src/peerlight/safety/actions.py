"""Every write to reports and blocks: validated, saved in a transaction, audited.

``raise_risk`` (escalations) is here too, carried out by ``escalations.py``.

Audit entries carry ids and the report's reason code only; what a person
wrote in a report stays in the report, encrypted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.safety import escalations
from peerlight.safety.access import can_review_reports
from peerlight.safety.models import Block, Escalation, ModerationAction, Report

DETAILS_MAX_LENGTH = 2000
# Least to most severe: a closed report's outcome is the most severe action kept.
MODERATION_SEVERITY = (
    ModerationAction.Kind.NOTE,
    ModerationAction.Kind.WARN,
    ModerationAction.Kind.MUTE,
    ModerationAction.Kind.SUSPEND,
    ModerationAction.Kind.BAN,
)
# "chat.conversation", "support.request": where a report was made from.
_SOURCE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_SOURCE_MAX_LENGTH = Report._meta.get_field("source").max_length or 40


class SafetyError(Exception):
    """Refused input; ``message`` is translated and can be shown to the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def report(
    reporter: User,
    reported: User | None,
    *,
    source: str,
    source_id: int | None,
    reason: str,
    details: str = "",
) -> Report:
    """Store a report for the coordinators' queue and return it.

    ``SafetyError`` (nothing saved) for an unknown reason, details over
    ``DETAILS_MAX_LENGTH`` characters or a report about oneself.
    ``ValueError`` for a malformed ``source`` (a programming error).
    """
    if len(source) > _SOURCE_MAX_LENGTH or not _SOURCE.match(source):
        raise ValueError(f"Not a report source: {source!r}")
    if reason not in Report.Reason.values:
        raise SafetyError(_("Please choose a reason."))
    details = details.strip()
    if len(details) > DETAILS_MAX_LENGTH:
        raise SafetyError(
            _("Please keep it under %(limit)s characters.") % {"limit": DETAILS_MAX_LENGTH}
        )
    if reported is not None and reported.pk == reporter.pk:
        raise SafetyError(_("You cannot report yourself."))
    with transaction.atomic():
        made = Report.objects.create(
            reporter=reporter,
            reported=reported,
            source=source,
            source_id=source_id,
            reason=reason,
            details=details,
        )
        record_change(reporter, "safety.report.create", made, subject=reported, reason=reason)
    return made


def close_report(actor: User, report_to_close: Report, *, outcome: str = "") -> bool:
    """Mark a report closed by ``actor`` with its ``outcome``; False (nothing changes) if
    it already was.

    ``outcome`` is what was done (``Report.Outcome``); left empty, it is the
    most severe moderation action taken from this report and not lifted, or
    "none". ``PermissionDenied`` unless ``actor`` works the report queue;
    ``SafetyError`` for an unknown outcome.
    """
    if not can_review_reports(actor):
        raise PermissionDenied
    if outcome and outcome not in Report.Outcome.values:
        raise SafetyError(_("Please choose what was done."))
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report_to_close.pk)
        if locked.status == Report.Status.CLOSED:
            return False
        locked.status = Report.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_by = actor
        locked.outcome = outcome or outcome_of_actions(locked)
        locked.save(update_fields=["status", "closed_at", "closed_by", "outcome"])
        record_change(
            actor, "safety.report.close", locked, subject=locked.reported, reason=locked.outcome
        )
    report_to_close.status = locked.status
    report_to_close.closed_at = locked.closed_at
    report_to_close.closed_by = actor
    report_to_close.outcome = locked.outcome
    return True


def outcome_of_actions(report_to_close: Report) -> str:
    """The most severe action taken from this report and kept, or "none"."""
    kept = set(
        ModerationAction.objects.filter(
            report=report_to_close, lifted_at__isnull=True
        ).values_list("kind", flat=True)
    )
    for kind in reversed(MODERATION_SEVERITY):
        if kind in kept:
            return kind
    return Report.Outcome.NONE


def block(blocker: User, blocked: User) -> Block:
    """``blocker`` blocks ``blocked``; blocking again returns the existing block.

    ``SafetyError`` when someone tries to block themselves.
    """
    if blocker.pk == blocked.pk:
        raise SafetyError(_("You cannot block yourself."))
    with transaction.atomic():
        made, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        if created:
            record_change(blocker, "safety.block.create", made, subject=blocked)
    return made


def unblock(blocker: User, blocked: User) -> bool:
    """Lift ``blocker``'s block on ``blocked``; False when there was none."""
    with transaction.atomic():
        existing = Block.objects.select_for_update().filter(blocker=blocker, blocked=blocked)
        found = existing.first()
        if found is None:
            return False
        record_change(blocker, "safety.block.delete", found, subject=blocked)
        found.delete()
    return True


def raise_risk(
    *,
    person_id: int | None,
    source: str,
    source_id: int | None,
    level: str,
    reasons: Sequence[str] = (),
    raised_by: User | None = None,
    message_seq: int | None = None,
) -> Escalation:
    """Escalate risk seen at ``source``/``source_id`` to the on-call coordinators.

    Opens a case and writes its outbox row in the caller's transaction, or
    adds to the case still open for that source (one risky conversation is
    one case). ``raised_by`` None: the safety check raised it; otherwise the
    peer who pressed "Escalate". ``ValueError`` for a malformed ``source``
    or a level that is not a risk (programming errors).
    """
    if len(source) > _SOURCE_MAX_LENGTH or not _SOURCE.match(source):
        raise ValueError(f"Not an escalation source: {source!r}")
    return escalations.raise_risk(
        person_id=person_id,
        source=source,
        source_id=source_id,
        level=level,
        reasons=reasons,
        raised_by=raised_by,
        message_seq=message_seq,
    )


def note_message_seq(source: str, source_id: int, seq: int) -> int:
    """Record which message opened the case still open at ``source``/``source_id``.

    The hook raises risk before the message has its sequence number, so the
    caller gives it once the message is saved, in the same transaction. Only
    a case without one gets it (the first risky message is the one that
    opened it). Returns how many cases changed (0 or 1).
    """
    return (
        escalations.unresolved_for(source, source_id)
        .filter(message_seq__isnull=True)
        .update(message_seq=seq)
    )
