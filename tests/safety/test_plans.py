"""Safety plans: storage, every write, who may read a shared plan, and the person's data."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.http import Http404

from peerlight.accounts import privacy
from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.audit.models import AuditEntry
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Conversation, Participant
from peerlight.safety import plans
from peerlight.safety.models import PlanShare, SafetyPlan
from peerlight.safety.places import chat_seats
from tests.conftest import make_user

SECRET = "hold the cat Marmalade"
REASON = "my sister Ana"


@pytest.fixture
def plan(member: User) -> SafetyPlan:
    return plans.save_plan(member, {"coping_strategies": SECRET, "reasons_for_living": REASON})


def audit_text() -> str:
    """Every audit entry's fields as one string, to check that no words of a plan leak."""
    return repr(list(AuditEntry.objects.values()))


# --- Storage ----------------------------------------------------------------------------------


def test_it_stores_every_section_encrypted(plan: SafetyPlan) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coping_strategies, reasons_for_living FROM safety_safetyplan WHERE id = %s",
            [plan.pk],
        )
        row = cursor.fetchone()
    assert row is not None
    for stored in row:
        assert stored.startswith("pl1:")
    assert SECRET not in repr(row)
    assert "Marmalade" not in repr(row)
    plan.refresh_from_db()
    assert plan.coping_strategies == SECRET


def test_it_reads_sections_as_lines(member: User) -> None:
    saved = plans.save_plan(member, {"warning_signs": "  not sleeping \n\n\n staying in  \n"})
    assert saved.warning_signs == "not sleeping\nstaying in"
    assert saved.section_lines("warning_signs") == ["not sleeping", "staying in"]
    assert saved.section_lines("distractions") == []
    with pytest.raises(ValueError, match="Not a plan section"):
        saved.section_lines("member")


# --- Writing ----------------------------------------------------------------------------------


def test_it_creates_the_plan_and_audits_ids_only(member: User, plan: SafetyPlan) -> None:
    assert plan.member == member
    assert plan.version == 1
    entry = AuditEntry.objects.get(verb="safety.plan.create")
    assert (entry.actor_id, entry.subject_id, entry.target_id) == (
        member.pk,
        member.pk,
        str(plan.pk),
    )
    assert SECRET not in audit_text()
    assert REASON not in audit_text()


def test_it_changes_a_section_raises_the_version_and_keeps_the_others(
    member: User, plan: SafetyPlan
) -> None:
    changed = plans.save_plan(member, {"coping_strategies": "a walk"}, expected_version=1)
    assert changed.pk == plan.pk
    assert changed.version == 2
    changed.refresh_from_db()
    assert changed.coping_strategies == "a walk"
    assert changed.reasons_for_living == REASON
    assert AuditEntry.objects.filter(verb="safety.plan.update").count() == 1
    assert "a walk" not in audit_text()


def test_saving_the_same_words_changes_nothing(member: User, plan: SafetyPlan) -> None:
    again = plans.save_plan(member, {"coping_strategies": SECRET})
    assert again.version == 1
    assert not AuditEntry.objects.filter(verb="safety.plan.update").exists()


@pytest.mark.parametrize(
    "text",
    [
        "x" * (plans.MAX_SECTION_CHARS + 1),
        "\n".join(["line"] * (plans.MAX_SECTION_LINES + 1)),
    ],
    ids=["too long", "too many lines"],
)
def test_it_refuses_a_section_over_the_limits_and_saves_nothing(
    member: User, plan: SafetyPlan, text: str
) -> None:
    with pytest.raises(plans.PlanError):
        plans.save_plan(member, {"warning_signs": "fine", "coping_strategies": text})
    plan.refresh_from_db()
    assert plan.warning_signs == ""
    assert plan.coping_strategies == SECRET
    assert plan.version == 1


def test_a_section_at_the_limits_is_accepted(member: User) -> None:
    longest = "\n".join(["y" * 10] * plans.MAX_SECTION_LINES)
    assert plans.save_plan(member, {"distractions": longest}).distractions == longest


def test_it_refuses_an_edit_made_from_a_stale_page(member: User, plan: SafetyPlan) -> None:
    plans.save_plan(member, {"warning_signs": "first window"}, expected_version=1)
    with pytest.raises(plans.PlanError):
        plans.save_plan(member, {"warning_signs": "second window"}, expected_version=1)
    plan.refresh_from_db()
    assert plan.warning_signs == "first window"


def test_a_new_plan_from_a_page_that_saw_none_is_refused_once_one_exists(
    member: User, plan: SafetyPlan
) -> None:
    with pytest.raises(plans.PlanError):
        plans.save_plan(member, {"warning_signs": "other tab"}, expected_version=0)


def test_it_refuses_unknown_sections(member: User) -> None:
    with pytest.raises(ValueError, match="Not plan sections"):
        plans.save_plan(member, {"member_id": "2"})
    assert not SafetyPlan.objects.exists()


def test_it_deletes_the_plan_and_its_shares(
    member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    plans.share_plan(member, int(chat.pk))
    assert plans.delete_plan(member)
    assert not SafetyPlan.objects.exists()
    assert not PlanShare.objects.exists()
    entry = AuditEntry.objects.get(verb="safety.plan.delete")
    assert entry.target_id == str(plan.pk)
    assert not plans.delete_plan(member)


def test_the_suggested_professionals_are_the_regions_crisis_contacts() -> None:
    english = plans.suggested_professionals("en")
    assert "988 Suicide & Crisis Lifeline" in english.splitlines()[0]
    assert "Línea" in plans.suggested_professionals("es")


# --- Sharing ----------------------------------------------------------------------------------


def test_it_shares_with_the_chat_once_and_audits_it(
    member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    share = plans.share_plan(member, int(chat.pk))
    assert share.plan == plan
    assert share.conversation_id == chat.pk
    assert share.is_active
    assert plans.share_plan(member, int(chat.pk)) == share
    entry = AuditEntry.objects.get(verb="safety.plan.share")
    assert entry.reason == f"conversation:{chat.pk}"
    assert SECRET not in audit_text()


def test_it_refuses_to_share_without_a_plan(member: User, chat: Conversation) -> None:
    with pytest.raises(plans.PlanError):
        plans.share_plan(member, int(chat.pk))
    assert not PlanShare.objects.exists()


def test_it_refuses_to_share_where_no_peer_is(member: User, plan: SafetyPlan) -> None:
    alone = chat_actions.start_conversation(
        kind=Conversation.Kind.GROUP, members=[(member, Participant.Role.PARTICIPANT)]
    )
    with pytest.raises(plans.PlanError):
        plans.share_plan(member, int(alone.pk))
    assert not PlanShare.objects.exists()


def test_it_refuses_to_share_into_a_chat_that_is_not_theirs_or_not_open(
    member: User, other_member: User, peer_supporter: User, plan: SafetyPlan, chat: Conversation
) -> None:
    theirs = chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[
            (other_member, Participant.Role.MEMBER),
            (peer_supporter, Participant.Role.SUPPORTER),
        ],
    )
    for conversation_id in (int(theirs.pk), int(chat.pk) + 1000):
        with pytest.raises(Http404):
            plans.share_plan(member, conversation_id)
    chat_actions.end_conversation(member, chat)
    with pytest.raises(Http404):
        plans.share_plan(member, int(chat.pk))
    assert not PlanShare.objects.exists()


def test_stopping_ends_the_share_and_sharing_again_starts_a_new_one(
    member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    first = plans.share_plan(member, int(chat.pk))
    assert plans.stop_sharing(member, int(chat.pk))
    first.refresh_from_db()
    assert first.stopped_at is not None
    assert not plans.stop_sharing(member, int(chat.pk))
    second = plans.share_plan(member, int(chat.pk))
    assert second.pk != first.pk
    assert AuditEntry.objects.filter(verb="safety.plan.share_stop").count() == 1


def test_the_peer_in_the_chat_can_read_a_shared_plan(
    member: User, peer_supporter: User, plan: SafetyPlan, chat: Conversation
) -> None:
    share = plans.share_plan(member, int(chat.pk))
    assert plans.get_shared_plan_for(peer_supporter, int(share.pk)) == share
    assert plans.shared_plans_for(peer_supporter, int(chat.pk)) == [share]


def test_nobody_else_can_read_a_shared_plan(
    member: User,
    other_member: User,
    peer_supporter: User,
    coordinator: User,
    plan: SafetyPlan,
    chat: Conversation,
) -> None:
    share = plans.share_plan(member, int(chat.pk))
    other_peer = make_user("Robin", Role.PEER_SUPPORTER)
    for stranger in (member, other_member, other_peer, coordinator):
        with pytest.raises(Http404):
            plans.get_shared_plan_for(stranger, int(share.pk))
        assert plans.shared_plans_for(stranger, int(chat.pk)) == []
    with pytest.raises(Http404):
        plans.get_shared_plan_for(peer_supporter, int(share.pk) + 1000)


def test_a_member_in_a_group_chat_cannot_read_another_members_plan(
    member: User, other_member: User, peer_supporter: User, plan: SafetyPlan
) -> None:
    circle = chat_actions.start_conversation(
        kind=Conversation.Kind.GROUP,
        members=[
            (member, Participant.Role.PARTICIPANT),
            (other_member, Participant.Role.PARTICIPANT),
            (peer_supporter, Participant.Role.FACILITATOR),
        ],
    )
    share = plans.share_plan(member, int(circle.pk))
    with pytest.raises(Http404):
        plans.get_shared_plan_for(other_member, int(share.pk))
    assert plans.get_shared_plan_for(peer_supporter, int(share.pk)) == share


@pytest.mark.parametrize("change", ["stopped", "ended", "peer left", "peer removed", "no role"])
def test_the_peer_loses_the_plan_when_the_share_or_their_place_ends(
    member: User,
    peer_supporter: User,
    plan: SafetyPlan,
    chat: Conversation,
    change: str,
) -> None:
    share = plans.share_plan(member, int(chat.pk))
    if change == "stopped":
        plans.stop_sharing(member, int(chat.pk))
    elif change == "ended":
        chat_actions.end_conversation(member, chat)
    elif change == "peer left":
        chat_actions.leave_conversation(peer_supporter, chat)
    elif change == "peer removed":
        Participant.objects.filter(user=peer_supporter).update(is_removed=True)
    else:
        RoleGrant.objects.filter(user=peer_supporter).delete()
        peer_supporter = User.objects.get(pk=peer_supporter.pk)
    with pytest.raises(Http404):
        plans.get_shared_plan_for(peer_supporter, int(share.pk))
    assert plans.shared_plans_for(peer_supporter, int(chat.pk)) == []


def test_the_share_state_follows_the_plan_and_the_share(
    member: User, peer_supporter: User, chat: Conversation
) -> None:
    state = plans.share_state(member, int(chat.pk))
    assert (state.has_plan, state.is_shared, state.can_share) == (False, False, True)
    plans.save_plan(member, {"warning_signs": "tired"})
    state = plans.share_state(member, int(chat.pk))
    assert (state.has_plan, state.is_shared) == (True, False)
    share = plans.share_plan(member, int(chat.pk))
    state = plans.share_state(member, int(chat.pk))
    assert state.share == share
    assert state.conversation_id == chat.pk
    chat_actions.end_conversation(member, chat)
    state = plans.share_state(member, int(chat.pk))
    assert (state.is_shared, state.can_share) == (True, False)


def test_the_chat_page_gets_both_answers_from_one_read_of_the_seat(
    member: User,
    peer_supporter: User,
    plan: SafetyPlan,
    chat: Conversation,
) -> None:
    share = plans.share_plan(member, int(chat.pk))
    for person in (member, peer_supporter):
        assert plans.for_chat(person, int(chat.pk)) == (
            plans.share_state(person, int(chat.pk)),
            plans.shared_plans_for(person, int(chat.pk)),
        )
    state, shared = plans.for_chat(peer_supporter, int(chat.pk))
    assert shared == [share]
    assert not state.has_plan
    seat_reads = []
    original = chat_seats().seat

    def counted(user_id: int, conversation_id: int) -> Any:
        seat_reads.append(user_id)
        return original(user_id, conversation_id)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chat_seats(), "seat", counted)
        plans.for_chat(peer_supporter, int(chat.pk))
    assert seat_reads == [peer_supporter.pk]


# --- The person's data ------------------------------------------------------------------------


def test_the_plan_is_registered_for_export_and_deletion() -> None:
    registration = privacy.registry()["safety.safetyplan"]
    assert registration.erase.action == privacy.ErasureAction.DELETE
    assert not [
        ref for ref in privacy.uncovered_user_references() if ref.startswith("safety.Safety")
    ]


def test_the_export_holds_the_plan_and_where_it_was_shared(
    member: User, other_member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    plans.share_plan(member, int(chat.pk))
    plans.save_plan(other_member, {"warning_signs": "someone else's words"})
    records = privacy.build_export(member)["sections"]["safety.safetyplan"]["records"]
    assert len(records) == 1
    record = records[0]
    assert record["coping_strategies"] == [SECRET]
    assert record["reasons_for_living"] == [REASON]
    assert record["warning_signs"] == []
    assert record["version"] == 1
    assert [share["conversation"] for share in record["shared_in_chats"]] == [chat.pk]
    assert "someone else's words" not in repr(records)
    assert privacy.build_export(other_member)["sections"]["safety.safetyplan"]["records"][0][
        "warning_signs"
    ] == ["someone else's words"]


def test_the_export_of_someone_without_a_plan_is_empty(member: User) -> None:
    assert privacy.build_export(member)["sections"]["safety.safetyplan"]["records"] == []


def test_erasing_the_account_deletes_the_plan_and_its_shares(
    member: User, other_member: User, plan: SafetyPlan, chat: Conversation
) -> None:
    plans.share_plan(member, int(chat.pk))
    kept = plans.save_plan(other_member, {"warning_signs": "stays"})
    privacy.erase_account(member)
    assert list(SafetyPlan.objects.all()) == [kept]
    assert not PlanShare.objects.exists()
