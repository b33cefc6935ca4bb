"""Reports and blocks in "Download my data" and when an account is erased."""

from __future__ import annotations

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.safety import actions
from peerlight.safety.models import Block, Report


def test_reports_and_blocks_are_registered() -> None:
    registry = privacy.registry()
    assert registry["safety.report"].erase.action == privacy.ErasureAction.KEEP_PSEUDONYMISED
    assert registry["safety.block"].erase.action == privacy.ErasureAction.DELETE


def test_the_export_holds_reports_made_and_blocks_set_without_naming_anyone(
    member: User, other_member: User
) -> None:
    actions.report(
        member,
        other_member,
        source="chat.conversation",
        source_id=1,
        reason="spam",
        details="selling things",
    )
    actions.report(other_member, member, source="chat.conversation", source_id=1, reason="other")
    actions.block(member, other_member)
    actions.block(other_member, member)
    sections = privacy.build_export(member)["sections"]
    reports = sections["safety.report"]["records"]
    assert [report["reason"] for report in reports] == ["spam"]
    assert set(reports[0]) == {"reason", "reason_label", "source", "made_at", "status"}
    blocks = sections["safety.block"]["records"]
    assert len(blocks) == 1
    assert set(blocks[0]) == {"blocked_at"}
    assert "Sky" not in str(sections["safety.report"]) + str(sections["safety.block"])


def test_erasing_an_account_keeps_reports_without_it_and_deletes_its_blocks(
    member: User, other_member: User
) -> None:
    made = actions.report(
        member, other_member, source="chat.conversation", source_id=1, reason="spam"
    )
    about = actions.report(
        other_member, member, source="chat.conversation", source_id=1, reason="other"
    )
    actions.block(member, other_member)
    actions.block(other_member, member)
    privacy.erase_account(member)
    made.refresh_from_db()
    about.refresh_from_db()
    assert made.reporter is None
    assert made.reported == other_member
    assert about.reporter == other_member
    assert about.reported is None
    assert not Block.objects.exists()
    assert Report.objects.count() == 2
