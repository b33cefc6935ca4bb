"""Who belongs to a circle: signing up, the waiting list, requests, leaving and removal.

Every write runs in one transaction that first locks the circle's row
(``select_for_update``): the capacity is counted and the places given out
under that lock, so two people asking for the last place never both get it.
(SQLite takes the database's write lock at the start of each transaction,
``transaction_mode = IMMEDIATE``, which serialises the same way.)

- **Signing up** (``sign_up``): an open circle takes members while it has
  places and puts everyone else on its waiting list; a circle "by request"
  waits for a facilitator's answer (``decide_request``).
- **The waiting list** is first in, first out by ``waiting_since``. Whenever
  a place may have opened up (someone left or was removed, a request was
  decided, the capacity was raised) ``fill_places`` moves the longest-waiting
  people up and tells them (``reminders.notify``, ``Notice.Kind.MOVED_UP``).
- Only the circle's leaders (``access.can_lead``) decide requests and remove
  people; everything is audited, never with the note a person wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.accounts.models import User
from peerlight.audit.actions import record_change
from peerlight.chat import group as chat_group
from peerlight.chat.models import Conversation
from peerlight.circles import access, reminders
from peerlight.circles.models import Circle, Membership, Notice

__all__ = [
    "IN_CIRCLE",
    "REQUEST_NOTE_MAX",
    "MembershipError",
    "People",
    "Person",
    "decide_request",
    "fill_places",
    "leave",
    "people_of",
    "remove_member",
    "sign_up",
    "waiting_position",
]

Status = Membership.Status

REQUEST_NOTE_MAX = 500
# The statuses of someone who is in the circle or on the way in.
IN_CIRCLE = (Status.MEMBER, Status.WAITING, Status.REQUESTED)
SIGN_UP_VERBS = {
    Status.MEMBER: "circles.membership.join",
    Status.WAITING: "circles.membership.wait",
    Status.REQUESTED: "circles.membership.request",
}


class MembershipError(Exception):
    """Refused input; ``message`` is a translated sentence for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Reads ---------------------------------------------------------------------------


def _earlier_in_queue(membership: Membership) -> Q:
    # Ties on the same instant go by row id, so every place is distinct.
    return Q(waiting_since__lt=membership.waiting_since) | Q(
        waiting_since=membership.waiting_since, pk__lt=membership.pk
    )


def waiting_position(membership: Membership) -> int | None:
    """The person's place in the circle's waiting list (1 is next), or None if not waiting."""
    if membership.status != Status.WAITING or membership.waiting_since is None:
        return None
    ahead = Membership.objects.filter(
        _earlier_in_queue(membership), circle_id=membership.circle_id, status=Status.WAITING
    ).count()
    return ahead + 1


@dataclass(frozen=True)
class Person:
    """One row of a circle's people page: a display name, never more about the person."""

    membership_id: int
    display_name: str
    since: datetime
    # Only for requests: the few words the person wrote to the leaders.
    note: str = ""


@dataclass(frozen=True)
class People:
    """A circle's members, open requests and waiting list (in the order it moves up)."""

    members: list[Person]
    requests: list[Person]
    waiting: list[Person]


def people_of(circle: Circle) -> People:
    """Everyone in or on the way into ``circle``, for its leaders; one query.

    The caller has checked that the viewer leads the circle: request notes
    are for the leaders only.
    """
    rows = (
        Membership.objects.filter(circle=circle, status__in=IN_CIRCLE)
        .select_related("user")
        .only(
            "status",
            "request_note",
            "requested_at",
            "waiting_since",
            "joined_at",
            "user__display_name",
        )
        .order_by("pk")
    )
    members: list[Person] = []
    requests: list[Person] = []
    waiting: list[tuple[datetime, int, Person]] = []
    for row in rows:
        name = row.user.display_name
        if row.status == Status.MEMBER:
            members.append(Person(row.pk, name, row.joined_at or row.requested_at))
        elif row.status == Status.REQUESTED:
            requests.append(Person(row.pk, name, row.requested_at, note=row.request_note))
        else:
            since = row.waiting_since or row.requested_at
            waiting.append((since, row.pk, Person(row.pk, name, since)))
    members.sort(key=lambda person: person.display_name.casefold())
    waiting.sort(key=lambda entry: (entry[0], entry[1]))
    return People(members, requests, [entry[2] for entry in waiting])


# --- Writes --------------------------------------------------------------------------


def _lock(circle: Circle) -> Circle:
    return Circle.objects.select_for_update().get(pk=circle.pk)


def _has_room(circle: Circle) -> bool:
    return access.member_count(circle) < circle.capacity


def _check_can_sign_up(user: User, circle: Circle, *, age_confirmed: bool, note: str) -> None:
    if not user.is_authenticated or not user.is_active:
        raise MembershipError(_("Please sign in to join a circle."))
    if user.is_guest:
        raise MembershipError(
            _("Circles are for people with an account. Making one takes a minute.")
        )
    if len(note) > REQUEST_NOTE_MAX:
        raise MembershipError(
            _("Please keep the note to %(count)d characters or fewer.")
            % {"count": REQUEST_NOTE_MAX}
        )
    if (circle.min_age is not None or circle.max_age is not None) and not age_confirmed:
        raise MembershipError(_("Please confirm that you are within the circle's age range."))


def sign_up(user: User, circle: Circle, *, age_confirmed: bool, note: str = "") -> Membership:
    """Put ``user`` into ``circle``: a member, on the waiting list, or asking to join.

    Someone already in (member, waiting or asked) gets their row back
    unchanged; someone who left or was declined signs up again on the same
    row. Raises ``MembershipError`` (nothing saved) for a guest, a circle
    that no longer meets, an age range not confirmed, a facilitator of the
    circle, someone a facilitator removed, or a note over
    ``REQUEST_NOTE_MAX`` characters.
    """
    note = note.strip()
    _check_can_sign_up(user, circle, age_confirmed=age_confirmed, note=note)
    now = timezone.now()
    with transaction.atomic():
        circle = _lock(circle)
        if not circle.is_active:
            raise MembershipError(_("This circle is not meeting any more."))
        if circle.facilitators.filter(pk=user.pk).exists():
            raise MembershipError(_("You lead this circle, so you do not need to join it."))
        membership = Membership.objects.filter(circle=circle, user=user).first()
        if membership is not None and membership.status in IN_CIRCLE:
            return membership
        if membership is not None and membership.status == Status.REMOVED:
            raise MembershipError(
                _("A facilitator has taken you off this circle, so you cannot join it again.")
            )
        membership = membership or Membership(circle=circle, user=user)
        membership.request_note = note if circle.joining == Circle.Joining.REQUEST else ""
        membership.age_confirmed = age_confirmed
        membership.requested_at = now
        membership.joined_at = membership.waiting_since = membership.left_at = None
        membership.decided_by = None
        if circle.joining == Circle.Joining.REQUEST:
            membership.status = Status.REQUESTED
        elif _has_room(circle) and not _anyone_waiting(circle):
            membership.status = Status.MEMBER
            membership.joined_at = now
        else:
            membership.status = Status.WAITING
            membership.waiting_since = now
        membership.save()
        record_change(user, SIGN_UP_VERBS[membership.status], membership, subject=user)
        if membership.status == Status.WAITING:
            # Places left free by a capacity rise go to those waiting longer.
            fill_places(circle)
            membership.refresh_from_db()
    return membership


def _anyone_waiting(circle: Circle) -> bool:
    return Membership.objects.filter(circle=circle, status=Status.WAITING).exists()


def _locked_membership(membership: Membership) -> Membership:
    return Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)


def leave(user: User, circle: Circle) -> None:
    """Take ``user`` out of ``circle`` (a member, someone waiting, or a request taken back).

    A member's place goes to the longest-waiting person (``fill_places``).
    Raises ``MembershipError`` when the person is not in the circle.
    """
    with transaction.atomic():
        circle = _lock(circle)
        membership = (
            Membership.objects.select_for_update()
            .filter(circle=circle, user=user, status__in=IN_CIRCLE)
            .first()
        )
        if membership is None:
            raise MembershipError(_("You are not in this circle."))
        was_member = membership.status == Status.MEMBER
        membership.status = Status.LEFT
        membership.left_at = timezone.now()
        membership.waiting_since = None
        membership.save(update_fields=["status", "left_at", "waiting_since"])
        record_change(user, "circles.membership.leave", membership, subject=user)
        if was_member:
            fill_places(circle)


def _check_leads(actor: User, circle: Circle) -> None:
    if not access.can_lead(actor, circle):
        raise PermissionDenied


def decide_request(actor: User, membership: Membership, accept: bool) -> Membership:
    """Answer a request to join: accepted people become members if there is a place,
    else they join the waiting list; declined people are told kindly.

    Only the circle's leaders may (``PermissionDenied``). Raises
    ``MembershipError`` when the request was already answered or taken back.
    """
    with transaction.atomic():
        circle = _lock(membership.circle)
        _check_leads(actor, circle)
        membership = _locked_membership(membership)
        if membership.status != Status.REQUESTED:
            raise MembershipError(_("This request has already been answered or taken back."))
        now = timezone.now()
        membership.decided_by = actor
        if not accept:
            membership.status = Status.DECLINED
            kind = Notice.Kind.DECLINED
        elif _has_room(circle) and not _anyone_waiting(circle):
            membership.status = Status.MEMBER
            membership.joined_at = now
            kind = Notice.Kind.APPROVED
        else:
            membership.status = Status.WAITING
            membership.waiting_since = now
            kind = Notice.Kind.APPROVED
        membership.save(update_fields=["status", "decided_by", "joined_at", "waiting_since"])
        verb = "circles.membership.accept" if accept else "circles.membership.decline"
        record_change(actor, verb, membership, subject=membership.user)
        reminders.notify(membership.user, circle, kind)
        fill_places(circle)
    return membership


def remove_member(actor: User, membership: Membership) -> Membership:
    """Take someone off a circle (a member, someone waiting, or a request); they cannot
    sign up again. Only the circle's leaders may (``PermissionDenied``).
    """
    with transaction.atomic():
        circle = _lock(membership.circle)
        _check_leads(actor, circle)
        membership = _locked_membership(membership)
        if membership.status not in IN_CIRCLE:
            raise MembershipError(_("This person is no longer in the circle."))
        was_member = membership.status == Status.MEMBER
        membership.status = Status.REMOVED
        membership.left_at = timezone.now()
        membership.waiting_since = None
        membership.decided_by = actor
        membership.save(update_fields=["status", "left_at", "waiting_since", "decided_by"])
        record_change(actor, "circles.membership.remove", membership, subject=membership.user)
        _leave_open_rooms(actor, circle, membership.user)
        if was_member:
            fill_places(circle)
    return membership


def _leave_open_rooms(actor: User, circle: Circle, user: User) -> None:
    """Someone removed from a circle leaves any of its rooms open now, at once."""
    rooms = Conversation.objects.filter(
        circle_meeting__circle=circle,
        ended_at__isnull=True,
        participants__user=user,
        participants__is_removed=False,
    )
    for conversation in rooms:
        chat_group.remove_for_app(actor, conversation, user)


def fill_places(circle: Circle) -> list[Membership]:
    """Move the longest-waiting people up while the circle has places; return them.

    Call it whenever a place may have opened up (after a capacity rise, for
    one). Each person moved up gets a ``MOVED_UP`` notice (and an e-mail
    after commit). Nothing moves for a circle that no longer meets.
    """
    with transaction.atomic():
        circle = _lock(circle)
        if not circle.is_active:
            return []
        free = circle.capacity - access.member_count(circle)
        if free <= 0:
            return []
        next_in_line = list(
            Membership.objects.select_for_update()
            .filter(circle=circle, status=Status.WAITING)
            .select_related("user")
            .order_by("waiting_since", "pk")[:free]
        )
        now = timezone.now()
        for membership in next_in_line:
            membership.status = Status.MEMBER
            membership.joined_at = now
            membership.waiting_since = None
            membership.save(update_fields=["status", "joined_at", "waiting_since"])
            record_change(None, "circles.membership.move_up", membership, subject=membership.user)
            reminders.notify(membership.user, circle, Notice.Kind.MOVED_UP)
    return next_in_line
