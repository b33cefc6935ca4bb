"""Asking for support, offers, answers, expiry and the end of a chat (the actions)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Message, Participant
from peerlight.lib import ratelimit
from peerlight.peers.models import PeerProfile
from peerlight.safety.models import Block
from peerlight.support import access, actions
from peerlight.support.models import Offer, SupportRequest
from tests.conftest import make_user
from tests.support.conftest import answers, make_peer

Status = SupportRequest.Status
pytestmark = pytest.mark.django_db


def pending(request: SupportRequest) -> Offer | None:
    return Offer.objects.filter(request=request, status=Offer.Status.PENDING).first()


def test_a_request_goes_to_the_best_free_peer(member: User, peer: User) -> None:
    make_peer("Dev", experiences=["anxiety"])
    request = actions.request_support(member, answers(priorities=["perinatal"]))
    offer = pending(request)
    assert offer is not None
    assert offer.peer == peer
    assert request.status == Status.OFFERED
    assert offer.expires_at == offer.created_at + timedelta(
        seconds=settings.PEERLIGHT_OFFER_SECONDS
    )
    assert {"kind": "experience", "codes": ["perinatal"]} in offer.reasons


def test_a_member_has_one_request_going_at_a_time(member: User) -> None:
    first = actions.request_support(member, answers())
    second = actions.request_support(member, answers(topics=["loneliness"]))
    assert second.pk == first.pk
    assert SupportRequest.objects.filter(member=member).count() == 1


def test_without_a_free_peer_the_request_waits(member: User) -> None:
    make_peer("Away", availability="away")
    request = actions.request_support(member, answers())
    assert request.status == Status.WAITING
    assert not Offer.objects.exists()


def test_urgent_requests_go_to_the_front(member: User, other_member: User) -> None:
    calm = actions.request_support(other_member, answers())
    urgent = actions.request_support(
        member, answers(words="I want to kill myself tonight"), now=timezone.now()
    )
    assert urgent.urgency == "imminent"
    assert urgent.urgency_reasons
    assert [row.pk for row in access.open_requests()] == [urgent.pk, calm.pk]


def test_language_is_a_hard_constraint_end_to_end(member: User) -> None:
    make_peer("English only", languages=["en"])
    request = actions.request_support(member, answers(language="es"))
    assert request.status == Status.WAITING
    spanish = make_peer("Lucia", languages=["es", "en"])
    assert actions.match_waiting() == 1
    offer = pending(request)
    assert offer is not None
    assert offer.peer == spanish


def test_accepting_starts_a_chat_with_both_people(member: User, peer: User) -> None:
    request = actions.request_support(member, answers(priorities=["perinatal"]))
    offer = pending(request)
    assert offer is not None
    connected = actions.accept_offer(peer, offer)
    assert connected.status == Status.CONNECTED
    assert connected.peer == peer
    assert connected.connected_at is not None
    assert connected.match_reasons == offer.reasons
    roles = dict(
        Participant.objects.filter(conversation=connected.conversation).values_list(
            "user_id", "role"
        )
    )
    assert roles == {member.pk: "member", peer.pk: "supporter"}
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
    assert AuditEntry.objects.filter(verb="support.offer.accept", actor_id=peer.pk).exists()


def test_only_the_offered_peer_can_accept(member: User, peer: User) -> None:
    other = make_peer("Dev", availability="away")
    request = actions.request_support(member, answers())
    offer = pending(request)
    assert offer is not None
    with pytest.raises(actions.SupportError):
        actions.accept_offer(other, offer)
    request.refresh_from_db()
    assert request.status == Status.OFFERED


def test_an_offer_past_its_time_cannot_be_accepted(member: User, peer: User) -> None:
    request = actions.request_support(member, answers())
    offer = pending(request)
    assert offer is not None
    later = offer.expires_at + timedelta(seconds=1)
    with pytest.raises(actions.SupportError):
        actions.accept_offer(peer, offer, now=later)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED


def test_a_peer_at_their_most_chats_cannot_accept(member: User, other_member: User) -> None:
    busy = make_peer("Busy", max_chats=1)
    first = actions.request_support(other_member, answers())
    first_offer = pending(first)
    assert first_offer is not None
    actions.accept_offer(busy, first_offer)
    # A second request reaches the peer only through a stale offer.
    second = SupportRequest.objects.create(member=member, language="en", status=Status.OFFERED)
    stale = Offer.objects.create(
        request=second, peer=busy, expires_at=timezone.now() + timedelta(minutes=1)
    )
    with pytest.raises(actions.SupportError):
        actions.accept_offer(busy, stale)
    second.refresh_from_db()
    assert second.status == Status.OFFERED


def test_declining_offers_the_request_to_the_next_peer(member: User, peer: User) -> None:
    dev = make_peer("Dev")
    request = actions.request_support(member, answers(priorities=["perinatal"]))
    first = pending(request)
    assert first is not None
    assert first.peer == peer
    actions.decline_offer(peer, first)
    first.refresh_from_db()
    assert first.status == Offer.Status.DECLINED
    second = pending(request)
    assert second is not None
    assert second.peer == dev
    assert AuditEntry.objects.filter(verb="support.offer.decline").exists()


def test_expiry_moves_on_then_back_to_waiting(member: User, peer: User) -> None:
    dev = make_peer("Dev")
    request = actions.request_support(member, answers(priorities=["perinatal"]))
    first = pending(request)
    assert first is not None
    later = first.expires_at + timedelta(seconds=1)
    assert actions.expire_offers(later) == 1
    second = pending(request)
    assert second is not None
    assert second.peer == dev
    assert actions.expire_offers(second.expires_at + timedelta(seconds=1)) == 1
    request.refresh_from_db()
    assert request.status == Status.WAITING
    assert pending(request) is None
    # Idempotent: nothing is left to expire.
    assert actions.expire_offers(later + timedelta(hours=1)) == 0
    assert set(Offer.objects.values_list("status", flat=True)) == {Offer.Status.EXPIRED}


def test_expiry_is_queued_as_a_task(
    member: User, peer: User, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        request = actions.request_support(member, answers())
    offer = pending(request)
    assert offer is not None
    task = DBTaskResult.objects.get(task_path="peerlight.support.tasks.expire_offer")
    assert task.run_after == offer.expires_at


def test_the_expiry_task_expires_due_offers(member: User, peer: User) -> None:
    from peerlight.support.tasks import expire_offer

    request = actions.request_support(member, answers())
    offer = pending(request)
    assert offer is not None
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_offer.call(offer.pk) == 1
    request.refresh_from_db()
    assert request.status == Status.WAITING


def test_leaving_the_queue_withdraws_the_offer(member: User, peer: User) -> None:
    request = actions.request_support(member, answers())
    offer = pending(request)
    actions.cancel_request(member, request)
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    assert request.closed_at is not None
    assert offer is not None
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert AuditEntry.objects.filter(verb="support.request.cancel").exists()
    with pytest.raises(actions.SupportError):
        actions.cancel_request(member, request)


def test_a_freed_peer_is_offered_the_next_waiting_request(
    member: User, other_member: User
) -> None:
    solo = make_peer("Solo", max_chats=1)
    first = actions.request_support(member, answers())
    offer = pending(first)
    assert offer is not None
    connected = actions.accept_offer(solo, offer)
    second = actions.request_support(other_member, answers())
    assert second.status == Status.WAITING
    assert connected.conversation is not None
    chat_actions.end_conversation(member, connected.conversation)
    actions.refresh_queue()
    connected.refresh_from_db()
    assert connected.status == Status.ENDED
    assert PeerProfile.objects.get(user=solo).last_chat_ended_at is not None
    next_offer = pending(second)
    assert next_offer is not None
    assert next_offer.peer == solo


def test_ending_the_chat_closes_the_request_at_once(
    member: User,
    other_member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    solo = make_peer("Solo", max_chats=1)
    first = actions.request_support(member, answers())
    offer = pending(first)
    assert offer is not None
    connected = actions.accept_offer(solo, offer)
    second = actions.request_support(other_member, answers())
    assert connected.conversation is not None
    with django_capture_on_commit_callbacks(execute=True):
        chat_actions.end_conversation(solo, connected.conversation)
    # No status page has polled: the chat's signal closed the request itself.
    connected.refresh_from_db()
    assert connected.status == Status.ENDED
    assert connected.closed_at == connected.conversation.ended_at
    next_offer = pending(second)
    assert next_offer is not None
    assert next_offer.peer == solo


@pytest.mark.parametrize("direction", ["member blocked peer", "peer blocked member"])
def test_a_blocked_pair_is_never_matched(member: User, peer: User, direction: str) -> None:
    if direction == "member blocked peer":
        Block.objects.create(blocker=member, blocked=peer)
    else:
        Block.objects.create(blocker=peer, blocked=member)
    request = actions.request_support(member, answers(priorities=["perinatal"]))
    assert request.status == Status.WAITING
    assert actions.match_waiting() == 0


def test_a_peer_asking_for_support_is_not_offered_their_own_request(peer: User) -> None:
    request = actions.request_support(peer, answers())
    assert request.status == Status.WAITING


def test_a_peer_gets_one_offer_at_a_time(member: User, other_member: User, peer: User) -> None:
    actions.request_support(member, answers())
    second = actions.request_support(other_member, answers())
    assert second.status == Status.WAITING
    assert Offer.objects.filter(peer=peer, status=Offer.Status.PENDING).count() == 1


def test_a_message_for_later_is_the_first_thing_in_the_chat(member: User) -> None:
    request = actions.request_support(member, answers())
    actions.leave_message_for_later(member, request, "  I had to go, please write back.  ")
    request.refresh_from_db()
    assert request.message_for_later == "I had to go, please write back."
    dev = make_peer("Dev")
    actions.match_waiting()
    offer = pending(request)
    assert offer is not None
    assert offer.peer == dev
    connected = actions.accept_offer(dev, offer)
    first = Message.objects.get(conversation=connected.conversation, sender=member)
    assert first.body == "I had to go, please write back."


def test_a_message_for_later_can_raise_the_urgency(member: User) -> None:
    request = actions.request_support(member, answers())
    actions.leave_message_for_later(member, request, "I want to kill myself")
    request.refresh_from_db()
    assert request.urgency == "imminent"


def test_a_message_for_later_needs_words_and_an_open_request(member: User) -> None:
    request = actions.request_support(member, answers())
    with pytest.raises(actions.SupportError):
        actions.leave_message_for_later(member, request, "   ")
    actions.cancel_request(member, request)
    with pytest.raises(actions.SupportError):
        actions.leave_message_for_later(member, request, "hello")
    request.refresh_from_db()
    assert request.message_for_later == ""


def test_new_accounts_may_open_fewer_requests(member: User) -> None:
    newcomer = make_user("Newcomer")
    for _attempt in range(2):
        request = actions.request_support(newcomer, answers())
        actions.cancel_request(newcomer, request)
    with pytest.raises(ratelimit.RateLimited):
        actions.request_support(newcomer, answers())
    assert SupportRequest.objects.filter(member=newcomer).count() == 2
    User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=30))
    member.refresh_from_db()
    for _attempt in range(3):
        request = actions.request_support(member, answers())
        actions.cancel_request(member, request)


def test_events_go_to_the_peer_and_the_member(
    member: User, peer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr(
        actions, "send_on_commit", lambda groups, event: sent.append((groups, event))
    )
    request = actions.request_support(member, answers())
    offer = pending(request)
    assert offer is not None
    assert ([f"user.{peer.pk}"], {"type": "support.offer", "offer": offer.pk}) in sent
    assert ([f"user.{member.pk}"], {"type": "support.changed", "request": request.pk}) in sent
    # Ids only, never words.
    assert all(set(event) <= {"type", "offer", "request"} for _groups, event in sent)
