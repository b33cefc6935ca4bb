"""How reports and blocks leave with a person's data (see ``accounts.privacy``).

A person gets back the reports they made and the blocks they set, without
naming the other person (that is about someone else) and without the words
of a report (they may describe someone else too). Reports about a person are
not handed to them: that would tell them who reported them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.safety.models import Block, Report


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


def register_safety_models() -> None:
    """Register reports and blocks with the privacy registry (once, at start-up)."""
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
