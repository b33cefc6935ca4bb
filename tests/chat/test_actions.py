"""Writes to conversations: sending, notices, reading, ending, joining and leaving."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from pytest_django import DjangoCaptureOnCommitCallbacks

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.chat import actions
from peerlight.chat.masking import MARKER
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.safety.detector import Assessment
from tests.chat.conftest import Drain
from tests.conftest import make_user

Capture = DjangoCaptureOnCommitCallbacks


def state(chat: Conversation) -> tuple[int, int]:
    chat.refresh_from_db()
    return chat.last_seq, Message.objects.filter(conversation=chat).count()


# --- Sending ------------------------------------------------------------------


def test_a_message_is_saved_with_the_next_seq(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    first = actions.send_message(member, chat, "  hello  ", "a1")
    second = actions.send_message(peer_supporter, chat, "hi there", "b1")
    assert first.created
    assert second.created
    assert (first.message.seq, second.message.seq) == (1, 2)
    assert first.message.body == "hello"
    assert Message.objects.get(pk=first.message.pk).sender == member


def test_a_retry_with_the_same_client_id_returns_the_same_message(
    chat: Conversation, member: User
) -> None:
    first = actions.send_message(member, chat, "hello", "retry-1")
    again = actions.send_message(member, chat, "hello", "retry-1")
    assert not again.created
    assert again.message.pk == first.message.pk
    assert again.message.seq == first.message.seq
    assert state(chat) == (1, 1)


def test_a_lost_race_on_the_client_id_returns_the_winner(
    chat: Conversation, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique constraint is the last guard: a duplicate insert returns the saved message."""
    winner = actions.send_message(member, chat, "hello", "race-1")
    # As if the first look-up ran before the other request committed.
    real = actions._existing
    calls = []

    def late_existing(*args: Any) -> actions.SentMessage | None:
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(actions, "_existing", late_existing)
    again = actions.send_message(member, chat, "hello", "race-1")
    assert not again.created
    assert again.message.pk == winner.message.pk
    assert Message.objects.filter(conversation=chat).count() == 1
    # The failed insert gave its seq back with its savepoint.
    chat.refresh_from_db()
    assert chat.last_seq == 1


def test_someone_elses_client_id_is_refused(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    actions.send_message(member, chat, "hello", "mine-1")
    with pytest.raises(actions.ChatError):
        actions.send_message(peer_supporter, chat, "hello", "mine-1")


def test_seqs_are_strictly_increasing_without_gaps(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    for number in range(60):
        sender = member if number % 3 else peer_supporter
        actions.send_message(sender, chat, f"message {number}", f"c{number}")
    actions.post_notice(chat, "paused")
    seqs = list(
        Message.objects.filter(conversation=chat).order_by("id").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, 62))
    chat.refresh_from_db()
    assert chat.last_seq == 61


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_distinct_seqs(member: User, peer_supporter: User) -> None:
    chat = actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
    )
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("an in-memory SQLite database is not shared between threads")
    errors: list[BaseException] = []

    def send_many(sender: User, prefix: str) -> None:
        try:
            for number in range(15):
                actions.send_message(sender, chat, "hi", f"{prefix}{number}")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send_many, args=(member, "m")),
        threading.Thread(target=send_many, args=(peer_supporter, "p")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    seqs = sorted(Message.objects.filter(conversation=chat).values_list("seq", flat=True))
    assert seqs == list(range(1, 31))


@pytest.mark.parametrize(
    ("body", "client_id"),
    [
        ("", "ok-1"),
        ("   \n ", "ok-1"),
        ("x" * (actions.MAX_BODY + 1), "ok-1"),
        ("hello", ""),
        ("hello", "x" * 65),
        ("hello", "has space"),
        ("hello", "ünïcode"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    chat: Conversation, member: User, body: str, client_id: str
) -> None:
    with pytest.raises(actions.ChatError) as refused:
        actions.send_message(member, chat, body, client_id)
    assert refused.value.message
    assert state(chat) == (0, 0)


def test_a_body_of_exactly_the_limit_is_accepted(chat: Conversation, member: User) -> None:
    sent = actions.send_message(member, chat, "x" * actions.MAX_BODY, "long")
    assert len(sent.message.body) == actions.MAX_BODY


def test_a_stranger_cannot_send(chat: Conversation, other_member: User) -> None:
    with pytest.raises(actions.ChatError):
        actions.send_message(other_member, chat, "hello", "s1")
    assert state(chat) == (0, 0)


@pytest.mark.parametrize("change", ["left", "removed", "muted", "inactive"])
def test_a_participant_who_may_not_send_is_refused(
    chat: Conversation, member: User, change: str
) -> None:
    participant = Participant.objects.get(conversation=chat, user=member)
    if change == "left":
        actions.leave_conversation(member, chat)
    elif change == "removed":
        Participant.objects.filter(pk=participant.pk).update(is_removed=True)
    elif change == "muted":
        Participant.objects.filter(pk=participant.pk).update(is_muted=True)
    else:
        User.objects.filter(pk=member.pk).update(is_active=False)
        member.refresh_from_db()
    before = state(chat)
    with pytest.raises(actions.ChatError):
        actions.send_message(member, chat, "hello", "r1")
    assert state(chat) == before


def test_an_ended_or_paused_chat_refuses_messages(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    Conversation.objects.filter(pk=chat.pk).update(is_paused=True)
    with pytest.raises(actions.ChatError):
        actions.send_message(member, chat, "hello", "p1")
    Conversation.objects.filter(pk=chat.pk).update(is_paused=False)
    actions.end_conversation(peer_supporter, chat)
    before = state(chat)
    with pytest.raises(actions.ChatError):
        actions.send_message(member, chat, "hello", "p2")
    assert state(chat) == before


def test_the_body_is_encrypted_at_rest(chat: Conversation, member: User) -> None:
    sent = actions.send_message(member, chat, "a very private sentence", "enc-1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM chat_message WHERE id = %s", [sent.message.pk])
        (raw,) = cursor.fetchone()
    assert "private" not in raw
    assert raw.startswith("pl1:")
    assert Message.objects.get(pk=sent.message.pk).body == "a very private sentence"


def test_contact_details_are_masked_and_reported(chat: Conversation, member: User) -> None:
    sent = actions.send_message(member, chat, "call me on 555 123 4567 or a@b.org", "mask-1")
    assert sent.masked == ("email", "phone")
    stored = Message.objects.get(pk=sent.message.pk)
    assert "555" not in stored.body
    assert MARKER in stored.body
    assert stored.masked == ["email", "phone"]


def test_crisis_numbers_stay_readable(chat: Conversation, member: User) -> None:
    sent = actions.send_message(member, chat, "please text 988 or HOME to 741741", "crisis-1")
    assert sent.masked == ()
    assert sent.message.body == "please text 988 or HOME to 741741"


def test_the_safety_hook_sees_the_masked_text_and_its_verdict_is_kept(
    chat: Conversation, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []

    def assess(text: str, **kwargs: Any) -> Assessment:
        seen.append({"text": text, **kwargs})
        return Assessment(level="concern", reasons=("hopelessness",))

    monkeypatch.setattr("peerlight.safety.assess_message", assess)
    sent = actions.send_message(member, chat, "I feel hopeless, call 555 123 4567", "s-1")
    earlier = [call.pop("earlier") for call in seen]
    assert seen == [
        {
            "text": f"I feel hopeless, call {MARKER}",
            "language": member.language,
            "source": "chat.conversation",
            "source_id": chat.pk,
            "author_id": member.pk,
            "earlier_risk": False,
        }
    ]
    # The loader of the sender's messages here (called now, after the send,
    # it finds this one, stored masked).
    assert earlier[0]() == [f"I feel hopeless, call {MARKER}"]
    assert sent.risk_level == "concern"
    stored = Message.objects.get(pk=sent.message.pk)
    assert (stored.risk_level, stored.risk_reasons) == ("concern", ["hopelessness"])


def test_a_retry_does_not_pass_the_safety_hook_again(
    chat: Conversation, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    actions.send_message(member, chat, "hello", "once")
    monkeypatch.setattr(
        "peerlight.safety.assess_message", lambda *a, **k: pytest.fail("assessed twice")
    )
    assert not actions.send_message(member, chat, "hello", "once").created


def test_the_senders_own_message_counts_as_read(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    actions.send_message(member, chat, "hello", "r-1")
    mine = Participant.objects.get(conversation=chat, user=member)
    theirs = Participant.objects.get(conversation=chat, user=peer_supporter)
    assert (mine.last_read_seq, theirs.last_read_seq) == (1, 0)


def test_sending_too_fast_is_refused(
    chat: Conversation, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peerlight.chat import limits
    from peerlight.lib.ratelimit import Policy

    monkeypatch.setattr(limits, "SEND", Policy("chat-send-test", limit=2, period=60))
    actions.send_message(member, chat, "one", "f1")
    actions.send_message(member, chat, "two", "f2")
    with pytest.raises(actions.ChatError):
        actions.send_message(member, chat, "three", "f3")
    # A retry of a saved message is not a new message and is not counted.
    assert not actions.send_message(member, chat, "two", "f2").created
    assert state(chat) == (2, 2)


# --- Events -------------------------------------------------------------------


def test_the_message_event_is_sent_only_after_commit(
    chat: Conversation,
    member: User,
    heard: Drain,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.send_message(member, chat, "secret words", "e-1")
    assert heard() == []
    for callback in callbacks:
        callback()
    events = heard()
    assert events == [{"type": "chat.message", "conversation": chat.pk, "seq": 1}]
    assert "secret" not in repr(events)


def test_the_message_event_names_the_sending_socket_when_given(
    chat: Conversation,
    member: User,
    heard: Drain,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_message(member, chat, "secret words", "e-9", origin="specific.abc!1")
    assert heard() == [
        {"type": "chat.message", "conversation": chat.pk, "seq": 1, "origin": "specific.abc!1"}
    ]


def test_a_refused_message_sends_no_event(
    chat: Conversation,
    other_member: User,
    heard: Drain,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(actions.ChatError):
        actions.send_message(other_member, chat, "hello", "e-2")
    assert heard() == []


def test_a_retry_sends_no_second_event(
    chat: Conversation, member: User, heard: Drain, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_message(member, chat, "hello", "e-3")
        actions.send_message(member, chat, "hello", "e-3")
    assert len(heard()) == 1


def test_typing_is_sent_at_once_and_saves_nothing(
    chat: Conversation, member: User, heard: Drain
) -> None:
    actions.notify_typing(member, chat)
    assert heard() == [{"type": "chat.typing", "conversation": chat.pk, "user": member.pk}]
    assert state(chat) == (0, 0)


def test_ending_posts_a_notice_and_tells_the_group(
    chat: Conversation,
    peer_supporter: User,
    heard: Drain,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.end_conversation(peer_supporter, chat)
        assert not actions.end_conversation(peer_supporter, chat)
    chat.refresh_from_db()
    assert chat.is_ended
    assert chat.ended_by == peer_supporter
    notice = Message.objects.get(conversation=chat)
    assert (notice.kind, notice.body, notice.sender) == (Message.Kind.SYSTEM, "ended", None)
    assert heard() == [
        {"type": "chat.message", "conversation": chat.pk, "seq": 1},
        {"type": "chat.ended", "conversation": chat.pk},
    ]
    assert (
        AuditEntry.objects.filter(verb="chat.conversation.end", target_id=str(chat.pk)).count()
        == 1
    )


def test_unknown_notices_are_refused(chat: Conversation) -> None:
    with pytest.raises(ValueError, match="Unknown notice"):
        actions.post_notice(chat, "anything")


# --- Reading ------------------------------------------------------------------


def test_mark_read_moves_forward_only_and_not_past_the_end(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    for number in range(3):
        actions.send_message(member, chat, "hi", f"m{number}")
    chat.refresh_from_db()
    actions.mark_read(peer_supporter, chat, 2)
    actions.mark_read(peer_supporter, chat, 1)
    assert Participant.objects.get(conversation=chat, user=peer_supporter).last_read_seq == 2
    actions.mark_read(peer_supporter, chat, 99)
    assert Participant.objects.get(conversation=chat, user=peer_supporter).last_read_seq == 3


# --- Who takes part -----------------------------------------------------------


def test_a_direct_chat_has_exactly_two_people(member: User) -> None:
    with pytest.raises(ValueError, match="exactly two"):
        actions.start_conversation(
            kind=Conversation.Kind.DIRECT, members=[(member, Participant.Role.MEMBER)]
        )


def test_joining_and_leaving_post_notices_and_are_audited(member: User) -> None:
    facilitator = make_user("Robin")
    room = actions.start_conversation(
        kind=Conversation.Kind.GROUP,
        members=[(facilitator, Participant.Role.FACILITATOR)],
        title="Tuesday circle",
    )
    actions.add_participant(room, member, Participant.Role.PARTICIPANT)
    actions.add_participant(room, member, Participant.Role.PARTICIPANT)  # already in: no change
    assert actions.leave_conversation(member, room)
    assert not actions.leave_conversation(member, room)
    actions.add_participant(room, member, Participant.Role.PARTICIPANT)
    notices = list(
        Message.objects.filter(conversation=room).order_by("seq").values_list("body", flat=True)
    )
    assert notices == ["joined", "left", "joined"]
    verbs = list(
        AuditEntry.objects.filter(verb__startswith="chat.participant").values_list(
            "verb", flat=True
        )
    )
    assert verbs == ["chat.participant.add", "chat.participant.leave", "chat.participant.add"]


def test_a_removed_participant_cannot_be_added_back(chat: Conversation, member: User) -> None:
    Participant.objects.filter(conversation=chat, user=member).update(is_removed=True)
    with pytest.raises(actions.ChatError):
        actions.add_participant(chat, member, Participant.Role.MEMBER)


# --- Report and block ---------------------------------------------------------


def test_report_and_block_reports_blocks_and_ends_a_direct_chat(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    from peerlight.safety.access import is_blocked_between
    from peerlight.safety.models import Report

    made = actions.report_and_block(member, chat, reason="contact", details="asked for my number")
    assert (made.reporter, made.reported, made.source, made.source_id) == (
        member,
        peer_supporter,
        "chat.conversation",
        chat.pk,
    )
    assert Report.objects.get(pk=made.pk).details == "asked for my number"
    assert is_blocked_between(member.pk, peer_supporter.pk)
    chat.refresh_from_db()
    assert chat.is_ended
    assert chat.ended_by == member
    assert AuditEntry.objects.filter(verb="chat.conversation.report").count() == 1


def test_report_without_block_still_ends_the_chat(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    from peerlight.safety.access import is_blocked_between

    actions.report_and_block(member, chat, reason="other", block=False)
    assert not is_blocked_between(member.pk, peer_supporter.pk)
    chat.refresh_from_db()
    assert chat.is_ended


def test_a_report_in_a_group_names_nobody_and_ends_nothing(member: User) -> None:
    facilitator = make_user("Robin")
    room = actions.start_conversation(
        kind=Conversation.Kind.GROUP,
        members=[
            (facilitator, Participant.Role.FACILITATOR),
            (member, Participant.Role.PARTICIPANT),
        ],
    )
    made = actions.report_and_block(member, room, reason="harassment")
    assert made.reported is None
    room.refresh_from_db()
    assert not room.is_ended


@pytest.mark.parametrize(("reason", "details"), [("nonsense", ""), ("other", "x" * 2001)])
def test_a_bad_report_is_refused_and_nothing_changes(
    chat: Conversation, member: User, reason: str, details: str
) -> None:
    from peerlight.safety.models import Block, Report

    with pytest.raises(actions.ChatError):
        actions.report_and_block(member, chat, reason=reason, details=details)
    chat.refresh_from_db()
    assert not chat.is_ended
    assert not Report.objects.exists()
    assert not Block.objects.exists()


def test_a_stranger_cannot_report_from_a_chat(chat: Conversation, other_member: User) -> None:
    from peerlight.safety.models import Report

    with pytest.raises(actions.ChatError):
        actions.report_and_block(other_member, chat, reason="other")
    assert not Report.objects.exists()
