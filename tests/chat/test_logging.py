"""What a person writes in a chat never reaches the logs."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.chat import actions
from peerlight.chat.models import Conversation
from tests.conftest import post_with_csrf

SECRET = "zebra-violet-secret-words"


def test_no_message_text_reaches_the_logs(
    chat: Conversation,
    member: User,
    peer_supporter: User,
    client_for: Callable[[User | None], Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(member)
    send = reverse("chat:send", args=[chat.pk])
    post_with_csrf(client, send, {"body": f"{SECRET} one", "client_id": "l1"})
    post_with_csrf(
        client, send, {"body": f"{SECRET} two", "client_id": "l2"}, headers={"HX-Request": "true"}
    )
    # Refused input: the error path must not log the text either.
    post_with_csrf(client, send, {"body": f"{SECRET} " * 1000, "client_id": "l3"})
    actions.send_message(peer_supporter, chat, f"{SECRET} three, call 555 123 4567", "l4")
    client.get(reverse("chat:messages", args=[chat.pk]) + "?after=0")
    client.get(reverse("chat:conversation", args=[chat.pk]))
    actions.report_and_block(member, chat, reason="other", details=f"{SECRET} report")
    assert caplog.records, "logging at DEBUG should have captured something (queries at least)"
    assert SECRET not in caplog.text
    for record in caplog.records:
        assert SECRET not in repr(record.args)
