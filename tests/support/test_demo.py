"""The demo's past support chats: written once, in the right language, with wrap-ups."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from peerlight.chat.models import Conversation, Message, Participant
from peerlight.support import demo
from peerlight.support.models import ChatRating, Offer, PeerNote, SupportRequest

MODELS = (SupportRequest, Offer, ChatRating, PeerNote, Conversation, Participant, Message)


def seed_all() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db
def test_seeding_twice_changes_nothing() -> None:
    first_output = seed_all()
    first = counts()
    assert first["SupportRequest"] == len(demo.PAST_CHATS)
    assert f"Past support chats: {len(demo.PAST_CHATS)} created" in first_output
    second_output = seed_all()
    assert counts() == first
    assert "Past support chats: 0 created" in second_output


@pytest.mark.django_db
def test_each_past_chat_is_ended_rated_and_noted_with_nobody_waiting() -> None:
    seed_all()
    for request in SupportRequest.objects.select_related("conversation", "member", "peer"):
        assert request.status == SupportRequest.Status.ENDED
        assert request.connected_at is not None
        assert request.closed_at is not None
        assert request.created_at < request.connected_at < request.closed_at
        assert request.conversation is not None
        assert request.conversation.is_ended
        assert request.conversation.ended_at == request.closed_at
        assert request.rating.felt_heard in range(1, 6)
        assert request.note.author == request.peer
        seqs = list(request.conversation.messages.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, request.conversation.last_seq + 1))
    assert not SupportRequest.objects.filter(status__in=SupportRequest.OPEN_STATUSES).exists()


@pytest.mark.django_db
def test_luz_del_mar_talked_with_marisol_in_spanish() -> None:
    seed_all()
    request = SupportRequest.objects.get(member__display_name="Luz del Mar")
    assert request.peer is not None
    assert request.peer.display_name == "Marisol"
    assert request.language == "es"
    first = Message.objects.get(client_id="demo-past-luz-marisol-1")
    assert first.body.startswith("Hola")
    assert "grupo" in request.note.resources


@pytest.mark.django_db
def test_it_skips_chats_whose_people_are_missing() -> None:
    out = io.StringIO()
    demo.seed(out)
    assert not SupportRequest.objects.exists()
    assert "skipped" in out.getvalue()
