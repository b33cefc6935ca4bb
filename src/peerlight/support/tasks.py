"""Background work of the support flow: expiring an offer at its deadline.

The task is a convenience, not a dependency: every status page also expires
offers that ran out (``actions.refresh_queue``), so a stopped worker delays
nothing that a person is looking at.
"""

from __future__ import annotations

from django.tasks import task

from peerlight.support import actions
from peerlight.support.models import Offer


@task
def expire_offer(offer_id: int) -> int:
    """Expire every offer past its time (this one included); return how many.

    ``offer_id`` names the offer that woke the task, for whoever reads the queue.
    """
    return actions.expire_offers()


def schedule_expiry(offer: Offer) -> None:
    """Queue ``expire_offer`` for the offer's deadline.

    A backend that cannot wait until a given time is left alone: running the
    task at once would find nothing due, and the status pages expire offers
    anyway.
    """
    if expire_offer.get_backend().supports_defer:
        expire_offer.using(run_after=offer.expires_at).enqueue(offer.pk)
