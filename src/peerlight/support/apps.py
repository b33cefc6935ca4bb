"""The support app: asking for a peer, the queue, offers and the wrap-up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from peerlight.accounts.models import User


class SupportConfig(AppConfig):
    name = "peerlight.support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peerlight.chat.signals import conversation_ended
        from peerlight.support.wrapup import register_privacy as register_wrapup_privacy

        register_request_privacy()
        register_wrapup_privacy()
        conversation_ended.connect(
            _close_request_of_ended_chat, dispatch_uid="peerlight.support.close_request"
        )


def _close_request_of_ended_chat(sender: Any, conversation: Any, **kwargs: Any) -> None:
    from peerlight.support.actions import end_request_of_conversation

    end_request_of_conversation(conversation)


def export_requests(user: User) -> dict[str, Any]:
    """The person's own requests in full; chats they supported as times only."""
    from peerlight.support.models import SupportRequest

    own = SupportRequest.objects.filter(member=user).order_by("created_at", "pk")
    supported = SupportRequest.objects.filter(peer=user).order_by("created_at", "pk")
    return {
        "your_requests": [
            {
                "topics": row.topics,
                "priorities": row.priorities,
                "language": row.language,
                "preferences": row.preferences,
                "wants_same_peer": row.wants_same_peer,
                "words": row.words,
                "message_for_later": row.message_for_later,
                "urgency": row.urgency,
                "status": row.status,
                "created_at": row.created_at,
                "connected_at": row.connected_at,
                "closed_at": row.closed_at,
            }
            for row in own
        ],
        # What the member wrote is theirs, not the peer's: times only.
        "chats_you_supported": [
            {"connected_at": row.connected_at, "closed_at": row.closed_at} for row in supported
        ],
    }


def erase_requests(user: User) -> None:
    from peerlight.support.models import SupportRequest

    SupportRequest.objects.filter(member=user).delete()
    SupportRequest.objects.filter(peer=user).update(peer=None)


def export_offers(user: User) -> list[dict[str, Any]]:
    from peerlight.support.models import Offer

    rows = Offer.objects.filter(peer=user).order_by("created_at", "pk")
    return [
        {"status": row.status, "created_at": row.created_at, "answered_at": row.answered_at}
        for row in rows
    ]


def erase_offers(user: User) -> None:
    from peerlight.support.models import Offer

    # An offer cannot be kept without its peer (the column is required), and
    # it is about someone else's request; the request itself stays.
    Offer.objects.filter(peer=user).delete()


def register_request_privacy() -> None:
    """Tell the privacy registry how support requests and offers leave with a person."""
    from peerlight.accounts import privacy
    from peerlight.support.models import Offer, SupportRequest

    privacy.register(
        SupportRequest,
        export=export_requests,
        erase=privacy.ErasurePolicy.custom(
            erase_requests,
            reason=_(
                "Your requests for support are deleted. Chats you took as a peer supporter "
                "stay in the record the member keeps of their own chat, without your name."
            ),
        ),
        description=_("Your requests to talk to a peer"),
    )
    privacy.register(
        Offer,
        export=export_offers,
        erase=privacy.ErasurePolicy.custom(
            erase_offers,
            reason=_(
                "Requests offered to you as a peer supporter are about other people: "
                "the offers are deleted and the requests stay with their members."
            ),
        ),
        description=_("Requests offered to you as a peer supporter"),
    )
