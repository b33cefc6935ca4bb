"""Reads of reports and blocks, with the permission check built in.

Blocks are looked up in both directions: once either person blocks the
other, neither is matched with or can reach the other. Reports are for
coordinators only; for everyone else a report "is not there" (404).
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from peerlight.accounts.models import Role, User
from peerlight.safety.models import Block, Report

# Who works the report queue.
REPORT_VIEWER_ROLES = (Role.COORDINATOR,)


def is_blocked_between(a_id: int, b_id: int) -> bool:
    """True when either person has blocked the other."""
    return Block.objects.filter(
        Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)
    ).exists()


def blocked_ids(user_id: int) -> frozenset[int]:
    """The people ``user_id`` blocked and the people who blocked them."""
    pairs = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list(
        "blocker_id", "blocked_id"
    )
    return frozenset(other for pair in pairs for other in pair if other != user_id)


def has_blocked(blocker_id: int, blocked_id: int) -> bool:
    """True when ``blocker_id`` blocked ``blocked_id`` (this direction only)."""
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def can_review_reports(viewer: User) -> bool:
    return viewer.is_active and any(viewer.has_role(role) for role in REPORT_VIEWER_ROLES)


def reports_for_staff(viewer: User) -> QuerySet[Report]:
    """Every report for a coordinator: open first, then in review, then closed;
    newest first within each. 404 for anyone else."""
    if not can_review_reports(viewer):
        raise Http404
    status_order = Case(
        When(status=Report.Status.OPEN, then=Value(0)),
        When(status=Report.Status.REVIEWING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Report.objects.select_related("reporter", "reported", "closed_by")
        .annotate(status_order=status_order)
        .order_by("status_order", "-created_at", "-pk")
    )


def get_report_for_staff(viewer: User, report_id: int) -> Report:
    """Report ``report_id`` for a coordinator; 404 when it is missing or not theirs to see."""
    report = reports_for_staff(viewer).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report
