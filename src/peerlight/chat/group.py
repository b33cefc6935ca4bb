"""What a facilitator can do in a group conversation: pin, mute, remove, pause and resume.

Generic: the chat knows nothing of why a group exists (a circle's meeting,
say). Only a facilitator who is present in the conversation may use these
controls (``PermissionDenied`` otherwise); a facilitator cannot be muted or
removed by another one here (``ChatError``). Every change is audited by ids,
never by what anyone wrote, and its events go out after commit.

A group needs a facilitator: when the last one leaves (``leave_group``) the
conversation pauses, and the next facilitator to come in (``enter_group``)
opens it again. Apps let people in and out through these two functions, not
``actions.add_participant``/``leave_conversation`` directly, so the rule
holds wherever they come from.

Pinning posts a notice into the conversation like "paused" does, so every
open page (websocket or poller) learns of it at once; its body names the
pinned seq (``pinned:<seq>``), so the notice shows what was pinned then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from peerlight.audit.actions import record_change
from peerlight.chat import actions
from peerlight.chat.actions import ChatError
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.lib.events import send_on_commit, user_group

if TYPE_CHECKING:
    from peerlight.accounts.models import User

__all__ = [
    "PINNABLE_KINDS",
    "PIN_NOTICE_PREFIX",
    "UNPIN_NOTICE",
    "enter_group",
    "is_present_facilitator",
    "leave_group",
    "pause",
    "pin_message",
    "pinned_message",
    "pinned_seq_of_notice",
    "present_facilitators",
    "remove_for_app",
    "remove_participant",
    "resume",
    "set_muted",
    "unpin",
]

PIN_NOTICE_PREFIX = "pinned:"
UNPIN_NOTICE = "unpinned"
PINNABLE_KINDS = (Message.Kind.TEXT, Message.Kind.CARD)


# --- Reads ----------------------------------------------------------------------------


def present_facilitators(conversation: Conversation) -> int:
    """How many facilitators are in the conversation now (active accounts, not left or removed)."""
    return int(
        Participant.objects.filter(
            conversation=conversation,
            role=Participant.Role.FACILITATOR,
            left_at__isnull=True,
            is_removed=False,
            user__is_active=True,
        ).aggregate(n=Count("pk"))["n"]
    )


def is_present_facilitator(user: User, conversation: Conversation) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and Participant.objects.filter(
            conversation=conversation,
            user=user,
            role=Participant.Role.FACILITATOR,
            left_at__isnull=True,
            is_removed=False,
        ).exists()
    )


def pinned_message(conversation: Conversation) -> Message | None:
    """The message pinned to the top of ``conversation``, or None."""
    if conversation.pinned_seq is None:
        return None
    return (
        Message.objects.filter(conversation=conversation, seq=conversation.pinned_seq)
        .select_related("sender")
        .first()
    )


def pinned_seq_of_notice(body: str) -> int | None:
    """The seq a "pinned" notice's body names, or None for any other body."""
    if not body.startswith(PIN_NOTICE_PREFIX):
        return None
    number = body.removeprefix(PIN_NOTICE_PREFIX)
    return int(number) if number.isdigit() else None


# --- Who may -------------------------------------------------------------------------


def _locked_group(conversation: Conversation) -> Conversation:
    """The conversation's row, locked for this transaction; ``ChatError`` unless an open group."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.kind != Conversation.Kind.GROUP:
        raise ChatError(_("This can only be done in a group chat."))
    if locked.is_ended:
        raise ChatError(_("This chat has ended."))
    return locked


def _check_facilitator(actor: User, conversation: Conversation) -> None:
    if not is_present_facilitator(actor, conversation):
        raise PermissionDenied(_("Only a facilitator in this chat can do that."))


def _target(conversation: Conversation, user: User) -> Participant:
    """The participation a facilitator acts on; ``ChatError`` for a facilitator or a stranger."""
    target = Participant.objects.filter(conversation=conversation, user=user).first()
    if target is None or target.is_removed:
        raise ChatError(_("That person is not in this chat."))
    if target.role == Participant.Role.FACILITATOR:
        raise ChatError(_("A facilitator cannot be muted or removed here."))
    return target


# --- Pinning -------------------------------------------------------------------------


def pin_message(actor: User, conversation: Conversation, seq: int) -> None:
    """Pin message ``seq`` (a message or a card, not a notice) to the top for everyone."""
    with transaction.atomic():
        locked = _locked_group(conversation)
        _check_facilitator(actor, locked)
        if not Message.objects.filter(
            conversation=locked, seq=seq, kind__in=PINNABLE_KINDS
        ).exists():
            raise ChatError(_("That message cannot be pinned."))
        Conversation.objects.filter(pk=locked.pk).update(pinned_seq=seq)
        conversation.pinned_seq = seq
        record_change(actor, "chat.group.pin", locked)
        actions.post_system_notice(locked, f"{PIN_NOTICE_PREFIX}{seq}")


def unpin(actor: User, conversation: Conversation) -> bool:
    """Take the pinned message off the top; False if nothing was pinned."""
    with transaction.atomic():
        locked = _locked_group(conversation)
        _check_facilitator(actor, locked)
        if locked.pinned_seq is None:
            return False
        Conversation.objects.filter(pk=locked.pk).update(pinned_seq=None)
        conversation.pinned_seq = None
        record_change(actor, "chat.group.unpin", locked)
        actions.post_system_notice(locked, UNPIN_NOTICE)
    return True


# --- People --------------------------------------------------------------------------


def set_muted(actor: User, conversation: Conversation, user: User, muted: bool) -> bool:
    """Mute ``user`` (they read but cannot send) or let them speak again; False if no change."""
    with transaction.atomic():
        locked = _locked_group(conversation)
        _check_facilitator(actor, locked)
        target = _target(locked, user)
        if target.is_muted == muted:
            return False
        Participant.objects.filter(pk=target.pk).update(is_muted=muted)
        verb = "chat.group.mute" if muted else "chat.group.unmute"
        record_change(actor, verb, locked, subject=user)
    return True


def remove_participant(actor: User, conversation: Conversation, user: User) -> None:
    """Remove ``user``: they can no longer read, send or come back, and their sockets close."""
    with transaction.atomic():
        locked = _locked_group(conversation)
        _check_facilitator(actor, locked)
        _remove(actor, locked, _target(locked, user))


def remove_for_app(actor: User | None, conversation: Conversation, user: User) -> bool:
    """``remove_participant`` for an app that decided it itself (a circle removing a member).

    The caller has checked that ``actor`` may; nothing here does. False when
    ``user`` was never in the conversation or is removed already.
    """
    with transaction.atomic():
        locked = _locked_group(conversation)
        target = Participant.objects.filter(conversation=locked, user=user).first()
        if target is None or target.is_removed:
            return False
        _remove(actor, locked, target)
    return True


def _remove(actor: User | None, conversation: Conversation, target: Participant) -> None:
    was_present = target.is_present
    Participant.objects.filter(pk=target.pk).update(
        is_removed=True, left_at=target.left_at or timezone.now()
    )
    record_change(actor, "chat.group.remove", conversation, subject=target.user)
    if was_present:
        actions.post_notice(conversation, "left")
    # Their open pages stop at once, not at the next message.
    send_on_commit(
        [user_group(int(target.user_id))],
        {"type": "chat.removed", "conversation": int(conversation.pk)},
    )


# --- Pause ---------------------------------------------------------------------------


def _set_paused(actor: User | None, conversation: Conversation, paused: bool) -> bool:
    """Pause or resume the locked ``conversation``; False if it was already.

    Checks no permission: the callers do (or act for the system).
    """
    if conversation.is_paused == paused:
        return False
    Conversation.objects.filter(pk=conversation.pk).update(is_paused=paused)
    conversation.is_paused = paused
    verb = "chat.group.pause" if paused else "chat.group.resume"
    record_change(actor, verb, conversation, reason="" if actor else "no facilitator present")
    actions.post_notice(conversation, "paused" if paused else "resumed")
    return True


def pause(actor: User, conversation: Conversation) -> bool:
    """Nobody may send until a facilitator resumes; False if it was paused already."""
    with transaction.atomic():
        locked = _locked_group(conversation)
        _check_facilitator(actor, locked)
        changed = _set_paused(actor, locked, True)
    conversation.is_paused = True
    return changed


def resume(actor: User, conversation: Conversation) -> bool:
    """Let everyone send again; False if it was not paused."""
    with transaction.atomic():
        locked = _locked_group(conversation)
        _check_facilitator(actor, locked)
        changed = _set_paused(actor, locked, False)
    conversation.is_paused = False
    return changed


# --- Coming and going ----------------------------------------------------------------


def enter_group(user: User, conversation: Conversation, role: str) -> Participant:
    """Let ``user`` in with ``role`` (``ChatError`` if removed or ended).

    A facilitator coming into a paused group that had no facilitator opens
    it again: the pause was waiting for them.
    """
    with transaction.atomic():
        locked = _locked_group(conversation)
        waiting_for_facilitator = (
            role == Participant.Role.FACILITATOR
            and locked.is_paused
            and present_facilitators(locked) == 0
        )
        participant = actions.add_participant(locked, user, role)
        if waiting_for_facilitator:
            _set_paused(user, locked, False)
    conversation.is_paused = locked.is_paused
    return participant


def leave_group(user: User, conversation: Conversation) -> bool:
    """``user`` leaves (``actions.leave_conversation``); False if they were not in it.

    When the last facilitator leaves, the group pauses until one is back.
    """
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        role = (
            Participant.objects.filter(conversation=locked, user=user)
            .values_list("role", flat=True)
            .first()
        )
        if not actions.leave_conversation(user, locked):
            return False
        if (
            role == Participant.Role.FACILITATOR
            and not locked.is_ended
            and present_facilitators(locked) == 0
        ):
            _set_paused(None, locked, True)
    conversation.is_paused = locked.is_paused
    return True
