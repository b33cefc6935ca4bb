"""Reads of reports, blocks and moderation, with the permission check built in.

Blocks are looked up in both directions: once either person blocks the
other, neither is matched with or can reach the other. Reports and
moderation history are for coordinators only; for everyone else a report
"is not there" (404).

Where a report came from is a ``source`` label and an id; apps that let
people report things say how to name and link their label with
``register_source`` (the safety app never imports them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from peerlight.accounts.models import Role, User
from peerlight.safety.models import Block, ModerationAction, Report

# Who works the report queue.
REPORT_VIEWER_ROLES = (Role.COORDINATOR,)
# Nobody acts on these people through moderation (administrators manage them).
PROTECTED_ROLES = (Role.COORDINATOR, Role.ADMIN)


class SourceLink(NamedTuple):
    """How the queue names a place ("Chat 42") and, if a coordinator may open it, a link."""

    text: str
    url: str = ""


type SourceDescriber = Callable[[int | None], SourceLink | tuple[str, str]]

_sources: dict[str, SourceDescriber] = {}


def register_source(label: str, describe: SourceDescriber) -> None:
    """Say how reports from ``label`` ("stories.story") are named and linked.

    ``describe(None)`` names the kind of place for the queue's filter ("A
    story"); ``describe(source_id)`` names one place and gives a URL a
    coordinator may open, or "" when there is none. Called from the
    reporting app's ``AppConfig.ready()``; registering a label again
    replaces it (the test runner may call ``ready()`` twice).
    """
    _sources[label] = describe


def describe_source(source: str, source_id: int | None) -> SourceLink:
    """The queue's words and link for a report's origin; the raw label when unregistered."""
    describe = _sources.get(source)
    if describe is None:
        return SourceLink(f"{source} {source_id}" if source_id is not None else source)
    text, url = describe(source_id)
    return SourceLink(str(text), url)


def source_choices() -> list[tuple[str, str]]:
    """(label, name) of every registered source and every label reports carry."""
    labels = set(_sources) | set(Report.objects.values_list("source", flat=True).distinct())
    return sorted(
        ((label, describe_source(label, None).text) for label in labels),
        key=lambda choice: choice[1].casefold(),
    )


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


def is_protected(person: User) -> bool:
    """True for coordinators and administrators: never moderated through the queue."""
    return any(person.has_role(role) for role in PROTECTED_ROLES)


def reports_for_staff(viewer: User, *, status: str = "", source: str = "") -> QuerySet[Report]:
    """Reports for a coordinator: open first, then in review, then closed;
    newest first within each. ``status`` and ``source``, when given, keep
    only those reports. 404 for anyone else."""
    if not can_review_reports(viewer):
        raise Http404
    status_order = Case(
        When(status=Report.Status.OPEN, then=Value(0)),
        When(status=Report.Status.REVIEWING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    found = Report.objects.select_related("reporter", "reported", "closed_by")
    if status:
        found = found.filter(status=status)
    if source:
        found = found.filter(source=source)
    return found.annotate(status_order=status_order).order_by("status_order", "-created_at", "-pk")


def get_report_for_staff(viewer: User, report_id: int) -> Report:
    """Report ``report_id`` for a coordinator; 404 when it is missing or not theirs to see."""
    report = reports_for_staff(viewer).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


# --- Moderation ---------------------------------------------------------------------------


def moderation_history_for_staff(viewer: User, person_id: int) -> QuerySet[ModerationAction]:
    """Every moderation action about ``person_id``, newest first; 404 unless a coordinator."""
    if not can_review_reports(viewer):
        raise Http404
    return (
        ModerationAction.objects.filter(subject_id=person_id)
        .select_related("created_by", "lifted_by")
        .order_by("-created_at", "-pk")
    )


def get_person_for_staff(viewer: User, person_id: int) -> User:
    """The person ``person_id`` for a coordinator's moderation page; 404 otherwise."""
    if not can_review_reports(viewer):
        raise Http404
    person = User.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


def get_action_for_staff(viewer: User, action_id: int) -> ModerationAction:
    """Moderation action ``action_id`` for a coordinator; 404 otherwise."""
    if not can_review_reports(viewer):
        raise Http404
    found = ModerationAction.objects.select_related("subject").filter(pk=action_id).first()
    if found is None:
        raise Http404
    return found


def in_force(person_id: int, kinds: tuple[str, ...], now: datetime | None = None) -> Q:
    """The filter for ``person_id``'s actions of ``kinds`` that still have an effect."""
    moment = now or timezone.now()
    return Q(subject_id=person_id, kind__in=kinds, lifted_at__isnull=True) & (
        Q(ends_at__isnull=True) | Q(ends_at__gt=moment)
    )


def restriction_for(
    person_id: int, kinds: tuple[str, ...], now: datetime | None = None
) -> ModerationAction | None:
    """The action of ``kinds`` in force on ``person_id`` that lasts longest, or None.

    A ban (no end) comes before any dated action, then the latest end.
    """
    found = list(ModerationAction.objects.filter(in_force(person_id, kinds, now)))
    if not found:
        return None
    return max(found, key=lambda action: (action.ends_at is None, action.ends_at, action.pk))


def standing_of(
    person_id: int, now: datetime | None = None
) -> tuple[ModerationAction | None, ModerationAction | None]:
    """(the suspension or ban in force, the oldest warning not yet seen) for one person.

    One query: the moderation middleware asks this on every signed-in request.
    """
    moment = now or timezone.now()
    unseen_warning = Q(
        subject_id=person_id,
        kind=ModerationAction.Kind.WARN,
        seen_at__isnull=True,
        lifted_at__isnull=True,
    )
    found = list(
        ModerationAction.objects.filter(
            in_force(person_id, ModerationAction.EXCLUDING, moment) | unseen_warning
        ).order_by("created_at", "pk")
    )
    exclusions = [action for action in found if action.kind in ModerationAction.EXCLUDING]
    warnings = [action for action in found if action.kind == ModerationAction.Kind.WARN]
    exclusion = max(
        exclusions,
        key=lambda action: (action.ends_at is None, action.ends_at, action.pk),
        default=None,
    )
    return exclusion, (warnings[0] if warnings else None)
