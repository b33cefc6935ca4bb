"""How reports, blocks and safety plans leave with a person's data (see ``accounts.privacy``).

A person gets back the reports they made and the blocks they set, without
naming the other person (that is about someone else) and without the words
of a report (they may describe someone else too). Reports about a person are
not handed to them: that would tell them who reported them.

A safety plan is the person's own words: the export hands it back in full,
with the chats it was shared into (ids and dates), and erasure deletes it and
its shares.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.safety.models import (
    PLAN_SECTIONS,
    Block,
    Escalation,
    EscalationEvent,
    EscalationOutbox,
    ModerationAction,
    OnCallShift,
    Report,
    SafetyPlan,
)


def export_reports(user: User) -> list[dict[str, Any]]:
    reports = Report.objects.filter(reporter=user).order_by("created_at", "pk")
    return [
        {
            "reason": report.reason,
            "reason_label": report.get_reason_display(),
            "source": report.source,
            "made_at": report.created_at,
            "status": report.status,
        }
        for report in reports
    ]


def export_blocks(user: User) -> list[dict[str, Any]]:
    blocks = Block.objects.filter(blocker=user).order_by("created_at", "pk")
    return [{"blocked_at": block.created_at} for block in blocks]


def export_plan(user: User) -> list[dict[str, Any]]:
    plan = SafetyPlan.objects.filter(member=user).first()
    if plan is None:
        return []
    shares = plan.shares.order_by("shared_at", "pk")
    return [
        {
            **{name: plan.section_lines(name) for name in PLAN_SECTIONS},
            "version": plan.version,
            "created_at": plan.created_at,
            "updated_at": plan.updated_at,
            "shared_in_chats": [
                {
                    "conversation": share.conversation_id,
                    "shared_at": share.shared_at,
                    "stopped_at": share.stopped_at,
                }
                for share in shares
            ],
        }
    ]


def export_moderation(user: User) -> list[dict[str, Any]]:
    """Decisions about the person; coordinators' notes and reasons are internal."""
    rows = (
        ModerationAction.objects.filter(subject=user)
        .exclude(kind=ModerationAction.Kind.NOTE)
        .order_by("created_at", "pk")
    )
    return [
        {
            "kind": row.kind,
            "kind_label": row.get_kind_display(),
            "from": row.created_at,
            "until": row.ends_at,
            "seen_at": row.seen_at,
            "lifted_at": row.lifted_at,
        }
        for row in rows
    ]


def export_escalations(user: User) -> list[dict[str, Any]]:
    """Urgent cases about the person: when, how urgent, what was done (no staff notes)."""
    rows = Escalation.objects.filter(person=user).order_by("created_at", "pk")
    return [
        {
            "level": row.level,
            "opened_at": row.created_at,
            "state": row.state,
            "resolved_at": row.resolved_at,
            "outcome": row.outcome,
            "outcome_label": row.get_outcome_display() if row.outcome else "",
        }
        for row in rows
    ]


def export_shifts(user: User) -> list[dict[str, Any]]:
    shifts = OnCallShift.objects.filter(coordinator=user).order_by("starts_at", "pk")
    return [
        {"starts_at": shift.starts_at, "ends_at": shift.ends_at, "order": shift.order}
        for shift in shifts
    ]


def register_safety_models() -> None:
    """Register reports, blocks and safety plans with the privacy registry (once, at start-up)."""
    privacy.register(
        Report,
        export=export_reports,
        erase=privacy.ErasurePolicy.keep_pseudonymised(
            _(
                "Reports you made, and reports about you, stay without the link to your "
                "account, because they help the coordinators keep other people safe."
            )
        ),
        description=_("Reports you made"),
    )
    privacy.register(
        Block,
        export=export_blocks,
        erase=privacy.ErasurePolicy.delete(),
        description=_("People you blocked (dates only)"),
    )
    privacy.register(
        SafetyPlan,
        export=export_plan,
        erase=privacy.ErasurePolicy.delete(),
        description=_("Your safety plan, and the chats you shared it in"),
    )
    privacy.register(
        ModerationAction,
        export=export_moderation,
        erase=privacy.ErasurePolicy.keep_pseudonymised(
            _(
                "Moderation decisions stay without the link to your account, so the "
                "coordinators can see what was done and why."
            )
        ),
        description=_("Warnings and limits on your account"),
    )
    keep_safety_record = privacy.ErasurePolicy.keep_pseudonymised(
        _(
            "Records of urgent cases stay without the link to your account: the "
            "organisation must be able to show how it answered every one."
        )
    )
    privacy.register(
        Escalation,
        export=export_escalations,
        erase=keep_safety_record,
        description=_("Times a coordinator was asked to check on you"),
    )
    privacy.register(EscalationEvent, export=None, erase=keep_safety_record)
    privacy.register(EscalationOutbox, export=None, erase=keep_safety_record)
    privacy.register(
        OnCallShift,
        export=export_shifts,
        erase=privacy.ErasurePolicy.delete(),
        description=_("Your on-call shifts"),
    )
