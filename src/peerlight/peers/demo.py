"""Demo peer profiles for the fictional peer supporters of ``accounts.demo``.

Languages, lived experience and bio come from ``accounts/data/demo_people.json``;
the topics, gender and availability of each are chosen here. Marisol and Dev
are available, so the whole "talk to a peer" flow works right after
``make demo``. ``seed(out)`` is idempotent: a peer who already has a profile
keeps it exactly as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peerlight.accounts.demo import DemoPerson, Writer, demo_people
from peerlight.accounts.models import Role, User
from peerlight.peers import actions
from peerlight.peers.models import Availability, PeerProfile
from peerlight.peers.vocabulary import vocabulary


@dataclass(frozen=True)
class DemoPeer:
    topics: tuple[str, ...]
    gender: str
    availability: str
    max_chats: int = 2


DEMO_PEERS = {
    "Marisol": DemoPeer(
        topics=("feeling_low", "worry_stress", "parenting", "family", "loneliness"),
        gender="woman",
        availability=Availability.AVAILABLE,
        max_chats=3,
    ),
    "Dev": DemoPeer(
        topics=("voices", "loneliness", "work_school", "identity", "just_talk"),
        gender="man",
        availability=Availability.AVAILABLE,
    ),
    "Tomás": DemoPeer(
        topics=("recovery", "loss", "family", "money_housing", "just_talk"),
        gender="man",
        availability=Availability.BUSY,
    ),
    "Renée": DemoPeer(
        topics=("suicidal_thoughts", "worry_stress", "sleep", "services"),
        gender="woman",
        availability=Availability.AWAY,
    ),
    "Kai": DemoPeer(
        topics=("identity", "self_harm_urges", "body_food", "discrimination", "just_talk"),
        gender="nonbinary",
        availability=Availability.AWAY,
    ),
}

# Calm defaults for a peer supporter added to the people file without an
# entry above.
DEFAULT_PEER = DemoPeer(topics=("just_talk",), gender="", availability=Availability.AWAY)


def _known(section: str, codes: tuple[str, ...], person: str) -> list[str]:
    unknown = set(codes) - vocabulary().codes(section)
    if unknown:
        raise ValueError(f"Demo peer {person}: unknown {section} {sorted(unknown)}")
    return list(codes)


def demo_peer_people() -> list[DemoPerson]:
    return [person for person in demo_people() if Role.PEER_SUPPORTER in person.roles]


def profile_fields(person: DemoPerson) -> dict[str, Any]:
    """What ``actions.update_profile`` gets for one demo peer (ValueError for unknown codes)."""
    extra = DEMO_PEERS.get(person.display_name, DEFAULT_PEER)
    return {
        "experiences": _known("experiences", person.lived_experience, person.display_name),
        "languages": _known(
            "languages", person.languages or (person.language,), person.display_name
        ),
        "topics": _known("topics", extra.topics, person.display_name),
        "gender": extra.gender,
        "bio": person.bio,
        "max_chats": extra.max_chats,
    }


def seed(out: Writer) -> None:
    created = existing = 0
    for person in demo_peer_people():
        user = User.objects.filter(display_name__iexact=person.display_name).first()
        if user is None:
            continue
        if PeerProfile.objects.filter(user=user).exists():
            existing += 1
            continue
        actions.update_profile(user, **profile_fields(person))
        actions.set_availability(
            user, DEMO_PEERS.get(person.display_name, DEFAULT_PEER).availability
        )
        created += 1
    out.write(f"Peer profiles: {created} created, {existing} already there.\n")
