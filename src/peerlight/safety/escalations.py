"""Escalations: raising one, carrying it along the rota, and its states.

``raise_risk`` runs inside the caller's transaction (the one that saves the
message): it opens a case, or adds to the one already open for the same
source, and writes an outbox row. The dispatcher (``dispatcher.py``) then
calls ``advance`` for each new case and each case whose deadline passed:

1. the first responder on call is alerted in the app (an event the console
   and the banner show) and by e-mail (an outbox row of its own);
2. no acknowledgement within ``PEERLIGHT_ESCALATION_ACK_SECONDS``: the next
   responder in the rota, and so on;
3. after the last responder, or at once when nobody is on call: the fallback
   contact is e-mailed and every coordinator sees a banner until someone
   acknowledges.

Each step is recorded (event, audit entry, the case's own fields) in the
transaction that decides it, with the case's row locked, so running
``advance`` twice, or again after a crash, never repeats or skips a step.
E-mails leave after that commit, from their outbox rows, at least once: a
dispatcher killed between sending and marking the row done sends it again.

The coordinators' states: open → acknowledged → in progress → resolved (a
case acknowledged may be resolved without "in progress"). Nothing here
stores or logs what anyone wrote; reasons are the detector's codes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import Role, User
from peerlight.audit.actions import record_change
from peerlight.safety.detector import LEVEL_ORDER
from peerlight.safety.escalation_models import (
    Escalation,
    EscalationEvent,
    EscalationOutbox,
    OnCallShift,
)

logger = logging.getLogger(__name__)

__all__ = [
    "RESPONDER_ROLES",
    "EscalationError",
    "acknowledge",
    "add_shift",
    "advance",
    "can_respond",
    "escalations_for_staff",
    "get_escalation_for_staff",
    "on_call",
    "raise_risk",
    "remove_shift",
    "resolve",
    "start_work",
]

RESPONDER_ROLES = (Role.COORDINATOR,)
NOTE_MAX_LENGTH = 2000
# A case no dispatcher has carried for this long shows every coordinator a banner.
STALLED_SECONDS = 10
Kind = EscalationEvent.Kind
State = Escalation.State
# acknowledge, start_work: a coordinator's step on one case.
type StepAction = Callable[[User, int], Escalation]


class EscalationError(Exception):
    """Refused input; ``message`` is translated and can be shown to the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def ack_seconds() -> int:
    return int(settings.PEERLIGHT_ESCALATION_ACK_SECONDS)


def can_respond(user: User) -> bool:
    return user.is_active and any(user.has_role(role) for role in RESPONDER_ROLES)


# --- Raising ------------------------------------------------------------------------------


def raise_risk(
    *,
    person_id: int | None,
    source: str,
    source_id: int | None,
    level: str,
    reasons: Sequence[str] = (),
    raised_by: User | None = None,
    message_seq: int | None = None,
    now: datetime | None = None,
) -> Escalation:
    """Open an escalation for ``source``/``source_id``, or add to the one still open there.

    Runs in the caller's transaction (a savepoint of it), so the case and its
    outbox row commit or roll back with the message. ``raised_by`` None
    means the safety check raised it. Returns the case.
    """
    if level not in LEVEL_ORDER or level == "none":
        raise ValueError(f"Not a risk level to escalate: {level!r}")
    now = now or timezone.now()
    with transaction.atomic():
        existing = _open_for(source, source_id)
        if existing is not None:
            return _add_risk(existing, level, reasons, raised_by, now)
        try:
            with transaction.atomic():
                case = Escalation.objects.create(
                    person_id=person_id,
                    source=source,
                    source_id=source_id,
                    message_seq=message_seq,
                    level=level,
                    reasons=list(reasons),
                    raised_by=raised_by,
                    created_at=now,
                )
        except IntegrityError:
            # Another transaction opened the case for this source first.
            existing = _open_for(source, source_id)
            if existing is None:
                raise
            return _add_risk(existing, level, reasons, raised_by, now)
        EscalationEvent.objects.create(
            escalation=case, kind=Kind.RAISED, actor=raised_by, created_at=now
        )
        EscalationOutbox.objects.create(
            escalation=case, kind=EscalationOutbox.Kind.RAISED, created_at=now, available_at=now
        )
        record_change(
            raised_by,
            "safety.escalation.raise",
            case,
            subject=_user_or_none(person_id),
            reason=level,
        )
    return case


def _user_or_none(user_id: int | None) -> User | None:
    return User.objects.filter(pk=user_id).first() if user_id else None


def unresolved_for(source: str, source_id: int) -> QuerySet[Escalation]:
    """The case not yet resolved at ``source``/``source_id`` (at most one, by constraint)."""
    return Escalation.objects.filter(source=source, source_id=source_id).exclude(
        state=State.RESOLVED
    )


def _open_for(source: str, source_id: int | None) -> Escalation | None:
    if source_id is None:
        return None
    return unresolved_for(source, source_id).select_for_update().first()


def _add_risk(
    case: Escalation, level: str, reasons: Sequence[str], actor: User | None, now: datetime
) -> Escalation:
    fields = []
    if LEVEL_ORDER[level] > LEVEL_ORDER.get(case.level, 0):
        case.level = level
        fields.append("level")
    merged = list(dict.fromkeys([*case.reasons, *reasons]))
    if merged != case.reasons:
        case.reasons = merged
        fields.append("reasons")
    if fields:
        case.save(update_fields=fields)
    EscalationEvent.objects.create(
        escalation=case, kind=Kind.RISK_ADDED, actor=actor, created_at=now
    )
    return case


# --- The rota -----------------------------------------------------------------------------


def on_call(now: datetime | None = None) -> list[User]:
    """The coordinators on call at ``now``, in the order they are asked (each once)."""
    now = now or timezone.now()
    shifts = (
        OnCallShift.objects.filter(
            starts_at__lte=now, ends_at__gt=now, coordinator__is_active=True
        )
        .select_related("coordinator")
        .order_by("order", "starts_at", "pk")
    )
    seen: set[int] = set()
    responders = []
    for shift in shifts:
        person = shift.coordinator
        if person.pk not in seen and can_respond(person):
            seen.add(person.pk)
            responders.append(person)
    return responders


def add_shift(
    actor: User, coordinator: User, starts_at: datetime, ends_at: datetime, order: int
) -> OnCallShift:
    """Put ``coordinator`` on call; ``EscalationError`` for a shift that ends before it starts
    or someone who cannot respond."""
    _check_responder(actor)
    if ends_at <= starts_at:
        raise EscalationError(_("A shift must end after it starts."))
    if not can_respond(coordinator):
        raise EscalationError(_("Only an active coordinator can be on call."))
    if order < 0:
        raise EscalationError(_("The order starts at 0 for the first responder."))
    with transaction.atomic():
        shift = OnCallShift.objects.create(
            coordinator=coordinator,
            starts_at=starts_at,
            ends_at=ends_at,
            order=order,
            created_by=actor,
        )
        record_change(actor, "safety.oncall.add", shift, subject=coordinator)
    return shift


def remove_shift(actor: User, shift_id: int) -> bool:
    """Remove a shift; False when there was none."""
    _check_responder(actor)
    with transaction.atomic():
        shift = OnCallShift.objects.select_for_update().filter(pk=shift_id).first()
        if shift is None:
            return False
        record_change(actor, "safety.oncall.remove", shift, subject=shift.coordinator)
        shift.delete()
    return True


# --- Carrying a case along the rota (the dispatcher's side) -------------------------------


@dataclass(frozen=True)
class Step:
    """What ``advance`` did to one case (``kinds`` empty when nothing was due)."""

    escalation_id: int
    kinds: tuple[str, ...]


def advance(escalation_id: int, *, now: datetime | None = None) -> Step:
    """Take the next due step of one case, if any; safe to call again at any time.

    The row is locked (PostgreSQL) or the write lock held (SQLite's
    IMMEDIATE transactions) while the step is decided and recorded, so two
    dispatchers never take the same step twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = Escalation.objects.select_for_update().filter(pk=escalation_id).first()
        if case is None:
            return Step(escalation_id, ())
        if case.state != State.OPEN:
            if case.next_step_at is not None:
                case.next_step_at = None
                case.save(update_fields=["next_step_at"])
            return Step(escalation_id, ())
        kinds: list[str] = []
        if case.notified_at is None:
            kinds = _first_alert(case, now)
        elif case.next_step_at is not None and case.next_step_at <= now:
            kinds = _next_alert(case, now)
    return Step(escalation_id, tuple(kinds))


def _first_alert(case: Escalation, now: datetime) -> list[str]:
    responders = on_call(now)
    case.notified_at = now
    if not responders:
        _event(case, Kind.NOBODY_ON_CALL, now)
        kinds = [Kind.NOBODY_ON_CALL, *_fallback(case, now)]
        case.save(update_fields=["notified_at", "fallback_at", "next_step_at"])
        return kinds
    kinds = _alert(case, responders[0], 0, now)
    case.save(update_fields=["notified_at", "responder", "tier", "next_step_at"])
    return kinds


def _next_alert(case: Escalation, now: datetime) -> list[str]:
    if case.fallback_at is not None:
        case.next_step_at = None
        case.save(update_fields=["next_step_at"])
        return []
    responders = on_call(now)
    asked = case.responder_id
    later = [person for rank, person in enumerate(responders) if rank > case.tier]
    # The rota may have changed since the last alert: skip whoever was asked already.
    later = [person for person in later if person.pk != asked]
    if later:
        tier = responders.index(later[0])
        _event(case, Kind.REASSIGNED, now, tier=tier)
        kinds = [Kind.REASSIGNED, *_alert(case, later[0], tier, now)]
        case.save(update_fields=["responder", "tier", "next_step_at"])
        return kinds
    kinds = _fallback(case, now)
    case.save(update_fields=["fallback_at", "next_step_at"])
    return kinds


def _alert(case: Escalation, responder: User, tier: int, now: datetime) -> list[str]:
    case.responder = responder
    case.tier = tier
    case.next_step_at = now + timedelta(seconds=ack_seconds())
    _event(case, Kind.NOTIFIED_IN_APP, now, recipient=responder, tier=tier)
    kinds: list[str] = [Kind.NOTIFIED_IN_APP]
    if responder.email:
        EscalationOutbox.objects.create(
            escalation=case,
            kind=EscalationOutbox.Kind.EMAIL,
            recipient=responder,
            tier=tier,
            created_at=now,
            available_at=now,
        )
    return kinds


def _fallback(case: Escalation, now: datetime) -> list[str]:
    case.fallback_at = now
    case.next_step_at = None
    kinds: list[str] = []
    if settings.PEERLIGHT_SAFETY_FALLBACK_EMAIL:
        EscalationOutbox.objects.create(
            escalation=case, kind=EscalationOutbox.Kind.EMAIL, created_at=now, available_at=now
        )
    else:
        # Never silently nothing: the banner still goes up, and the log says why
        # no one outside was told.
        logger.warning("No fallback contact configured (escalation %s).", case.pk)
        _event(case, Kind.FALLBACK_MISSING, now)
        kinds.append(Kind.FALLBACK_MISSING)
    _event(case, Kind.BANNER_SHOWN, now)
    kinds.append(Kind.BANNER_SHOWN)
    return kinds


def _event(
    case: Escalation,
    kind: str,
    now: datetime,
    *,
    actor: User | None = None,
    recipient: User | None = None,
    tier: int | None = None,
) -> None:
    EscalationEvent.objects.create(
        escalation=case, kind=kind, actor=actor, recipient=recipient, tier=tier, created_at=now
    )
    record_change(actor, f"safety.escalation.{kind}", case, subject=recipient)


def record_email_sent(row: EscalationOutbox, now: datetime) -> None:
    """The e-mail of ``row`` left: its event, and the row is done (one transaction)."""
    with transaction.atomic():
        done = EscalationOutbox.objects.filter(pk=row.pk, done_at__isnull=True).update(done_at=now)
        if not done:
            return
        kind = Kind.NOTIFIED_EMAIL if row.recipient_id else Kind.FALLBACK_CONTACTED
        case = Escalation.objects.get(pk=row.escalation_id)
        _event(case, kind, now, recipient=row.recipient, tier=row.tier)


# --- The coordinators' states -------------------------------------------------------------

# What each action needs the case to be in, and what it makes it.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({State.OPEN}), State.ACKNOWLEDGED),
    "start": (frozenset({State.ACKNOWLEDGED}), State.IN_PROGRESS),
    "resolve": (frozenset({State.ACKNOWLEDGED, State.IN_PROGRESS}), State.RESOLVED),
}


def _check_responder(actor: User) -> None:
    if not can_respond(actor):
        raise PermissionDenied


def _transition(actor: User, escalation_id: int, action: str) -> Escalation:
    """Lock the case and check ``action`` is allowed from its state; ``EscalationError`` if not."""
    _check_responder(actor)
    case = Escalation.objects.select_for_update().filter(pk=escalation_id).first()
    if case is None:
        raise Http404
    allowed, _target = TRANSITIONS[action]
    if case.state not in allowed:
        if case.state == State.RESOLVED:
            raise EscalationError(_("This case is already resolved."))
        raise EscalationError(
            _("This case is “%(state)s” now, so that step does not apply.")
            % {"state": case.get_state_display()}
        )
    return case


def acknowledge(actor: User, escalation_id: int, *, now: datetime | None = None) -> Escalation:
    """``actor`` takes the case: it stops moving along the rota."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _transition(actor, escalation_id, "acknowledge")
        case.state = State.ACKNOWLEDGED
        case.acknowledged_at = now
        case.responder = actor
        case.next_step_at = None
        case.save(update_fields=["state", "acknowledged_at", "responder", "next_step_at"])
        _event(case, Kind.ACKNOWLEDGED, now, actor=actor)
    return case


def start_work(actor: User, escalation_id: int, *, now: datetime | None = None) -> Escalation:
    """The responder is working with the person now."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _transition(actor, escalation_id, "start")
        case.state = State.IN_PROGRESS
        case.in_progress_at = now
        case.responder = actor
        case.save(update_fields=["state", "in_progress_at", "responder"])
        _event(case, Kind.IN_PROGRESS, now, actor=actor)
    return case


def resolve(
    actor: User,
    escalation_id: int,
    *,
    outcome: str,
    note: str = "",
    now: datetime | None = None,
) -> Escalation:
    """Close the case with an outcome (and an optional note, kept encrypted)."""
    if outcome not in Escalation.Outcome.values:
        raise EscalationError(_("Please choose how it ended."))
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise EscalationError(
            _("Please keep the note under %(limit)s characters.") % {"limit": NOTE_MAX_LENGTH}
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = _transition(actor, escalation_id, "resolve")
        case.state = State.RESOLVED
        case.resolved_at = now
        case.outcome = outcome
        case.outcome_note = note
        case.next_step_at = None
        case.save(
            update_fields=["state", "resolved_at", "outcome", "outcome_note", "next_step_at"]
        )
        EscalationEvent.objects.create(
            escalation=case, kind=Kind.RESOLVED, actor=actor, created_at=now
        )
        record_change(actor, "safety.escalation.resolved", case, reason=outcome)
    return case


# --- Reads for coordinators ---------------------------------------------------------------


def escalations_for_staff(viewer: User) -> QuerySet[Escalation]:
    """Every case, with its people, for a coordinator; 404 for anyone else.

    ``open_cases`` and ``recent_resolved`` order them for the console.
    """
    if not can_respond(viewer):
        raise Http404
    return Escalation.objects.select_related("person", "responder", "raised_by")


def open_cases(viewer: User) -> list[Escalation]:
    return list(
        escalations_for_staff(viewer).exclude(state=State.RESOLVED).order_by("created_at", "pk")
    )


def recent_resolved(viewer: User, limit: int = 20) -> list[Escalation]:
    return list(
        escalations_for_staff(viewer)
        .filter(state=State.RESOLVED)
        .order_by("-resolved_at", "-pk")[:limit]
    )


def get_escalation_for_staff(viewer: User, escalation_id: int) -> Escalation:
    found = escalations_for_staff(viewer).filter(pk=escalation_id).first()
    if found is None:
        raise Http404
    return found


def banner_cases(viewer: User, *, now: datetime | None = None) -> list[Escalation]:
    """Open cases waiting for ``viewer``'s attention.

    Those asked of them, those past the fallback (every coordinator sees
    them), and those no dispatcher has carried for ``STALLED_SECONDS`` (the
    worker may be down: every coordinator sees those too).
    """
    if not can_respond(viewer):
        return []
    stalled = (now or timezone.now()) - timedelta(seconds=STALLED_SECONDS)
    return list(
        Escalation.objects.filter(state=State.OPEN)
        .filter(
            Q(responder=viewer)
            | Q(fallback_at__isnull=False)
            | Q(notified_at__isnull=True, created_at__lte=stalled)
        )
        .order_by("created_at", "pk")
    )


def open_case_for_source(source: str, source_id: int) -> Escalation | None:
    """The case still open for a source, for the people in it (no permission check)."""
    return unresolved_for(source, source_id).first()
