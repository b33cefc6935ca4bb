"""Talking to a peer, end to end, as two people in two browsers.

A visitor asks for a peer without an account, the peer who shares their
experience gets the offer with the reason and accepts, and they talk over
websockets against Peerlight's own ASGI application (``asgi_pages``). Then
the visitor ends the chat and says how it went, and the peer writes a note.
Every page is checked by the harness (accessibility, weight, hosts, CSP).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from peerlight.accounts.models import User
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.support.models import ChatRating, PeerNote, SupportRequest
from tests.browser.chat_helpers import SocketLog, send
from tests.browser.harness import BrowserPages
from tests.support.conftest import make_peer

pytestmark = pytest.mark.browser

# Offers and chat pages poll every few seconds when the socket is not there.
WAIT_MS = 15_000


def test_a_guest_finds_a_peer_who_has_been_there_and_they_talk(
    asgi_pages: BrowserPages, consent_documents: None
) -> None:
    peer = make_peer("Marisol", experiences=["perinatal", "depression"], topics=["feeling_low"])
    make_peer("Dev", experiences=["psychosis"], topics=["voices"])
    supporter = asgi_pages.new_page(user=peer)
    supporter.goto("/talk/peer/")
    expect(supporter.get_by_role("heading", name="Your peer dashboard")).to_be_visible()

    member = asgi_pages.new_page()
    member.goto("/talk/")
    member.get_by_label("Feeling low").check()
    member.get_by_label("Most important").select_option("perinatal")
    member.get_by_label("I agree to the terms of use").check()
    member.get_by_label("I have read the privacy notice").check()
    member.get_by_role("button", name="Continue without an account").click()
    request = SupportRequest.objects.select_related("member").get()
    assert request.member.is_guest
    # Marisol shares the first priority, so she is asked, not Dev.
    assert request.offers.get().peer == peer

    expect(supporter.get_by_text("You both listed: Perinatal")).to_be_visible(timeout=WAIT_MS)
    member_sockets = SocketLog(member)
    supporter_sockets = SocketLog(supporter)
    supporter.get_by_role("button", name="Accept and start the chat").click()
    expect(supporter.get_by_role("heading", name=f"Chat with {request.member}")).to_be_visible()

    member.get_by_role("link", name="Go to the chat").click(timeout=WAIT_MS)
    expect(member.get_by_role("heading", name="Chat with Marisol")).to_be_visible()

    send(member, "My baby is three weeks old and I feel so alone.")
    expect(supporter.locator("#messages")).to_contain_text("three weeks old", timeout=WAIT_MS)
    send(supporter, "I remember that feeling. You are not alone in this.")
    expect(member.locator("#messages")).to_contain_text("You are not alone", timeout=WAIT_MS)
    send(member, "Call me on 555 123 4567?")
    expect(supporter.locator("#messages")).to_contain_text(
        "[contact details hidden]", timeout=WAIT_MS
    )
    expect(supporter.locator("#messages")).not_to_contain_text("555 123 4567")

    request.refresh_from_db()
    assert request.conversation_id is not None
    # The messages came through the websockets, not the fallback polling.
    socket_path = f"/chat/ws/{request.conversation_id}/"
    assert any(url.endswith(socket_path) for url in member_sockets.urls)
    assert any(url.endswith(socket_path) for url in supporter_sockets.urls)
    assert supporter_sockets.pushed("three weeks old")
    assert member_sockets.pushed("You are not alone")
    texts = Message.objects.filter(conversation_id=request.conversation_id, kind="text")
    # Exactly one row per message sent: the socket never duplicated one.
    assert texts.count() == 3

    member.get_by_role("link", name="End chat").click()
    member.get_by_role("button", name="End chat").click()
    expect(member.get_by_role("heading", name="After your chat")).to_be_visible()
    member.get_by_role("link", name="Tell us how it went").click()
    member.get_by_label("5 — I felt completely heard").check()
    member.get_by_role("button", name="Send my answer").click()
    assert ChatRating.objects.get(request=request).felt_heard == 5

    # The peer sees the chat end and goes on to write a note.
    expect(supporter.locator("#messages")).to_contain_text("The chat has ended.", timeout=WAIT_MS)
    expect(supporter.get_by_label("Your message")).to_be_disabled()
    supporter.locator("#ended-next").get_by_role("link", name="What next").click()
    supporter.get_by_label("Strengths you noticed").fill("Reached out early, knows her needs.")
    supporter.get_by_role("button", name="Save the note").click()
    assert PeerNote.objects.get(request=request).author == peer


def test_the_chat_works_without_javascript_beside_a_peer_on_a_websocket(
    asgi_pages: BrowserPages, member: User
) -> None:
    peer = make_peer("Dev", experiences=["psychosis"])
    conversation = chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer, Participant.Role.SUPPORTER)],
    )
    address = f"/chat/{conversation.pk}/"
    supporter = asgi_pages.new_page(user=peer)
    supporter_sockets = SocketLog(supporter)
    supporter.goto(address)
    # No JavaScript: the member's messages go as plain form posts.
    plain = asgi_pages.new_page(user=member, javascript=False)
    plain.goto(address)

    send(plain, "Can you hear me? My browser blocks a lot of things.")
    expect(plain.locator("#messages")).to_contain_text("My browser blocks")
    # The post reaches the peer's open socket at once, not at the next poll.
    expect(supporter.locator("#messages")).to_contain_text("My browser blocks", timeout=5_000)
    assert supporter_sockets.pushed("My browser blocks")

    send(supporter, "I can. Take your time.")
    # Acknowledged means committed: only then can a fresh page show it.
    expect(supporter.locator("#messages")).to_contain_text("Sent", timeout=WAIT_MS)
    plain.get_by_role("link", name="Check for new messages").click()
    expect(plain.locator("#messages")).to_contain_text("Take your time.")
    assert Message.objects.filter(conversation=conversation, kind="text").count() == 2
