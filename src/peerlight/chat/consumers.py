"""The chat websocket: send with an ack after commit, resume from a seq, and live pushes.

Protocol (JSON text frames; the route is ``chat/ws/<conversation_id>/``):

- client → server: ``{"type": "send", "client_id", "body"}`` is answered by
  ``{"type": "ack", "client_id", "seq"}`` once the message is committed, or
  ``{"type": "error", "client_id", "message"}``; ``{"type": "resume",
  "after": N}`` by ``{"type": "messages", "items": [{"seq", "html"}]}``
  frames of at most ``RESUME_BATCH`` items until nothing is left;
  ``{"type": "typing"}`` and ``{"type": "read", "seq": N}`` get no answer.
- server → client: ``messages`` (new messages, rendered for this reader;
  when the reader's own message was rated concern or above, it comes back
  once with the safety card in it, just before its ack),
  ``typing`` (``name``, never to the typist), ``ended``; the socket closes
  with ``CLOSE_REFUSED`` when it may not (or may no longer) receive the
  conversation (at once when a facilitator removes its person), and
  ``CLOSE_SIGNED_OUT`` when its person signs out or is deactivated.

The channel layer carries ids only (``lib/events.py``): every push is
re-read through ``chat.access`` with the permission check, and each socket
remembers the highest seq it delivered, so a message never goes out twice on
one socket. A ``chat.message`` event names the socket that sent it
(``origin``, a channel name): that socket's client shows its message
already, so when nothing lies between it and what was delivered before it is
counted as delivered without being read back. The server is the source of
truth and a push is a nudge: a client that was away asks for everything
after its last seq with ``resume``.
Message text is never logged.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404
from django.template.loader import get_template
from django.utils import translation
from django.utils.translation import gettext

from peerlight.chat import access, actions, fanout, sending
from peerlight.chat.models import Conversation
from peerlight.chat.pooled import pooled
from peerlight.chat.views import (
    MESSAGE_TEMPLATE,
    SAFETY_READERS,
    MessageView,
    build_message_views,
)
from peerlight.lib.crisis import crisis_info
from peerlight.lib.events import conversation_group, serve_events_from, user_group

if TYPE_CHECKING:
    from peerlight.accounts.models import User

# Close codes (4000-4999 are the application's own): a client must not
# reconnect after either, it falls back to the page, which explains.
CLOSE_REFUSED = 4403
CLOSE_SIGNED_OUT = 4401
# Messages per frame when catching up.
RESUME_BATCH = 200
# A typing indicator is a hint: one event per socket this often is plenty.
TYPING_INTERVAL_SECONDS = 3.0
# Longer than any accepted message plus its JSON: bigger frames are refused
# before they are parsed.
MAX_FRAME_CHARS = 20_000


@dataclass(frozen=True)
class Rendered:
    """Messages rendered for one reader: JSON items and the highest seq among them."""

    items: list[dict[str, Any]]
    last_seq: int


def _render(language: str | None, views: list[MessageView]) -> Rendered:
    """Each message through the page's own partial, in the reader's language."""
    if not views:
        return Rendered([], 0)
    template = get_template(MESSAGE_TEMPLATE)
    with translation.override(language or None):
        crisis = (
            crisis_info(translation.get_language()) if any(v.safety_card for v in views) else None
        )
        items = [
            {"seq": item.message.seq, "html": template.render({"item": item, "crisis": crisis})}
            for item in views
        ]
    return Rendered(items, int(views[-1].message.seq))


def _conversation_if_allowed(
    user: User, conversation_id: int
) -> tuple[Conversation, dict[int, str]] | None:
    """The conversation (with its newest seq) and its display names, if ``user`` may receive it.

    The names are read here, before the socket opens, so the first message
    it delivers needs one query, not two (see ``_messages_after``).
    """
    if not access.can_receive(int(user.pk), conversation_id):
        return None
    try:
        conversation = access.get_conversation_for(user, conversation_id)
    except Http404:
        return None
    return conversation, access.display_names(conversation)


def _messages_after(
    user: User, conversation: Conversation, after_seq: int, limit: int, names: dict[int, str]
) -> Rendered | None:
    """Rendered messages after ``after_seq``; None if ``user`` may no longer receive them.

    The permission is checked afresh with the read (``access.deliverable_after``).
    ``names`` is the socket's cache of display names: filled on first use, and
    read again when a message comes from someone not in it or a notice says
    someone joined or left.
    """
    delivery = access.deliverable_after(int(user.pk), int(conversation.pk), after_seq, limit)
    if delivery is None:
        return None
    messages = delivery.messages
    access.refresh_names(names, int(conversation.pk), messages)
    # Notices are put in words while the views are built: in the reader's language.
    with translation.override(user.language or None):
        views = build_message_views(
            int(user.pk), messages, names=names, sees_risk=delivery.role in SAFETY_READERS
        )
    return _render(user.language, views)


def _own_message_with_card(
    user: User, conversation: Conversation, seq: int, names: dict[int, str]
) -> Rendered | None:
    """The sender's own message ``seq`` with the safety card, if it was rated concern or above."""
    delivery = access.deliverable_after(int(user.pk), int(conversation.pk), seq - 1, 1)
    if delivery is None:
        return None
    own = [
        message
        for message in delivery.messages
        if message.seq == seq and message.sender_id == user.pk and message.risk_level != "none"
    ]
    if not own:
        return None
    with translation.override(user.language or None):
        views = build_message_views(
            int(user.pk), own, names=names, sees_risk=delivery.role in SAFETY_READERS, card_seq=seq
        )
    return _render(user.language, views)


def _notify_typing(user: User, conversation_id: int) -> None:
    try:
        conversation = access.get_conversation_for(user, conversation_id)
    except Http404:
        return
    actions.notify_typing(user, conversation)


def _mark_read(user: User, conversation: Conversation, seq: int) -> None:
    # mark_read moves only a participation that was not removed; the socket's
    # conversation copy gives just its id.
    actions.mark_read(user, conversation, seq)


def _display_name(user: User, conversation_id: int, user_id: int) -> str:
    try:
        conversation = access.get_conversation_for(user, conversation_id)
    except Http404:
        return ""
    return access.display_names(conversation).get(user_id, "")


def _as_int(value: Any) -> int | None:
    # bool is an int to Python but not a seq to anyone.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


# Channels has no type hints, so its consumer is Any to mypy.
class ChatConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """One browser tab's socket on one conversation."""

    groups: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = []
        self.user: User | None = None
        self.conversation_id = 0
        self.conversation: Conversation | None = None
        # The highest seq this socket has sent its client: pushes send only
        # what lies above it, so nothing goes out twice.
        self.delivered_seq = 0
        self.last_typing_at = -TYPING_INTERVAL_SECONDS
        self.names: dict[int, str] = {}
        # Display names for rendering messages (see _messages_after).
        self.message_names: dict[int, str] = {}
        # This socket's own messages, acknowledged above delivered_seq: its
        # client shows them already, so pushes leave them out.
        self.own_seqs: set[int] = set()
        # The newest seq when the socket opened: pushes cover what comes after.
        self.connected_seq = 0

    async def dispatch(self, message: dict[str, Any]) -> None:
        # The person's group also carries events meant for other pages (a
        # support offer, say): a socket with no handler for one ignores it
        # instead of failing.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            return
        # Channels' own dispatch runs close_old_connections() before every
        # event, on asgiref's one shared thread: every event of the process
        # then queues behind that thread (a room of fifteen wakes fifteen
        # sockets per message). This consumer reaches the database only
        # through pooled() and database_sync_to_async, which look after
        # their connections themselves.
        await handler(message)

    def _member(self) -> tuple[User, Conversation]:
        """The person and conversation of an accepted socket."""
        assert self.user is not None
        assert self.conversation is not None
        return self.user, self.conversation

    def _is_ours(self, event: dict[str, Any]) -> bool:
        return self.conversation is not None and event.get("conversation") == self.conversation_id

    # --- Connection ---------------------------------------------------------

    async def connect(self) -> None:
        # Events sent from HTTP threads must be handed to this loop when the
        # channel layer is the in-memory one (lib/events.py).
        serve_events_from(asyncio.get_running_loop())
        user = self.scope.get("user")
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        if user is None or not user.is_authenticated:
            await self._refuse()
            return
        # Read the newest seq before joining the groups: a message committed
        # in between is fetched by the next push (pushes send everything above
        # delivered_seq), and the client's resume covers what came before.
        allowed = await pooled(_conversation_if_allowed)(user, self.conversation_id)
        if allowed is None:
            await self._refuse()
            return
        conversation, self.message_names = allowed
        self.user = user
        self.conversation = conversation
        self.delivered_seq = int(conversation.last_seq)
        self.connected_seq = self.delivered_seq
        # Join before accepting: once the client sees the socket open, a
        # sign-out or a new message must already reach it.
        for group in (conversation_group(self.conversation_id), user_group(int(user.pk))):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)
        await self.accept()

    async def _refuse(self) -> None:
        # Accept, then close with a code: a refused handshake reaches the
        # browser as a bare 1006, which it could not tell from a network
        # failure and would retry forever.
        await self.accept()
        await self.close(code=CLOSE_REFUSED)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user is None:
            return
        if not text_data or len(text_data) > MAX_FRAME_CHARS:
            await self._error(gettext("That could not be read."))
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            await self._error(gettext("That could not be read."))
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "send":
            await self._receive_send(content)
        elif kind == "resume":
            await self._receive_resume(content)
        elif kind == "typing":
            await self._receive_typing()
        elif kind == "read":
            await self._receive_read(content)
        else:
            await self._error(gettext("That could not be read."))

    # --- From the client ----------------------------------------------------

    async def _receive_send(self, content: dict[str, Any]) -> None:
        user, conversation = self._member()
        client_id = content.get("client_id")
        body = content.get("body")
        if not isinstance(client_id, str) or not isinstance(body, str):
            await self._error(gettext("That could not be read."), client_id)
            return
        try:
            sent = await sending.send(
                user, conversation, body, client_id, origin=self.channel_name
            )
        except actions.ChatError as error:
            await self._error(error.message, client_id)
            return
        seq = sent.seq
        if sent.risk_level != "none":
            # The member sees the safety card at once: their message comes
            # back with it before the ack, so the client keeps this copy.
            rendered = await pooled(_own_message_with_card)(
                user, conversation, seq, self.message_names
            )
            if rendered is not None:
                await self.send_json({"type": "messages", "items": rendered.items})
        # The client shows its own message already; it counts as delivered
        # when nothing lies between it and what this socket sent before, and
        # is left out of later pushes otherwise.
        if seq == self.delivered_seq + 1:
            self.delivered_seq = seq
        elif seq > self.delivered_seq:
            self.own_seqs.add(seq)
        await self.send_json({"type": "ack", "client_id": client_id, "seq": seq})

    async def _receive_resume(self, content: dict[str, Any]) -> None:
        user, conversation = self._member()
        after = _as_int(content.get("after"))
        if after is None:
            await self._error(gettext("That could not be read."))
            return
        while True:
            rendered = await pooled(_messages_after)(
                user, conversation, after, RESUME_BATCH, self.message_names
            )
            if rendered is None:
                await self.close(code=CLOSE_REFUSED)
                return
            # What lies between the connection's start and delivered_seq went
            # out on this socket already (a push can come before the resume).
            items = [
                item
                for item in rendered.items
                if not self.connected_seq < item["seq"] <= self.delivered_seq
            ]
            if items or not rendered.items:
                await self.send_json({"type": "messages", "items": items})
            if not rendered.items:
                return
            after = rendered.last_seq
            self.delivered_seq = max(self.delivered_seq, after)
            if len(rendered.items) < RESUME_BATCH:
                return

    async def _receive_typing(self) -> None:
        user, conversation = self._member()
        now = time.monotonic()
        if now - self.last_typing_at < TYPING_INTERVAL_SECONDS:
            return
        self.last_typing_at = now
        await pooled(_notify_typing)(user, int(conversation.pk))

    async def _receive_read(self, content: dict[str, Any]) -> None:
        user, conversation = self._member()
        seq = _as_int(content.get("seq"))
        if seq is None:
            await self._error(gettext("That could not be read."))
            return
        await pooled(_mark_read)(user, conversation, seq)

    async def _error(self, message: str, client_id: Any = None) -> None:
        reply: dict[str, Any] = {"type": "error", "message": message}
        if isinstance(client_id, str):
            reply["client_id"] = client_id
        await self.send_json(reply)

    # --- From the channel layer (ids only) ----------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        """A message was committed: send this reader whatever it has not had yet."""
        seq = _as_int(event.get("seq")) or 0
        if not self._is_ours(event) or seq <= self.delivered_seq:
            return
        if event.get("origin") == self.channel_name and seq == self.delivered_seq + 1:
            # This socket's own send, which its client shows already, with
            # nothing between it and what was delivered before: as with the
            # ack, it counts as delivered without reading it back.
            self.delivered_seq = seq
            return
        user, conversation = self._member()
        if conversation.kind == Conversation.Kind.GROUP:
            items = await self._group_items(user, seq)
        else:
            # One reader besides the sender: nothing to share, one read and render.
            rendered = await pooled(_messages_after)(
                user, conversation, self.delivered_seq, RESUME_BATCH, self.message_names
            )
            items = None if rendered is None else rendered.items
        if items is None:
            await self.close(code=CLOSE_REFUSED)
            return
        if not items:
            return
        last_seq = int(items[-1]["seq"])
        if self.own_seqs:
            items = [item for item in items if item["seq"] not in self.own_seqs]
            self.own_seqs = {own for own in self.own_seqs if own > last_seq}
        self.delivered_seq = last_seq
        if items:
            await self.send_json({"type": "messages", "items": items})

    async def _group_items(self, user: User, seq: int) -> list[dict[str, Any]] | None:
        """A group's new messages for this reader; None if they may no longer receive them.

        Every socket of this process woken by the same message shares one
        read (with the permission check) and one render per variant.
        """
        shared = await fanout.shared_read(
            self.conversation_id, fanout.read_start(self.delivered_seq, seq)
        )
        if not shared.may_receive(int(user.pk)):
            return None
        return await fanout.rendered(
            shared,
            int(user.pk),
            user.language or "",
            shared.sees_risk(int(user.pk)),
            self.message_names,
            after_seq=self.delivered_seq,
        )

    async def chat_typing(self, event: dict[str, Any]) -> None:
        """Someone else is typing: their display name, never to the typist."""
        if not self._is_ours(event):
            return
        user, conversation = self._member()
        typist = int(event.get("user", 0))
        if typist == int(user.pk):
            return
        if typist not in self.names:
            self.names[typist] = await pooled(_display_name)(user, int(conversation.pk), typist)
        if self.names[typist]:
            await self.send_json({"type": "typing", "name": self.names[typist]})

    async def chat_ended(self, event: dict[str, Any]) -> None:
        if self._is_ours(event):
            await self.send_json({"type": "ended"})

    async def chat_removed(self, event: dict[str, Any]) -> None:
        """A facilitator removed this person from the conversation: stop at once."""
        if self._is_ours(event):
            await self.close(code=CLOSE_REFUSED)

    async def user_disconnect(self, event: dict[str, Any]) -> None:
        """The person signed out or was deactivated: this socket's session is over."""
        await self.close(code=CLOSE_SIGNED_OUT)
