"""Demo on-call rota: every demo coordinator is on call, so an urgent case in
the demo reaches someone.

Each coordinator of ``accounts.demo`` gets one shift from now for a year, in
the order of the people file (the first is asked first). ``seed(out)`` is
idempotent: a coordinator already on call now is left as they are.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from peerlight.accounts.demo import Writer, demo_people
from peerlight.accounts.models import Role, User
from peerlight.safety.models import OnCallShift

SHIFT_LENGTH = timedelta(days=365)


def seed(out: Writer) -> None:
    now = timezone.now()
    added = existing = 0
    coordinators = [person for person in demo_people() if Role.COORDINATOR in person.roles]
    for order, person in enumerate(coordinators):
        user = User.objects.filter(display_name__iexact=person.display_name).first()
        if user is None:
            continue
        on_call = OnCallShift.objects.filter(
            coordinator=user, starts_at__lte=now, ends_at__gt=now
        ).exists()
        if on_call:
            existing += 1
            continue
        with transaction.atomic():
            OnCallShift.objects.create(
                coordinator=user, starts_at=now, ends_at=now + SHIFT_LENGTH, order=order
            )
        added += 1
    out.write(f"On-call shifts: {added} added, {existing} already on call.\n")
