"""Reads of conversations with the permission check built in.

A conversation is visible only to its participants who have not been
removed; a participant who left may still read what was said. "Not there"
and "not yours" both end in a 404, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Count, F
from django.http import Http404

from peerlight.chat.models import Conversation, Message, Participant

if TYPE_CHECKING:
    from peerlight.accounts.models import User

__all__ = [
    "Delivery",
    "can_receive",
    "conversations_for",
    "deliverable_after",
    "display_names",
    "get_conversation_for",
    "last_risk_level",
    "messages_after",
    "names_by_conversation",
    "participant_for",
    "present_count",
    "total_unread",
    "unread_counts",
]

# The most messages one read returns; clients page on with the last seq.
MAX_BATCH = 500


def participant_for(user_id: int, conversation_id: int) -> Participant | None:
    """The participation of ``user_id`` in ``conversation_id``, removed or not, or None."""
    return (
        Participant.objects.filter(user_id=user_id, conversation_id=conversation_id)
        .select_related("conversation")
        .first()
    )


def get_conversation_for(user: User, conversation_id: int) -> Conversation:
    """The conversation, if ``user`` is (or was, and left) a participant; else 404."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    participant = participant_for(int(user.pk), conversation_id)
    if participant is None or participant.is_removed:
        raise Http404
    return participant.conversation


def can_receive(user_id: int, conversation_id: int) -> bool:
    """True while ``user_id`` may be sent this conversation's messages.

    Checked again on every delivery, so a person removed (or deactivated)
    while a socket is open stops receiving at once.
    """
    return Participant.objects.filter(
        user_id=user_id,
        conversation_id=conversation_id,
        is_removed=False,
        user__is_active=True,
    ).exists()


@dataclass(frozen=True)
class Delivery:
    """What one reader may be sent: their role and the new messages, oldest first."""

    role: str
    messages: list[Message]


# The permission check and the read in one statement: a message row comes
# back only joined to the reader's own participation, not removed, with an
# active account. The role rides along for what the reader is shown.
DELIVERABLE_SQL = """
SELECT m.*, p.role AS reader_role
FROM chat_message m
JOIN chat_participant p ON p.conversation_id = m.conversation_id
JOIN accounts_user u ON u.id = p.user_id
WHERE m.conversation_id = %s AND m.seq > %s AND p.user_id = %s
  AND p.is_removed = %s AND u.is_active = %s
ORDER BY m.seq
LIMIT %s
"""
RECEIVER_ROLE_SQL = """
SELECT p.role FROM chat_participant p JOIN accounts_user u ON u.id = p.user_id
WHERE p.conversation_id = %s AND p.user_id = %s AND p.is_removed = %s AND u.is_active = %s
"""


def deliverable_after(
    user_id: int, conversation_id: int, after_seq: int, limit: int = 200
) -> Delivery | None:
    """Messages above ``after_seq`` that ``user_id`` may receive now, or None if they may not.

    The same rule as ``can_receive`` and ``messages_after`` together, checked
    afresh on every call, in one query when there is something to send (a
    second, for the role, only when there is not).
    """
    limit = max(1, min(limit, MAX_BATCH))
    messages = list(
        Message.objects.raw(
            DELIVERABLE_SQL, [conversation_id, max(0, after_seq), user_id, False, True, limit]
        )
    )
    if messages:
        # A raw query puts the extra column on each row as an attribute.
        return Delivery(str(vars(messages[0])["reader_role"]), messages)
    with connection.cursor() as cursor:
        cursor.execute(RECEIVER_ROLE_SQL, [conversation_id, user_id, False, True])
        row = cursor.fetchone()
    return None if row is None else Delivery(str(row[0]), [])


def messages_after(
    user: User, conversation: Conversation, after_seq: int, limit: int = 200
) -> list[Message]:
    """Messages of ``conversation`` with a seq above ``after_seq``, oldest first.

    Refuses (404) a reader who may not read it, so a caller holding a stale
    conversation object cannot leak messages.
    """
    get_conversation_for(user, int(conversation.pk))
    limit = max(1, min(limit, MAX_BATCH))
    return list(
        Message.objects.filter(conversation=conversation, seq__gt=max(0, after_seq))
        .select_related("sender")
        .order_by("seq")[:limit]
    )


def conversations_for(user: User) -> list[tuple[Conversation, int]]:
    """The person's conversations, newest first, each with its unread count."""
    rows = (
        Participant.objects.filter(user=user, is_removed=False)
        .select_related("conversation")
        .order_by("-conversation__created_at", "-conversation_id")
    )
    return [
        (row.conversation, max(0, row.conversation.last_seq - row.last_read_seq)) for row in rows
    ]


def unread_counts(user: User) -> dict[int, int]:
    """Conversation id → messages not yet read, for conversations with any (one query)."""
    rows = (
        Participant.objects.filter(
            user=user, is_removed=False, conversation__last_seq__gt=F("last_read_seq")
        )
        .annotate(unread=F("conversation__last_seq") - F("last_read_seq"))
        .values_list("conversation_id", "unread")
    )
    return {int(conversation_id): int(unread) for conversation_id, unread in rows}


def total_unread(user: User) -> int:
    return sum(unread_counts(user).values())


def display_names(conversation: Conversation) -> dict[int, str]:
    """User id → display name of everyone who took part (never account details)."""
    return display_names_of(int(conversation.pk))


def display_names_of(conversation_id: int) -> dict[int, str]:
    """``display_names`` from the conversation's id alone."""
    rows = Participant.objects.filter(conversation_id=conversation_id).values_list(
        "user_id", "user__display_name"
    )
    return {int(user_id): str(name) for user_id, name in rows}


def refresh_names(names: dict[int, str], conversation_id: int, messages: list[Message]) -> None:
    """Read ``names`` (a socket's cache of display names) again when ``messages`` need it.

    They do when one comes from someone not in it, or is a notice (someone
    came or went).
    """
    if any(
        (message.sender_id is not None and message.sender_id not in names)
        or message.kind == Message.Kind.SYSTEM
        for message in messages
    ):
        names.clear()
        names.update(display_names_of(conversation_id))


def names_by_conversation(conversation_ids: list[int]) -> dict[int, dict[int, str]]:
    """Conversation id → (user id → display name), for many conversations in one query."""
    rows = Participant.objects.filter(conversation_id__in=conversation_ids).values_list(
        "conversation_id", "user_id", "user__display_name"
    )
    names: dict[int, dict[int, str]] = {}
    for conversation_id, user_id, name in rows:
        names.setdefault(int(conversation_id), {})[int(user_id)] = str(name)
    return names


def last_risk_level(user: User, conversation: Conversation) -> str:
    """The safety level of ``user``'s own latest message here ("none" without one)."""
    level = (
        Message.objects.filter(conversation=conversation, sender=user, kind=Message.Kind.TEXT)
        .order_by("-seq")
        .values_list("risk_level", flat=True)
        .first()
    )
    return str(level or "none")


def present_count(conversation: Conversation) -> int:
    """How many people are still in the conversation."""
    return int(
        Participant.objects.filter(
            conversation=conversation, left_at__isnull=True, is_removed=False
        ).aggregate(n=Count("pk"))["n"]
    )
