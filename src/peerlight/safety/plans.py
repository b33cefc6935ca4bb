"""Safety plans: reads with the permission check built in, and every write.

A plan belongs to one person and only they change it. They may share it with
the peer supporters of a chat they are in; a peer reads a shared plan while
the share is active, the chat is open and they are still in it. Anything
else is "not there" (404), so ids reveal nothing.

Audit entries carry ids only, never what a plan says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peerlight.accounts.models import Role, User
from peerlight.audit.actions import record_change
from peerlight.lib.crisis import crisis_info
from peerlight.safety.places import Seat, chat_seats
from peerlight.safety.plan_models import PLAN_SECTIONS, PlanShare, SafetyPlan

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

__all__ = [
    "MAX_SECTION_CHARS",
    "MAX_SECTION_LINES",
    "SECTIONS",
    "PlanError",
    "Section",
    "ShareState",
    "active_shares",
    "clean_section",
    "delete_plan",
    "get_shared_plan_for",
    "plan_for",
    "save_plan",
    "share_plan",
    "share_state",
    "shared_plans_for",
    "stop_sharing",
    "suggested_professionals",
]

MAX_SECTION_CHARS = 1500
MAX_SECTION_LINES = 20
# Chat roles that may read a plan shared into their chat.


@dataclass(frozen=True)
class Section:
    """One part of the plan, with the words a person sees for it."""

    name: str
    title: _StrPromise
    guidance: _StrPromise
    help_text: _StrPromise


SECTIONS = (
    Section(
        "warning_signs",
        gettext_lazy("Warning signs"),
        gettext_lazy(
            "The thoughts, feelings, situations or behaviour that tell you a hard time "
            "may be coming."
        ),
        gettext_lazy("For example: not sleeping, staying away from friends."),
    ),
    Section(
        "coping_strategies",
        gettext_lazy("Things I can do on my own"),
        gettext_lazy(
            "What helps you take your mind off things without contacting anyone: "
            "small things count."
        ),
        gettext_lazy("For example: a walk, a shower, music, drawing."),
    ),
    Section(
        "distractions",
        gettext_lazy("People and places that take my mind off things"),
        gettext_lazy(
            "People you like being around and places where you feel better, even "
            "without talking about how you feel."
        ),
        gettext_lazy("For example: a café, the library, a friend's kitchen."),
    ),
    Section(
        "people_to_ask",
        gettext_lazy("People I can ask for help"),
        gettext_lazy("People you trust to talk to when things get hard, and how to reach them."),
        gettext_lazy("One person per line: their name and how to reach them."),
    ),
    Section(
        "professionals",
        gettext_lazy("Professionals and crisis lines"),
        gettext_lazy(
            "Services you can contact, day or night: a counsellor, a doctor, a crisis line."
        ),
        gettext_lazy(
            "One per line: the name and how to reach them. A new plan starts with the "
            "crisis lines for where you are; change them as you like."
        ),
    ),
    Section(
        "safer_surroundings",
        gettext_lazy("Making my surroundings safer"),
        gettext_lazy(
            "What you can do to keep things you might use to hurt yourself out of "
            "reach, or who could help you with that."
        ),
        gettext_lazy("For example: ask someone to keep medicines for me."),
    ),
    Section(
        "reasons_for_living",
        gettext_lazy("My reasons for living"),
        gettext_lazy("The people, things and hopes that matter most to you."),
        gettext_lazy("As many or as few as you like."),
    ),
)
assert tuple(section.name for section in SECTIONS) == PLAN_SECTIONS


class PlanError(Exception):
    """Refused input; ``message`` is translated and can be shown to the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Reads ----------------------------------------------------------------------------------


def plan_for(user: User) -> SafetyPlan | None:
    """The person's own plan, or None before they make one."""
    return SafetyPlan.objects.filter(member=user).first()


def active_shares(plan: SafetyPlan) -> list[PlanShare]:
    """The plan's shares that have not been stopped, oldest first."""
    return list(plan.shares.filter(stopped_at__isnull=True).order_by("shared_at", "pk"))


def suggested_professionals(language: str | None) -> str:
    """The region's crisis contacts as plan lines, to start the professionals section."""
    contacts = crisis_info(language)["contacts"]
    return "\n".join(f"{contact['name']}: {contact['detail']}" for contact in contacts)


def _seat(user: User, conversation_id: int) -> Seat | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return chat_seats().seat(int(user.pk), conversation_id)


def _is_peer(viewer: User, seat: Seat | None) -> bool:
    """Whether ``seat`` is a peer supporter's, still in the open chat."""
    return (
        seat is not None
        and seat.present
        and seat.is_peer
        and seat.chat_open
        and viewer.has_role(Role.PEER_SUPPORTER)
    )


def _is_peer_in(viewer: User, conversation_id: int) -> bool:
    """Whether the viewer is a peer supporter still in the open chat."""
    return _is_peer(viewer, _seat(viewer, conversation_id))


def get_shared_plan_for(viewer: User, share_id: int) -> PlanShare:
    """Share ``share_id`` with its plan and owner, for a peer who may read it; else 404.

    The share must be active, its chat open, and ``viewer`` a peer supporter
    still in that chat (not the plan's owner).
    """
    share = (
        PlanShare.objects.filter(pk=share_id, stopped_at__isnull=True)
        .select_related("plan__member")
        .first()
    )
    if (
        share is None
        or share.plan.member_id == viewer.pk
        or not _is_peer_in(viewer, int(share.conversation_id))
    ):
        raise Http404
    return share


def shared_plans_for(viewer: User, conversation_id: int) -> list[PlanShare]:
    """The plans shared with ``viewer`` in this chat, oldest first (empty for non-peers)."""
    return _shared_plans(viewer, conversation_id, _seat(viewer, conversation_id))


def _shared_plans(viewer: User, conversation_id: int, seat: Seat | None) -> list[PlanShare]:
    if not _is_peer(viewer, seat):
        return []
    return list(
        PlanShare.objects.filter(conversation_id=conversation_id, stopped_at__isnull=True)
        .exclude(plan__member=viewer)
        .select_related("plan__member")
        .order_by("shared_at", "pk")
    )


@dataclass(frozen=True)
class ShareState:
    """What the chat's "share my plan" button shows for one person."""

    conversation_id: int
    has_plan: bool
    share: PlanShare | None
    # The chat is open, the person is in it and a peer is there to share with.
    can_share: bool

    @property
    def is_shared(self) -> bool:
        return self.share is not None


def share_state(user: User, conversation_id: int) -> ShareState:
    """Whether ``user`` has a plan and shares it in this chat (for the chat's button)."""
    return _share_state(user, conversation_id, _seat(user, conversation_id))


def for_chat(user: User, conversation_id: int) -> tuple[ShareState, list[PlanShare]]:
    """``share_state`` and ``shared_plans_for`` together, for the chat page: one seat read."""
    seat = _seat(user, conversation_id)
    return (
        _share_state(user, conversation_id, seat),
        _shared_plans(user, conversation_id, seat),
    )


def _share_state(user: User, conversation_id: int, seat: Seat | None) -> ShareState:
    plan = plan_for(user)
    share = None
    if plan is not None:
        share = plan.shares.filter(
            conversation_id=conversation_id, stopped_at__isnull=True
        ).first()
    can_share = (
        seat is not None
        and seat.present
        and seat.chat_open
        and chat_seats().has_peer_besides(int(user.pk), conversation_id)
    )
    return ShareState(conversation_id, plan is not None, share, can_share)


def _check_open_chat_for(user: User, conversation_id: int) -> None:
    """404 unless ``user`` is still in chat ``conversation_id`` and it is open."""
    seat = chat_seats().seat(int(user.pk), conversation_id)
    if not user.is_active or seat is None or not seat.present or not seat.chat_open:
        raise Http404


def check_chat_member(user: User, conversation_id: int) -> None:
    """404 unless ``user`` is (or was, and left) in chat ``conversation_id``."""
    seat = chat_seats().seat(int(user.pk), conversation_id)
    if not user.is_active or seat is None or not seat.member_of:
        raise Http404


# --- Writes ---------------------------------------------------------------------------------


def clean_section(text: str) -> str:
    """``text`` as stored: each line trimmed, blank lines dropped, within the limits.

    ``PlanError`` when it is longer than ``MAX_SECTION_CHARS`` characters or
    ``MAX_SECTION_LINES`` lines.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    cleaned = "\n".join(lines)
    if len(cleaned) > MAX_SECTION_CHARS:
        raise PlanError(
            _("Please keep each part under %(limit)s characters.") % {"limit": MAX_SECTION_CHARS}
        )
    if len(lines) > MAX_SECTION_LINES:
        raise PlanError(
            _("Please keep each part to %(limit)s lines or fewer.") % {"limit": MAX_SECTION_LINES}
        )
    return cleaned


def save_plan(
    member: User, sections: Mapping[str, str], *, expected_version: int | None = None
) -> SafetyPlan:
    """Create or change ``member``'s plan from ``sections`` (name → text) and return it.

    Sections not given keep their text. ``PlanError`` (nothing saved) for a
    section over the limits, an unknown section, or when ``expected_version``
    is given and the plan has changed since (another window saved first).
    Saving the same text again changes nothing and is not audited.
    """
    unknown = set(sections) - set(PLAN_SECTIONS)
    if unknown:
        raise ValueError(f"Not plan sections: {sorted(unknown)}")
    cleaned = {name: clean_section(text) for name, text in sections.items()}
    with transaction.atomic():
        plan = SafetyPlan.objects.select_for_update().filter(member=member).first()
        if plan is None:
            if expected_version:
                raise PlanError(_("Your plan was deleted in another window. Please start again."))
            plan = SafetyPlan.objects.create(member=member, **cleaned)
            record_change(member, "safety.plan.create", plan, subject=member)
            return plan
        if expected_version is not None and expected_version != plan.version:
            raise PlanError(
                _(
                    "Your plan was changed in another window. Your changes are below: "
                    "please check them and save again."
                )
            )
        changed = [name for name, text in cleaned.items() if getattr(plan, name) != text]
        if not changed:
            return plan
        for name in changed:
            setattr(plan, name, cleaned[name])
        plan.version += 1
        plan.updated_at = timezone.now()
        plan.save(update_fields=[*changed, "version", "updated_at"])
        record_change(member, "safety.plan.update", plan, subject=member)
    return plan


def delete_plan(member: User) -> bool:
    """Delete ``member``'s plan and every share of it; False when there was none."""
    with transaction.atomic():
        plan = SafetyPlan.objects.select_for_update().filter(member=member).first()
        if plan is None:
            return False
        record_change(member, "safety.plan.delete", plan, subject=member)
        plan.delete()
    return True


def share_plan(member: User, conversation_id: int) -> PlanShare:
    """Share ``member``'s plan with the peers of chat ``conversation_id``; return the share.

    Sharing again while shared returns the active share. 404 unless the
    member is still in the chat and it is open; ``PlanError`` when they have
    no plan yet or no peer is in the chat.
    """
    _check_open_chat_for(member, conversation_id)
    with transaction.atomic():
        plan = SafetyPlan.objects.select_for_update().filter(member=member).first()
        if plan is None:
            raise PlanError(_("Please make your safety plan first."))
        if not chat_seats().has_peer_besides(int(member.pk), conversation_id):
            raise PlanError(_("There is no peer supporter in this chat to share with."))
        share, created = PlanShare.objects.get_or_create(
            plan=plan, conversation_id=conversation_id, stopped_at=None
        )
        if created:
            record_change(
                member,
                "safety.plan.share",
                share,
                subject=member,
                reason=f"conversation:{conversation_id}",
            )
    return share


def stop_sharing(member: User, conversation_id: int) -> bool:
    """Stop sharing ``member``'s plan in chat ``conversation_id``; False when it was not shared.

    Allowed after the chat has ended or the member has left it: a person can
    always take back what they shared.
    """
    with transaction.atomic():
        share = (
            PlanShare.objects.select_for_update()
            .filter(plan__member=member, conversation_id=conversation_id, stopped_at=None)
            .first()
        )
        if share is None:
            return False
        share.stopped_at = timezone.now()
        share.save(update_fields=["stopped_at"])
        record_change(
            member,
            "safety.plan.share_stop",
            share,
            subject=member,
            reason=f"conversation:{conversation_id}",
        )
    return True
