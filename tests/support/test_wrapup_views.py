"""The wrap-up pages: rate, write the note, read it, ask for the same peer again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.audit.models import AuditEntry
from peerlight.support import wrapup
from peerlight.support.access import SAME_PEER_RATING
from peerlight.support.models import ChatRating, PeerNote, SupportRequest
from tests.conftest import csrf_token, post_with_csrf
from tests.support.test_wrapup import NOTE, chat_request

ClientFor = Callable[[User | None], Client]


@pytest.fixture
def ended(member: User, peer_supporter: User) -> SupportRequest:
    return chat_request(member, peer_supporter)


def url(name: str, request: SupportRequest) -> str:
    return reverse(f"support:{name}", args=[request.pk])


# --- Rate ----------------------------------------------------------------------


def test_the_member_sees_the_form_and_rates(
    client_for: ClientFor, member: User, ended: SupportRequest
) -> None:
    client = client_for(member)
    page = client.get(url("rate", ended))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="radio"' in html
    assert 'name="felt_heard"' in html
    assert "<legend" in html
    response = post_with_csrf(client, url("rate", ended), {"felt_heard": "4", "words": "Kind."})
    assert response.status_code == 302
    assert response["Location"] == url("request", ended)
    rating = ChatRating.objects.get()
    assert (rating.felt_heard, rating.words) == (4, "Kind.")


@pytest.mark.parametrize("data", [{}, {"felt_heard": "7"}, {"felt_heard": "x"}])
def test_a_bad_rating_is_refused_clearly(
    client_for: ClientFor, member: User, ended: SupportRequest, data: dict[str, str]
) -> None:
    response = post_with_csrf(client_for(member), url("rate", ended), data)
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert not ChatRating.objects.exists()


def test_rating_words_over_the_limit_are_refused(
    client_for: ClientFor, member: User, ended: SupportRequest
) -> None:
    data = {"felt_heard": "3", "words": "x" * (wrapup.MAX_WORDS + 1)}
    assert post_with_csrf(client_for(member), url("rate", ended), data).status_code == 400
    assert not ChatRating.objects.exists()


def test_a_chat_still_going_shows_no_form_and_refuses_a_post(
    client_for: ClientFor, member: User, peer_supporter: User
) -> None:
    going = chat_request(member, peer_supporter, status=SupportRequest.Status.CONNECTED)
    client = client_for(member)
    assert 'name="felt_heard"' not in client.get(url("rate", going)).content.decode()
    response = post_with_csrf(client, url("rate", going), {"felt_heard": "5"})
    assert response.status_code == 400
    assert not ChatRating.objects.exists()


def test_a_settled_rating_is_shown_not_offered_again(
    client_for: ClientFor, member: User, ended: SupportRequest
) -> None:
    wrapup.rate_chat(member, ended, 4)
    ChatRating.objects.update(created_at=ChatRating.objects.get().created_at.replace(year=2020))
    page = client_for(member).get(url("rate", ended))
    assert page.status_code == 200
    assert 'name="felt_heard"' not in page.content.decode()


@pytest.mark.parametrize("who", ["other_member", "peer_supporter", "coordinator"])
@pytest.mark.parametrize("name", ["rate", "read_note"])
def test_strangers_get_a_404(
    client_for: ClientFor,
    peer_supporter: User,
    ended: SupportRequest,
    who: str,
    name: str,
    request: pytest.FixtureRequest,
) -> None:
    wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    client = client_for(request.getfixturevalue(who))
    assert client.get(url(name, ended)).status_code == 404
    assert not AuditEntry.objects.filter(verb=wrapup.NOTE_READ).exists()


def test_a_stranger_cannot_post_a_rating(
    client_for: ClientFor, other_member: User, ended: SupportRequest
) -> None:
    response = post_with_csrf(client_for(other_member), url("rate", ended), {"felt_heard": "1"})
    assert response.status_code == 404
    assert not ChatRating.objects.exists()


@pytest.mark.parametrize("name", ["rate", "note", "read_note"])
def test_anonymous_people_are_sent_to_log_in(
    client_for: ClientFor, ended: SupportRequest, name: str
) -> None:
    response = client_for(None).get(url(name, ended))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- The note ------------------------------------------------------------------


def test_the_peer_writes_and_changes_the_note(
    client_for: ClientFor, peer_supporter: User, ended: SupportRequest
) -> None:
    client = client_for(peer_supporter)
    page = client.get(url("note", ended))
    assert page.status_code == 200
    assert "Write as if the member will read it" in page.content.decode()
    response = post_with_csrf(client, url("note", ended), NOTE)
    assert response.status_code == 302
    assert PeerNote.objects.get().strengths == NOTE["strengths"]
    again = client.get(url("note", ended)).content.decode()
    assert "notebook by the bed" in again  # the saved note fills the form
    post_with_csrf(client, url("note", ended), {**NOTE, "next_step": "Rest."})
    assert PeerNote.objects.get().next_step == "Rest."


def test_an_empty_note_is_refused(
    client_for: ClientFor, peer_supporter: User, ended: SupportRequest
) -> None:
    response = post_with_csrf(client_for(peer_supporter), url("note", ended), {"strengths": " "})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert not PeerNote.objects.exists()


@pytest.mark.parametrize("who", ["member", "other_member", "coordinator"])
def test_only_the_peer_reaches_the_note_form(
    client_for: ClientFor, ended: SupportRequest, who: str, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    assert client.get(url("note", ended)).status_code == 404
    assert post_with_csrf(client, url("note", ended), NOTE).status_code == 404
    assert not PeerNote.objects.exists()


# --- Reading the note ------------------------------------------------------------


def test_the_member_reads_the_note_and_it_is_audited(
    client_for: ClientFor, member: User, peer_supporter: User, ended: SupportRequest
) -> None:
    wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    page = client_for(member).get(url("read_note", ended))
    assert page.status_code == 200
    assert NOTE["next_step"] in page.content.decode()
    assert AuditEntry.objects.filter(verb=wrapup.NOTE_READ, actor_id=member.pk).count() == 1


def test_no_note_yet_is_a_404(client_for: ClientFor, member: User, ended: SupportRequest) -> None:
    assert client_for(member).get(url("read_note", ended)).status_code == 404


# --- The same peer again ------------------------------------------------------------


def test_asking_again_opens_a_new_request_and_goes_to_it(
    client_for: ClientFor, member: User, ended: SupportRequest
) -> None:
    wrapup.rate_chat(member, ended, 5)
    response = post_with_csrf(client_for(member), url("again", ended))
    new = SupportRequest.objects.exclude(pk=ended.pk).get()
    assert new.wants_same_peer
    assert response.status_code == 302
    assert response["Location"] == url("request", new)


def test_asking_again_without_a_good_rating_explains_and_changes_nothing(
    client_for: ClientFor, member: User, ended: SupportRequest
) -> None:
    client = client_for(member)
    response = post_with_csrf(client, url("again", ended))
    assert response.status_code == 302
    assert response["Location"] == url("request", ended)
    assert SupportRequest.objects.count() == 1


def test_a_stranger_cannot_ask_for_someone_elses_peer(
    client_for: ClientFor, other_member: User, member: User, ended: SupportRequest
) -> None:
    wrapup.rate_chat(member, ended, 5)
    assert post_with_csrf(client_for(other_member), url("again", ended)).status_code == 404
    assert SupportRequest.objects.count() == 1


# --- Methods -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [("again", "get"), ("read_note", "post"), ("rate", "put"), ("note", "delete")],
)
def test_wrong_methods_are_refused(
    client_for: ClientFor, member: User, ended: SupportRequest, name: str, method: str
) -> None:
    client = client_for(member)
    # A valid CSRF token, so that only the method can be refused.
    headers = {"X-CSRFToken": csrf_token(client)}
    response = getattr(client, method)(url(name, ended), headers=headers)
    assert response.status_code == 405


# --- The wrap-up on the request page ------------------------------------------------


@pytest.mark.parametrize("felt_heard", [SAME_PEER_RATING - 1, SAME_PEER_RATING])
def test_the_request_page_offers_the_same_peer_exactly_when_the_action_allows(
    client_for: ClientFor,
    member: User,
    peer_supporter: User,
    ended: SupportRequest,
    felt_heard: int,
) -> None:
    client = client_for(member)
    before = client.get(url("request", ended)).content.decode()
    assert url("rate", ended) in before
    assert url("read_note", ended) not in before
    wrapup.rate_chat(member, ended, felt_heard)
    wrapup.write_peer_note(peer_supporter, ended, **NOTE)
    after = client.get(url("request", ended)).content.decode()
    assert url("read_note", ended) in after
    assert (url("again", ended) in after) == wrapup.can_ask_for_same_peer(ended)
