"""What the safety app may know of a chat to share a safety plan into it (``safety.places``)."""

from __future__ import annotations

from peerlight.chat import access
from peerlight.chat.models import Participant
from peerlight.safety.places import Seat

PEER_ROLES = (Participant.Role.SUPPORTER, Participant.Role.FACILITATOR)


class ChatSeats:
    def seat(self, user_id: int, conversation_id: int) -> Seat | None:
        participant = access.participant_for(user_id, conversation_id)
        if participant is None:
            return None
        return Seat(
            member_of=not participant.is_removed,
            present=participant.is_present,
            is_peer=participant.role in PEER_ROLES,
            chat_open=not participant.conversation.is_ended,
        )

    def has_peer_besides(self, user_id: int, conversation_id: int) -> bool:
        return (
            Participant.objects.filter(
                conversation_id=conversation_id,
                role__in=PEER_ROLES,
                left_at__isnull=True,
                is_removed=False,
                user__is_active=True,
            )
            .exclude(user_id=user_id)
            .exists()
        )
