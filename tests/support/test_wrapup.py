"""The wrap-up actions: rating a chat, the peer's note, asking for the same peer again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.utils import timezone

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.audit.models import AuditAction, AuditEntry
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Participant
from peerlight.support import wrapup
from peerlight.support.models import ChatRating, PeerNote, SupportRequest

Status = SupportRequest.Status


def chat_request(member: User, peer: User, *, status: str = Status.ENDED) -> SupportRequest:
    """A request ``peer`` took, with its chat ended when ``status`` is ENDED."""
    now = timezone.now()
    conversation = chat_actions.start_conversation(
        kind="direct",
        members=[(member, Participant.Role.MEMBER), (peer, Participant.Role.SUPPORTER)],
    )
    if status == Status.ENDED:
        chat_actions.end_conversation(peer, conversation)
    return SupportRequest.objects.create(
        member=member,
        peer=peer,
        conversation=conversation,
        topics=["sleep", "worry_stress"],
        priorities=["anxiety"],
        language="en",
        preferences={"gender": "woman"},
        status=status,
        created_at=now - timedelta(minutes=30),
        connected_at=now - timedelta(minutes=29),
        closed_at=now if status == Status.ENDED else None,
    )


def entries(verb: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(verb=verb).order_by("id"))


@pytest.fixture
def ended(member: User, peer_supporter: User) -> SupportRequest:
    return chat_request(member, peer_supporter)


NOTE = {
    "talked_about": "Sleep, and the worry that comes at night.",
    "strengths": "You already keep a notebook by the bed; that takes care.",
    "resources": "The sleep circle on Thursdays.",
    "next_step": "Try the notebook before 11pm this week.",
}


# --- Rating -------------------------------------------------------------------


def test_the_member_rates_an_ended_chat(member: User, ended: SupportRequest) -> None:
    rating = wrapup.rate_chat(member, ended, 4, "  Kind and patient.  ")
    rating.refresh_from_db()
    assert (rating.felt_heard, rating.words) == (4, "Kind and patient.")
    [entry] = entries(wrapup.CHAT_RATED)
    assert (entry.actor_id, entry.subject_id) == (member.pk, member.pk)


@pytest.mark.parametrize("who", ["peer_supporter", "other_member"])
def test_only_the_member_may_rate(
    who: str, ended: SupportRequest, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(wrapup.WrapUpError):
        wrapup.rate_chat(request.getfixturevalue(who), ended, 5)
    assert not ChatRating.objects.exists()


def test_a_chat_still_going_cannot_be_rated(member: User, peer_supporter: User) -> None:
    going = chat_request(member, peer_supporter, status=Status.CONNECTED)
    with pytest.raises(wrapup.WrapUpError):
        wrapup.rate_chat(member, going, 5)
    assert not ChatRating.objects.exists()


def test_a_chat_ended_from_the_chat_side_can_be_rated(member: User, peer_supporter: User) -> None:
    going = chat_request(member, peer_supporter, status=Status.CONNECTED)
    assert going.conversation is not None
    chat_actions.end_conversation(member, going.conversation)
    going.refresh_from_db()
    assert wrapup.rate_chat(member, going, 3).felt_heard == 3


@pytest.mark.parametrize("score", [0, 6, -1, True, "4", 4.0])
def test_a_score_outside_one_to_five_is_refused(
    member: User, ended: SupportRequest, score: object
) -> None:
    with pytest.raises(wrapup.WrapUpError):
        wrapup.rate_chat(member, ended, score)  # type: ignore[arg-type]  # wrong types on purpose
    assert not ChatRating.objects.exists()


def test_words_over_the_limit_are_refused(member: User, ended: SupportRequest) -> None:
    with pytest.raises(wrapup.WrapUpError):
        wrapup.rate_chat(member, ended, 4, "x" * (wrapup.MAX_WORDS + 1))
    assert not ChatRating.objects.exists()
    assert wrapup.rate_chat(member, ended, 4, "x" * wrapup.MAX_WORDS).words


def test_a_second_answer_within_a_day_changes_the_one_rating(
    member: User, ended: SupportRequest
) -> None:
    first = wrapup.rate_chat(member, ended, 2, "Hard to say.")
    second = wrapup.rate_chat(member, ended, 4, "Thought about it: it helped.")
    assert first.pk == second.pk
    assert ChatRating.objects.count() == 1
    stored = ChatRating.objects.get()
    assert (stored.felt_heard, stored.words) == (4, "Thought about it: it helped.")
    # The window runs from the first answer: changing it does not extend it.
    assert stored.created_at == first.created_at


def test_after_a_day_the_rating_is_settled(member: User, ended: SupportRequest) -> None:
    wrapup.rate_chat(member, ended, 2)
    ChatRating.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    with pytest.raises(wrapup.WrapUpError):
        wrapup.rate_chat(member, ended, 5)
    assert ChatRating.objects.get().felt_heard == 2


def test_rating_words_are_encrypted_at_rest(member: User, ended: SupportRequest) -> None:
    rating = wrapup.rate_chat(member, ended, 5, "Felt like talking to a friend")
    with connection.cursor() as cursor:
        cursor.execute("SELECT words FROM support_chatrating WHERE id = %s", [rating.pk])
        (stored,) = cursor.fetchone()
    assert "friend" not in stored


# --- The peer's note ----------------------------------------------------------


def test_the_peer_writes_a_note_that_is_encrypted_at_rest(
    peer_supporter: User, member: User, ended: SupportRequest
) -> None:
    note = wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    assert note.author == peer_supporter
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT talked_about, strengths, resources, next_step FROM support_peernote "
            "WHERE id = %s",
            [note.pk],
        )
        stored = cursor.fetchone()
    for column, plain in zip(stored, NOTE.values(), strict=True):
        assert plain not in column
        assert "notebook" not in column
    assert PeerNote.objects.get().strengths == NOTE["strengths"]
    [entry] = entries(wrapup.NOTE_WRITTEN)
    assert (entry.actor_id, entry.subject_id, entry.action) == (
        peer_supporter.pk,
        member.pk,
        AuditAction.CHANGE,
    )


def test_the_peer_may_change_their_note(peer_supporter: User, ended: SupportRequest) -> None:
    first = wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    PeerNote.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    changed = wrapup.write_peer_note(peer_supporter, ended, **{**NOTE, "next_step": "Rest."})
    assert changed.pk == first.pk
    stored = PeerNote.objects.get()
    assert stored.next_step == "Rest."
    assert stored.updated_at > stored.created_at
    assert len(entries(wrapup.NOTE_CHANGED)) == 1


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_only_the_peer_may_write_the_note(
    who: str, ended: SupportRequest, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(wrapup.WrapUpError):
        wrapup.write_peer_note(request.getfixturevalue(who), ended, **NOTE)
    assert not PeerNote.objects.exists()


def test_another_peer_of_the_service_may_not_write_it(ended: SupportRequest) -> None:
    from tests.conftest import make_user

    someone = make_user("Ash", "peer_supporter")
    with pytest.raises(wrapup.WrapUpError):
        wrapup.write_peer_note(someone, ended, **NOTE)


def test_a_note_needs_a_started_chat(member: User, peer_supporter: User) -> None:
    never = SupportRequest.objects.create(member=member, peer=peer_supporter, language="en")
    with pytest.raises(wrapup.WrapUpError):
        wrapup.write_peer_note(peer_supporter, never, **NOTE)


def test_a_note_may_be_written_while_the_chat_goes_on(member: User, peer_supporter: User) -> None:
    going = chat_request(member, peer_supporter, status=Status.CONNECTED)
    assert wrapup.write_peer_note(peer_supporter, going, talked_about="Work.").pk


@pytest.mark.parametrize(
    "fields",
    [
        {"talked_about": "", "strengths": "  ", "resources": "", "next_step": ""},
        {**NOTE, "strengths": "x" * (wrapup.MAX_WORDS + 1)},
    ],
)
def test_an_empty_or_overlong_note_is_refused(
    peer_supporter: User, ended: SupportRequest, fields: dict[str, str]
) -> None:
    with pytest.raises(wrapup.WrapUpError):
        wrapup.write_peer_note(peer_supporter, ended, **fields)
    assert not PeerNote.objects.exists()
    assert not entries(wrapup.NOTE_WRITTEN)


def test_a_note_whose_author_left_is_not_changed_by_anyone(
    peer_supporter: User, ended: SupportRequest
) -> None:
    wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    PeerNote.objects.update(author=None)
    with pytest.raises(wrapup.WrapUpError):
        wrapup.write_peer_note(peer_supporter, ended, talked_about="Rewritten.")
    assert PeerNote.objects.get().talked_about == NOTE["talked_about"]


# --- Reading the note -----------------------------------------------------------


def test_the_member_reading_the_note_is_audited(
    member: User, peer_supporter: User, ended: SupportRequest
) -> None:
    note = wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    assert wrapup.read_note(member, ended.pk) == note
    [entry] = entries(wrapup.NOTE_READ)
    assert entry.action == AuditAction.READ
    assert (entry.actor_id, entry.subject_id) == (member.pk, member.pk)
    assert (entry.target_type, entry.target_id) == ("support.peernote", str(note.pk))


def test_nobody_else_reads_the_note_and_no_note_is_a_404(
    member: User, other_member: User, peer_supporter: User, ended: SupportRequest
) -> None:
    with pytest.raises(Http404):
        wrapup.read_note(member, ended.pk)
    wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    for stranger in (other_member, peer_supporter):
        with pytest.raises(Http404):
            wrapup.read_note(stranger, ended.pk)
    assert not entries(wrapup.NOTE_READ)


# --- The same peer again ----------------------------------------------------------


def test_a_member_who_felt_heard_asks_for_the_same_peer(
    member: User, ended: SupportRequest
) -> None:
    wrapup.rate_chat(member, ended, 5)
    again = wrapup.ask_for_same_peer(member, ended)
    assert again.pk != ended.pk
    assert again.wants_same_peer
    assert again.member == member
    assert (again.topics, again.priorities, again.language, again.preferences) == (
        ended.topics,
        ended.priorities,
        ended.language,
        ended.preferences,
    )
    assert again.status in SupportRequest.OPEN_STATUSES


def test_the_same_peer_needs_an_ended_chat_rated_well(
    member: User, peer_supporter: User, ended: SupportRequest
) -> None:
    with pytest.raises(wrapup.WrapUpError):
        wrapup.ask_for_same_peer(member, ended)  # not rated yet
    wrapup.rate_chat(member, ended, 3)
    with pytest.raises(wrapup.WrapUpError):
        wrapup.ask_for_same_peer(member, ended)
    assert SupportRequest.objects.count() == 1


def test_only_the_member_asks_for_the_same_peer(
    member: User, other_member: User, ended: SupportRequest
) -> None:
    wrapup.rate_chat(member, ended, 5)
    with pytest.raises(wrapup.WrapUpError):
        wrapup.ask_for_same_peer(other_member, ended)
    assert SupportRequest.objects.count() == 1


# --- Privacy ----------------------------------------------------------------------


def test_the_export_hands_the_member_their_note_and_the_peer_only_dates(
    member: User, peer_supporter: User, ended: SupportRequest
) -> None:
    wrapup.rate_chat(member, ended, 4, "Thank you")
    wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    mine = privacy.build_export(member)["sections"]
    assert mine["support.chatrating"]["records"][0]["words"] == "Thank you"
    assert (
        mine["support.peernote"]["records"]["notes_for_you"][0]["strengths"] == NOTE["strengths"]
    )
    theirs = privacy.build_export(peer_supporter)["sections"]
    written = theirs["support.peernote"]["records"]["notes_you_wrote"]
    assert [row["request"] for row in written] == [ended.pk]
    assert "strengths" not in written[0]
    assert theirs["support.chatrating"]["records"] == []


def test_erasing_the_peer_keeps_the_note_for_the_member_without_a_name(
    member: User, peer_supporter: User, ended: SupportRequest
) -> None:
    wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    policy = privacy.registry()["support.peernote"].erase
    assert policy.handler is not None
    policy.handler(peer_supporter)
    note = PeerNote.objects.get()
    assert note.author_id is None
    assert note.talked_about == NOTE["talked_about"]


def test_erasing_the_member_deletes_the_note_and_the_rating(
    member: User, peer_supporter: User, ended: SupportRequest
) -> None:
    wrapup.rate_chat(member, ended, 4)
    wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    policy = privacy.registry()["support.peernote"].erase
    assert policy.handler is not None
    policy.handler(member)
    assert not PeerNote.objects.exists()
    # Ratings go with the member's requests (support's own erasure deletes them).
    SupportRequest.objects.filter(member=member).delete()
    assert not ChatRating.objects.exists()
