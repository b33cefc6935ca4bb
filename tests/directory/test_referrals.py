"""Referrals: sharing into a chat, the follow-up question, answers, e-mail, export and erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.audit.models import AuditEntry
from peerlight.chat import actions as chat_actions
from peerlight.chat.cards import card_from_body
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.directory import referrals
from peerlight.directory.models import Organization, Phone, Referral, Service
from tests.conftest import make_user
from tests.directory.factories import make_organization, make_service

Outcome = Referral.Outcome


@pytest.fixture
def chat(member: User, peer_supporter: User) -> Conversation:
    return chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
    )


@pytest.fixture
def service(db: None) -> Service:
    return make_service("Harbor Warmline", index=False)


def referral_for(
    member: User, service: Service, *, due_days_ago: float = 1, **fields: Any
) -> Referral:
    """A referral whose follow-up date lies ``due_days_ago`` in the past (negative: future)."""
    return Referral.objects.create(
        service=service,
        member=member,
        follow_up_at=timezone.now() - timedelta(days=due_days_ago),
        **fields,
    )


# --- Who may share ---------------------------------------------------------------------


def test_the_peer_in_an_open_chat_may_share(chat: Conversation, peer_supporter: User) -> None:
    assert referrals.share_seat(peer_supporter, chat.pk) == chat


def test_the_member_and_a_stranger_get_a_404(
    chat: Conversation, member: User, other_member: User
) -> None:
    for person in (member, other_member):
        with pytest.raises(Http404):
            referrals.share_seat(person, chat.pk)
    with pytest.raises(Http404):
        referrals.share_seat(member, 999_999)


def test_a_peer_who_left_or_an_ended_chat_gets_a_404(
    chat: Conversation, peer_supporter: User
) -> None:
    chat_actions.end_conversation(peer_supporter, chat)
    with pytest.raises(Http404):
        referrals.share_seat(peer_supporter, chat.pk)
    other = chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[
            (make_user("Robin"), Participant.Role.MEMBER),
            (peer_supporter, Participant.Role.SUPPORTER),
        ],
    )
    chat_actions.leave_conversation(peer_supporter, other)
    with pytest.raises(Http404):
        referrals.share_seat(peer_supporter, other.pk)


def test_a_supporter_seat_without_the_peer_supporter_role_gets_a_404(
    chat: Conversation, peer_supporter: User
) -> None:
    RoleGrant.objects.filter(user=peer_supporter, role=Role.PEER_SUPPORTER).update(
        revoked_at=timezone.now()
    )
    fresh = User.objects.get(pk=peer_supporter.pk)
    with pytest.raises(Http404):
        referrals.share_seat(fresh, chat.pk)


def test_only_active_services_can_be_shared(service: Service) -> None:
    assert referrals.shareable_service(service.id) == service
    Service.objects.filter(pk=service.pk).update(status=Service.Status.DEFUNCT)
    assert referrals.shareable_service(service.id) is None


# --- Sharing -------------------------------------------------------------------------------


def test_sharing_posts_a_card_and_makes_a_referral_with_its_follow_up(
    chat: Conversation,
    member: User,
    peer_supporter: User,
    service: Service,
    settings: SettingsWrapper,
) -> None:
    settings.PEERLIGHT_REFERRAL_FOLLOW_UP_DAYS = 7
    before = timezone.now()
    shared = referrals.share_service(peer_supporter, chat, service)
    after = timezone.now()
    assert shared == referrals.Shared(card_posted=True, referrals_made=1)
    message = Message.objects.get(conversation=chat, kind=Message.Kind.CARD)
    card = card_from_body(message.body)
    assert card is not None
    assert card.title == "Harbor Warmline"
    assert card.lines == ("Harbor Peer Network", "555-0100")
    assert card.url == f"/directory/services/{service.id}/"
    assert message.sender_id == peer_supporter.pk
    referral = Referral.objects.get()
    assert (referral.member, referral.referred_by, referral.service) == (
        member,
        peer_supporter,
        service,
    )
    assert referral.conversation_id == chat.pk
    assert before + timedelta(days=7) <= referral.follow_up_at <= after + timedelta(days=7)
    assert (referral.outcome, referral.outcome_at, referral.asked_at) == ("", None, None)
    entry = AuditEntry.objects.get(verb="directory.referral.create")
    assert (entry.actor_id, entry.subject_id, entry.target_id) == (
        peer_supporter.pk,
        member.pk,
        str(referral.pk),
    )


def test_sharing_twice_adds_nothing(
    chat: Conversation, peer_supporter: User, service: Service
) -> None:
    referrals.share_service(peer_supporter, chat, service)
    again = referrals.share_service(peer_supporter, chat, service)
    assert again == referrals.Shared(card_posted=False, referrals_made=0)
    assert Message.objects.filter(conversation=chat, kind=Message.Kind.CARD).count() == 1
    assert Referral.objects.count() == 1
    assert AuditEntry.objects.filter(verb="directory.referral.create").count() == 1


def test_in_a_group_each_member_present_gets_one_referral(
    member: User, other_member: User, peer_supporter: User, service: Service
) -> None:
    gone = make_user("Ash")
    group = chat_actions.start_conversation(
        kind=Conversation.Kind.GROUP,
        members=[
            (member, Participant.Role.PARTICIPANT),
            (other_member, Participant.Role.MEMBER),
            (gone, Participant.Role.PARTICIPANT),
            (peer_supporter, Participant.Role.FACILITATOR),
        ],
    )
    chat_actions.leave_conversation(gone, group)
    shared = referrals.share_service(peer_supporter, group, service)
    assert shared.referrals_made == 2
    assert set(Referral.objects.values_list("member_id", flat=True)) == {
        member.pk,
        other_member.pk,
    }


def test_a_paused_chat_refuses_and_nothing_is_saved(
    chat: Conversation, peer_supporter: User, service: Service
) -> None:
    Conversation.objects.filter(pk=chat.pk).update(is_paused=True)
    with pytest.raises(referrals.ReferralError):
        referrals.share_service(peer_supporter, chat, service)
    assert not Referral.objects.exists()
    assert not Message.objects.filter(kind=Message.Kind.CARD).exists()
    assert not AuditEntry.objects.filter(verb="directory.referral.create").exists()


def test_the_card_takes_the_organisations_phone_when_the_service_has_none(
    chat: Conversation, peer_supporter: User
) -> None:
    organization = make_organization("Quiet Harbor")
    Phone.objects.create(organization=organization, number="555-0199", extension=12)
    service = make_service("Evening Group", organization=organization, phones=(), index=False)
    card = referrals.service_card(service)
    assert card.lines == ("Quiet Harbor", "555-0199, extension 12")


def test_a_card_without_organisation_or_phone_has_just_its_title(db: None) -> None:
    service = Service.objects.create(name="x" * 300)
    card = referrals.service_card(service)
    assert len(card.title) == 200
    assert card.lines == ()
    assert Organization.objects.count() == 0


def test_the_follow_up_e_mail_is_queued_for_the_follow_up_date(
    chat: Conversation,
    peer_supporter: User,
    service: Service,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        referrals.share_service(peer_supporter, chat, service)
    task = DBTaskResult.objects.get(task_path="peerlight.directory.referrals.ask_by_email")
    referral = Referral.objects.get()
    assert task.run_after == referral.follow_up_at
    assert task.args_kwargs["args"] == [referral.pk]


# --- The question --------------------------------------------------------------------


def test_the_longest_due_open_question_comes_first(member: User, service: Service) -> None:
    later = make_service("Second Service", index=False)
    referral_for(member, later, due_days_ago=1)
    first = referral_for(member, service, due_days_ago=2)
    assert referrals.next_question(member) == referrals.Question(first.pk, "Harbor Warmline")


@pytest.mark.parametrize(
    "fields",
    [
        {"due_days_ago": -1},
        {"due_days_ago": 31},
        {"outcome": Outcome.CONNECTED, "outcome_at": timezone.now()},
        {"outcome_at": timezone.now()},
    ],
    ids=["not-yet-due", "asked-long-enough", "answered", "stopped"],
)
def test_no_question_when_nothing_is_open_and_due(
    member: User, service: Service, fields: dict[str, Any]
) -> None:
    referral_for(member, service, **fields)
    assert referrals.next_question(member) is None


def test_someone_elses_question_is_not_mine(
    member: User, other_member: User, service: Service
) -> None:
    referral_for(other_member, service)
    assert referrals.next_question(member) is None


def test_the_question_is_one_query(member: User, service: Service) -> None:
    referral_for(member, service)
    with CaptureQueriesContext(connection) as queries:
        referrals.next_question(member)
    assert len(queries) == 1


# --- Answers -------------------------------------------------------------------------


def test_an_outcome_is_kept_and_audited(member: User, service: Service) -> None:
    referral = referral_for(member, service)
    referrals.answer_referral(member, referral, Outcome.UNREACHABLE)
    referral.refresh_from_db()
    assert referral.outcome == Outcome.UNREACHABLE
    assert referral.outcome_at is not None
    entry = AuditEntry.objects.get(verb="directory.referral.answer")
    assert (entry.actor_id, entry.subject_id) == (member.pk, member.pk)


def test_an_outcome_may_be_changed_later(member: User, service: Service) -> None:
    referral = referral_for(
        member, service, outcome=Outcome.WAITING_LIST, outcome_at=timezone.now()
    )
    referrals.answer_referral(member, referral, Outcome.CONNECTED)
    referral.refresh_from_db()
    assert referral.outcome == Outcome.CONNECTED


def test_later_asks_again_in_three_days(member: User, service: Service) -> None:
    referral = referral_for(member, service)
    before = timezone.now()
    referrals.answer_referral(member, referral, referrals.LATER)
    referral.refresh_from_db()
    assert referral.follow_up_at >= before + referrals.ASK_AGAIN_AFTER
    assert (referral.outcome, referral.outcome_at) == ("", None)
    assert referrals.next_question(member) is None


def test_dont_ask_again_stops_without_an_outcome(member: User, service: Service) -> None:
    referral = referral_for(member, service)
    referrals.answer_referral(member, referral, referrals.STOP)
    referral.refresh_from_db()
    assert referral.outcome == ""
    assert referral.outcome_at is not None
    assert referrals.next_question(member) is None
    assert AuditEntry.objects.filter(verb="directory.referral.stop").exists()


@pytest.mark.parametrize("answer", ["", "maybe", "CONNECTED"])
def test_an_unknown_answer_changes_nothing(member: User, service: Service, answer: str) -> None:
    referral = referral_for(member, service)
    with pytest.raises(referrals.ReferralError):
        referrals.answer_referral(member, referral, answer)
    referral.refresh_from_db()
    assert (referral.outcome, referral.outcome_at) == ("", None)


def test_later_is_refused_once_an_outcome_is_given(member: User, service: Service) -> None:
    referral = referral_for(member, service, outcome=Outcome.CONNECTED, outcome_at=timezone.now())
    for answer in (referrals.LATER, referrals.STOP):
        with pytest.raises(referrals.ReferralError):
            referrals.answer_referral(member, referral, answer)
    referral.refresh_from_db()
    assert referral.outcome == Outcome.CONNECTED


def test_nobody_answers_for_someone_else(
    member: User, other_member: User, service: Service
) -> None:
    referral = referral_for(member, service)
    with pytest.raises(Http404):
        referrals.referral_for_member(other_member, referral.pk)
    with pytest.raises(Http404):
        referrals.answer_referral(other_member, referral, Outcome.CONNECTED)
    referral.refresh_from_db()
    assert referral.outcome == ""


def test_the_members_list_puts_open_questions_first(member: User, service: Service) -> None:
    answered = referral_for(
        member, service, due_days_ago=5, outcome=Outcome.CONNECTED, outcome_at=timezone.now()
    )
    open_one = referral_for(member, make_service("Later", index=False), due_days_ago=1)
    assert referrals.referrals_of(member) == [open_one, answered]


# --- E-mail --------------------------------------------------------------------------


def test_a_due_question_is_e_mailed_once_without_naming_the_service(
    member: User, service: Service
) -> None:
    referral = referral_for(member, service)
    second = referral_for(member, make_service("Second Service", index=False))
    assert referrals.ask_by_email.call(referral.pk) is True
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["river@example.org"]
    assert "/directory/referrals/" in sent.body
    assert "Harbor" not in f"{sent.subject} {sent.body}"
    # Every question due now was covered by that one e-mail.
    assert referrals.ask_by_email.call(second.pk) is False
    assert referrals.ask_by_email.call(referral.pk) is False
    assert len(mail.outbox) == 1
    assert Referral.objects.filter(asked_at__isnull=False).count() == 2


def test_no_e_mail_when_answered_postponed_or_without_an_address(
    member: User, other_member: User, service: Service
) -> None:
    answered = referral_for(member, service, outcome_at=timezone.now())
    postponed = referral_for(member, make_service("Later", index=False), due_days_ago=-2)
    no_address = referral_for(other_member, service)
    for referral in (answered, postponed, no_address):
        assert referrals.ask_by_email.call(referral.pk) is False
    assert mail.outbox == []


def test_no_e_mail_to_a_guest(service: Service) -> None:
    guest = make_user("Guest 1", email="guest@example.org")
    User.objects.filter(pk=guest.pk).update(is_guest=True)
    referral = referral_for(guest, service)
    assert referrals.ask_by_email.call(referral.pk) is False
    assert mail.outbox == []


# --- Report --------------------------------------------------------------------------


def answers(
    service: Service, outcomes: Sequence[str], *, declined: int = 0, open_: int = 0
) -> None:
    now = timezone.now()
    for index, outcome in enumerate(outcomes):
        Referral.objects.create(
            service=service,
            member=make_user(f"{service.name[:20]} {index}"),
            follow_up_at=now,
            outcome=outcome,
            outcome_at=now,
        )
    for index in range(declined):
        Referral.objects.create(
            service=service,
            member=make_user(f"{service.name[:20]} d{index}"),
            follow_up_at=now,
            outcome_at=now,
        )
    for index in range(open_):
        Referral.objects.create(
            service=service, member=make_user(f"{service.name[:20]} o{index}"), follow_up_at=now
        )


U, C = Outcome.UNREACHABLE, Outcome.CONNECTED


@pytest.mark.parametrize(
    ("outcomes", "flagged"),
    [
        ([U, U, C, C, C], True),  # 5 answers, 40 %
        ([U, U, U, C, C, C, C, C, C, C], True),  # exactly 30 %
        ([U, U, C, C, C, C, C, C, C, C], False),  # 20 %
        ([U, U, U, U], False),  # 100 %, but only 4 answers
    ],
)
def test_the_flag_needs_five_answers_and_thirty_percent(
    db: None, outcomes: list[str], flagged: bool
) -> None:
    service = make_service("Flag Test", index=False)
    answers(service, outcomes, declined=3)
    [row] = referrals.outcome_report()
    assert row.flagged is flagged
    assert row.answered == len(outcomes)
    assert row.declined == 3


def test_the_report_counts_per_service_and_puts_flagged_first(db: None) -> None:
    busy = make_service("Busy Line", index=False)
    fine = make_service("Fine Clinic", index=False)
    answers(fine, [C] * 8 + [Outcome.WAITING_LIST, Outcome.NOT_ELIGIBLE], open_=2)
    answers(busy, [U, U, U, C, Outcome.DECIDED_NOT], declined=1)
    report = referrals.outcome_report()
    assert [row.service_name for row in report] == ["Busy Line", "Fine Clinic"]
    busy_row, fine_row = report
    assert (busy_row.made, busy_row.answered, busy_row.declined) == (6, 5, 1)
    assert busy_row.counts == [1, 3, 0, 0, 1]  # in Outcome order
    assert busy_row.unreachable_percent == 60
    assert (fine_row.made, fine_row.answered, fine_row.flagged) == (12, 10, False)
    assert fine_row.unreachable_percent == 0


def test_the_report_leaves_out_what_is_older_than_its_start(service: Service) -> None:
    answers(service, [U])
    Referral.objects.update(created_at=timezone.now() - timedelta(days=100))
    assert referrals.outcome_report(timezone.now() - timedelta(days=90)) == []
    assert len(referrals.outcome_report()) == 1


# --- Privacy -------------------------------------------------------------------------


def test_the_export_has_what_was_shared_with_and_by_the_person(
    chat: Conversation, member: User, peer_supporter: User, service: Service
) -> None:
    referrals.share_service(peer_supporter, chat, service)
    Referral.objects.update(outcome=Outcome.CONNECTED, outcome_at=timezone.now())
    mine = referrals.export_referrals(member)
    [row] = mine["shared_with_you"]
    assert (row["service"], row["outcome"]) == ("Harbor Warmline", "connected")
    assert mine["you_shared"] == []
    theirs = referrals.export_referrals(peer_supporter)
    assert theirs["shared_with_you"] == []
    assert [row["service"] for row in theirs["you_shared"]] == ["Harbor Warmline"]
    assert "River" not in repr(theirs)


def test_erasure_deletes_the_members_referrals_and_keeps_the_peers_without_them(
    chat: Conversation, member: User, peer_supporter: User, service: Service
) -> None:
    referrals.share_service(peer_supporter, chat, service)
    other = referral_for(make_user("Sage"), service, referred_by=peer_supporter)
    referrals.erase_referrals(peer_supporter)
    assert Referral.objects.filter(referred_by__isnull=True).count() == 2
    referrals.erase_referrals(member)
    assert list(Referral.objects.all()) == [other]
