"""Reads of accounts with the permission check built in.

Staff pages find people only through these helpers: "not there" and "not
yours to see" both end in a 404.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from peerlight.accounts.models import Role, RoleGrant, User, email_digest

# Who may open the people pages of the staff area. Researchers work with
# de-identified data only, so they do not see accounts.
PEOPLE_VIEWER_ROLES = (Role.COORDINATOR, Role.ADMIN)

# Which roles each staff role may give or take away.
_GRANTABLE_BY = {
    Role.ADMIN: frozenset({Role.PEER_SUPPORTER, Role.COORDINATOR, Role.RESEARCHER, Role.ADMIN}),
    Role.COORDINATOR: frozenset({Role.PEER_SUPPORTER}),
}


def grantable_roles(actor: User) -> frozenset[str]:
    """The roles ``actor`` may grant and revoke (empty for everyone but staff)."""
    if not actor.is_active:
        return frozenset()
    roles: frozenset[str] = frozenset()
    for held, grantable in _GRANTABLE_BY.items():
        if actor.has_role(held):
            roles |= grantable
    return roles


def can_view_people(viewer: User) -> bool:
    return viewer.is_active and any(viewer.has_role(role) for role in PEOPLE_VIEWER_ROLES)


def _active_grants() -> Prefetch[str, QuerySet[RoleGrant], str]:
    return Prefetch(
        "role_grants",
        queryset=RoleGrant.objects.filter(revoked_at__isnull=True).order_by("role"),
        to_attr="active_grants",
    )


def search_people(viewer: User, query: str) -> QuerySet[User]:
    """Accounts whose display name contains ``query``, for people viewers only."""
    if not can_view_people(viewer):
        raise Http404
    people = User.objects.prefetch_related(_active_grants()).order_by("display_name", "pk")
    query = query.strip()
    if query:
        people = people.filter(display_name__icontains=query)
    return people


def get_person_for_staff(viewer: User, person_id: int) -> User:
    """The account ``person_id`` as seen by a people viewer; 404 otherwise."""
    if not can_view_people(viewer):
        raise Http404
    person = User.objects.prefetch_related(_active_grants()).filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


def find_accounts_for_reset(email: str) -> list[User]:
    """The active, non-guest accounts whose e-mail is ``email``.

    E-mail is stored encrypted, so the lookup goes through its digest. One
    address may belong to more than one account; each gets its own link.
    """
    if not email.strip():
        return []
    return list(
        User.objects.filter(
            email_digest=email_digest(email), is_active=True, is_guest=False
        ).exclude(email_digest="")
    )
