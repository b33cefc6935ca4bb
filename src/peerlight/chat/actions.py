"""Every write to conversations: validated, in one transaction, events after commit.

Events carry ids only (``peerlight.lib.events``); a listener re-reads what
they point at through ``chat.access``. Audit entries are written for the
changes that matter to safety (ending a chat, reporting, who takes part),
not for each message: messages are their own record. Nothing here logs what
a person wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight import safety
from peerlight.audit.actions import record_change
from peerlight.chat import limits
from peerlight.chat.cards import Card
from peerlight.chat.masking import mask_contact_details
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.chat.signals import conversation_ended
from peerlight.lib import crisis
from peerlight.lib.events import conversation_group, send_now, send_on_commit
from peerlight.lib.ratelimit import RateLimited
from peerlight.safety import actions as safety_actions
from peerlight.safety import moderation as safety_moderation

if TYPE_CHECKING:
    from peerlight.accounts.models import User
    from peerlight.safety.models import Report

__all__ = [
    "MAX_BODY",
    "NOTICE_CODES",
    "ChatError",
    "SentMessage",
    "add_participant",
    "end_conversation",
    "leave_conversation",
    "mark_read",
    "notify_typing",
    "post_card",
    "post_notice",
    "post_system_notice",
    "report_and_block",
    "send_message",
    "start_conversation",
]

MAX_BODY = 4000
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NOTICE_CODES = ("joined", "left", "ended", "paused", "resumed")
SAFETY_SOURCE = "chat.conversation"
# What the safety hook reads together with a new message: the sender's last
# messages (up to RECENT_MESSAGES, within RECENT_WINDOW), looked at only when
# one of the conversation's last RECENT_SEQS messages from them was risky or
# the new one shows concern.
RECENT_MESSAGES = 7
RECENT_WINDOW = timedelta(hours=2)
RECENT_SEQS = 30
RETURNING_VENDORS = frozenset({"sqlite", "postgresql"})
NEXT_SEQ_SQL = (
    "UPDATE chat_conversation SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq"
)
# Everything a send must know before writing, in one read: the conversation's
# state, the sender's participation and account, and whether this client_id
# was saved already. No row: no such conversation.
# The column before last: whether one of the sender's recent messages here
# was risky (then the safety hook reads them together with the new one).
# The last, from the safety app: a mute, suspension or ban in force.
SENDER_STATE_SQL = """
SELECT c.ended_at, c.is_paused, p.id, p.left_at, p.is_removed, p.is_muted, u.is_active,
       (SELECT m.id FROM chat_message m WHERE m.conversation_id = c.id AND m.client_id = %s),
       EXISTS (SELECT 1 FROM chat_message r WHERE r.conversation_id = c.id
               AND r.seq > c.last_seq - %s AND r.sender_id = %s AND r.risk_level <> 'none'),
       {silenced}
FROM chat_conversation c
LEFT JOIN chat_participant p ON p.conversation_id = c.id AND p.user_id = %s
LEFT JOIN accounts_user u ON u.id = p.user_id
WHERE c.id = %s
"""
MARK_SENT_READ_SQL = (
    "UPDATE chat_participant SET last_read_seq = %s WHERE id = %s AND last_read_seq < %s"
)


class ChatError(Exception):
    """Refused input; ``message`` is a translated sentence for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SentMessage:
    message: Message
    created: bool
    masked: tuple[str, ...]
    risk_level: str


def _message_event(conversation_id: int, seq: int, origin: str = "") -> None:
    event: dict[str, object] = {
        "type": "chat.message",
        "conversation": conversation_id,
        "seq": seq,
    }
    if origin:
        event["origin"] = origin
    send_on_commit([conversation_group(conversation_id)], event)


def _next_seq(conversation_id: int) -> int:
    # The UPDATE takes the row's write lock, so concurrent senders queue here
    # and each reads back its own number; a rollback gives the number back.
    # One statement where the database can return the new value (SQLite
    # 3.35+, PostgreSQL): sending is the hottest write there is.
    if connection.vendor in RETURNING_VENDORS:
        with connection.cursor() as cursor:
            cursor.execute(NEXT_SEQ_SQL, [conversation_id])
            return int(cursor.fetchone()[0])
    Conversation.objects.filter(pk=conversation_id).update(last_seq=F("last_seq") + 1)
    return int(
        Conversation.objects.filter(pk=conversation_id).values_list("last_seq", flat=True).get()
    )


def _crisis_numbers() -> set[str]:
    """The phone and text numbers of the configured crisis contacts (never masked)."""
    numbers = set()
    for code, _name in settings.LANGUAGES:
        for contact in crisis.crisis_info(code)["contacts"]:
            for action in contact["actions"]:
                scheme, _sep, rest = action["href"].partition(":")
                if scheme in ("tel", "sms"):
                    numbers.add(re.sub(r"\D", "", rest.split("?")[0]))
    return numbers


# --- Starting and taking part -------------------------------------------------


def start_conversation(
    *,
    kind: str,
    members: Sequence[tuple[User, str]],
    title: str = "",
    context_url: str = "",
) -> Conversation:
    """A new conversation with ``members`` (each a user and a ``Participant.Role``)."""
    if kind not in Conversation.Kind.values:
        raise ValueError(f"Unknown conversation kind {kind!r}.")
    users = [user.pk for user, _role in members]
    if len(set(users)) != len(users) or not users:
        raise ValueError("Each member takes part once, and a conversation needs someone.")
    if kind == Conversation.Kind.DIRECT and len(users) != 2:
        raise ValueError("A one-to-one conversation has exactly two members.")
    with transaction.atomic():
        conversation = Conversation.objects.create(
            kind=kind, title=title[:120], context_url=context_url[:200]
        )
        Participant.objects.bulk_create(
            Participant(conversation=conversation, user=user, role=role) for user, role in members
        )
        record_change(None, "chat.conversation.start", conversation)
    return conversation


def add_participant(conversation: Conversation, user: User, role: str) -> Participant:
    """Let ``user`` into ``conversation`` (again, if they had left); notice "joined"."""
    with transaction.atomic():
        participant, created = Participant.objects.get_or_create(
            conversation=conversation, user=user, defaults={"role": role}
        )
        if participant.is_removed:
            raise ChatError(_("This person cannot join this conversation."))
        if not created and participant.left_at is None:
            return participant
        if not created:
            participant.left_at = None
            participant.role = role
            participant.save(update_fields=["left_at", "role"])
        record_change(None, "chat.participant.add", participant, subject=user)
        post_notice(conversation, "joined")
    return participant


def leave_conversation(user: User, conversation: Conversation) -> bool:
    """``user`` leaves (they may still read); False if they were not in it."""
    with transaction.atomic():
        left = Participant.objects.filter(
            conversation=conversation, user=user, left_at__isnull=True, is_removed=False
        ).update(left_at=timezone.now())
        if not left:
            return False
        record_change(user, "chat.participant.leave", conversation, subject=user)
        post_notice(conversation, "left")
    return True


# --- Messages -----------------------------------------------------------------


@dataclass(frozen=True)
class _SenderState:
    """What ``SENDER_STATE_SQL`` read for one send."""

    participant_id: int | None
    already_saved: bool
    refusal: str
    silenced: bool = False
    earlier_risk: bool = False


def _sender_state(conversation_id: int, user_id: int, client_id: str) -> _SenderState:
    """The sender's standing in the conversation, in one query inside the send's transaction."""
    silenced_sql, silenced_params = safety_moderation.silenced_sql("u.id")
    with connection.cursor() as cursor:
        cursor.execute(
            SENDER_STATE_SQL.format(silenced=silenced_sql),
            [client_id, RECENT_SEQS, user_id, *silenced_params, user_id, conversation_id],
        )
        row = cursor.fetchone()
    if row is None:
        return _SenderState(None, False, _("You are not in this conversation."))
    (
        ended_at,
        is_paused,
        participant_id,
        left_at,
        is_removed,
        is_muted,
        is_active,
        saved,
        earlier_risk,
        silenced,
    ) = row
    refusal = ""
    if participant_id is None or left_at is not None or is_removed or not is_active:
        refusal = _("You are not in this conversation.")
    elif ended_at is not None:
        refusal = _("This chat has ended.")
    elif is_paused:
        refusal = _("This chat is paused for a moment.")
    elif is_muted:
        refusal = _("You cannot send messages in this conversation right now.")
    return _SenderState(
        participant_id, saved is not None, refusal, bool(silenced), bool(earlier_risk)
    )


def _earlier_texts(conversation_id: int, user_id: int) -> list[str]:
    """The sender's last few messages here, oldest first, from the last ``RECENT_WINDOW``."""
    since = timezone.now() - RECENT_WINDOW
    bodies = list(
        Message.objects.filter(
            conversation_id=conversation_id,
            sender_id=user_id,
            kind=Message.Kind.TEXT,
            created_at__gte=since,
        )
        .order_by("-seq")
        .values_list("body", flat=True)[:RECENT_MESSAGES]
    )
    return bodies[::-1]


def _check_input(body: str, client_id: str) -> str:
    if not CLIENT_ID.match(client_id or ""):
        raise ChatError(_("The message could not be sent. Please reload the page and try again."))
    body = (body or "").strip()
    if not body:
        raise ChatError(_("Please write a message first."))
    if len(body) > MAX_BODY:
        raise ChatError(
            _("Please keep a message under %(limit)d characters.") % {"limit": MAX_BODY}
        )
    return body


def send_message(
    user: User, conversation: Conversation, body: str, client_id: str, *, origin: str = ""
) -> SentMessage:
    """Save one message from ``user``, or return the one this ``client_id`` already made.

    Refuses (``ChatError``, nothing saved) a sender who is not present,
    muted, or in an ended or paused conversation, an empty or over-long
    body and a malformed ``client_id``. Contact details are masked, the
    masked text passes the safety hook, the next ``seq`` is taken and the
    sender's own message counts as read. Sending too fast is refused
    (``chat.limits``); a retry of a saved message is not counted. After
    commit, ``chat.message`` goes to the conversation's group; ``origin``,
    the channel name of the sending socket if any, goes with it so that
    socket need not read its own message back.
    """
    body = _check_input(body, client_id)
    conversation_id = int(conversation.pk)
    with transaction.atomic():
        state, existing = _admit(user, conversation_id, client_id)
        if existing is not None:
            return existing
        text, masked = mask_contact_details(body, allowed_numbers=_crisis_numbers())
        assessment = safety.assess_message(
            text,
            language=user.language,
            source=SAFETY_SOURCE,
            source_id=conversation_id,
            author_id=int(user.pk),
            earlier=lambda: _earlier_texts(conversation_id, int(user.pk)),
            earlier_risk=state.earlier_risk,
        )
        try:
            with transaction.atomic():
                seq = _next_seq(conversation_id)
                message = Message.objects.create(
                    conversation=conversation,
                    seq=seq,
                    client_id=client_id,
                    sender=user,
                    body=text,
                    masked=list(masked),
                    risk_level=assessment.level,
                    risk_reasons=list(assessment.reasons),
                )
        except IntegrityError:
            # Another request with the same client_id committed first: the
            # unique constraint is the final guard against a duplicate.
            existing = _existing(conversation_id, client_id, user)
            if existing is None:
                raise
            return existing
        if assessment.level == "imminent":
            # The case the hook opened learns which message it was.
            safety_actions.note_message_seq(SAFETY_SOURCE, conversation_id, seq)
        # A peer asking a member for contact details, photos or a meeting
        # raises a report; the recipients are read only when the text matches.
        safety_moderation.screen_for_grooming(
            text,
            author_id=int(user.pk),
            source=SAFETY_SOURCE,
            source_id=conversation_id,
            recipient_ids=Participant.objects.filter(
                conversation_id=conversation_id, left_at__isnull=True, is_removed=False
            )
            .exclude(user_id=user.pk)
            .values_list("user_id", flat=True),
        )
        with connection.cursor() as cursor:
            cursor.execute(MARK_SENT_READ_SQL, [seq, state.participant_id, seq])
        _message_event(conversation_id, seq, origin)
    return SentMessage(message, True, masked, assessment.level)


def _admit(
    user: User, conversation_id: int, client_id: str
) -> tuple[_SenderState, SentMessage | None]:
    """May ``user`` post here now? The sender's state, and the message already
    saved under ``client_id`` (a retry) if there is one.

    Raises ``ChatError`` for a sender who is not present, is silenced, or
    sends too fast. Runs inside the caller's transaction.
    """
    state = _sender_state(conversation_id, int(user.pk), client_id)
    if state.already_saved:
        existing = _existing(conversation_id, client_id, user)
        if existing is not None:
            return state, existing
    if state.refusal or not user.is_active:
        raise ChatError(state.refusal or _("You are not in this conversation."))
    # Only a person under a mute, suspension or ban costs a second read.
    refusal = safety_moderation.send_refusal(user) if state.silenced else None
    if refusal:
        raise ChatError(refusal)
    try:
        limits.check_send(user)
    except RateLimited as limited:
        raise ChatError(limited.message()) from None
    return state, None


def _existing(conversation_id: int, client_id: str, user: User) -> SentMessage | None:
    message = (
        Message.objects.filter(conversation_id=conversation_id, client_id=client_id)
        .select_related("sender")
        .first()
    )
    if message is None:
        return None
    if message.sender_id != user.pk:
        # A client id is the sender's own; someone else's is refused, not revealed.
        raise ChatError(_("The message could not be sent. Please reload the page and try again."))
    return SentMessage(message, False, tuple(message.masked), message.risk_level)


def post_card(user: User, conversation: Conversation, card: Card, client_id: str) -> SentMessage:
    """Post ``card`` (built by an app, see ``chat.cards``) as a message from ``user``.

    The same path as ``send_message``: the sender must be present in an open,
    unpaused chat and not muted or silenced (``ChatError`` otherwise, nothing
    saved), the rate limit counts it, the next ``seq`` is taken, the card
    counts as read by its sender, and ``chat.message`` goes out after commit.
    A retry with the same ``client_id`` returns the card already posted
    (``created`` False). The card is neither masked nor passed to the safety
    hook: it holds the app's data, not the sender's words.
    """
    if not CLIENT_ID.match(client_id or ""):
        raise ValueError("A card needs a client id of letters, digits, '-' or '_'.")
    if not isinstance(card, Card):
        raise TypeError("post_card takes a chat.cards.Card.")
    conversation_id = int(conversation.pk)
    with transaction.atomic():
        state, existing = _admit(user, conversation_id, client_id)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                seq = _next_seq(conversation_id)
                message = Message.objects.create(
                    conversation=conversation,
                    seq=seq,
                    client_id=client_id,
                    sender=user,
                    kind=Message.Kind.CARD,
                    body=card.to_body(),
                )
        except IntegrityError:
            existing = _existing(conversation_id, client_id, user)
            if existing is None:
                raise
            return existing
        with connection.cursor() as cursor:
            cursor.execute(MARK_SENT_READ_SQL, [seq, state.participant_id, seq])
        _message_event(conversation_id, seq)
    return SentMessage(message, True, (), "none")


def post_notice(conversation: Conversation, code: str) -> Message:
    """A system notice (``NOTICE_CODES``), shown to each reader in their language."""
    if code not in NOTICE_CODES:
        raise ValueError(f"Unknown notice {code!r}.")
    return post_system_notice(conversation, code)


def post_system_notice(conversation: Conversation, body: str) -> Message:
    """A system message with ``body`` as it is: the next seq, and ``chat.message`` after commit.

    ``post_notice`` is this for the chat's own codes; other modules of the
    chat (``group``) post notices of their own with it.
    """
    with transaction.atomic():
        seq = _next_seq(int(conversation.pk))
        message = Message.objects.create(
            conversation_id=conversation.pk,
            seq=seq,
            client_id=f"notice-{seq}",
            kind=Message.Kind.SYSTEM,
            body=body,
        )
        conversation.last_seq = seq
        _message_event(int(conversation.pk), seq)
    return message


def mark_read(user: User, conversation: Conversation, seq: int) -> None:
    """Remember that ``user`` has read up to ``seq`` (never moves backwards)."""
    with transaction.atomic():
        # The newest seq is read afresh: the caller's object may be stale.
        last = Conversation.objects.filter(pk=conversation.pk).values_list("last_seq", flat=True)
        seq = max(0, min(int(seq), int(last.first() or 0)))
        Participant.objects.filter(
            conversation=conversation, user=user, is_removed=False, last_read_seq__lt=seq
        ).update(last_read_seq=seq)


def notify_typing(user: User, conversation: Conversation) -> None:
    """Tell the others ``user`` is typing: an event only, nothing is saved."""
    send_now(
        conversation_group(int(conversation.pk)),
        {"type": "chat.typing", "conversation": int(conversation.pk), "user": int(user.pk)},
    )


# --- Ending, reporting --------------------------------------------------------


def end_conversation(user: User | None, conversation: Conversation) -> bool:
    """End the conversation for everyone; False if it had already ended.

    ``user`` None means the system ended it (a time-out, an erased account).
    """
    with transaction.atomic():
        ended = Conversation.objects.filter(pk=conversation.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by=user
        )
        if not ended:
            return False
        conversation.refresh_from_db(fields=["ended_at", "ended_by", "last_seq"])
        record_change(user, "chat.conversation.end", conversation)
        post_notice(conversation, "ended")
        send_on_commit(
            [conversation_group(int(conversation.pk))],
            {"type": "chat.ended", "conversation": int(conversation.pk)},
        )
        transaction.on_commit(
            lambda: conversation_ended.send(sender=Conversation, conversation=conversation)
        )
    return True


def report_and_block(
    user: User,
    conversation: Conversation,
    *,
    reason: str,
    details: str = "",
    block: bool = True,
) -> Report:
    """Report the other side of a chat; in a one-to-one chat, also block them and end it.

    In a group the report names no one (the moderators read the room) and
    nobody is blocked or removed by it.
    """
    with transaction.atomic():
        me = Participant.objects.filter(conversation=conversation, user=user).first()
        if me is None or me.is_removed:
            raise ChatError(_("You are not in this conversation."))
        others = list(
            Participant.objects.filter(conversation=conversation)
            .exclude(user=user)
            .select_related("user")
        )
        direct = conversation.kind == Conversation.Kind.DIRECT
        reported = others[0].user if direct and others else None
        try:
            report = safety_actions.report(
                user,
                reported,
                source=SAFETY_SOURCE,
                source_id=int(conversation.pk),
                reason=reason,
                details=details,
            )
        except safety_actions.SafetyError as refused:
            raise ChatError(refused.message) from None
        if direct and reported is not None:
            if block:
                safety_actions.block(user, reported)
            end_conversation(user, conversation)
        record_change(user, "chat.conversation.report", conversation, subject=reported)
    return report
