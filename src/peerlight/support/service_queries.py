"""Loading the rows behind the service levels, for the coordinator page."""

from __future__ import annotations

from datetime import datetime

from peerlight.support.models import SupportRequest
from peerlight.support.service_levels import (
    ANSWER_WITHIN_SECONDS,
    RequestRow,
    ServiceLevels,
    service_levels,
)


def service_levels_between(
    start: datetime, end: datetime, *, answer_within_seconds: int = ANSWER_WITHIN_SECONDS
) -> ServiceLevels:
    """The service levels of requests made in ``[start, end)``, read in one query.

    Only times, statuses and peer ids are read: never what anyone wrote.
    """
    values = SupportRequest.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
        "created_at", "connected_at", "closed_at", "status", "peer_id"
    )
    rows = [RequestRow(*value) for value in values]
    return service_levels(rows, answer_within_seconds=answer_within_seconds)
