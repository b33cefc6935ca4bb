"""How peer profiles leave with a person's data (see ``accounts.privacy``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from peerlight.accounts import privacy
from peerlight.accounts.models import User
from peerlight.peers.models import PeerProfile
from peerlight.peers.vocabulary import vocabulary


def export_profile(user: User) -> dict[str, Any] | None:
    """The person's peer profile, each code with its label in the person's language."""
    profile = PeerProfile.objects.filter(user=user).first()
    if profile is None:
        return None
    words = vocabulary()

    def labelled(section: str, codes: list[str]) -> list[dict[str, str]]:
        return [
            {"code": code, "label": words.label(section, code, user.language)} for code in codes
        ]

    return {
        "experiences": labelled("experiences", profile.experiences),
        "experience_words": profile.experience_words,
        "languages": labelled("languages", profile.languages),
        "topics": labelled("topics", profile.topics),
        "gender": profile.gender,
        "bio": profile.bio,
        "availability": profile.availability,
        "max_chats": profile.max_chats,
        "is_active": profile.is_active,
        "last_chat_ended_at": profile.last_chat_ended_at,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }


def register_peer_models() -> None:
    privacy.register(
        PeerProfile,
        export=export_profile,
        erase=privacy.ErasurePolicy.delete(),
        description=_("Your peer supporter profile"),
    )
