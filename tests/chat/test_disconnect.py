"""Open chat sockets close when their person signs out or is deactivated.

A websocket is authenticated once, when it connects; signing out, ending
every session or closing the account tells the person's sockets to close
(code 4401), and a reconnect with the old cookie is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client, RequestFactory
from django.urls import reverse

from peerlight.accounts import actions as account_actions
from peerlight.accounts.models import User
from peerlight.chat.consumers import CLOSE_REFUSED, CLOSE_SIGNED_OUT
from tests.chat.test_consumers import (
    close_code,
    direct_conversation,
    open_socket,
    receive,
    run,
    session_cookie,
)
from tests.conftest import post_with_csrf

pytestmark = pytest.mark.django_db(transaction=True)


def test_signing_out_closes_the_persons_sockets_and_the_cookie_stops_working(
    member: User, peer_supporter: User, client_for: Callable[[User | None], Client]
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    client = client_for(member)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    peer_cookie = session_cookie(peer_supporter)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        peer_socket = await open_socket(peer_cookie, conversation.pk)
        response = await sync_to_async(post_with_csrf)(client, reverse("accounts:logout"))
        assert response.status_code == 302
        assert await close_code(socket) == CLOSE_SIGNED_OUT
        # The other person's socket stays open and working.
        await peer_socket.send_json_to({"type": "send", "client_id": "still", "body": "Hi"})
        assert (await receive(peer_socket))["type"] == "ack"
        await peer_socket.disconnect()
        again = await open_socket(cookie, conversation.pk)
        assert await close_code(again) == CLOSE_REFUSED

    run(body)


def test_ending_every_session_closes_every_socket(member: User, peer_supporter: User) -> None:
    conversation = direct_conversation(member, peer_supporter)
    phone, laptop = session_cookie(member), session_cookie(member)

    async def body() -> None:
        sockets = [await open_socket(cookie, conversation.pk) for cookie in (phone, laptop)]
        await sync_to_async(account_actions.end_all_sessions)(member, actor=member)
        for socket in sockets:
            assert await close_code(socket) == CLOSE_SIGNED_OUT

    run(body)


def test_deactivation_closes_the_socket(
    member: User, peer_supporter: User, admin_user: User
) -> None:
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await sync_to_async(account_actions.deactivate_account)(admin_user, member)
        assert await close_code(socket) == CLOSE_SIGNED_OUT
        again = await open_socket(cookie, conversation.pk)
        assert await close_code(again) == CLOSE_REFUSED

    run(body)


def test_any_log_out_closes_the_socket(member: User, peer_supporter: User) -> None:
    # Django's own logout (the admin's, say) sends user_logged_out too.
    conversation = direct_conversation(member, peer_supporter)
    cookie = session_cookie(member)

    def log_out() -> None:
        request = RequestFactory().post("/")
        request.user = member
        request.session = _session_store(cookie)
        logout(request)

    async def body() -> None:
        socket = await open_socket(cookie, conversation.pk)
        await sync_to_async(log_out)()
        assert await close_code(socket) == CLOSE_SIGNED_OUT

    run(body)


def _session_store(key: str) -> SessionBase:
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(key)
    return store
