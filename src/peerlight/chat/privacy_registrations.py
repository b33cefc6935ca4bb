"""How chat data leaves with a person (see ``peerlight.accounts.privacy``).

A person's own messages are theirs: the export hands them back in full, and
erasure deletes them. The other side's words stay with the other side, so
erasing one account never empties someone else's conversation.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.chat.models import Conversation, Message, Participant


def _export_participations(user: User) -> list[dict[str, Any]]:
    rows = Participant.objects.filter(user=user).select_related("conversation").order_by("id")
    return [
        {
            "conversation": row.conversation_id,
            "kind": row.conversation.kind,
            "role": row.role,
            "joined_at": row.joined_at,
            "left_at": row.left_at,
            "conversation_ended_at": row.conversation.ended_at,
        }
        for row in rows
    ]


def _export_messages(user: User) -> list[dict[str, Any]]:
    rows = Message.objects.filter(sender=user, kind=Message.Kind.TEXT).order_by(
        "conversation_id", "seq"
    )
    return [
        {
            "conversation": row.conversation_id,
            "seq": row.seq,
            "sent_at": row.created_at,
            "text": row.body,
            "contact_details_hidden": list(row.masked),
        }
        for row in rows.iterator(chunk_size=1000)
    ]


def _erase_messages(user: User) -> None:
    Message.objects.filter(sender=user).delete()


def _export_ended(user: User) -> list[dict[str, Any]]:
    rows = Conversation.objects.filter(ended_by=user).order_by("id")
    return [{"conversation": row.pk, "ended_at": row.ended_at} for row in rows]


def register_chat_models() -> None:
    """Register the chat's models with the privacy registry (once, at start-up)."""
    privacy.register(
        Participant,
        export=_export_participations,
        erase=privacy.ErasurePolicy.delete(),
        description=_("The chats you took part in, with dates"),
    )
    privacy.register(
        Message,
        export=_export_messages,
        erase=privacy.ErasurePolicy.custom(
            _erase_messages,
            reason=_(
                "The messages you wrote are deleted. The people you talked with keep "
                "their own messages, and a chat you were in stays open to them."
            ),
        ),
        description=_("The messages you wrote in chats"),
    )
    privacy.register(
        Conversation,
        export=_export_ended,
        erase=privacy.ErasurePolicy.keep_pseudonymised(
            _(
                "Chats you ended stay for the other people in them; the note that you "
                "ended them is removed."
            )
        ),
        description=_("Chats you ended"),
    )
