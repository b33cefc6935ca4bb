"""The escalation dispatcher: carries outbox rows and deadlines, beside the task worker.

``peerlight worker`` runs ``run_forever`` in a thread; tests and the
benchmark call ``run_once``. Each round:

1. claims due outbox rows, setting a lease (``locked_until``) in a short
   transaction of its own (``select_for_update(skip_locked=True)`` on
   PostgreSQL; on SQLite the IMMEDIATE transaction holds the write lock);
2. carries each: a ``raised`` row calls ``escalations.advance`` and is
   marked done in that same transaction; an ``email`` row is sent outside
   any transaction, then marked done with its event;
3. advances every open case whose acknowledgement deadline has passed.

A dispatcher killed at any point leaves either a row not yet claimed, or a
claimed row whose lease runs out and which the next round claims again;
``advance`` takes each step once whatever happens, so nobody is alerted
twice in the app. An e-mail may go twice (sent, then killed before it was
marked done): at least once is the promise for e-mail.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peerlight.safety import escalations
from peerlight.safety.escalation_models import Escalation, EscalationOutbox

logger = logging.getLogger(__name__)

__all__ = ["claim", "run_forever", "run_once"]

INTERVAL_SECONDS = 0.5
BATCH = 50
# How long a claim holds; carrying a row takes far less. E-mail may wait on a
# slow mail server, so its lease is longer.
LEASE_SECONDS: dict[str, int] = {"raised": 5, "email": 60}
# A row that failed this often is left for a person to look at (the banner
# still shows its case after the fallback deadline).
MAX_ATTEMPTS = 20


def claim(now: datetime | None = None, *, limit: int = BATCH) -> list[EscalationOutbox]:
    """Claim up to ``limit`` due rows for this dispatcher; each stays claimed for its lease."""
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            EscalationOutbox.objects.filter(done_at__isnull=True, available_at__lte=now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .filter(attempts__lt=MAX_ATTEMPTS)
            .order_by("available_at", "pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due[:limit])
        for row in rows:
            row.locked_until = now + timedelta(seconds=LEASE_SECONDS[row.kind])
            row.attempts += 1
            EscalationOutbox.objects.filter(pk=row.pk).update(
                locked_until=row.locked_until, attempts=row.attempts
            )
    return rows


def carry(row: EscalationOutbox, now: datetime | None = None) -> None:
    """Do what one claimed row asks; a failure leaves it for its lease to run out."""
    now = now or timezone.now()
    if row.kind == EscalationOutbox.Kind.RAISED:
        with transaction.atomic():
            escalations.advance(row.escalation_id, now=now)
            EscalationOutbox.objects.filter(pk=row.pk).update(done_at=now)
        return
    _send_email(row)
    escalations.record_email_sent(row, timezone.now())


def _case_url(escalation_id: int) -> str:
    path = reverse("safety:escalations:detail", args=[escalation_id])
    return f"{settings.PEERLIGHT_BASE_URL}{path}"


def _send_email(row: EscalationOutbox) -> None:
    """An urgent-case e-mail with no personal details: the link is all it carries."""
    recipient = row.recipient
    if recipient is not None:
        address, language = recipient.email, recipient.language
    else:
        address = settings.PEERLIGHT_SAFETY_FALLBACK_EMAIL
        language = settings.LANGUAGE_CODE
    if not address:
        return
    with translation.override(language):
        subject = _("Peerlight: an urgent case needs you")
        body = _(
            "Someone may be at risk and no one has acknowledged it yet.\n\n"
            "Please open this page now:\n%(url)s\n\n"
            "This e-mail has no details on purpose; sign in to see them."
        ) % {"url": _case_url(row.escalation_id)}
    send_mail(subject, body, None, [address])


def due_cases(now: datetime) -> list[int]:
    return list(
        Escalation.objects.filter(
            state=Escalation.State.OPEN, next_step_at__isnull=False, next_step_at__lte=now
        )
        .order_by("next_step_at")
        .values_list("pk", flat=True)[:BATCH]
    )


def run_once(now: datetime | None = None) -> int:
    """One round: claimed rows carried, overdue cases advanced. Returns how many things it did."""
    now = now or timezone.now()
    done = 0
    for escalation_id in due_cases(now):
        if escalations.advance(escalation_id, now=now).kinds:
            done += 1
    # A step writes e-mail rows of its own: a second pass sends them now
    # rather than a round later.
    for _pass in range(2):
        rows = claim(now)
        for row in rows:
            try:
                carry(row, now)
            except Exception:
                # The row keeps its lease and is claimed again after it; ids only.
                logger.exception(
                    "Escalation outbox row %s failed (attempt %s).", row.pk, row.attempts
                )
                continue
            done += 1
        if not rows:
            break
    return done


def run_forever(stop: threading.Event, interval: float = INTERVAL_SECONDS) -> None:
    """Run rounds until ``stop`` is set; a failed round is logged and the next one tried."""
    while not stop.is_set():
        close_old_connections()
        try:
            busy = run_once()
        except Exception:
            logger.exception("Escalation dispatcher round failed.")
            busy = 0
        if not busy:
            stop.wait(interval)
    connection.close()
