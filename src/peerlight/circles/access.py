"""Reads about circles, with who may see what.

Circles are public (their name, description, schedule and place); who
belongs to one is not: members see their own membership, facilitators and
coordinators see their circle's people.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from peerlight.accounts.guards import is_two_factor_verified
from peerlight.accounts.models import Role, User
from peerlight.circles.models import Circle, Meeting, Membership


def is_coordinator(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_role(Role.COORDINATOR)


def is_facilitator(user: User, circle: Circle) -> bool:
    """A peer supporter named as one of the circle's facilitators."""
    return (
        user.is_authenticated
        and user.is_active
        and user.has_role(Role.PEER_SUPPORTER)
        and circle.facilitators.filter(pk=user.pk).exists()
    )


def can_lead(user: User, circle: Circle) -> bool:
    """May run the circle: its facilitators, and coordinators."""
    return is_facilitator(user, circle) or is_coordinator(user)


def signed_in(request: HttpRequest) -> User | None:
    """The person of ``request``, or None for a visitor."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def leads_in_session(request: HttpRequest, circle: Circle) -> bool:
    """May run ``circle`` from this session: a facilitator, or a coordinator past two-factor."""
    user = signed_in(request)
    if user is None:
        return False
    return is_facilitator(user, circle) or (
        is_coordinator(user) and is_two_factor_verified(request)
    )


def membership_of(user: User, circle: Circle) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, circle=circle).first()


def is_member(user: User, circle: Circle) -> bool:
    return (
        user.is_authenticated
        and Membership.objects.filter(
            user=user, circle=circle, status=Membership.Status.MEMBER
        ).exists()
    )


def listed_circles() -> QuerySet[Circle]:
    """Circles anyone may find: active ones."""
    return Circle.objects.filter(is_active=True)


def member_count(circle: Circle) -> int:
    return Membership.objects.filter(circle=circle, status=Membership.Status.MEMBER).count()


def meeting_for(meeting_id: int) -> Meeting | None:
    return Meeting.objects.select_related("circle").filter(pk=meeting_id).first()
