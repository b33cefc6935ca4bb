"""The wrap-up of a support chat: the member's rating, the peer's note, "the same peer again".

Rules, each enforced here rather than in the views:

* Only the request's member rates, and only once the chat has ended (the
  request is ended, or its conversation is). There is one rating per chat;
  the member may change it for ``RATING_CHANGE_HOURS`` hours after first
  giving it (a second thought the next morning is common and honest), after
  which it is settled and a new submission is refused.
* Only the request's peer writes the note, once the chat has started. The
  note is encrypted at rest; its author may change it at any time. Writing
  and changing it are audited (ids only).
* The member reads the note only by choice; every reading is audited.

Refusals raise ``WrapUpError`` with a translated message for the person;
nothing changes then.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.audit.actions import record_change, record_read
from peerlight.support.access import SAME_PEER_RATING, get_request_for
from peerlight.support.models import ChatRating, PeerNote, SupportRequest

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from peerlight.accounts.models import User

RATING_CHANGE_HOURS = 24
MAX_WORDS = 1000
NOTE_FIELDS = ("talked_about", "strengths", "resources", "next_step")

NOTE_WRITTEN = "support.peer_note_written"
NOTE_CHANGED = "support.peer_note_changed"
NOTE_READ = "support.peer_note_read"
CHAT_RATED = "support.chat_rated"


class WrapUpError(Exception):
    """A refused wrap-up step; ``message`` is safe to show to the person."""

    def __init__(self, message: str | _StrPromise) -> None:
        super().__init__(str(message))
        self.message = message


# --- Reads ----------------------------------------------------------------


def chat_has_ended(request: SupportRequest) -> bool:
    if request.status == SupportRequest.Status.ENDED:
        return True
    conversation = request.conversation
    return conversation is not None and conversation.is_ended


def chat_has_started(request: SupportRequest) -> bool:
    return request.connected_at is not None or request.conversation_id is not None


def can_ask_for_same_peer(request: SupportRequest) -> bool:
    """True when the member may ask for this chat's peer again (see ``ask_for_same_peer``)."""
    if request.peer_id is None or not chat_has_ended(request):
        return False
    rating = rating_of(request)
    return rating is not None and rating.felt_heard >= SAME_PEER_RATING


def rating_can_change(rating: ChatRating, *, now: datetime | None = None) -> bool:
    """True while the member may still change ``rating``."""
    now = now or timezone.now()
    return now - rating.created_at < timedelta(hours=RATING_CHANGE_HOURS)


def request_of_peer(peer: User, request_id: int) -> SupportRequest:
    """A request ``peer`` took; 404 when they did not take it or it is not there."""
    request = (
        SupportRequest.objects.filter(pk=request_id, peer_id=peer.pk)
        .select_related("conversation", "member")
        .first()
    )
    if request is None:
        raise Http404
    return request


def note_of(request: SupportRequest) -> PeerNote | None:
    return PeerNote.objects.filter(request=request).first()


def rating_of(request: SupportRequest) -> ChatRating | None:
    return ChatRating.objects.filter(request=request).first()


def read_note(member: User, request_id: int) -> PeerNote:
    """The peer's note on the member's own request, recorded as read; 404 otherwise.

    Called by the page that shows the note, before showing it, so the trace
    stays even if rendering fails.
    """
    request = get_request_for(member, request_id)
    note = note_of(request)
    if note is None:
        raise Http404
    record_read(member, NOTE_READ, note, subject=member)
    return note


# --- Writes ---------------------------------------------------------------


def _bounded(text: str, what: str | _StrPromise) -> str:
    text = text.strip()
    if len(text) > MAX_WORDS:
        raise WrapUpError(
            _("%(what)s can be at most %(limit)d characters.") % {"what": what, "limit": MAX_WORDS}
        )
    return text


def rate_chat(
    member: User, request: SupportRequest, felt_heard: int, words: str = ""
) -> ChatRating:
    """Save the member's rating of the chat, or change it within the change window.

    Refuses anyone but the request's member, a chat that has not ended, a
    score outside 1 to 5, words over ``MAX_WORDS`` characters and a change after
    the window has closed.
    """
    if request.member_id != member.pk:
        raise WrapUpError(_("Only the person who asked for support can rate this chat."))
    if not chat_has_ended(request):
        raise WrapUpError(_("You can say how it went once the chat has ended."))
    if isinstance(felt_heard, bool) or not isinstance(felt_heard, int) or not 1 <= felt_heard <= 5:
        raise WrapUpError(_("Please choose a number from 1 to 5."))
    words = _bounded(words, _("Your words"))
    with transaction.atomic():
        rating = ChatRating.objects.select_for_update().filter(request=request).first()
        if rating is None:
            rating = ChatRating.objects.create(request=request, felt_heard=felt_heard, words=words)
        elif rating_can_change(rating):
            rating.felt_heard, rating.words = felt_heard, words
            rating.save(update_fields=["felt_heard", "words"])
        else:
            raise WrapUpError(
                _("You already told us how this chat went. Thank you, it is saved as it was.")
            )
        record_change(member, CHAT_RATED, rating, subject=member)
    return rating


def write_peer_note(
    peer: User,
    request: SupportRequest,
    *,
    talked_about: str = "",
    strengths: str = "",
    resources: str = "",
    next_step: str = "",
) -> PeerNote:
    """Save the peer's note on a chat they took, creating it or changing their own.

    Refuses anyone but the request's peer, a chat that has not started, a
    field over ``MAX_WORDS`` characters, a note with nothing written, and a
    note someone else wrote.
    """
    if request.peer_id is None or request.peer_id != peer.pk:
        raise WrapUpError(_("Only the peer who took this chat can write its note."))
    if not chat_has_started(request):
        raise WrapUpError(_("You can write a note once the chat has started."))
    fields = {
        "talked_about": _bounded(talked_about, _("What you talked about")),
        "strengths": _bounded(strengths, _("Strengths you noticed")),
        "resources": _bounded(resources, _("Resources you shared")),
        "next_step": _bounded(next_step, _("A next step")),
    }
    if not any(fields.values()):
        raise WrapUpError(_("Please write at least one part of the note."))
    with transaction.atomic():
        note = PeerNote.objects.select_for_update().filter(request=request).first()
        if note is None:
            note = PeerNote.objects.create(request=request, author=peer, **fields)
            verb = NOTE_WRITTEN
        elif note.author_id == peer.pk:
            for name, value in fields.items():
                setattr(note, name, value)
            note.updated_at = timezone.now()
            note.save(update_fields=[*NOTE_FIELDS, "updated_at"])
            verb = NOTE_CHANGED
        else:
            raise WrapUpError(_("This note was written by someone else and cannot be changed."))
        record_change(peer, verb, note, subject=request.member)
    return note


def ask_for_same_peer(member: User, request: SupportRequest) -> SupportRequest:
    """Ask again for support, preferring the peer of ``request``.

    The new request has the same topics, priorities, language and
    preferences, with ``wants_same_peer`` set, and goes through the usual
    ``request_support`` (queue, matching, offers; a request already going is
    returned as it is). The matcher prefers the peers a member rated well, so
    this is open only after the member rated this chat at least
    ``SAME_PEER_RATING``; refuses anyone but the member and a chat that has
    not ended. ``request_support`` may raise ``ratelimit.RateLimited``.
    """
    # Imported when used: SupportConfig.ready() imports this module for its
    # privacy registrations and should not pull in the whole support flow.
    from peerlight.support.actions import RequestDetails, request_support

    if request.member_id != member.pk:
        raise WrapUpError(_("Only the person who asked for support can ask for the same peer."))
    if not can_ask_for_same_peer(request):
        raise WrapUpError(
            _(
                "You can ask for the same peer again once the chat has ended "
                "and you said it went well."
            )
        )
    details = RequestDetails(
        topics=list(request.topics),
        priorities=list(request.priorities),
        language=request.language,
        preferences=dict(request.preferences),
        wants_same_peer=True,
    )
    return request_support(member, details)


# --- Privacy --------------------------------------------------------------


def register_privacy() -> None:
    """Register ratings and notes with the privacy registry (from ``SupportConfig.ready``)."""
    from peerlight.accounts import privacy

    def export_ratings(user: User) -> list[dict[str, object]]:
        rows = ChatRating.objects.filter(request__member=user).order_by("created_at")
        return [
            {
                "request": rating.request_id,
                "felt_heard": rating.felt_heard,
                "words": rating.words,
                "created_at": rating.created_at,
            }
            for rating in rows
        ]

    def export_notes(user: User) -> dict[str, object]:
        about_you = PeerNote.objects.filter(request__member=user).order_by("created_at")
        # What a peer wrote is about someone else: the peer gets that they
        # wrote it and when, not the words.
        written = PeerNote.objects.filter(author=user).order_by("created_at")
        return {
            "notes_for_you": [
                {"request": note.request_id, "created_at": note.created_at}
                | {name: getattr(note, name) for name in NOTE_FIELDS}
                for note in about_you
            ],
            "notes_you_wrote": [
                {"request": n.request_id, "created_at": n.created_at, "updated_at": n.updated_at}
                for n in written
            ],
        }

    def erase_notes(user: User) -> None:
        PeerNote.objects.filter(request__member=user).delete()
        PeerNote.objects.filter(author=user).update(author=None)

    privacy.register(
        ChatRating,
        export=export_ratings,
        erase=privacy.ErasurePolicy.delete(),
        description=_("How you rated your chats with peers"),
    )
    privacy.register(
        PeerNote,
        export=export_notes,
        erase=privacy.ErasurePolicy.custom(
            erase_notes,
            reason=_(
                "Notes peers wrote for you are deleted. Notes you wrote as a peer supporter "
                "stay with the person you supported, without your name on them."
            ),
        ),
        description=_("Notes peers wrote after your chats, and notes you wrote"),
    )
