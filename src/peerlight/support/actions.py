"""Every write of the support flow: asking, offering, answering, leaving, ending.

A request moves waiting → offered → connected → ended, or leaves the queue
as cancelled. ``advance`` offers a request to the best free peer the matcher
finds (one pending offer per request, one per peer at a time) or puts it back
to waiting. Offers expire after ``PEERLIGHT_OFFER_SECONDS``: a task is queued
for that moment, and every status page also calls ``refresh_queue`` so that
nothing depends on the worker being up ("lazy expiry").

Each write runs in one transaction. On SQLite every transaction starts with
``BEGIN IMMEDIATE`` (see ``lib.env.database_settings``), which holds the one
write lock from the first statement, so the check-then-write steps below
cannot interleave; on PostgreSQL the rows are locked with
``select_for_update``. Events are ids only, sent after commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight import safety
from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Conversation
from peerlight.lib.events import send_on_commit, user_group
from peerlight.peers import access as peers_access
from peerlight.peers import actions as peers_actions
from peerlight.safety import access as safety_access
from peerlight.support import access, guests
from peerlight.support.explain import reasons_to_json
from peerlight.support.matching import MatchRequest, PeerCandidate, PeerPool, Ranked, rank
from peerlight.support.models import Offer, SupportRequest

Status = SupportRequest.Status

# Only these raise a request's urgency; "none" never lowers it.
LEVEL_ORDER = {"none": 0, "concern": 1, "imminent": 2}


class SupportError(Exception):
    """Refused input, with a calm sentence for the person; nothing changed."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class RequestDetails:
    """What a member asks for, as the start form cleaned it."""

    topics: Sequence[str]
    priorities: Sequence[str]
    language: str
    preferences: Mapping[str, str]
    words: str = ""
    wants_same_peer: bool = False


# --- Asking -------------------------------------------------------------------


def request_support(
    member: User, details: RequestDetails, *, now: datetime | None = None
) -> SupportRequest:
    """Open a support request for ``member`` and offer it to the best free peer.

    A member with a request already going gets that one back (nothing new is
    made and nothing is counted). Otherwise the words pass through the safety
    hook, the request is stored with the urgency it found, and it is offered
    at once when a peer is free. Raises ``ratelimit.RateLimited`` when the
    member has opened too many requests lately (new accounts sooner).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Serialises two starts of the same member on PostgreSQL; on SQLite
        # BEGIN IMMEDIATE already has.
        User.objects.select_for_update().filter(pk=member.pk).first()
        existing = access.current_request_for(member)
        if existing is not None:
            return existing
        guests.check_new_request(member)
        request = SupportRequest.objects.create(
            member=member,
            topics=list(details.topics),
            priorities=list(details.priorities),
            language=details.language,
            preferences=dict(details.preferences),
            words=details.words,
            wants_same_peer=details.wants_same_peer,
            created_at=now,
        )
        if details.words.strip():
            assessment = safety.assess_message(
                details.words,
                language=details.language,
                source="support.request",
                source_id=request.pk,
                author_id=member.pk,
            )
            request.urgency = assessment.level
            request.urgency_reasons = list(assessment.reasons)
            request.save(update_fields=["urgency", "urgency_reasons"])
        record_change(member, "support.request.create", request, subject=member)
        advance(request, now=now)
    return request


def leave_message_for_later(
    member: User, request: SupportRequest, text: str, *, now: datetime | None = None
) -> None:
    """Keep a message the peer who picks the request up will find in the chat.

    Only while the request waits. The text passes through the safety hook
    and can only raise the request's urgency, never lower it.
    """
    text = text.strip()
    if not text:
        raise SupportError(_("Please write a few words first."))
    with transaction.atomic():
        request = _locked(request)
        if request.member_id != member.pk or request.status not in SupportRequest.OPEN_STATUSES:
            raise SupportError(
                _("This request is no longer waiting, so the message was not kept.")
            )
        assessment = safety.assess_message(
            text,
            language=request.language,
            source="support.later",
            source_id=request.pk,
            author_id=member.pk,
        )
        request.message_for_later = text
        fields = ["message_for_later"]
        if LEVEL_ORDER.get(assessment.level, 0) > LEVEL_ORDER.get(request.urgency, 0):
            request.urgency = assessment.level
            request.urgency_reasons = list(assessment.reasons)
            fields += ["urgency", "urgency_reasons"]
        request.save(update_fields=fields)
        send_on_commit([user_group(member.pk)], _changed(request))


def cancel_request(member: User, request: SupportRequest, *, now: datetime | None = None) -> None:
    """The member leaves the queue: a pending offer is withdrawn; audited."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        if request.member_id != member.pk or request.status not in SupportRequest.OPEN_STATUSES:
            raise SupportError(_("This request is not in the queue any more."))
        withdrawn = list(
            Offer.objects.filter(request=request, status=Offer.Status.PENDING).values_list(
                "peer_id", flat=True
            )
        )
        Offer.objects.filter(request=request, status=Offer.Status.PENDING).update(
            status=Offer.Status.WITHDRAWN, answered_at=now
        )
        request.status = Status.CANCELLED
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
        record_change(member, "support.request.cancel", request, subject=member)
        send_on_commit([user_group(member.pk)], _changed(request))
        for peer_id in withdrawn:
            send_on_commit([user_group(peer_id)], _changed(request))
    if withdrawn:
        # The peer who was being asked is free for someone else now.
        match_waiting(now)


# --- Offering -------------------------------------------------------------------


def _candidates(exclude: frozenset[int]) -> list[PeerCandidate]:
    """Every online peer as the matcher sees them, with their current load."""
    profiles = [p for p in peers_access.online_profiles() if p.user_id not in exclude]
    chats = access.active_chat_counts(p.user_id for p in profiles)
    return [
        PeerCandidate(
            peer_id=int(profile.user_id),
            languages=frozenset(profile.languages or []),
            experiences=frozenset(profile.experiences or []),
            topics=frozenset(profile.topics or []),
            gender=profile.gender,
            active_chats=chats.get(int(profile.user_id), 0),
            max_chats=int(profile.max_chats),
            last_chat_ended_at=(
                profile.last_chat_ended_at.timestamp() if profile.last_chat_ended_at else None
            ),
        )
        for profile in profiles
    ]


def _match_request(request: SupportRequest, excluded: frozenset[int]) -> MatchRequest:
    member = request.member
    blocked = safety_access.blocked_ids(int(member.pk))
    return MatchRequest(
        language=request.language,
        priorities=tuple(request.priorities or ()),
        topics=tuple(request.topics or ()),
        preferences=dict(request.preferences or {}),
        past_ratings=access.past_ratings(member),
        wants_same_peer=request.wants_same_peer,
        # Never the member themselves (peers ask for support too), never
        # someone either of them blocked, never a peer already asked.
        excluded=excluded | blocked | access.offered_peer_ids(request) | {int(member.pk)},
    )


def _best(
    request: SupportRequest,
    pool: PeerPool,
    excluded: frozenset[int],
    now: datetime,
    demand: Mapping[str, float],
) -> Ranked | None:
    match = _match_request(request, excluded)
    ranked = rank(match, pool, now=now.timestamp(), limit=1, demand=demand)
    return ranked[0] if ranked else None


def advance(
    request: SupportRequest,
    *,
    now: datetime,
    pool: PeerPool | None = None,
    demand: Mapping[str, float] | None = None,
) -> Offer | None:
    """Offer ``request`` to the best free peer, or set it back to waiting.

    Runs inside the caller's transaction. ``pool`` and ``demand`` (what
    recent members asked for, so rare peers stay free for those who need
    them) let ``match_waiting`` read them once for a whole queue.
    """
    busy = access.busy_with_offer_ids()
    if pool is None:
        pool = PeerPool(_candidates(busy))
    if demand is None:
        # No query when no peer is online: nobody to keep free.
        demand = access.recent_demand() if len(pool) else {}
    best = _best(request, pool, busy, now, demand)
    if best is None:
        if request.status != Status.WAITING:
            request.status = Status.WAITING
            request.save(update_fields=["status"])
            send_on_commit([user_group(int(request.member_id))], _changed(request))
        return None
    offer = Offer.objects.create(
        request=request,
        peer_id=best.peer_id,
        score=best.score,
        reasons=reasons_to_json(best.reasons),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.PEERLIGHT_OFFER_SECONDS),
    )
    request.status = Status.OFFERED
    request.save(update_fields=["status"])
    send_on_commit([user_group(best.peer_id)], {"type": "support.offer", "offer": offer.pk})
    send_on_commit([user_group(int(request.member_id))], _changed(request))
    transaction.on_commit(lambda: _schedule_expiry(offer))
    return offer


def _schedule_expiry(offer: Offer) -> None:
    # Imported here because the tasks module imports this one.
    from peerlight.support.tasks import schedule_expiry

    schedule_expiry(offer)


def match_waiting(now: datetime | None = None) -> int:
    """Offer waiting requests to free peers in queue order; return offers made.

    Called when a peer may have become free (a chat ended, an offer was
    declined or withdrawn) and from every status page, so a peer who just
    switched to available gets the front of the queue within one poll.
    """
    now = now or timezone.now()
    waiting = [row for row in access.open_requests() if row.status == Status.WAITING]
    if not waiting:
        return 0
    busy = set(access.busy_with_offer_ids())
    pool = PeerPool(_candidates(frozenset(busy)))
    demand = access.recent_demand()
    made = 0
    for row in waiting:
        with transaction.atomic():
            request = _locked(row)
            if request.status != Status.WAITING:
                continue
            offer = advance(request, now=now, pool=pool, demand=demand)
        if offer is not None:
            made += 1
            busy.add(int(offer.peer_id))
            pool = PeerPool(_candidates(frozenset(busy)))
    return made


# --- Answering ------------------------------------------------------------------


def accept_offer(peer: User, offer: Offer, *, now: datetime | None = None) -> SupportRequest:
    """The peer takes the chat: a direct conversation starts; audited.

    Refused (``SupportError``) when the offer is no longer waiting for this
    peer, has run out, or the peer already has as many chats as they take.
    """
    now = now or timezone.now()
    expire_offers(now)
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        request = _locked(offer.request)
        if offer.peer_id != peer.pk or offer.status != Offer.Status.PENDING:
            raise SupportError(_("This request is no longer waiting for you. Thank you anyway."))
        if offer.expires_at <= now or request.status != Status.OFFERED:
            raise SupportError(_("This request is no longer waiting for you. Thank you anyway."))
        profile = peers_access.profile_for(peer)
        if profile is None:
            raise SupportError(_("Your peer profile is not active, so you cannot take chats."))
        if access.active_chat_counts([int(peer.pk)]).get(int(peer.pk), 0) >= profile.max_chats:
            raise SupportError(_("You already have as many chats as you take at once."))
        member = request.member
        conversation = chat_actions.start_conversation(
            kind="direct",
            members=[(member, "member"), (peer, "supporter")],
            context_url=reverse("support:request", args=[request.pk]),
        )
        offer.status = Offer.Status.ACCEPTED
        offer.answered_at = now
        offer.save(update_fields=["status", "answered_at"])
        request.status = Status.CONNECTED
        request.peer = peer
        request.conversation = conversation
        request.connected_at = now
        request.match_reasons = offer.reasons
        request.save(
            update_fields=["status", "peer", "conversation", "connected_at", "match_reasons"]
        )
        record_change(peer, "support.offer.accept", offer, subject=member)
        _post_message_for_later(member, request)
        send_on_commit([user_group(int(member.pk))], _changed(request))
    return request


def _post_message_for_later(member: User, request: SupportRequest) -> None:
    # The member may have gone; their message is the first thing the peer
    # reads, and the reply waits for them in the chat.
    if not request.message_for_later or request.conversation is None:
        return
    try:
        chat_actions.send_message(
            member, request.conversation, request.message_for_later, f"later-{request.pk}"
        )
    except chat_actions.ChatError:
        # The message stays on the request, shown to the peer beside the chat.
        return


def decline_offer(peer: User, offer: Offer, *, now: datetime | None = None) -> None:
    """The peer says no (no reason asked); the next candidate gets the offer; audited."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        if offer.peer_id != peer.pk or offer.status != Offer.Status.PENDING:
            raise SupportError(_("This request is no longer waiting for you."))
        request = _locked(offer.request)
        offer.status = Offer.Status.DECLINED
        offer.answered_at = now
        offer.save(update_fields=["status", "answered_at"])
        record_change(peer, "support.offer.decline", offer, subject=request.member)
        if request.status == Status.OFFERED:
            advance(request, now=now)


def expire_offers(now: datetime | None = None) -> int:
    """Every pending offer past its time expires and its request moves on.

    Idempotent: an offer is expired by a conditional update, so the task and
    any number of status pages may run this at once; each request advances
    once. Returns how many offers this call expired.
    """
    now = now or timezone.now()
    due = list(
        Offer.objects.filter(status=Offer.Status.PENDING, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    expired = 0
    for offer_id in due:
        with transaction.atomic():
            changed = Offer.objects.filter(
                pk=offer_id, status=Offer.Status.PENDING, expires_at__lte=now
            ).update(status=Offer.Status.EXPIRED, answered_at=now)
            if not changed:
                continue
            expired += 1
            offer = Offer.objects.select_related("request").get(pk=offer_id)
            request = _locked(offer.request)
            if request.status == Status.OFFERED:
                advance(request, now=now)
    return expired


# --- Ending -----------------------------------------------------------------------


def end_support_chat(request: SupportRequest, *, now: datetime | None = None) -> bool:
    """Close a connected request whose chat ended; False if it was not connected.

    Tells the peer's profile when their last chat ended (fairness in
    matching) and offers waiting requests to the peer now free.
    """
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        if request.status != Status.CONNECTED:
            return False
        request.status = Status.ENDED
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
        if request.peer is not None:
            peers_actions.record_chat_ended(request.peer, now)
        send_on_commit([user_group(int(request.member_id))], _changed(request))
    match_waiting(now)
    return True


def end_request_of_conversation(conversation: Conversation) -> bool:
    """Close the support request whose chat ``conversation`` just ended, if any.

    Connected to the chat's ``conversation_ended`` signal (``SupportConfig.ready``).
    """
    request = SupportRequest.objects.filter(
        conversation=conversation, status=Status.CONNECTED
    ).first()
    if request is None:
        return False
    return end_support_chat(request, now=conversation.ended_at or timezone.now())


def sync_ended_chats(now: datetime | None = None) -> int:
    """End the requests whose conversation ended without this app hearing of it.

    Ending a chat closes its request at once (``end_request_of_conversation``);
    this catch-up, run by the status pages through ``refresh_queue``, covers
    a receiver that failed after the chat's commit.
    """
    now = now or timezone.now()
    ended = SupportRequest.objects.filter(
        status=Status.CONNECTED, conversation__ended_at__isnull=False
    ).select_related("conversation")
    count = 0
    for request in ended:
        at = request.conversation.ended_at if request.conversation else now
        count += end_support_chat(request, now=at or now)
    return count


def refresh_queue(now: datetime | None = None) -> None:
    """Bring the queue up to date: ended chats, offers run out, free peers."""
    now = now or timezone.now()
    sync_ended_chats(now)
    expire_offers(now)
    match_waiting(now)


# --- Small helpers ----------------------------------------------------------------


def _locked(request: SupportRequest) -> SupportRequest:
    # Only the request's own row is locked: PostgreSQL refuses to lock the
    # nullable side of the joins.
    return (
        SupportRequest.objects.select_for_update(of=("self",))
        .select_related("member", "peer", "conversation")
        .get(pk=request.pk)
    )


def _changed(request: SupportRequest) -> dict[str, object]:
    return {"type": "support.changed", "request": request.pk}
