"""Moderation: what coordinators do about a person, and reports the system raises.

Every write here is validated, saved in a transaction and audited. Audit
entries carry ids and codes (the kind of action, grooming reason codes),
never what a coordinator or anyone else wrote: the coordinator's reason is
kept encrypted on the action row.

Effects are read, not cached: ``send_refusal`` and the moderation
middleware look at the rows in force on every send and every request, so
lifting an action ends its effect at once, and a dated one ends on time
without any job running.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import STAFF_ROLES, Role, RoleGrant, User
from peerlight.audit.actions import record_change
from peerlight.lib.events import send_on_commit, user_group
from peerlight.safety import grooming
from peerlight.safety.access import can_review_reports, is_protected, restriction_for
from peerlight.safety.actions import SafetyError
from peerlight.safety.models import ModerationAction, Report

__all__ = [
    "REASON_MAX_LENGTH",
    "lift_action",
    "mark_warning_seen",
    "screen_for_grooming",
    "send_refusal",
    "take_action",
]

REASON_MAX_LENGTH = 2000
# Kinds with an end date: required for a suspension, optional for a mute.
DATED = (ModerationAction.Kind.MUTE, ModerationAction.Kind.SUSPEND)
OPEN_STATUSES = (Report.Status.OPEN, Report.Status.REVIEWING)
# Recipients whose messages are not screened: staff, and peers among themselves.
NOT_SCREENED_FOR = frozenset({Role.PEER_SUPPORTER, *STAFF_ROLES})


# "u.id": a table alias and a column, nothing else.
_COLUMN = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?")


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SafetyError(_("Please write the reason. Other coordinators will read it."))
    if len(reason) > REASON_MAX_LENGTH:
        raise SafetyError(
            _("Please keep the reason under %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}
        )
    return reason


def _check_coordinator(actor: User) -> None:
    if not can_review_reports(actor):
        raise PermissionDenied


def take_action(
    actor: User,
    subject: User,
    kind: str,
    *,
    reason: str,
    until: datetime | None = None,
    report: Report | None = None,
    now: datetime | None = None,
) -> ModerationAction:
    """Record ``kind`` about ``subject`` and return the action; it takes effect at once.

    ``until`` ends a mute (None: until lifted) or a suspension (required);
    other kinds have no end and ignore it. ``report``, when given, must be
    about ``subject``. ``PermissionDenied`` unless ``actor`` is a
    coordinator; ``SafetyError`` (nothing saved) for an unknown kind, no
    reason or a reason too long, an end that is not in the future, a
    suspension without an end, or a coordinator or administrator as subject.
    """
    _check_coordinator(actor)
    if kind not in ModerationAction.Kind.values:
        raise SafetyError(_("Please choose an action."))
    reason = _clean_reason(reason)
    if is_protected(subject):
        raise SafetyError(
            _(
                "Coordinators and administrators cannot be moderated here. "
                "Please ask an administrator."
            )
        )
    if report is not None and report.reported_id != subject.pk:
        raise ValueError("The report is about someone else.")
    moment = now or timezone.now()
    ends_at = until if kind in DATED else None
    if kind == ModerationAction.Kind.SUSPEND and ends_at is None:
        raise SafetyError(_("Please choose when the suspension ends. A ban has no end."))
    if ends_at is not None and ends_at <= moment:
        raise SafetyError(_("Please choose an end in the future."))
    with transaction.atomic():
        action = ModerationAction.objects.create(
            subject=subject,
            kind=kind,
            reason=reason,
            report=report,
            created_by=actor,
            created_at=moment,
            ends_at=ends_at,
        )
        record_change(
            actor,
            f"safety.moderation.{kind}",
            action,
            subject=subject,
            reason=f"report:{report.pk}" if report is not None else "",
        )
        if kind in ModerationAction.EXCLUDING:
            # Open chat sockets close too (after commit), as when signing out.
            send_on_commit([user_group(int(subject.pk))], {"type": "user.disconnect"})
    return action


def lift_action(
    actor: User, action: ModerationAction, *, reason: str, now: datetime | None = None
) -> bool:
    """Lift ``action`` (its effect ends at once); False, nothing changed, if it was lifted already.

    A lifted note or warning stays in the history marked as withdrawn; an
    unseen warning that is lifted is never shown. ``PermissionDenied``
    unless ``actor`` is a coordinator; ``SafetyError`` without a reason.
    """
    _check_coordinator(actor)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = ModerationAction.objects.select_for_update().get(pk=action.pk)
        if locked.lifted_at is not None:
            return False
        locked.lifted_at = now or timezone.now()
        locked.lifted_by = actor
        locked.lift_reason = reason
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        record_change(
            actor, "safety.moderation.lift", locked, subject=locked.subject, reason=locked.kind
        )
    action.lifted_at, action.lifted_by, action.lift_reason = locked.lifted_at, actor, reason
    return True


def mark_warning_seen(person: User, warning: ModerationAction) -> bool:
    """Record that ``person`` saw ``warning``; False if it was seen already (or not theirs)."""
    with transaction.atomic():
        seen = ModerationAction.objects.filter(
            pk=warning.pk,
            subject=person,
            kind=ModerationAction.Kind.WARN,
            seen_at__isnull=True,
        ).update(seen_at=timezone.now())
        if seen:
            record_change(person, "safety.moderation.warning_seen", warning, subject=person)
    return bool(seen)


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def silenced_sql(person_column: str) -> tuple[str, list[Any]]:
    """SQL that is true when the person in ``person_column`` is muted, suspended or banned now.

    For a caller that reads everything a write needs in one query (chat's
    send): the same rule as ``access.in_force``, so the safety app keeps
    the knowledge of its own table. Returns the SQL and its parameters.
    """
    if not _COLUMN.fullmatch(person_column):
        raise ValueError(f"Not a column name: {person_column!r}")
    table = connection.ops.quote_name(ModerationAction._meta.db_table)
    kinds = ", ".join(["%s"] * len(ModerationAction.SILENCING))
    # Only names from the code go into the text; the values are parameters.
    sql = (
        f"EXISTS (SELECT 1 FROM {table} a WHERE a.subject_id = {person_column}"  # noqa: S608
        f" AND a.kind IN ({kinds}) AND a.lifted_at IS NULL"
        " AND (a.ends_at IS NULL OR a.ends_at > %s))"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return sql, [*(str(kind) for kind in ModerationAction.SILENCING), now]


def send_refusal(user: User, now: datetime | None = None) -> str | None:
    """Why ``user`` may not send a chat message now (a calm sentence), or None.

    Muted, suspended and banned people are refused. Chat calls this inside
    its send transaction, before saving anything.
    """
    found = restriction_for(int(user.pk), ModerationAction.SILENCING, now)
    if found is None:
        return None
    if found.kind in ModerationAction.EXCLUDING:
        return _("Your account is paused, so you cannot send messages.")
    if found.ends_at is None:
        return _(
            "A coordinator has paused your messages for now. You can still read this conversation."
        )
    return _(
        "A coordinator has paused your messages until %(when)s. "
        "You can still read this conversation."
    ) % {"when": _when(found.ends_at)}


def _members_among(recipient_ids: Iterable[int], author_id: int) -> set[int]:
    """The recipients who are members only (no peer supporter or staff role)."""
    recipients = {int(pk) for pk in recipient_ids} - {author_id}
    if not recipients:
        return set()
    with_roles = RoleGrant.objects.filter(
        user_id__in=recipients, role__in=NOT_SCREENED_FOR, revoked_at__isnull=True
    ).values_list("user_id", flat=True)
    return recipients - set(with_roles)


def screen_for_grooming(
    text: str,
    *,
    author_id: int,
    source: str,
    source_id: int | None,
    recipient_ids: Iterable[int],
) -> Report | None:
    """Raise or add to an automatic report when a peer's text to a member shows grooming signs.

    Only when ``author_id`` is a peer supporter and at least one recipient
    is a member (no peer supporter or staff role). One open automatic report
    per author and place (``source``, ``source_id``): later hits add their
    codes to it and raise its ``hits`` counter. The report holds reason codes,
    never the text. Call it inside the transaction that saves the text, so
    the report commits or rolls back with it. Returns the report, or None.
    """
    codes = grooming.check(text)
    if not codes:
        return None
    is_peer = RoleGrant.objects.filter(
        user_id=author_id, role=Role.PEER_SUPPORTER, revoked_at__isnull=True
    ).exists()
    if not is_peer or not _members_among(recipient_ids, author_id):
        return None
    open_automatic = Report.objects.filter(
        is_automatic=True,
        source=source,
        source_id=source_id,
        reported_id=author_id,
        status__in=OPEN_STATUSES,
    )
    with transaction.atomic():
        existing = open_automatic.select_for_update().first()
        if existing is None:
            try:
                with transaction.atomic():
                    made = Report.objects.create(
                        reporter=None,
                        reported_id=author_id,
                        source=source,
                        source_id=source_id,
                        reason=Report.Reason.GROOMING,
                        is_automatic=True,
                        reason_codes=list(codes),
                    )
                    record_change(
                        None,
                        "safety.report.automatic",
                        made,
                        subject=made.reported,
                        reason=",".join(codes),
                    )
                return made
            except IntegrityError:
                # Another message of the same conversation raised it first.
                existing = open_automatic.select_for_update().get()
        merged = list(grooming.describe([*existing.reason_codes, *codes]))
        open_automatic.filter(pk=existing.pk).update(hits=F("hits") + 1, reason_codes=merged)
        existing.refresh_from_db(fields=["hits", "reason_codes"])
    return existing
