"""The chat pages: the conversation, the poller's fragment, sending, reading, ending, reporting."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.chat import actions
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.safety.detector import Assessment
from tests.conftest import delete_with_csrf, post_with_csrf

ClientFor = Callable[[User | None], Client]
HTMX = {"HX-Request": "true"}


def url(name: str, chat: Conversation) -> str:
    return reverse(name, args=[chat.pk])


# --- The conversation page ---------------------------------------------------------


def test_the_page_shows_the_chat_by_display_names_only(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    actions.send_message(member, chat, "first line\nsecond <b>line</b>", "a1")
    actions.send_message(peer_supporter, chat, "I hear you", "b1")
    response = client_for(member).get(url("chat:conversation", chat))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chat with Jordan" in html
    assert "river@example.org" not in html
    assert "first line<br>second &lt;b&gt;line&lt;/b&gt;" in html
    assert 'id="m-1" data-seq="1"' in html
    assert ">You<" in html
    assert '<ol id="messages" class="chat-messages"' in html
    assert (
        f'data-conversation="{chat.pk}" data-last-seq="2" data-socket="/chat/ws/{chat.pk}/"'
        in html
    )
    assert f'action="{url("chat:send", chat)}"' in html
    assert 'id="send-form"' in html
    assert re.search(r'name="client_id" value="[0-9a-f]{32}"', html)
    assert 'id="typing" class="chat-typing" aria-live="polite"' in html
    assert (
        f'id="poller" hx-get="{url("chat:messages", chat)}?after=2" hx-trigger="every 3s"' in html
    )
    assert 'href="/talk/requests/1/"' in html
    assert url("chat:report", chat) in html
    assert url("chat:end", chat) in html
    # Opening the page reads everything in it.
    assert Participant.objects.get(conversation=chat, user=member).last_read_seq == 2


def test_each_render_gets_a_fresh_client_id(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    ids = {
        re.search(
            r'name="client_id" value="(\w+)"',
            client.get(url("chat:conversation", chat)).content.decode(),
        )[1]  # type: ignore[index]  # the page always has one
        for _ in range(2)
    }
    assert len(ids) == 2


def test_a_stranger_gets_a_404_and_a_visitor_is_sent_to_log_in(
    chat: Conversation, other_member: User, client_for: ClientFor
) -> None:
    for name in ("chat:conversation", "chat:messages", "chat:end", "chat:report"):
        assert client_for(other_member).get(url(name, chat)).status_code == 404
        response = client_for(None).get(url(name, chat))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    missing = reverse("chat:conversation", args=[chat.pk + 100])
    assert client_for(other_member).get(missing).status_code == 404


def test_a_removed_participant_gets_a_404(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    Participant.objects.filter(conversation=chat, user=member).update(is_removed=True)
    assert client_for(member).get(url("chat:conversation", chat)).status_code == 404


def test_an_ended_chat_shows_no_form_and_offers_what_next(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    actions.end_conversation(peer_supporter, chat)
    html = client_for(member).get(url("chat:conversation", chat)).content.decode()
    assert 'id="send-form"' not in html
    assert 'id="poller"' not in html
    assert "The chat has ended." in html
    assert "What next" in html


def test_the_safety_card_shows_after_the_viewers_own_worrying_message(
    chat: Conversation, member: User, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(member)
    before = client.get(url("chat:conversation", chat)).content.decode()
    monkeypatch.setattr(
        "peerlight.safety.assess_message",
        lambda *args, **kwargs: Assessment(level="imminent", reasons=("plan",)),
    )
    actions.send_message(member, chat, "words", "w1")
    after = client.get(url("chat:conversation", chat)).content.decode()
    assert 'id="safety-card-heading"' not in before
    assert 'id="safety-card-heading"' in after
    # The writer is not shown the safety check's reasons about their own words.
    assert "The safety check noticed" not in after


def test_a_peer_sees_what_the_safety_check_noticed(
    chat: Conversation,
    member: User,
    peer_supporter: User,
    client_for: ClientFor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "peerlight.safety.assess_message",
        lambda *args, **kwargs: Assessment(level="concern", reasons=("en:hopeless:so alone",)),
    )
    actions.send_message(member, chat, "words", "w1")
    html = client_for(peer_supporter).get(url("chat:conversation", chat)).content.decode()
    assert "The safety check noticed: Hopelessness: “so alone”" in html


def test_system_notices_are_shown_in_words(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    actions.post_notice(chat, "paused")
    html = client_for(member).get(url("chat:conversation", chat)).content.decode()
    assert "The chat is paused for a moment." in html
    assert ">paused<" not in html


def test_the_page_refuses_other_methods(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    assert post_with_csrf(client_for(member), url("chat:conversation", chat)).status_code == 405


# --- The poller's fragment ----------------------------------------------------------


def test_the_fragment_has_the_messages_after_n_and_the_new_mark(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    for number in range(3):
        actions.send_message(peer_supporter, chat, f"message {number}", f"p{number}")
    response = client_for(member).get(url("chat:messages", chat) + "?after=1", headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="m-2"' in html
    assert 'id="m-3"' in html
    assert 'id="m-1"' not in html
    assert 'id="poll-after" name="after" value="3" hx-swap-oob="true"' in html
    assert Participant.objects.get(conversation=chat, user=member).last_read_seq == 3


def test_the_fragment_takes_the_highest_after_it_is_given(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    for number in range(3):
        actions.send_message(peer_supporter, chat, f"message {number}", f"p{number}")
    html = client_for(member).get(url("chat:messages", chat) + "?after=0&after=2").content.decode()
    assert 'id="m-3"' in html
    assert 'id="m-2"' not in html


def test_nothing_new_is_an_empty_fragment_and_an_ended_chat_stops_the_poller(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    response = client.get(url("chat:messages", chat) + "?after=0", headers=HTMX)
    assert response.status_code == 200
    assert "<li" not in response.content.decode()
    actions.end_conversation(member, chat)
    assert client.get(url("chat:messages", chat) + "?after=0").status_code == 200
    assert client.get(url("chat:messages", chat) + "?after=1").status_code == 286


@pytest.mark.parametrize("after", ["x", "-1", "1.5"])
def test_a_bad_after_is_a_400(
    chat: Conversation, member: User, client_for: ClientFor, after: str
) -> None:
    response = client_for(member).get(url("chat:messages", chat) + f"?after={after}")
    assert response.status_code == 400


# --- Sending ------------------------------------------------------------------------


def test_a_plain_form_post_sends_and_goes_back_to_the_page(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    response = post_with_csrf(
        client_for(member), url("chat:send", chat), {"body": "hello there", "client_id": "abc123"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("chat:conversation", chat) + "#latest"
    message = Message.objects.get(conversation=chat)
    assert (message.body, message.client_id, message.sender) == ("hello there", "abc123", member)


def test_an_htmx_post_gets_the_message_and_a_fresh_client_id(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    response = post_with_csrf(
        client_for(member),
        url("chat:send", chat),
        {"body": "hello there", "client_id": "abc123"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<li id="m-1" data-seq="1"')
    assert "hello there" in html
    fresh = re.search(r'id="id_client_id" name="client_id" value="(\w+)" hx-swap-oob="true"', html)
    assert fresh is not None
    assert fresh[1] != "abc123"


def test_a_retried_post_makes_no_second_message(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    for _ in range(2):
        post_with_csrf(client, url("chat:send", chat), {"body": "hi", "client_id": "same"})
    assert Message.objects.filter(conversation=chat).count() == 1


def test_masked_details_are_explained_gently(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    response = post_with_csrf(
        client,
        url("chat:send", chat),
        {"body": "call 555 123 4567", "client_id": "m1"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "contact details are hidden in chats" in html
    assert "Contact details hidden" in html
    # Ids and tokens in the page are random hex, so look for the number itself.
    assert "555 123 4567" not in html
    assert "123 4567" not in html
    post_with_csrf(client, url("chat:send", chat), {"body": "mail a@b.org", "client_id": "m2"})
    page = client.get(url("chat:conversation", chat)).content.decode()
    assert "Your peer can share resources through Peerlight instead." in page


@pytest.mark.parametrize(
    "data",
    [
        {"body": "", "client_id": "ok1"},
        {"body": "hello", "client_id": ""},
        {"body": "hello", "client_id": "not ok!"},
        {"body": "x" * 4001, "client_id": "ok1"},
    ],
)
def test_bad_input_is_a_400_and_nothing_is_saved(
    chat: Conversation, member: User, client_for: ClientFor, data: dict[str, str]
) -> None:
    client = client_for(member)
    page = post_with_csrf(client, url("chat:send", chat), data)
    assert page.status_code == 400
    assert 'class="error-summary"' in page.content.decode()
    fragment = post_with_csrf(client, url("chat:send", chat), data, headers=HTMX)
    assert fragment.status_code == 400
    assert 'id="send-status"' in fragment.content.decode()
    assert not Message.objects.exists()


def test_sending_to_an_ended_chat_is_refused_with_the_reason(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    actions.end_conversation(member, chat)
    response = post_with_csrf(
        client_for(member),
        url("chat:send", chat),
        {"body": "hello", "client_id": "x1"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert "This chat has ended." in response.content.decode()
    assert Message.objects.filter(kind=Message.Kind.TEXT).count() == 0


def test_a_stranger_cannot_send(
    chat: Conversation, other_member: User, client_for: ClientFor
) -> None:
    response = post_with_csrf(
        client_for(other_member), url("chat:send", chat), {"body": "hi", "client_id": "x1"}
    )
    assert response.status_code == 404
    assert not Message.objects.exists()


def test_send_and_read_refuse_a_get(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    assert client_for(member).get(url("chat:send", chat)).status_code == 405
    assert client_for(member).get(url("chat:read", chat)).status_code == 405


# --- Reading, ending, reporting -----------------------------------------------------


def test_read_moves_the_mark(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    for number in range(2):
        actions.send_message(member, chat, "hi", f"r{number}")
    client = client_for(peer_supporter)
    response = post_with_csrf(client, url("chat:read", chat), {"seq": "1"}, headers=HTMX)
    assert response.status_code == 204
    assert Participant.objects.get(conversation=chat, user=peer_supporter).last_read_seq == 1
    assert post_with_csrf(client, url("chat:read", chat), {"seq": "x"}).status_code == 400
    assert post_with_csrf(client, url("chat:read", chat), {"seq": "2"}).status_code == 302


def test_ending_asks_first_then_ends_and_goes_to_what_next(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    page = client.get(url("chat:end", chat))
    assert page.status_code == 200
    assert "End this chat?" in page.content.decode()
    chat.refresh_from_db()
    assert not chat.is_ended
    response = post_with_csrf(client, url("chat:end", chat))
    assert response.status_code == 302
    assert response["Location"] == "/talk/requests/1/"
    chat.refresh_from_db()
    assert chat.ended_by == member


def test_a_stranger_cannot_end_a_chat(
    chat: Conversation, other_member: User, client_for: ClientFor
) -> None:
    assert post_with_csrf(client_for(other_member), url("chat:end", chat)).status_code == 404
    chat.refresh_from_db()
    assert not chat.is_ended


def test_someone_who_left_cannot_end_the_chat(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    actions.leave_conversation(member, chat)
    assert post_with_csrf(client_for(member), url("chat:end", chat)).status_code == 400
    chat.refresh_from_db()
    assert not chat.is_ended


def test_the_report_form_preselects_a_reason_and_blocking(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    html = client_for(member).get(url("chat:report", chat)).content.decode()
    assert re.search(r'name="reason" value="other"[^>]*checked', html)
    assert re.search(r'name="block"[^>]*checked', html)


def test_reporting_blocks_ends_and_thanks(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    from peerlight.safety.access import is_blocked_between
    from peerlight.safety.models import Report

    client = client_for(member)
    response = post_with_csrf(
        client, url("chat:report", chat), {"reason": "contact", "details": "", "block": "on"}
    )
    assert response.status_code == 302
    assert Report.objects.get().reported == peer_supporter
    assert is_blocked_between(member.pk, peer_supporter.pk)
    assert "Thank you for telling us" in client.get(response["Location"]).content.decode()


def test_a_bad_report_is_a_400_and_nothing_changes(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    from peerlight.safety.models import Report

    response = post_with_csrf(client_for(member), url("chat:report", chat), {"reason": "nope"})
    assert response.status_code == 400
    assert not Report.objects.exists()
    chat.refresh_from_db()
    assert not chat.is_ended


def test_a_stranger_cannot_report_from_a_chat(
    chat: Conversation, other_member: User, client_for: ClientFor
) -> None:
    from peerlight.safety.models import Report

    response = post_with_csrf(
        client_for(other_member), url("chat:report", chat), {"reason": "other"}
    )
    assert response.status_code == 404
    assert not Report.objects.exists()


def test_end_and_report_refuse_other_methods(
    chat: Conversation, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    assert delete_with_csrf(client, url("chat:end", chat)).status_code == 405
    assert delete_with_csrf(client, url("chat:report", chat)).status_code == 405


# --- The inbox ----------------------------------------------------------------------


def test_the_inbox_lists_chats_with_unread_counts(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    actions.send_message(peer_supporter, chat, "hello", "i1")
    actions.send_message(peer_supporter, chat, "are you there?", "i2")
    ended = actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer_supporter, Participant.Role.SUPPORTER)],
    )
    actions.end_conversation(member, ended)
    response = client_for(member).get(reverse("chat:inbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 unread" in html
    assert "Ended" in html
    assert html.index(url("chat:conversation", ended)) < html.index(url("chat:conversation", chat))
    assert "hello" not in html


def test_the_inbox_is_for_signed_in_people_and_shows_only_their_chats(
    chat: Conversation, other_member: User, client_for: ClientFor
) -> None:
    response = client_for(None).get(reverse("chat:inbox"))
    assert response.status_code == 302
    html = client_for(other_member).get(reverse("chat:inbox")).content.decode()
    assert url("chat:conversation", chat) not in html
    assert post_with_csrf(client_for(other_member), reverse("chat:inbox")).status_code == 405
