"""Moderation actions, their reversal, send refusals and automatic grooming reports."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.lib.events import user_group
from peerlight.safety import actions, moderation
from peerlight.safety.access import register_source, source_choices, standing_of
from peerlight.safety.actions import SafetyError
from peerlight.safety.models import ModerationAction, Report
from tests.conftest import make_user

REASON = "Kept asking River for a phone number"
SOURCE = "chat.conversation"


def soon(hours: int = 2) -> datetime:
    return timezone.now() + timedelta(hours=hours)


def audit_texts() -> list[str]:
    return [entry.reason for entry in AuditEntry.objects.all()]


# --- Taking an action ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["note", "warn", "mute", "suspend", "ban"])
def test_each_kind_is_saved_encrypted_and_audited_without_the_reason(
    coordinator: User, peer_supporter: User, kind: str
) -> None:
    until = soon() if kind in ("mute", "suspend") else None
    action = moderation.take_action(coordinator, peer_supporter, kind, reason=REASON, until=until)
    action.refresh_from_db()
    assert action.kind == kind
    assert action.reason == REASON
    assert action.created_by == coordinator
    entry = AuditEntry.objects.get(verb=f"safety.moderation.{kind}")
    assert entry.actor_id == coordinator.pk
    assert entry.subject_id == peer_supporter.pk
    assert entry.target_id == str(action.pk)
    assert all("phone" not in text for text in audit_texts())


def test_an_action_from_a_report_names_it(
    coordinator: User, member: User, peer_supporter: User
) -> None:
    made = actions.report(member, peer_supporter, source=SOURCE, source_id=1, reason="contact")
    action = moderation.take_action(
        coordinator, peer_supporter, "warn", reason=REASON, report=made
    )
    assert action.report == made
    assert AuditEntry.objects.get(verb="safety.moderation.warn").reason == f"report:{made.pk}"


@pytest.mark.parametrize("persona", ["member", "peer_supporter", "researcher", "admin_user"])
def test_only_coordinators_act(
    persona: str, request: pytest.FixtureRequest, other_member: User
) -> None:
    person: User = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        moderation.take_action(person, other_member, "warn", reason=REASON)
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize(
    ("kind", "reason", "until", "message"),
    [
        ("shout", REASON, None, "choose an action"),
        ("", REASON, None, "choose an action"),
        ("warn", "   ", None, "write the reason"),
        ("warn", "x" * 2001, None, "under 2000"),
        ("suspend", REASON, None, "when the suspension ends"),
        ("suspend", REASON, timezone.now() - timedelta(minutes=1), "in the future"),
        ("mute", REASON, timezone.now() - timedelta(days=1), "in the future"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(
    coordinator: User, other_member: User, kind: str, reason: str, until: object, message: str
) -> None:
    with pytest.raises(SafetyError, match=message):
        moderation.take_action(coordinator, other_member, kind, reason=reason, until=until)  # type: ignore[arg-type]
    assert not ModerationAction.objects.exists()
    assert not AuditEntry.objects.filter(verb__startswith="safety.moderation").exists()


@pytest.mark.parametrize("persona", ["coordinator", "admin_user"])
def test_staff_are_never_moderated_here(persona: str, request: pytest.FixtureRequest) -> None:
    target: User = request.getfixturevalue(persona)
    acting = make_user("Another coordinator", "coordinator")
    with pytest.raises(SafetyError, match="cannot be moderated here"):
        moderation.take_action(acting, target, "ban", reason=REASON)
    assert not ModerationAction.objects.exists()


def test_a_report_about_someone_else_is_a_programming_error(
    coordinator: User, member: User, other_member: User, peer_supporter: User
) -> None:
    made = actions.report(member, peer_supporter, source=SOURCE, source_id=1, reason="spam")
    with pytest.raises(ValueError, match="someone else"):
        moderation.take_action(coordinator, other_member, "note", reason=REASON, report=made)


# --- Mute: chat refuses, then allows ------------------------------------------------------


def test_a_mute_refuses_sending_until_it_is_lifted(
    coordinator: User, peer_supporter: User
) -> None:
    assert moderation.send_refusal(peer_supporter) is None
    mute = moderation.take_action(coordinator, peer_supporter, "mute", reason=REASON)
    refusal = moderation.send_refusal(peer_supporter)
    assert refusal is not None
    assert "paused your messages for now" in refusal
    assert moderation.lift_action(coordinator, mute, reason="Talked it through")
    assert moderation.send_refusal(peer_supporter) is None
    entry = AuditEntry.objects.get(verb="safety.moderation.lift")
    assert entry.reason == "mute"
    assert entry.subject_id == peer_supporter.pk


def test_a_dated_mute_says_until_when_and_ends_on_time(
    coordinator: User, peer_supporter: User
) -> None:
    until = soon(3)
    moderation.take_action(coordinator, peer_supporter, "mute", reason=REASON, until=until)
    refusal = moderation.send_refusal(peer_supporter)
    assert refusal is not None
    assert "until" in refusal
    assert moderation.send_refusal(peer_supporter, now=until + timedelta(seconds=1)) is None


def test_suspended_and_banned_people_cannot_send(coordinator: User, member: User) -> None:
    ban = moderation.take_action(coordinator, member, "ban", reason=REASON)
    assert "paused" in (moderation.send_refusal(member) or "")
    moderation.lift_action(coordinator, ban, reason="Appeal upheld")
    assert moderation.send_refusal(member) is None


@pytest.mark.parametrize(
    ("kind", "until", "closes_sockets"),
    [("suspend", timedelta(days=1), True), ("ban", None, True), ("mute", None, False)],
)
def test_a_suspension_or_ban_closes_the_persons_open_chat_sockets(
    coordinator: User,
    member: User,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    until: timedelta | None,
    closes_sockets: bool,
) -> None:
    sent: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(
        moderation, "send_on_commit", lambda groups, event: sent.append((groups, event))
    )
    ends = timezone.now() + until if until else None
    moderation.take_action(coordinator, member, kind, reason=REASON, until=ends)
    expected = [([user_group(int(member.pk))], {"type": "user.disconnect"})]
    assert sent == (expected if closes_sockets else [])


def test_notes_and_warnings_do_not_stop_sending(coordinator: User, member: User) -> None:
    moderation.take_action(coordinator, member, "note", reason=REASON)
    moderation.take_action(coordinator, member, "warn", reason=REASON)
    assert moderation.send_refusal(member) is None


# --- Lifting ------------------------------------------------------------------------------


def test_lifting_twice_changes_nothing(coordinator: User, member: User) -> None:
    action = moderation.take_action(coordinator, member, "mute", reason=REASON)
    assert moderation.lift_action(coordinator, action, reason="ok")
    lifted_at = ModerationAction.objects.get().lifted_at
    assert not moderation.lift_action(coordinator, action, reason="again")
    assert ModerationAction.objects.get().lifted_at == lifted_at
    assert AuditEntry.objects.filter(verb="safety.moderation.lift").count() == 1


def test_lifting_needs_a_reason_and_a_coordinator(
    coordinator: User, member: User, peer_supporter: User
) -> None:
    action = moderation.take_action(coordinator, member, "mute", reason=REASON)
    with pytest.raises(SafetyError, match="write the reason"):
        moderation.lift_action(coordinator, action, reason=" ")
    with pytest.raises(PermissionDenied):
        moderation.lift_action(peer_supporter, action, reason="because")
    action.refresh_from_db()
    assert action.lifted_at is None
    assert moderation.send_refusal(member) is not None


def test_a_lifted_warning_is_never_shown(coordinator: User, member: User) -> None:
    warning = moderation.take_action(coordinator, member, "warn", reason=REASON)
    moderation.lift_action(coordinator, warning, reason="Wrong person")
    assert standing_of(int(member.pk)) == (None, None)


def test_a_warning_is_marked_seen_once(
    coordinator: User, member: User, other_member: User
) -> None:
    warning = moderation.take_action(coordinator, member, "warn", reason=REASON)
    assert not moderation.mark_warning_seen(other_member, warning)
    assert moderation.mark_warning_seen(member, warning)
    assert not moderation.mark_warning_seen(member, warning)
    assert AuditEntry.objects.filter(verb="safety.moderation.warning_seen").count() == 1


# --- Closing a report records what was done -----------------------------------------------


def test_closing_records_the_most_severe_action_kept(
    coordinator: User, member: User, peer_supporter: User
) -> None:
    made = actions.report(member, peer_supporter, source=SOURCE, source_id=1, reason="contact")
    moderation.take_action(coordinator, peer_supporter, "warn", reason=REASON, report=made)
    mute = moderation.take_action(coordinator, peer_supporter, "mute", reason=REASON, report=made)
    assert actions.outcome_of_actions(made) == "mute"
    moderation.lift_action(coordinator, mute, reason="ok")
    assert actions.close_report(coordinator, made)
    made.refresh_from_db()
    assert made.outcome == "warn"
    assert AuditEntry.objects.get(verb="safety.report.close").reason == "warn"


def test_closing_with_a_chosen_outcome_and_refusing_an_unknown_one(
    coordinator: User, member: User, peer_supporter: User
) -> None:
    made = actions.report(member, peer_supporter, source=SOURCE, source_id=1, reason="spam")
    with pytest.raises(SafetyError):
        actions.close_report(coordinator, made, outcome="explode")
    made.refresh_from_db()
    assert made.status == Report.Status.OPEN
    assert actions.close_report(coordinator, made, outcome="none")
    made.refresh_from_db()
    assert made.outcome == "none"


# --- Sources ------------------------------------------------------------------------------


def test_a_registered_source_names_and_links_its_reports(
    monkeypatch: pytest.MonkeyPatch, member: User
) -> None:
    from peerlight.safety import access

    monkeypatch.setattr(access, "_sources", {})
    register_source(
        "stories.story",
        lambda pk: ("A story" if pk is None else f"Story {pk}", "" if pk is None else f"/s/{pk}"),
    )
    assert access.describe_source("stories.story", 7) == ("Story 7", "/s/7")
    assert access.describe_source("circles.circle", 3).text == "circles.circle 3"
    actions.report(member, None, source="circles.circle", source_id=3, reason="spam")
    assert source_choices() == [("stories.story", "A story"), ("circles.circle", "circles.circle")]


# --- Grooming screening -------------------------------------------------------------------


def screen(text: str, author: User, *recipients: User, source_id: int = 42) -> Report | None:
    return moderation.screen_for_grooming(
        text,
        author_id=int(author.pk),
        source=SOURCE,
        source_id=source_id,
        recipient_ids=[int(person.pk) for person in recipients],
    )


def test_a_peer_asking_a_member_raises_one_automatic_report(
    peer_supporter: User, member: User
) -> None:
    made = screen("how old are you?", peer_supporter, member, peer_supporter)
    assert made is not None
    made.refresh_from_db()
    assert made.is_automatic
    assert made.reporter is None
    assert made.reported == peer_supporter
    assert made.reason == Report.Reason.GROOMING
    assert made.reason_codes == ["age"]
    assert made.details == ""
    assert made.hits == 1
    entry = AuditEntry.objects.get(verb="safety.report.automatic")
    assert entry.reason == "age"
    assert entry.subject_id == peer_supporter.pk

    again = screen("whats ur snap? dont tell anyone", peer_supporter, member)
    assert again is not None
    assert again.pk == made.pk
    made.refresh_from_db()
    assert made.hits == 2
    assert made.reason_codes == ["contact", "age", "secrecy"]
    assert Report.objects.count() == 1
    assert AuditEntry.objects.filter(verb="safety.report.automatic").count() == 1


def test_a_new_report_once_the_last_one_is_closed(
    coordinator: User, peer_supporter: User, member: User
) -> None:
    first = screen("how old are you", peer_supporter, member)
    assert first is not None
    actions.close_report(coordinator, first)
    second = screen("how old are you", peer_supporter, member)
    assert second is not None
    assert second.pk != first.pk
    assert screen("how old are you", peer_supporter, member, source_id=43) is not None
    assert Report.objects.count() == 3


def test_nothing_is_raised_for_ordinary_words(peer_supporter: User, member: User) -> None:
    assert screen("you can call the crisis line at 988", peer_supporter, member) is None
    assert not Report.objects.exists()


def test_a_member_writing_the_same_to_a_peer_raises_nothing(
    peer_supporter: User, member: User
) -> None:
    assert screen("how old are you? whats your number", member, peer_supporter) is None
    assert not Report.objects.exists()


def test_a_peer_writing_to_staff_or_peers_raises_nothing(
    peer_supporter: User, coordinator: User
) -> None:
    other_peer = make_user("Robin", "peer_supporter")
    assert screen("whats your number", peer_supporter, coordinator, other_peer) is None
    assert screen("whats your number", peer_supporter) is None
    assert not Report.objects.exists()
