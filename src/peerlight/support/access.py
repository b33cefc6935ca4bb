"""Reads of support requests and offers, with the permission check built in.

A request is visible only to the member who made it; an offer only to the
peer it was made to. "Not there" and "not yours" both end in a 404, so ids
reveal nothing. The coordinator's queue reads carry no words anyone wrote.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q
from django.http import Http404

from peerlight.accounts.models import User
from peerlight.peers.models import Availability, PeerProfile
from peerlight.support.matching import (
    DEMAND_WINDOW,
    QueueEntry,
    demand_from,
    estimate_wait_seconds,
    queue_order,
)
from peerlight.support.models import ChatRating, Offer, SupportRequest

Status = SupportRequest.Status

# Statuses in which a member already has a request going: asking again
# returns it instead of making a second one.
CURRENT_STATUSES = (Status.WAITING, Status.OFFERED, Status.CONNECTED)
# A past chat rated this well (felt heard, 1 to 5) may be asked for again.
SAME_PEER_RATING = 4
RECENT_CHATS = 200


def current_request_for(member: User) -> SupportRequest | None:
    """The member's waiting, offered or connected request, if any (newest)."""
    return (
        SupportRequest.objects.filter(member=member, status__in=CURRENT_STATUSES)
        .order_by("-created_at", "-pk")
        .first()
    )


def get_request_for(member: User, request_id: int) -> SupportRequest:
    """The member's own request; 404 for anyone else's or a missing one."""
    found = (
        SupportRequest.objects.filter(pk=request_id, member=member)
        .select_related("conversation", "peer")
        .first()
    )
    if found is None:
        raise Http404
    return found


def is_peer_of(user: User, request_id: int) -> bool:
    """Whether ``user`` is the peer who took request ``request_id``."""
    return SupportRequest.objects.filter(pk=request_id, peer_id=user.pk).exists()


def get_offer_for(peer: User, offer_id: int) -> Offer:
    """An offer made to ``peer``; 404 for anyone else's or a missing one."""
    found = Offer.objects.filter(pk=offer_id, peer=peer).select_related("request").first()
    if found is None:
        raise Http404
    return found


def pending_offers_for(peer: User) -> list[Offer]:
    return list(
        Offer.objects.filter(peer=peer, status=Offer.Status.PENDING)
        .select_related("request", "request__member")
        .order_by("created_at", "pk")
    )


def active_chats_for(peer: User) -> list[SupportRequest]:
    return list(
        SupportRequest.objects.filter(peer=peer, status=Status.CONNECTED)
        .select_related("conversation", "member")
        .order_by("connected_at", "pk")
    )


def active_chat_counts(peer_ids: Iterable[int]) -> dict[int, int]:
    """Peer id → connected support chats, in one query."""
    rows = (
        SupportRequest.objects.filter(status=Status.CONNECTED, peer_id__in=list(peer_ids))
        .values("peer_id")
        .annotate(chats=Count("pk"))
        .values_list("peer_id", "chats")
    )
    return {int(peer_id): int(chats) for peer_id, chats in rows}


def past_ratings(member: User) -> dict[int, float]:
    """Peer id → the member's best "felt heard" rating of a chat with that peer."""
    rows = (
        ChatRating.objects.filter(request__member=member, request__peer__isnull=False)
        .values("request__peer_id")
        .annotate(best=Max("felt_heard"))
        .values_list("request__peer_id", "best")
    )
    return {int(peer_id): float(best) for peer_id, best in rows}


def rated_a_peer_well(member: User) -> bool:
    """True when the member rated a past chat with a peer well (≥ 4 of 5)."""
    return any(best >= SAME_PEER_RATING for best in past_ratings(member).values())


def recent_demand(window: int = DEMAND_WINDOW) -> dict[str, float]:
    """Share of the last ``window`` requests listing each experience and language.

    One query over codes only (no words anyone wrote), whatever became of
    the requests: a member who left the queue still needed what they asked
    for. The matcher uses it to keep rare peers free for those who need them.
    """
    rows = SupportRequest.objects.order_by("-created_at", "-pk").values_list(
        "priorities", "language"
    )[:window]
    return demand_from((priorities or (), language) for priorities, language in rows)


def open_requests() -> list[SupportRequest]:
    """Waiting and offered requests in queue order (severity first, then time)."""
    rows = {
        row.pk: row
        for row in SupportRequest.objects.filter(status__in=SupportRequest.OPEN_STATUSES)
    }
    entries = [
        QueueEntry(request_id=pk, urgency=row.urgency, created_at=row.created_at.timestamp())
        for pk, row in rows.items()
    ]
    return [rows[entry.request_id] for entry in queue_order(entries)]


def queue_position(request: SupportRequest, queue: list[SupportRequest]) -> int | None:
    """1 for the front of the queue; None when the request is not in it."""
    for index, row in enumerate(queue, start=1):
        if row.pk == request.pk:
            return index
    return None


def median_chat_seconds() -> float:
    """The median length of recent support chats; 0.0 before there are any.

    With no history the estimate of a wait says nothing rather than guess.
    """
    rows = (
        SupportRequest.objects.filter(
            status=Status.ENDED, connected_at__isnull=False, closed_at__isnull=False
        )
        .order_by("-closed_at")
        .values_list("connected_at", "closed_at")[:RECENT_CHATS]
    )
    lengths = [
        (closed - connected).total_seconds()
        for connected, closed in rows
        if connected is not None and closed is not None
    ]
    return float(statistics.median(lengths)) if lengths else 0.0


def offered_peer_ids(request: SupportRequest) -> frozenset[int]:
    """Peers already asked about this request (they declined or let it expire)."""
    return frozenset(Offer.objects.filter(request=request).values_list("peer_id", flat=True))


def busy_with_offer_ids() -> frozenset[int]:
    """Peers with an offer waiting for their answer: one decision at a time."""
    pending = Offer.objects.filter(status=Offer.Status.PENDING)
    return frozenset(pending.values_list("peer_id", flat=True))


@dataclass(frozen=True)
class PeerLoad:
    """A peer on shift as the coordinator sees them."""

    display_name: str
    availability: str
    active_chats: int
    max_chats: int


def peers_on_shift() -> list[PeerLoad]:
    """Peers available now or in a support chat, with their load (two queries)."""
    profiles = {
        int(profile.user_id): profile
        for profile in PeerProfile.objects.filter(
            Q(availability=Availability.AVAILABLE, is_active=True, user__is_active=True)
            | Q(user__support_chats__status=Status.CONNECTED)
        )
        .select_related("user")
        .distinct()
    }
    chats = active_chat_counts(profiles)
    return sorted(
        (
            PeerLoad(
                display_name=profile.user.display_name,
                availability=profile.availability,
                active_chats=chats.get(peer_id, 0),
                max_chats=int(profile.max_chats),
            )
            for peer_id, profile in profiles.items()
        ),
        key=lambda load: load.display_name.casefold(),
    )


def wait_estimate(position: int) -> float | None:
    """Seconds the member at ``position`` may wait, or None when that is unknowable."""
    shift = peers_on_shift()
    free = sum(
        max(0, load.max_chats - load.active_chats)
        for load in shift
        if load.availability == Availability.AVAILABLE
    )
    return estimate_wait_seconds(
        position,
        free_slots=free,
        peers_on_shift=len(shift),
        median_chat_seconds=median_chat_seconds(),
    )


@dataclass(frozen=True)
class QueueRow:
    """One request as the coordinator sees it: never a word the member wrote."""

    position: int
    waiting_seconds: float
    urgency: str
    language: str
    topic_count: int
    status: str


def coordinator_queue(now: datetime) -> list[QueueRow]:
    return [
        QueueRow(
            position=position,
            waiting_seconds=max(0.0, (now - row.created_at).total_seconds()),
            urgency=row.urgency,
            language=row.language,
            topic_count=len(row.topics or []),
            status=row.status,
        )
        for position, row in enumerate(open_requests(), start=1)
    ]
