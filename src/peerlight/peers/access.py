"""Reads of peer profiles with the permission check built in.

The peer-supporter role (a ``RoleGrant``) is the source of truth for who is a
peer; a profile counts only while its owner holds the role, is an open
account and the profile is active. Anyone else gets a 404 from the pages
that need a profile, so "not a peer" and "not there" look alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from peerlight.accounts.access import can_view_people
from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.peers.models import Availability, PeerProfile

# How many accounts the coordinators' search shows at once; a longer list
# means the search needs more letters, not another page.
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class PeerRow:
    """A person as the coordinators' peer page shows them."""

    person: User
    is_peer: bool
    profile: PeerProfile | None


def _holds_role() -> Exists:
    return Exists(
        RoleGrant.objects.filter(
            user=OuterRef("user"), role=Role.PEER_SUPPORTER, revoked_at__isnull=True
        )
    )


def is_peer_supporter(user: User) -> bool:
    """True for an open account that holds the peer-supporter role now."""
    return bool(user.is_authenticated and user.is_active and user.has_role(Role.PEER_SUPPORTER))


def profile_for(user: User) -> PeerProfile | None:
    """The active profile of ``user``, or None unless they are a peer supporter now."""
    if not is_peer_supporter(user):
        return None
    return PeerProfile.objects.filter(user=user, is_active=True).first()


def own_profile(user: User) -> PeerProfile:
    """The profile a peer supporter edits: their saved one, or a blank unsaved one.

    A coordinator may give the role from the people pages before any profile
    exists; the peer then fills it in, and the first save creates it. Http404
    for anyone who does not hold the role.
    """
    if not is_peer_supporter(user):
        raise Http404
    profile = PeerProfile.objects.filter(user=user).first()
    return profile if profile is not None else PeerProfile(user=user)


def online_profiles() -> list[PeerProfile]:
    """Active profiles shown as available whose owners hold the role and can sign in."""
    profiles = (
        PeerProfile.objects.filter(
            is_active=True, availability=Availability.AVAILABLE, user__is_active=True
        )
        .filter(_holds_role())
        .select_related("user")
        .order_by("pk")
    )
    return list(profiles)


def peer_supporters_for_staff(viewer: User) -> list[PeerRow]:
    """A row for everyone holding the peer-supporter role.

    For coordinators and administrators only; 404 for everyone else.
    """
    if not can_view_people(viewer):
        raise Http404
    people = User.objects.filter(
        role_grants__role=Role.PEER_SUPPORTER, role_grants__revoked_at__isnull=True
    ).order_by("display_name", "pk")
    return _with_profiles(people)


def search_members_for_staff(viewer: User, query: str) -> list[PeerRow]:
    """A row for each open, non-guest account whose display name contains ``query``.

    An empty query finds nobody: the page lists peer supporters already, and
    listing every member would show names nobody asked to see.
    """
    if not can_view_people(viewer):
        raise Http404
    query = query.strip()
    if not query:
        return []
    people = User.objects.filter(
        display_name__icontains=query, is_active=True, is_guest=False
    ).order_by("display_name", "pk")[:SEARCH_LIMIT]
    return _with_profiles(people)


def _with_profiles(people: QuerySet[User]) -> list[PeerRow]:
    """One row per person, with their role and profile, in two more queries."""
    found = list(people)
    ids = [person.pk for person in found]
    peers = set(
        RoleGrant.objects.filter(
            user_id__in=ids, role=Role.PEER_SUPPORTER, revoked_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    profiles = {p.user_id: p for p in PeerProfile.objects.filter(user_id__in=ids)}
    return [
        PeerRow(person=person, is_peer=person.pk in peers, profile=profiles.get(person.pk))
        for person in found
    ]
