"""Appending to the audit log.

Every sensitive write calls ``record_change`` inside its own transaction, so
the entry commits or rolls back with the change it describes. Sensitive reads
call ``record_read`` outside any transaction (as a view does before it shows
the data), so the entry is committed on its own and the trace stays even if
the request fails afterwards.

Entries hold ids only (the actor's, the subject's, the target's), never names
or free text about a person: ``reason`` must not carry personal data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone

from peerlight.audit.models import GENESIS, AuditAction, AuditEntry, AuditHead

if TYPE_CHECKING:
    from peerlight.accounts.models import User

HEAD_PK = 1

Target = models.Model | tuple[str, str]


def record_change(
    actor: User | None,
    verb: str,
    target: Target,
    *,
    reason: str = "",
    subject: User | None = None,
) -> AuditEntry:
    """Append an entry for a change, inside the caller's transaction.

    ``transaction.atomic`` nests as a savepoint, so the entry is committed or
    rolled back together with the change the caller is making.
    """
    with transaction.atomic():
        return _append(AuditAction.CHANGE, actor, verb, target, reason, subject)


def record_read(
    actor: User | None,
    verb: str,
    target: Target,
    *,
    reason: str = "",
    subject: User | None = None,
) -> AuditEntry:
    """Append an entry for a read of sensitive data.

    Called outside a transaction it commits at once; called inside one it
    joins it (a read inside a failed change is not worth more than the change).
    """
    with transaction.atomic():
        return _append(AuditAction.READ, actor, verb, target, reason, subject)


def _target_parts(target: Target) -> tuple[str, str]:
    if isinstance(target, models.Model):
        return target._meta.label_lower, "" if target.pk is None else str(target.pk)
    target_type, target_id = target
    return str(target_type), str(target_id)


def _locked_head() -> AuditHead:
    # Locking the single head row serialises appenders on PostgreSQL; on
    # SQLite every transaction starts with BEGIN IMMEDIATE, which already
    # holds the one write lock.
    head = AuditHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is not None:
        return head
    # The migration creates the head; it is missing only after the database
    # was flushed (as the test runner does). Rebuild it from the newest entry
    # so the chain continues where it stands.
    last = AuditEntry.objects.order_by("-id").first()
    AuditHead.objects.get_or_create(
        pk=HEAD_PK,
        defaults={
            "last_hash": last.entry_hash if last else GENESIS,
            "last_entry_id": last.pk if last else None,
        },
    )
    return AuditHead.objects.select_for_update().get(pk=HEAD_PK)


def _check_lengths(**values: str) -> None:
    # Checked here because SQLite would store an over-long value and
    # PostgreSQL would refuse it: the same call must behave the same on both.
    for name, value in values.items():
        limit = getattr(AuditEntry._meta.get_field(name), "max_length", None)
        if limit is not None and len(value) > limit:
            raise ValueError(f"Audit {name} is longer than {limit} characters.")
    if not values["verb"]:
        raise ValueError("An audit entry needs a verb.")


def _append(
    action: AuditAction,
    actor: User | None,
    verb: str,
    target: Target,
    reason: str,
    subject: User | None,
) -> AuditEntry:
    target_type, target_id = _target_parts(target)
    _check_lengths(verb=verb, target_type=target_type, target_id=target_id, reason=reason)
    head = _locked_head()
    entry = AuditEntry(
        created_at=timezone.now(),
        actor_id=actor.pk if actor is not None else None,
        action=action,
        verb=verb,
        target_type=target_type,
        target_id=target_id,
        subject_id=subject.pk if subject is not None else None,
        reason=reason,
        prev_hash=head.last_hash,
    )
    entry.entry_hash = entry.compute_hash()
    entry.save()
    head.last_hash = entry.entry_hash
    head.last_entry_id = entry.pk
    head.save(update_fields=["last_hash", "last_entry_id"])
    return entry
