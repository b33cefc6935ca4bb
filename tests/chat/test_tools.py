"""Peer tools: links apps add to a chat page, shown to the peers of an open chat only."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext_lazy

from peerlight.accounts.models import User
from peerlight.chat import access, actions, tools
from peerlight.chat.models import Conversation, Participant

ClientFor = Callable[[User | None], Client]
NAME = "tests.sample"


@pytest.fixture
def sample_tool() -> Iterator[None]:
    tools.register_tool(NAME, gettext_lazy("Sample tool"), lambda pk: f"/sample/{pk}/")
    yield
    tools.unregister_tool(NAME)


def seat(user: User, chat: Conversation) -> Participant | None:
    return access.participant_for(int(user.pk), int(chat.pk))


@pytest.mark.usefixtures("sample_tool")
def test_the_peer_in_an_open_chat_sees_the_tool(chat: Conversation, peer_supporter: User) -> None:
    shown = [
        tool for tool in tools.tools_for(seat(peer_supporter, chat)) if tool.label == "Sample tool"
    ]
    assert shown == [tools.PeerTool("Sample tool", f"/sample/{chat.pk}/")]


@pytest.mark.usefixtures("sample_tool")
def test_a_facilitator_sees_it_too(member: User, peer_supporter: User) -> None:
    group = actions.start_conversation(
        kind=Conversation.Kind.GROUP,
        members=[
            (member, Participant.Role.PARTICIPANT),
            (peer_supporter, Participant.Role.FACILITATOR),
        ],
    )
    assert any(
        tool.label == "Sample tool" for tool in tools.tools_for(seat(peer_supporter, group))
    )
    assert tools.tools_for(seat(member, group)) == []


@pytest.mark.usefixtures("sample_tool")
def test_members_strangers_and_peers_who_left_see_none(
    chat: Conversation, member: User, peer_supporter: User, other_member: User
) -> None:
    assert tools.tools_for(seat(member, chat)) == []
    assert tools.tools_for(seat(other_member, chat)) == []
    assert tools.tools_for(None) == []
    actions.leave_conversation(peer_supporter, chat)
    assert tools.tools_for(seat(peer_supporter, chat)) == []


@pytest.mark.usefixtures("sample_tool")
def test_an_ended_chat_shows_no_tools(chat: Conversation, peer_supporter: User) -> None:
    actions.end_conversation(peer_supporter, chat)
    assert tools.tools_for(seat(peer_supporter, chat)) == []


def test_a_tool_that_links_off_site_is_left_out(chat: Conversation, peer_supporter: User) -> None:
    tools.register_tool(NAME, "Elsewhere", lambda pk: "https://elsewhere.example/")
    try:
        labels = [tool.label for tool in tools.tools_for(seat(peer_supporter, chat))]
    finally:
        tools.unregister_tool(NAME)
    assert "Elsewhere" not in labels


def test_registering_again_replaces_the_tool(chat: Conversation, peer_supporter: User) -> None:
    tools.register_tool(NAME, "First", lambda pk: "/first/")
    tools.register_tool(NAME, "Second", lambda pk: "/second/")
    try:
        labels = [tool.label for tool in tools.tools_for(seat(peer_supporter, chat))]
    finally:
        tools.unregister_tool(NAME)
    assert "Second" in labels
    assert "First" not in labels


@pytest.mark.usefixtures("sample_tool")
def test_the_chat_page_links_the_tool_for_the_peer_only(
    chat: Conversation, member: User, peer_supporter: User, client_for: ClientFor
) -> None:
    page = reverse("chat:conversation", args=[chat.pk])
    link = f'<a href="/sample/{chat.pk}/">Sample tool</a>'
    assert link in client_for(peer_supporter).get(page).content.decode()
    assert link not in client_for(member).get(page).content.decode()
