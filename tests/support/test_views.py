"""The member's pages: asking, waiting, leaving a message and leaving the queue."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.chat import actions as chat_actions
from peerlight.support import actions
from peerlight.support.models import SupportRequest
from tests.conftest import delete_with_csrf, post_with_csrf
from tests.support.conftest import answers

START = reverse("support:start")
Status = SupportRequest.Status
pytestmark = pytest.mark.django_db
Clients = Callable[[User | None], Client]


# --- support:start --------------------------------------------------------------


def test_start_shows_a_calm_form_with_crisis_contacts(member: User, client_for: Clients) -> None:
    response = client_for(member).get(START)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="topics"' in page
    assert 'name="priority_3"' in page
    assert 'name="gender"' in page
    assert 'name="language"' in page
    assert 'value="en" selected' in page
    assert 'name="same_peer"' not in page  # no well-rated chat yet
    assert 'class="crisis' in page


def test_start_offers_anonymous_visitors_a_guest_account(client_for: Clients) -> None:
    response = client_for(None).get(START)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'action="{reverse("support:guest")}"' in page
    assert 'name="agree_terms"' in page
    assert reverse("accounts:login") in page


def test_start_asks_and_goes_to_the_request(member: User, client_for: Clients) -> None:
    data = {"topics": ["loneliness", "sleep"], "priority_1": "grief", "language": "en"}
    response = post_with_csrf(client_for(member), START, {**data, "gender": "woman"})
    request = SupportRequest.objects.get(member=member)
    assert response["Location"] == reverse("support:request", args=[request.pk])
    assert request.topics == ["loneliness", "sleep"]
    assert request.priorities == ["grief"]
    assert request.preferences == {"gender": "woman"}


@pytest.mark.parametrize(
    "data",
    [
        {"language": "en"},  # neither topics nor words
        {"topics": ["loneliness"], "language": "xx"},
        {"topics": ["loneliness"], "language": "en", "words": "x" * 1001},
        {"topics": ["loneliness"], "language": "en", "priority_1": "grief", "priority_2": "grief"},
    ],
)
def test_start_refuses_bad_input(
    member: User, client_for: Clients, data: dict[str, object]
) -> None:
    response = post_with_csrf(client_for(member), START, data)
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert not SupportRequest.objects.exists()


def test_start_sends_a_member_with_a_request_to_it(member: User, client_for: Clients) -> None:
    request = actions.request_support(member, answers())
    response = client_for(member).get(START)
    assert response["Location"] == reverse("support:request", args=[request.pk])


def test_start_refuses_other_methods(member: User, client_for: Clients) -> None:
    assert delete_with_csrf(client_for(member), START).status_code == 405


def test_start_sends_an_anonymous_post_to_log_in(client_for: Clients) -> None:
    response = post_with_csrf(client_for(None), START, {"topics": ["sleep"], "language": "en"})
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not SupportRequest.objects.exists()


# --- support:request and support:status -------------------------------------


def test_the_waiting_page_shows_place_hours_and_choices(member: User, client_for: Clients) -> None:
    request = actions.request_support(member, answers())
    response = client_for(member).get(reverse("support:request", args=[request.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your place in the queue" in page
    assert "Every day" in page or "When peers are here" in page
    assert reverse("support:later", args=[request.pk]) in page
    assert reverse("support:cancel", args=[request.pk]) in page
    assert reverse("support:status", args=[request.pk]) in page  # polled by htmx
    assert "Check again" in page


def test_the_status_fragment_is_only_the_changing_part(member: User, client_for: Clients) -> None:
    request = actions.request_support(member, answers())
    response = client_for(member).get(
        reverse("support:status", args=[request.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="request-status"' in response.content


def test_the_connected_page_explains_the_match(member: User, client_for: Clients) -> None:
    from tests.support.conftest import make_peer

    peer = make_peer("Marisol", experiences=["perinatal"], languages=["en", "es"])
    request = actions.request_support(member, answers(priorities=["perinatal"]))
    offer = request.offers.get()
    actions.accept_offer(peer, offer)
    page = client_for(member).get(reverse("support:request", args=[request.pk])).content.decode()
    assert "You both listed: Perinatal" in page
    request.refresh_from_db()
    assert reverse("chat:conversation", args=[request.conversation_id]) in page


def test_the_ended_page_leads_to_the_wrap_up(member: User, client_for: Clients) -> None:
    from tests.support.conftest import make_peer

    peer = make_peer("Marisol")
    request = actions.accept_offer(peer, actions.request_support(member, answers()).offers.get())
    assert request.conversation is not None
    chat_actions.end_conversation(peer, request.conversation)
    page = client_for(member).get(reverse("support:request", args=[request.pk])).content.decode()
    assert reverse("support:rate", args=[request.pk]) in page
    request.refresh_from_db()
    assert request.status == Status.ENDED


def test_urgent_requests_show_the_safety_card_first(member: User, client_for: Clients) -> None:
    request = actions.request_support(member, answers(words="I want to kill myself"))
    page = client_for(member).get(reverse("support:request", args=[request.pk])).content.decode()
    assert page.index('class="urgent-card"') < page.index("Your place in the queue")


@pytest.mark.parametrize("name", ["support:request", "support:status"])
def test_a_stranger_gets_a_404(
    member: User, other_member: User, client_for: Clients, name: str
) -> None:
    request = actions.request_support(member, answers())
    assert client_for(other_member).get(reverse(name, args=[request.pk])).status_code == 404
    anonymous = client_for(None).get(reverse(name, args=[request.pk]))
    assert anonymous["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ["support:request", "support:status"])
def test_the_status_pages_refuse_post(member: User, client_for: Clients, name: str) -> None:
    request = actions.request_support(member, answers())
    assert post_with_csrf(client_for(member), reverse(name, args=[request.pk])).status_code == 405


# --- support:cancel and support:later --------------------------------------------


def test_cancel_leaves_the_queue(member: User, client_for: Clients) -> None:
    request = actions.request_support(member, answers())
    response = post_with_csrf(client_for(member), reverse("support:cancel", args=[request.pk]))
    assert response["Location"] == START
    request.refresh_from_db()
    assert request.status == Status.CANCELLED


def test_cancel_twice_explains_calmly(member: User, client_for: Clients) -> None:
    request = actions.request_support(member, answers())
    client = client_for(member)
    post_with_csrf(client, reverse("support:cancel", args=[request.pk]))
    response = post_with_csrf(client, reverse("support:cancel", args=[request.pk]), follow=True)
    assert b"not in the queue any more" in response.content


def test_later_keeps_a_message(member: User, client_for: Clients) -> None:
    request = actions.request_support(member, answers())
    url = reverse("support:later", args=[request.pk])
    response = post_with_csrf(client_for(member), url, {"message": "Back tonight."})
    assert response["Location"] == reverse("support:request", args=[request.pk])
    request.refresh_from_db()
    assert request.message_for_later == "Back tonight."


@pytest.mark.parametrize("message", ["", "x" * 1001])
def test_later_refuses_bad_input(member: User, client_for: Clients, message: str) -> None:
    request = actions.request_support(member, answers())
    url = reverse("support:later", args=[request.pk])
    response = post_with_csrf(client_for(member), url, {"message": message})
    assert response.status_code == 200
    assert b"error-summary" in response.content
    request.refresh_from_db()
    assert request.message_for_later == ""


@pytest.mark.parametrize("name", ["support:cancel", "support:later"])
def test_a_stranger_cannot_change_a_request(
    member: User, other_member: User, client_for: Clients, name: str
) -> None:
    request = actions.request_support(member, answers())
    url = reverse(name, args=[request.pk])
    assert post_with_csrf(client_for(other_member), url, {"message": "hi"}).status_code == 404
    anonymous = post_with_csrf(client_for(None), url, {"message": "hi"})
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    request.refresh_from_db()
    assert request.status == Status.OFFERED or request.status == Status.WAITING
    assert request.message_for_later == ""


@pytest.mark.parametrize("name", ["support:cancel", "support:later"])
def test_changes_refuse_get(member: User, client_for: Clients, name: str) -> None:
    request = actions.request_support(member, answers())
    assert client_for(member).get(reverse(name, args=[request.pk])).status_code == 405


def test_start_offers_the_same_peer_after_a_well_rated_chat(
    member: User, client_for: Clients
) -> None:
    from peerlight.support.models import ChatRating
    from tests.support.conftest import make_peer

    peer = make_peer("Marisol")
    request = actions.accept_offer(peer, actions.request_support(member, answers()).offers.get())
    SupportRequest.objects.filter(pk=request.pk).update(status=Status.ENDED)
    ChatRating.objects.create(request=request, felt_heard=5)
    client = client_for(member)
    assert b'name="same_peer"' in client.get(START).content
    data = {"topics": ["sleep"], "language": "en", "same_peer": "on"}
    post_with_csrf(client, START, data)
    again = SupportRequest.objects.exclude(pk=request.pk).get()
    assert again.wants_same_peer
    assert again.offers.get().peer == peer


@pytest.mark.parametrize("anonymous", [True, False])
def test_the_start_page_is_light(member: User, client_for: Clients, anonymous: bool) -> None:
    import gzip

    response = client_for(None if anonymous else member).get(START)
    assert len(gzip.compress(response.content)) <= 14 * 1024
