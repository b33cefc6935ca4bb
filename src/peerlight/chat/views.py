"""The chat pages: thin views over ``chat.access`` (reads) and ``chat.actions`` (writes).

One URL serves the full page and, for htmx, the fragment. Every message is
rendered by one template partial (``chat/conversation.html#message``)
through ``render_messages``, which the websocket consumer uses too, so a
message looks the same however it arrives.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages as flash
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required
from peerlight.accounts.models import User
from peerlight.accounts.views import form_methods
from peerlight.chat import access, actions, group, tools
from peerlight.chat.cards import Card, card_from_body
from peerlight.chat.forms import ReportForm, SendForm
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.lib.crisis import crisis_info
from peerlight.safety import actions as safety_actions
from peerlight.safety import plans as safety_plans
from peerlight.safety.escalations import open_case_for_source
from peerlight.safety.reasons import describe_reasons

MASKED_EXPLANATION = gettext_lazy(
    "To keep everyone safe, contact details are hidden in chats. "
    "Your peer can share resources through Peerlight instead."
)
NOTICES = {
    "joined": gettext_lazy("Someone joined the chat."),
    "left": gettext_lazy("Someone left the chat."),
    "ended": gettext_lazy("The chat has ended."),
    "paused": gettext_lazy("The chat is paused for a moment."),
    "resumed": gettext_lazy("The chat is open again."),
    group.UNPIN_NOTICE: gettext_lazy("A facilitator took the pinned message off the top."),
}
PINNED_NOTICE = gettext_lazy("A facilitator pinned this to the top of the chat:")
# Readers who see what the safety check noticed in someone else's message.
SAFETY_READERS = frozenset({Participant.Role.SUPPORTER, Participant.Role.FACILITATOR})
# How many of the latest messages the page shows.
PAGE_MESSAGES = 200
# The one partial every message is rendered through, on the page and over the socket.
MESSAGE_TEMPLATE = "chat/conversation.html#message"


@dataclass(frozen=True)
class PinnedView:
    """A pinned message as shown at the top of the page and in its "pinned" notice."""

    seq: int
    sender_name: str
    body: str
    # A pinned card shows as its title, lines and link.
    card: Card | None = None


@dataclass(frozen=True)
class MessageView:
    """One message as one reader sees it."""

    message: Message
    mine: bool
    sender_name: str
    notice: str
    risk_reasons: tuple[str, ...]
    # The sender's own risky message, just sent: the safety card goes with it.
    safety_card: bool = False
    # A card posted by an app (``chat.cards``); None for every other kind.
    card: Card | None = None
    # For a "pinned" notice: what was pinned.
    quote: PinnedView | None = None

    @property
    def is_card(self) -> bool:
        return self.message.kind == Message.Kind.CARD


def message_views(
    viewer: User, conversation: Conversation, messages: Sequence[Message], *, card_seq: int = 0
) -> list[MessageView]:
    names = access.display_names(conversation)
    role = Participant.objects.filter(conversation=conversation, user=viewer).values_list(
        "role", flat=True
    )
    return build_message_views(
        int(viewer.pk),
        messages,
        names=names,
        sees_risk=bool(set(role) & SAFETY_READERS),
        card_seq=card_seq,
    )


def build_message_views(
    viewer_id: int,
    messages: Sequence[Message],
    *,
    names: dict[int, str],
    sees_risk: bool,
    card_seq: int = 0,
) -> list[MessageView]:
    """The messages as the reader ``viewer_id`` sees them, from names and role already read.

    ``sees_risk``: the reader's role is one of ``SAFETY_READERS``.
    ``card_seq``: the reader's own message just sent; if the safety check
    rated it concern or above, the safety card is shown with it.
    A "pinned" notice costs one more query, for what was pinned.
    """
    quotes = _pinned_quotes(messages, names)
    return [
        MessageView(
            message=message,
            mine=message.sender_id == viewer_id,
            sender_name=names.get(message.sender_id or 0, "") or _("Someone"),
            notice=_notice_text(message.body, message.seq in quotes)
            if message.kind == Message.Kind.SYSTEM
            else "",
            risk_reasons=describe_reasons(message.risk_reasons)
            if sees_risk and message.sender_id != viewer_id and message.risk_level != "none"
            else (),
            safety_card=bool(card_seq)
            and message.seq == card_seq
            and message.sender_id == viewer_id
            and message.risk_level != "none",
            card=card_from_body(message.body) if message.kind == Message.Kind.CARD else None,
            quote=quotes.get(message.seq),
        )
        for message in messages
    ]


def _notice_text(body: str, has_quote: bool) -> str:
    if has_quote:
        return str(PINNED_NOTICE)
    return str(NOTICES.get(body, ""))


def pinned_view(message: Message, names: dict[int, str]) -> PinnedView:
    card = card_from_body(message.body) if message.kind == Message.Kind.CARD else None
    return PinnedView(
        seq=int(message.seq),
        sender_name=names.get(message.sender_id or 0, "") or _("Someone"),
        body="" if card else message.body,
        card=card,
    )


def _pinned_quotes(messages: Sequence[Message], names: dict[int, str]) -> dict[int, PinnedView]:
    """Seq of each "pinned" notice among ``messages`` → the message it pinned."""
    wanted: dict[int, int] = {}
    for message in messages:
        if message.kind == Message.Kind.SYSTEM:
            pinned = group.pinned_seq_of_notice(message.body)
            if pinned is not None:
                wanted[int(message.seq)] = pinned
    if not wanted:
        return {}
    rows = Message.objects.filter(
        conversation_id=messages[0].conversation_id,
        seq__in=set(wanted.values()),
        kind__in=group.PINNABLE_KINDS,
    )
    by_seq = {int(row.seq): pinned_view(row, names) for row in rows}
    return {notice: by_seq[seq] for notice, seq in wanted.items() if seq in by_seq}


def _pinned_for_page(conversation: Conversation, names: dict[int, str]) -> PinnedView | None:
    message = group.pinned_message(conversation)
    return pinned_view(message, names) if message is not None else None


def render_messages(
    viewer: User,
    conversation: Conversation,
    messages: Sequence[Message],
    *,
    language: str | None = None,
    card_seq: int = 0,
) -> str:
    """The HTML of ``messages`` as ``viewer`` sees them (their name shows as "You").

    Rendered in the active language, or in ``language`` when given; with
    ``card_seq``, see ``build_message_views``.
    """
    with translation.override(language or translation.get_language()):
        crisis = crisis_info(translation.get_language()) if card_seq else None
        parts = [
            render_to_string(MESSAGE_TEMPLATE, {"item": item, "crisis": crisis})
            for item in message_views(viewer, conversation, messages, card_seq=card_seq)
        ]
    # Each part is the output of an autoescaping template; joining keeps it safe.
    return mark_safe("".join(parts))  # noqa: S308


def _fresh_client_id() -> str:
    return uuid.uuid4().hex


def _safe_context_url(conversation: Conversation) -> str:
    # Set by the app that started the chat; only a path on this site is followed.
    url = conversation.context_url
    return url if url.startswith("/") and not url.startswith("//") else ""


def _page(
    request: AuthenticatedHttpRequest,
    conversation: Conversation,
    form: SendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    participant = access.participant_for(int(user.pk), int(conversation.pk))
    assert participant is not None  # get_conversation_for checked it
    last_seq = int(conversation.last_seq)
    shown = access.messages_after(
        user, conversation, max(0, last_seq - PAGE_MESSAGES), limit=PAGE_MESSAGES
    )
    actions.mark_read(user, conversation, last_seq)
    names = access.display_names(conversation)
    can_send = (
        participant.is_present
        and not participant.is_muted
        and not conversation.is_ended
        and not conversation.is_paused
    )
    is_group = conversation.kind == Conversation.Kind.GROUP
    if form is None:
        form = SendForm(initial={"client_id": _fresh_client_id(), "after": last_seq})
    plan_share, shared_plans = safety_plans.for_chat(user, int(conversation.pk))
    context = {
        "conversation": conversation,
        "others": [name for user_id, name in names.items() if user_id != user.pk],
        "messages_html": render_messages(user, conversation, shown),
        "has_earlier": bool(shown) and shown[0].seq > 1,
        "last_seq": last_seq,
        "form": form,
        "can_send": can_send,
        "participant": participant,
        "show_safety_card": access.last_risk_level(user, conversation) != "none",
        "peer_safety": _peer_safety(user, conversation, participant),
        "context_url": _safe_context_url(conversation),
        "total_unread": access.total_unread(user),
        "plan_share": plan_share,
        "shared_plans": shared_plans,
        "peer_tools": tools.tools_for(participant),
        "is_group": is_group,
        "can_end": participant.is_present and not conversation.is_ended and _may_end(participant),
        "pinned": _pinned_for_page(conversation, names),
    }
    return render(request, "chat/conversation.html", context, status=status)


def _may_end(participant: Participant) -> bool:
    """Anyone in a one-to-one chat may end it; a group, only its facilitators."""
    return (
        participant.conversation.kind != Conversation.Kind.GROUP
        or participant.role == Participant.Role.FACILITATOR
    )


def _latest_risk_from_others(user: User, conversation: Conversation) -> Message | None:
    return (
        Message.objects.filter(conversation=conversation, kind=Message.Kind.TEXT)
        .exclude(sender=user)
        .exclude(risk_level="none")
        .order_by("-seq")
        .first()
    )


def _peer_safety(
    user: User, conversation: Conversation, participant: Participant
) -> dict[str, Any] | None:
    """What a peer sees of the safety side: the latest risk, the protocol, the case if open."""
    if participant.role not in SAFETY_READERS:
        return None
    latest = _latest_risk_from_others(user, conversation)
    return {
        "level": latest.risk_level if latest else "",
        "reasons": describe_reasons(latest.risk_reasons) if latest else (),
        "case": open_case_for_source(actions.SAFETY_SOURCE, int(conversation.pk)),
    }


@require_safe
@login_required
def conversation(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponse:
    """The chat page: who is here, what was said, and a form to say more."""
    chat = access.get_conversation_for(request.user, conversation_id)
    return _page(request, chat)


def _changes_pin(message: Message) -> bool:
    return message.kind == Message.Kind.SYSTEM and (
        message.body == group.UNPIN_NOTICE or group.pinned_seq_of_notice(message.body) is not None
    )


@require_safe
@login_required
def messages(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponse:
    """The messages after ``?after=N`` as a fragment (the poller's answer); marks them read.

    The poller keeps its first URL and sends the newest seq it has in a
    hidden input too; the higher of the two wins. When the chat has ended
    and nothing is new, status 286 tells htmx to stop polling.
    """
    chat = access.get_conversation_for(request.user, conversation_id)
    try:
        after = max(int(value) for value in request.GET.getlist("after") or ["0"])
    except ValueError:
        return HttpResponse(_("Please reload the page."), status=400)
    if after < 0:
        return HttpResponse(_("Please reload the page."), status=400)
    new = access.messages_after(request.user, chat, after)
    last = new[-1].seq if new else after
    if new:
        actions.mark_read(request.user, chat, last)
    html = render_messages(request.user, chat, new)
    oob = render_to_string("chat/_poll_after.html", {"after": last, "oob": True})
    if any(_changes_pin(message) for message in new):
        # The pinned message at the top of the page follows the notice.
        pinned = _pinned_for_page(chat, access.display_names(chat))
        oob += render_to_string("chat/_pinned.html", {"pinned": pinned, "oob": True})
    status = 286 if chat.is_ended and not new else 200
    return HttpResponse(html + oob, status=status)


@require_POST
@login_required
def send(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponseBase:
    """Send one message; htmx gets it rendered, a plain form post goes back to the page."""
    chat = access.get_conversation_for(request.user, conversation_id)
    form = SendForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            sent = actions.send_message(
                request.user, chat, form.cleaned_data["body"], form.cleaned_data["client_id"]
            )
        except actions.ChatError as refused:
            error = refused.message
        else:
            return _sent(request, chat, sent)
    else:
        error = " ".join(str(message) for errors in form.errors.values() for message in errors)
    if request.htmx:
        return HttpResponse(
            render_to_string("chat/_send_error.html", {"error": error}), status=400
        )
    form = SendForm(
        {**request.POST.dict(), "client_id": _fresh_client_id()},
        initial={"after": chat.last_seq},
    )
    form.is_valid()
    form.add_error(None, error)
    return _page(request, chat, form, status=400)


def _sent(
    request: AuthenticatedHttpRequest, chat: Conversation, sent: actions.SentMessage
) -> HttpResponseBase:
    if not request.htmx:
        if sent.masked:
            flash.info(request, MASKED_EXPLANATION)
        return redirect(reverse("chat:conversation", args=[chat.pk]) + "#latest")
    context = {
        "message_html": render_messages(
            request.user, chat, [sent.message], card_seq=int(sent.message.seq)
        ),
        "client_id": _fresh_client_id(),
        "masked": sent.masked,
        "explanation": MASKED_EXPLANATION,
    }
    return render(request, "chat/_sent.html", context)


@require_POST
@login_required
def read(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponseBase:
    """Remember how far the person has read (``seq``)."""
    chat = access.get_conversation_for(request.user, conversation_id)
    try:
        seq = int(request.POST.get("seq", ""))
    except ValueError:
        return HttpResponse(_("Please reload the page."), status=400)
    if seq < 0:
        return HttpResponse(_("Please reload the page."), status=400)
    actions.mark_read(request.user, chat, seq)
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("chat:conversation", conversation_id=chat.pk)


@form_methods
@login_required
def end(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponseBase:
    """Ask "End this chat?" and, on POST, end it for everyone."""
    chat = access.get_conversation_for(request.user, conversation_id)
    participant = access.participant_for(int(request.user.pk), int(chat.pk))
    if participant is not None and not _may_end(participant):
        return HttpResponse(_("Only a facilitator can end a group chat."), status=403)
    if request.method == "POST":
        if participant is None or not participant.is_present:
            return render(request, "chat/end.html", {"conversation": chat}, status=400)
        if actions.end_conversation(request.user, chat):
            flash.info(request, _("The chat has ended. Thank you for talking."))
        return redirect(_safe_context_url(chat) or reverse("chat:conversation", args=[chat.pk]))
    return render(request, "chat/end.html", {"conversation": chat})


@form_methods
@login_required
def report(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponseBase:
    """Report the other side (and, in a one-to-one chat, block them and end it)."""
    chat = access.get_conversation_for(request.user, conversation_id)
    direct = chat.kind == Conversation.Kind.DIRECT
    form = ReportForm(request.POST or None, direct=direct)
    if request.method == "POST" and form.is_valid():
        try:
            actions.report_and_block(
                request.user,
                chat,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
                block=bool(form.cleaned_data.get("block")),
            )
        except actions.ChatError as refused:
            form.add_error(None, refused.message)
        else:
            flash.info(
                request,
                _("Thank you for telling us. A coordinator will look at this soon."),
            )
            return redirect("chat:conversation", conversation_id=chat.pk)
    status = 400 if form.is_bound else 200
    context = {"conversation": chat, "form": form, "direct": direct}
    return render(request, "chat/report.html", context, status=status)


@require_safe
@login_required
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's conversations, newest first, with unread counts."""
    rows = access.conversations_for(request.user)
    names = access.names_by_conversation([int(chat.pk) for chat, _unread in rows])
    items: list[dict[str, Any]] = [
        {
            "conversation": chat,
            "unread": unread,
            "others": [
                name
                for user_id, name in names.get(int(chat.pk), {}).items()
                if user_id != request.user.pk
            ],
        }
        for chat, unread in rows
    ]
    return render(request, "chat/inbox.html", {"items": items})


@require_POST
@login_required
def escalate(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponseBase:
    """A peer asks the on-call coordinator to step in; pressing again adds to the open case.

    Only a peer in the chat (``SAFETY_READERS``) may: the member sees 403.
    The person at risk is the author of the latest message the safety check
    flagged, or else the member(s) of the chat.
    """
    chat = access.get_conversation_for(request.user, conversation_id)
    participant = access.participant_for(int(request.user.pk), int(chat.pk))
    if participant is None or participant.role not in SAFETY_READERS:
        return HttpResponse(_("Only the peer in this chat can do that."), status=403)
    latest = _latest_risk_from_others(request.user, chat)
    if latest is not None:
        person_id = latest.sender_id
    else:
        person_id = (
            Participant.objects.filter(conversation=chat, role=Participant.Role.MEMBER)
            .exclude(user=request.user)
            .values_list("user_id", flat=True)
            .first()
        )
    safety_actions.raise_risk(
        person_id=person_id,
        source=actions.SAFETY_SOURCE,
        source_id=int(chat.pk),
        level=latest.risk_level if latest is not None else "concern",
        reasons=list(latest.risk_reasons) if latest is not None else [],
        raised_by=request.user,
        message_seq=int(latest.seq) if latest is not None else None,
    )
    flash.success(
        request, _("The on-call coordinator has been alerted. Keep talking; you are not alone.")
    )
    return redirect(reverse("chat:conversation", args=[chat.pk]) + "#peer-safety")
