"""The referral pages: sharing from a chat, the member's answers, the follow-up question."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from peerlight.accounts.models import User
from peerlight.chat import actions as chat_actions
from peerlight.chat import tools
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.directory import chat_tools, referrals
from peerlight.directory.context import referral_follow_up
from peerlight.directory.models import Referral, Service
from tests.conftest import delete_with_csrf, post_with_csrf
from tests.directory.factories import make_service
from tests.directory.test_referrals import referral_for

ClientFor = Callable[[User | None], Client]
HTMX = {"HX-Request": "true"}
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


def share_url(conversation: Conversation) -> str:
    return reverse("directory:referral_share", args=[conversation.pk])


def answer_url(referral: Referral) -> str:
    return reverse("directory:referral_answer", args=[referral.pk])


@pytest.fixture
def share_tool() -> Iterator[None]:
    chat_tools.register()
    yield
    tools.unregister_tool(chat_tools.TOOL_NAME)


# --- From the chat -------------------------------------------------------------------------


@pytest.mark.usefixtures("share_tool")
def test_the_peers_chat_page_links_to_sharing_and_the_members_does_not(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    page = reverse("chat:conversation", args=[chat.pk])
    link = f'<a href="{share_url(chat)}">Share a resource</a>'
    assert link in client_for(peer_supporter).get(page).content.decode()
    assert link not in client_for(member).get(page).content.decode()


def test_the_share_page_offers_a_search_form(
    chat: Conversation, peer_supporter: User, client_for: ClientFor
) -> None:
    response = client_for(peer_supporter).get(share_url(chat))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<form method="get" action="{share_url(chat)}" role="search"' in html
    assert 'name="words"' in html
    assert 'name="zip"' in html
    assert "services found" not in html


def test_a_search_lists_services_each_with_a_share_button(
    chat: Conversation, peer_supporter: User, client_for: ClientFor
) -> None:
    warmline = make_service("Harbor Warmline", description="Someone to talk to at night.")
    make_service("Food Pantry", description="Groceries every Tuesday.")
    response = client_for(peer_supporter).get(share_url(chat), {"words": "warmline"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 service found" in html
    assert f'<a href="/directory/services/{warmline.id}/">Harbor Warmline</a>' in html
    assert f'name="service" value="{warmline.id}"' in html
    assert "Share in this chat" in html
    assert "Food Pantry" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"zip": "12"}, "Please enter a ZIP code of five digits."),
        ({"zip": "00000"}, "We do not know this ZIP code. Please check it."),
        ({"words": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_search_input_is_a_400_with_a_clear_message(
    chat: Conversation,
    peer_supporter: User,
    client_for: ClientFor,
    query: dict[str, str],
    message: str,
) -> None:
    response = client_for(peer_supporter).get(share_url(chat), query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_strangers_and_the_member_get_a_404_and_visitors_log_in(
    chat: Conversation, member: User, other_member: User, client_for: ClientFor
) -> None:
    for person in (member, other_member):
        assert client_for(person).get(share_url(chat)).status_code == 404
    response = client_for(None).get(share_url(chat))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"] or "login" in response["Location"]


def test_sharing_puts_the_card_in_the_chat_and_goes_back_to_it(
    chat: Conversation, member: User, peer_supporter: User, service: Service, client_for: ClientFor
) -> None:
    peer = client_for(peer_supporter)
    response = post_with_csrf(peer, share_url(chat), {"service": str(service.id)})
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:conversation", args=[chat.pk]) + "#latest"
    referral = Referral.objects.get()
    assert (referral.member, referral.service) == (member, service)
    # The member sees the card and can open the service page.
    page = client_for(member).get(reverse("chat:conversation", args=[chat.pk]))
    html = page.content.decode()
    assert f'<a href="/directory/services/{service.id}/">Harbor Warmline</a>' in html
    assert "<p>555-0100</p>" in html
    assert (
        "Shared in the chat."
        in peer.get(reverse("chat:conversation", args=[chat.pk])).content.decode()
    )


def test_an_htmx_share_answers_with_the_notice_in_place_of_the_button(
    chat: Conversation, peer_supporter: User, service: Service, client_for: ClientFor
) -> None:
    peer = client_for(peer_supporter)
    response = post_with_csrf(peer, share_url(chat), {"service": str(service.id)}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<div id="share-action-{service.id}">' in html
    assert "Shared in the chat." in html
    again = post_with_csrf(peer, share_url(chat), {"service": str(service.id)}, headers=HTMX)
    assert "You shared this service in this chat already." in again.content.decode()
    assert Referral.objects.count() == 1
    assert Message.objects.filter(kind=Message.Kind.CARD).count() == 1


@pytest.mark.parametrize("value", ["", "not-a-uuid", "4f1c2b9e-0000-4000-8000-000000000001"])
def test_sharing_an_unknown_service_is_a_400_and_changes_nothing(
    chat: Conversation, peer_supporter: User, client_for: ClientFor, value: str
) -> None:
    response = post_with_csrf(client_for(peer_supporter), share_url(chat), {"service": value})
    assert response.status_code == 400
    assert "This service cannot be shared right now." in response.content.decode()
    assert not Referral.objects.exists()
    assert not Message.objects.filter(kind=Message.Kind.CARD).exists()


def test_an_inactive_service_cannot_be_shared(
    chat: Conversation, peer_supporter: User, service: Service, client_for: ClientFor
) -> None:
    Service.objects.filter(pk=service.pk).update(status=Service.Status.INACTIVE)
    response = post_with_csrf(
        client_for(peer_supporter), share_url(chat), {"service": str(service.id)}
    )
    assert response.status_code == 400
    assert not Referral.objects.exists()


def test_a_paused_chat_refuses_with_its_reason(
    chat: Conversation, peer_supporter: User, service: Service, client_for: ClientFor
) -> None:
    Conversation.objects.filter(pk=chat.pk).update(is_paused=True)
    response = post_with_csrf(
        client_for(peer_supporter), share_url(chat), {"service": str(service.id)}
    )
    assert response.status_code == 400
    assert "This chat is paused for a moment." in response.content.decode()
    assert not Referral.objects.exists()


def test_the_member_cannot_share_into_their_own_chat(
    chat: Conversation, member: User, service: Service, client_for: ClientFor
) -> None:
    response = post_with_csrf(client_for(member), share_url(chat), {"service": str(service.id)})
    assert response.status_code == 404
    assert not Referral.objects.exists()
    assert not Message.objects.filter(kind=Message.Kind.CARD).exists()


def test_the_share_page_refuses_other_methods(
    chat: Conversation, peer_supporter: User, client_for: ClientFor
) -> None:
    assert delete_with_csrf(client_for(peer_supporter), share_url(chat)).status_code == 405


# --- The member's answers ------------------------------------------------------------------


def test_the_members_page_asks_how_it_went(
    member: User, service: Service, client_for: ClientFor
) -> None:
    referral = referral_for(member, service)
    response = client_for(member).get(reverse("directory:referral_index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "How did it go with Harbor Warmline?" in html
    assert f'action="{answer_url(referral)}"' in html
    for label in (
        "I connected with them",
        "I couldn&#x27;t reach them",
        "Don&#x27;t ask me again",
    ):
        assert label in html
    assert f'id="id_r{referral.pk}_answer_0"' in html


def test_the_members_page_shows_only_their_own(
    member: User, other_member: User, service: Service, client_for: ClientFor
) -> None:
    referral_for(other_member, service)
    html = client_for(member).get(reverse("directory:referral_index")).content.decode()
    assert "Harbor Warmline" not in html
    assert "Nothing has been shared with you yet." in html


def test_visitors_are_sent_to_log_in(client_for: ClientFor) -> None:
    response = client_for(None).get(reverse("directory:referral_index"))
    assert response.status_code == 302


def test_answering_saves_thanks_and_goes_back(
    member: User, service: Service, client_for: ClientFor
) -> None:
    referral = referral_for(member, service)
    client = client_for(member)
    response = post_with_csrf(client, answer_url(referral), {"answer": "waiting_list"})
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:referral_index")
    referral.refresh_from_db()
    assert referral.outcome == Outcome.WAITING_LIST
    html = client.get(reverse("directory:referral_index")).content.decode()
    assert "Thank you for telling us." in html
    assert "Your answer: I&#x27;m on a waiting list" in html
    # Once answered, only the outcomes are offered (to change it), the answer chosen.
    assert "Ask me again in a few days" not in html
    assert re.search(r'value="waiting_list"[^>]* checked', html)


@pytest.mark.parametrize(
    ("answer", "thanks"),
    [("later", "We will ask again in a few days."), ("stop", "We will not ask about this again.")],
)
def test_later_and_stop_say_what_happens(
    member: User, service: Service, client_for: ClientFor, answer: str, thanks: str
) -> None:
    referral = referral_for(member, service)
    client = client_for(member)
    post_with_csrf(client, answer_url(referral), {"answer": answer})
    assert thanks in client.get(reverse("directory:referral_index")).content.decode()
    referral.refresh_from_db()
    assert referral.outcome == ""


@pytest.mark.parametrize("data", [{}, {"answer": "maybe"}])
def test_a_bad_answer_is_a_400_and_changes_nothing(
    member: User, service: Service, client_for: ClientFor, data: dict[str, str]
) -> None:
    referral = referral_for(member, service)
    response = post_with_csrf(client_for(member), answer_url(referral), data)
    assert response.status_code == 400
    assert "Please choose one of the answers." in response.content.decode()
    referral.refresh_from_db()
    assert (referral.outcome, referral.outcome_at) == ("", None)


def test_later_after_an_outcome_is_a_400(
    member: User, service: Service, client_for: ClientFor
) -> None:
    referral = referral_for(member, service, outcome=Outcome.CONNECTED, outcome_at=timezone.now())
    response = post_with_csrf(client_for(member), answer_url(referral), {"answer": "later"})
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.outcome == Outcome.CONNECTED


def test_nobody_answers_someone_elses_question(
    member: User, other_member: User, service: Service, client_for: ClientFor
) -> None:
    referral = referral_for(member, service)
    response = post_with_csrf(
        client_for(other_member), answer_url(referral), {"answer": "connected"}
    )
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.outcome == ""


def test_answering_refuses_a_get(member: User, service: Service, client_for: ClientFor) -> None:
    referral = referral_for(member, service)
    assert client_for(member).get(answer_url(referral)).status_code == 405


# --- The question on every page --------------------------------------------------------------


def request_as(user: User | None, path: str = "/", *, htmx: bool = False) -> Any:
    """A request as the middleware leaves it: with its user and django-htmx's details."""
    from django.contrib.auth.models import AnonymousUser
    from django_htmx.middleware import HtmxDetails

    request: Any = RequestFactory().get(path, headers=HTMX if htmx else {})
    request.user = user or AnonymousUser()
    request.htmx = HtmxDetails(request)
    return request


def test_a_visitor_gets_nothing_and_costs_no_query(db: None) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert referral_follow_up(request_as(None)) == {}
    assert len(queries) == 0


def test_a_member_with_a_due_question_gets_it_in_one_query(member: User, service: Service) -> None:
    referral_for(member, service)
    with CaptureQueriesContext(connection) as queries:
        context = referral_follow_up(request_as(member))
    assert len(queries) == 1
    assert context == {
        "referral_follow_up": {
            "service_name": "Harbor Warmline",
            "url": reverse("directory:referral_index"),
        }
    }
    html = render_to_string("directory/referrals/_follow_up_banner.html", context)
    # Every page shows the banner, so it never names the service.
    assert "How did it go with the service your peer shared?" in html
    assert "Harbor Warmline" not in html
    assert f'href="{reverse("directory:referral_index")}"' in html


def test_no_question_before_it_is_due_in_fragments_or_on_the_answers_page(
    member: User, service: Service
) -> None:
    referral_for(member, service, due_days_ago=-1)
    assert referral_follow_up(request_as(member)) == {}
    Referral.objects.update(follow_up_at=timezone.now() - timedelta(days=1))
    assert referral_follow_up(request_as(member, htmx=True)) == {}
    assert referral_follow_up(request_as(member, reverse("directory:referral_index"))) == {}


def test_the_question_reaches_the_pages_context(
    member: User, service: Service, client_for: ClientFor, settings: SettingsWrapper
) -> None:
    options = settings.TEMPLATES[0]["OPTIONS"]
    processors = options["context_processors"]
    if "peerlight.directory.context.referral_follow_up" not in processors:
        settings.TEMPLATES = [
            {
                **settings.TEMPLATES[0],
                "OPTIONS": {
                    **options,
                    "context_processors": [
                        *processors,
                        "peerlight.directory.context.referral_follow_up",
                    ],
                },
            }
        ]
    referral_for(member, service)
    response = client_for(member).get(reverse("chat:inbox"))
    assert response.context["referral_follow_up"]["service_name"] == "Harbor Warmline"
    assert referrals.next_question(member) is not None
