"""Cards: structured messages an app posts into a chat, validated, delivered like messages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from peerlight import safety
from peerlight.accounts.models import User
from peerlight.chat import actions
from peerlight.chat.cards import MAX_LINES, MAX_TITLE, Card, card_from_body
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.chat.views import render_messages
from tests.chat.conftest import Drain
from tests.chat.test_consumers import direct_conversation, open_socket, receive, run
from tests.chat.test_consumers import session_cookie as socket_cookie

ClientFor = Callable[[User | None], Client]

CARD = Card(
    title="Harbor Counseling <Center>",
    lines=("Harbor Health", "555-0142"),
    url="/directory/services/4f1c2b9e-0000-4000-8000-000000000001/",
)


# --- The card itself -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/",
        "//elsewhere.example/",
        "/\\elsewhere.example/",
        "javascript:alert(1)",
        " /directory/",
        "/directory/ x",
        "/directory/\n",
        "",
    ],
)
def test_a_card_links_only_to_a_path_on_this_site(url: str) -> None:
    with pytest.raises(ValueError, match="link"):
        Card(title="A service", lines=(), url=url)


@pytest.mark.parametrize(
    ("title", "lines"),
    [
        ("", ()),
        ("   ", ()),
        ("x" * (MAX_TITLE + 1), ()),
        ("A service", ("line",) * (MAX_LINES + 1)),
        ("A service", ("x" * 201,)),
    ],
)
def test_a_card_needs_a_short_title_and_a_few_short_lines(
    title: str, lines: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match=r"title|line"):
        Card(title=title, lines=lines, url="/directory/")


def test_a_card_goes_to_json_and_back() -> None:
    assert card_from_body(CARD.to_body()) == CARD


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        '{"title": "x", "lines": "not a list", "url": "/"}',
        '{"title": "x", "lines": [], "url": "https://elsewhere.example/"}',
        '{"lines": [], "url": "/"}',
    ],
)
def test_a_body_without_a_valid_card_reads_as_none(body: str) -> None:
    assert card_from_body(body) is None


# --- Posting -----------------------------------------------------------------------


def test_a_peer_posts_a_card_with_the_next_seq_and_it_counts_as_read(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    actions.send_message(member, chat, "hello", "a1")
    posted = actions.post_card(peer_supporter, chat, CARD, "share-1")
    assert posted.created
    message = Message.objects.get(pk=posted.message.pk)
    assert (message.kind, message.seq, message.sender_id) == ("card", 2, peer_supporter.pk)
    assert card_from_body(message.body) == CARD
    assert Participant.objects.get(conversation=chat, user=peer_supporter).last_read_seq == 2
    assert Participant.objects.get(conversation=chat, user=member).last_read_seq == 1


def test_a_card_is_neither_masked_nor_read_by_the_safety_check(
    chat: Conversation, peer_supporter: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the safety hook read a card")

    monkeypatch.setattr(safety, "assess_message", must_not_run)
    posted = actions.post_card(peer_supporter, chat, CARD, "share-2")
    assert posted.masked == ()
    assert posted.message.masked == []
    assert posted.message.risk_level == "none"
    # The phone number is the card's content, not a detail to hide.
    assert "555-0142" in Message.objects.get(pk=posted.message.pk).body


def test_a_retried_card_returns_the_one_already_posted(
    chat: Conversation, peer_supporter: User
) -> None:
    first = actions.post_card(peer_supporter, chat, CARD, "share-3")
    again = actions.post_card(peer_supporter, chat, CARD, "share-3")
    assert not again.created
    assert again.message.pk == first.message.pk
    chat.refresh_from_db()
    assert chat.last_seq == 1
    assert Message.objects.filter(conversation=chat).count() == 1


def test_a_stranger_cannot_post_a_card_and_nothing_is_saved(
    chat: Conversation, other_member: User
) -> None:
    with pytest.raises(actions.ChatError):
        actions.post_card(other_member, chat, CARD, "share-4")
    assert not Message.objects.filter(conversation=chat).exists()


def test_a_peer_who_left_cannot_post_a_card(chat: Conversation, peer_supporter: User) -> None:
    actions.leave_conversation(peer_supporter, chat)
    before = Message.objects.filter(conversation=chat).count()
    with pytest.raises(actions.ChatError):
        actions.post_card(peer_supporter, chat, CARD, "share-5")
    assert Message.objects.filter(conversation=chat).count() == before


def test_no_card_goes_into_an_ended_chat(chat: Conversation, peer_supporter: User) -> None:
    actions.end_conversation(peer_supporter, chat)
    with pytest.raises(actions.ChatError):
        actions.post_card(peer_supporter, chat, CARD, "share-6")
    assert not Message.objects.filter(kind=Message.Kind.CARD).exists()


@pytest.mark.parametrize("client_id", ["", "has space", "x" * 65])
def test_a_card_needs_a_well_formed_client_id(
    chat: Conversation, peer_supporter: User, client_id: str
) -> None:
    with pytest.raises(ValueError, match="client id"):
        actions.post_card(peer_supporter, chat, CARD, client_id)
    assert not Message.objects.filter(conversation=chat).exists()


def test_the_card_event_goes_out_after_commit_with_ids_only(
    chat: Conversation,
    peer_supporter: User,
    heard: Drain,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.post_card(peer_supporter, chat, CARD, "share-7")
    assert heard() == []
    for callback in callbacks:
        callback()
    events = heard()
    assert events == [{"type": "chat.message", "conversation": chat.pk, "seq": 1}]
    assert "Harbor" not in repr(events)


# --- Seeing it ---------------------------------------------------------------------


def test_the_member_sees_the_card_on_the_page_without_javascript(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    actions.post_card(peer_supporter, chat, CARD, "share-8")
    response = client_for(member).get(reverse("chat:conversation", args=[chat.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        f'<a href="{CARD.url}">Harbor Counseling &lt;Center&gt;</a>' in html
    )  # escaped, and the link
    assert "<p>Harbor Health</p>" in html
    assert "<p>555-0142</p>" in html
    assert 'class="message card"' in html


def test_a_card_body_that_is_not_a_card_shows_a_calm_note(
    chat: Conversation, member: User, peer_supporter: User
) -> None:
    Message.objects.create(
        conversation=chat,
        seq=1,
        client_id="odd",
        sender=peer_supporter,
        kind=Message.Kind.CARD,
        body='{"title": "x", "lines": [], "url": "https://elsewhere.example/"}',
    )
    html = render_messages(member, chat, list(Message.objects.filter(conversation=chat)))
    assert "This shared item cannot be shown." in html
    assert "elsewhere.example" not in html


@pytest.mark.django_db(transaction=True)
def test_the_member_gets_the_card_over_the_socket(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = socket_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await sync_to_async(actions.post_card)(peer_supporter, conversation, CARD, "share-9")
        frame = await receive(socket)
        assert frame["type"] == "messages"
        [item] = frame["items"]
        assert item["seq"] == 1
        assert f'<a href="{CARD.url}">Harbor Counseling &lt;Center&gt;</a>' in item["html"]
        assert "<p>555-0142</p>" in item["html"]
        await socket.disconnect()

    run(body)
