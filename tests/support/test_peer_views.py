"""The peer's dashboard and answers, and the coordinator's queue."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.support import actions
from peerlight.support.models import Offer, SupportRequest
from tests.conftest import make_user, post_with_csrf
from tests.support.conftest import answers, make_peer

DASHBOARD = reverse("support:peer")
QUEUE = reverse("support:queue")
WORDS = "My baby is three weeks old and I cannot stop crying"
pytestmark = pytest.mark.django_db
Clients = Callable[[User | None], Client]


@pytest.fixture
def offer(member: User, peer: User) -> Offer:
    request = actions.request_support(
        member, answers(priorities=["perinatal"], words=WORDS, topics=["feeling_low"])
    )
    return request.offers.get()


# --- support:peer ---------------------------------------------------------------


def test_the_dashboard_shows_the_offer_without_account_details(
    offer: Offer, peer: User, member: User, client_for: Clients
) -> None:
    response = client_for(peer).get(DASHBOARD)
    page = response.content.decode()
    assert response.status_code == 200
    assert member.display_name in page
    assert "You both listed: Perinatal" in page
    assert "Feeling low" in page
    assert WORDS in page
    assert reverse("support:accept", args=[offer.pk]) in page
    assert reverse("support:decline", args=[offer.pk]) in page
    assert member.email not in page
    assert "@" not in page.split("<main", 1)[1].split("</main>")[0]
    assert 'id="availability"' in page


def test_the_dashboard_masks_contact_details_in_the_words(
    member: User, peer: User, client_for: Clients
) -> None:
    actions.request_support(member, answers(words="text me on 555 123 4567 please"))
    page = client_for(peer).get(DASHBOARD).content.decode()
    assert "555 123 4567" not in page


def test_the_dashboard_fragment_polls(offer: Offer, peer: User, client_for: Clients) -> None:
    response = client_for(peer).get(DASHBOARD, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'hx-trigger="every 5s"' in response.content


def test_the_dashboard_lists_active_chats_with_unread_counts(
    offer: Offer, peer: User, member: User, client_for: Clients
) -> None:
    from peerlight.chat import actions as chat_actions

    request = actions.accept_offer(peer, offer)
    assert request.conversation is not None
    chat_actions.send_message(member, request.conversation, "hello", "c1")
    page = client_for(peer).get(DASHBOARD).content.decode()
    assert reverse("chat:conversation", args=[request.conversation.pk]) in page
    assert "1 new message" in page


def test_a_peer_without_a_profile_is_told_how_to_start(
    peer_supporter: User, client_for: Clients
) -> None:
    page = client_for(peer_supporter).get(DASHBOARD).content.decode()
    assert reverse("peers:profile") in page


def test_the_dashboard_is_for_peers_only(
    member: User, coordinator: User, client_for: Clients
) -> None:
    assert client_for(member).get(DASHBOARD).status_code == 404
    assert client_for(coordinator).get(DASHBOARD).status_code == 404
    anonymous = client_for(None).get(DASHBOARD)
    assert anonymous["Location"].startswith(reverse("accounts:login"))


def test_the_dashboard_refuses_post(peer: User, client_for: Clients) -> None:
    assert post_with_csrf(client_for(peer), DASHBOARD).status_code == 405


# --- support:accept and support:decline ------------------------------------------


def test_accept_goes_to_the_chat(offer: Offer, peer: User, client_for: Clients) -> None:
    response = post_with_csrf(client_for(peer), reverse("support:accept", args=[offer.pk]))
    request = SupportRequest.objects.get(pk=offer.request_id)
    assert request.status == SupportRequest.Status.CONNECTED
    assert response["Location"] == reverse("chat:conversation", args=[request.conversation_id])


def test_decline_thanks_the_peer(offer: Offer, peer: User, client_for: Clients) -> None:
    response = post_with_csrf(client_for(peer), reverse("support:decline", args=[offer.pk]))
    assert response["Location"] == DASHBOARD
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED


def test_an_answered_offer_cannot_be_answered_again(
    offer: Offer, peer: User, client_for: Clients
) -> None:
    client = client_for(peer)
    post_with_csrf(client, reverse("support:decline", args=[offer.pk]))
    response = post_with_csrf(client, reverse("support:accept", args=[offer.pk]), follow=True)
    assert b"no longer waiting for you" in response.content
    assert SupportRequest.objects.get(pk=offer.request_id).conversation is None


@pytest.mark.parametrize("name", ["support:accept", "support:decline"])
def test_only_the_offered_peer_may_answer(
    offer: Offer, member: User, client_for: Clients, name: str
) -> None:
    other_peer = make_peer("Dev", availability="away")
    url = reverse(name, args=[offer.pk])
    assert post_with_csrf(client_for(other_peer), url).status_code == 404
    assert post_with_csrf(client_for(member), url).status_code == 404
    assert post_with_csrf(client_for(None), url)["Location"].startswith(reverse("accounts:login"))
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


@pytest.mark.parametrize("name", ["support:accept", "support:decline"])
def test_answers_refuse_get(offer: Offer, peer: User, client_for: Clients, name: str) -> None:
    assert client_for(peer).get(reverse(name, args=[offer.pk])).status_code == 405


# --- support:queue ----------------------------------------------------------------


def test_the_queue_shows_no_words(
    offer: Offer, member: User, coordinator: User, client_for: Clients
) -> None:
    waiting = make_user("Ash")
    actions.request_support(waiting, answers(words="I feel so alone", topics=["loneliness"]))
    response = client_for(coordinator).get(QUEUE)
    page = response.content.decode()
    assert response.status_code == 200
    assert WORDS not in page
    assert "I feel so alone" not in page
    assert member.display_name not in page
    assert "Ash" not in page
    assert "Marisol" in page  # peers on shift, with their load
    assert "Answered within 60 s" in page


def test_the_queue_fragment_polls(coordinator: User, client_for: Clients) -> None:
    response = client_for(coordinator).get(QUEUE, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content


def test_the_queue_is_for_coordinators(
    member: User, peer: User, researcher: User, client_for: Clients
) -> None:
    for person in (member, peer, researcher):
        assert client_for(person).get(QUEUE).status_code == 404
    assert client_for(None).get(QUEUE)["Location"].startswith(reverse("accounts:login"))


def test_the_queue_refuses_post(coordinator: User, client_for: Clients) -> None:
    assert post_with_csrf(client_for(coordinator), QUEUE).status_code == 405


def test_the_request_page_sends_the_peer_who_took_it_on_to_their_note(
    offer: Offer, peer: User, other_member: User, client_for: Clients
) -> None:
    actions.accept_offer(peer, offer)
    page = reverse("support:request", args=[offer.request_id])
    response = client_for(peer).get(page)
    assert response.status_code == 302
    assert response["Location"] == reverse("support:note", args=[offer.request_id])
    # Anyone else still gets nothing.
    assert client_for(other_member).get(page).status_code == 404
