"""In the chat: the peer's safety panel and "Escalate" button, and the member's safety card."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.chat import actions, views
from peerlight.chat.models import Conversation
from peerlight.safety.models import Escalation, EscalationOutbox
from tests.conftest import post_with_csrf

type ClientFor = Callable[[User | None], Client]

WORRYING = "I feel so alone"
IMMINENT = "I want to end my life tonight"


def page(chat: Conversation) -> str:
    return reverse("chat:conversation", args=[chat.pk])


def escalate_url(chat: Conversation) -> str:
    return reverse("chat:escalate", args=[chat.pk])


def test_the_peer_sees_level_reasons_protocol_and_the_button(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    actions.send_message(member, chat, WORRYING, "w1")
    html = client_for(peer_supporter).get(page(chat)).content.decode()
    assert 'id="peer-safety"' in html
    assert "The safety check sees some concern." in html
    assert "Hopelessness: “so alone”" in html
    assert "Are you thinking about suicide?" in html
    assert "safety plan" in html
    assert "crisis line" in html
    assert f'action="{escalate_url(chat)}"' in html


def test_the_member_does_not_see_the_peer_panel(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    actions.send_message(member, chat, WORRYING, "w1")
    html = client_for(member).get(page(chat)).content.decode()
    assert 'id="peer-safety"' not in html
    assert escalate_url(chat) not in html
    assert 'id="safety-card-heading"' in html


def test_escalate_opens_one_case_raised_by_the_peer(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    actions.send_message(member, chat, WORRYING, "w1")
    client = client_for(peer_supporter)
    response = post_with_csrf(client, escalate_url(chat))
    assert response.status_code == 302
    assert response["Location"].endswith("#peer-safety")
    case = Escalation.objects.get()
    assert case.raised_by == peer_supporter
    assert case.person == member
    assert (case.source, case.source_id) == ("chat.conversation", chat.pk)
    assert case.level == "concern"
    assert case.message_seq is not None
    # Pressing again while it is open adds to it: still one case, one outbox row.
    post_with_csrf(client, escalate_url(chat))
    assert Escalation.objects.count() == 1
    assert EscalationOutbox.objects.count() == 1
    html = client.get(page(chat)).content.decode()
    assert "The on-call coordinator has been alerted" in html


def test_escalate_without_a_flagged_message_is_a_concern_about_the_member(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    post_with_csrf(client_for(peer_supporter), escalate_url(chat))
    case = Escalation.objects.get()
    assert (case.person, case.level, case.reasons) == (member, "concern", [])


def test_imminent_risk_escalates_by_itself(chat: Conversation, member: User) -> None:
    actions.send_message(member, chat, "hello", "w0")
    sent = actions.send_message(member, chat, IMMINENT, "w1")
    case = Escalation.objects.get()
    assert case.raised_by is None
    assert case.level == "imminent"
    # The case knows which message opened it; a later one does not move it.
    assert case.message_seq == sent.message.seq == 2
    actions.send_message(member, chat, "I have the pills here and I'm taking them now", "w2")
    case.refresh_from_db()
    assert case.message_seq == 2


def test_the_member_may_not_escalate_and_strangers_are_not_told_the_chat_exists(
    chat: Conversation, member: User, other_member: User, client_for: ClientFor
) -> None:
    assert post_with_csrf(client_for(member), escalate_url(chat)).status_code == 403
    assert post_with_csrf(client_for(other_member), escalate_url(chat)).status_code == 404
    response = post_with_csrf(client_for(None), escalate_url(chat))
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert not Escalation.objects.exists()


def test_escalate_refuses_get(
    chat: Conversation, peer_supporter: User, client_for: ClientFor
) -> None:
    assert client_for(peer_supporter).get(escalate_url(chat)).status_code == 405
    assert not Escalation.objects.exists()


def test_a_risky_message_sent_with_htmx_comes_back_with_the_safety_card(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    response = post_with_csrf(
        client,
        reverse("chat:send", args=[chat.pk]),
        {"body": WORRYING, "client_id": "c1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="crisis safety-card"' in html
    # An ordinary message does not.
    response = post_with_csrf(
        client,
        reverse("chat:send", args=[chat.pk]),
        {"body": "thanks for listening", "client_id": "c2"},
        headers={"HX-Request": "true"},
    )
    assert "safety-card" not in response.content.decode()


def test_the_peer_sees_the_protocol_and_escalate_link_in_the_message_itself(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    sent = actions.send_message(member, chat, WORRYING, "w1")
    html = views.render_messages(peer_supporter, chat, [sent.message])
    assert "What to do now" in html
    assert "Concern." in html
    assert "#peer-safety" in html
    # The member's own view of the message carries neither.
    own = views.render_messages(member, chat, [sent.message])
    assert "What to do now" not in own
