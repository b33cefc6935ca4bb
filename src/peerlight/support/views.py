"""Talk to a peer: asking, waiting, the peer's dashboard and the coordinator's queue.

Views are thin: parse the form, read through ``access``, call one action,
render or redirect. Status pages call ``actions.refresh_queue`` first, so an
offer that ran out moves on even when no background worker is running. Each
page is also its own htmx fragment (a template partial) for polling.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts import consent
from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    login_required,
    role_required,
    staff_required,
)
from peerlight.accounts.models import ConsentDocument, ConsentPurpose, Role, User
from peerlight.accounts.views import form_methods, too_many_attempts
from peerlight.chat.access import unread_counts
from peerlight.lib import ratelimit
from peerlight.peers import access as peers_access
from peerlight.support import access, actions, guests
from peerlight.support.explain import explain, offer_views
from peerlight.support.forms import (
    GuestForm,
    MessageForLaterForm,
    SupportRequestForm,
    has_request_answers,
)
from peerlight.support.models import SupportRequest
from peerlight.support.service_queries import service_levels_between

# --- Asking -------------------------------------------------------------------


def _sign_up_documents(language: str) -> dict[str, ConsentDocument] | None:
    """The texts a guest agrees to (the same as at sign-up), or None while unpublished."""
    documents = {
        purpose: consent.current_document(purpose, language)
        for purpose in consent.REQUIRED_AT_SIGN_UP
    }
    if any(document is None for document in documents.values()):
        return None
    return {purpose: document for purpose, document in documents.items() if document}


def _guest_form(data: Any = None) -> GuestForm | None:
    documents = _sign_up_documents(get_language())
    if documents is None:
        return None
    return GuestForm(
        data,
        terms=documents[ConsentPurpose.TERMS],
        privacy=documents[ConsentPurpose.PRIVACY],
        terms_url=reverse("accounts:document", args=[ConsentPurpose.TERMS]),
        privacy_url=reverse("accounts:document", args=[ConsentPurpose.PRIVACY]),
    )


def _start_form(request: HttpRequest, data: Any = None) -> SupportRequestForm:
    user = request.user
    same_peer = isinstance(user, User) and access.rated_a_peer_well(user)
    return SupportRequestForm(data, language=get_language(), offer_same_peer=same_peer)


@form_methods
def start(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    if not isinstance(user, User):
        if request.method == "POST":
            return redirect_to_login(reverse("support:start"))
        context = {"form": _start_form(request), "guest_form": _guest_form()}
        return render(request, "support/start.html", context)
    current = access.current_request_for(user)
    if current is not None:
        return redirect("support:request", current.pk)
    form = _start_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            support_request = actions.request_support(user, form.details())
        except ratelimit.RateLimited as limited:
            return too_many_attempts(request, "support/start.html", {"form": form}, limited)
        return redirect("support:request", support_request.pk)
    return render(request, "support/start.html", {"form": form})


@require_POST
def guest(request: HttpRequest) -> HttpResponseBase:
    """Make a guest account on the spot, sign it in, and ask for support if answered."""
    if request.user.is_authenticated:
        return redirect("support:start")
    guest_form = _guest_form(request.POST)
    if guest_form is None:
        return render(request, "accounts/signup_closed.html", status=503)
    form = _start_form(request, request.POST) if has_request_answers(request.POST) else None
    context = {"form": form or _start_form(request), "guest_form": guest_form}
    if not guest_form.is_valid() or (form is not None and not form.is_valid()):
        return render(request, "support/start.html", context)
    documents = _sign_up_documents(get_language()) or {}
    try:
        guests.check_guest_ip(ratelimit.client_ip(request))
        user = guests.create_guest(documents=documents.values(), language=get_language())
    except ratelimit.RateLimited as limited:
        return too_many_attempts(request, "support/start.html", context, limited)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if form is None:
        return redirect("support:start")
    support_request = actions.request_support(user, form.details())
    return redirect("support:request", support_request.pk)


# --- Waiting --------------------------------------------------------------------


def _status_context(support_request: SupportRequest, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "support_request": support_request,
        "urgent": support_request.urgency != "none",
        "support_hours": settings.PEERLIGHT_SUPPORT_HOURS,
        **extra,
    }
    if support_request.status in SupportRequest.OPEN_STATUSES:
        position = access.queue_position(support_request, access.open_requests())
        context["position"] = position
        wait = access.wait_estimate(position) if position else None
        context["wait_minutes"] = None if wait is None else max(1, round(wait / 60))
        context.setdefault("later_form", MessageForLaterForm())
    elif support_request.status == SupportRequest.Status.CONNECTED:
        context["explanation"] = explain(support_request.match_reasons, get_language())
    elif support_request.status == SupportRequest.Status.ENDED:
        context["has_note"] = hasattr(support_request, "note")
        context["has_rating"] = hasattr(support_request, "rating")
    return context


def _fresh_request_for(request: AuthenticatedHttpRequest, request_id: int) -> SupportRequest:
    access.get_request_for(request.user, request_id)
    actions.refresh_queue()
    return access.get_request_for(request.user, request_id)


@require_safe
@login_required
def request_page(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponseBase:
    # The chat's "What next" link leads here for both people in it: the peer
    # who took the request goes on to their note about the chat.
    if access.is_peer_of(request.user, request_id):
        return redirect("support:note", request_id=request_id)
    support_request = _fresh_request_for(request, request_id)
    return render(request, "support/request.html", _status_context(support_request))


@require_safe
@login_required
def status(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """The changing part of the request page, for htmx polling."""
    support_request = _fresh_request_for(request, request_id)
    return render(request, "support/request.html#status", _status_context(support_request))


@require_POST
@login_required
def cancel(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponseBase:
    support_request = access.get_request_for(request.user, request_id)
    try:
        actions.cancel_request(request.user, support_request)
    except actions.SupportError as error:
        messages.error(request, error.message)
        return redirect("support:request", request_id)
    messages.info(request, _("You have left the queue. You can ask again whenever you like."))
    return redirect("support:start")


@require_POST
@login_required
def later(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponseBase:
    support_request = access.get_request_for(request.user, request_id)
    form = MessageForLaterForm(request.POST)
    if not form.is_valid():
        context = _status_context(support_request, later_form=form)
        return render(request, "support/request.html", context)
    try:
        actions.leave_message_for_later(
            request.user, support_request, form.cleaned_data["message"]
        )
    except actions.SupportError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your message is kept for the peer who picks this up."))
    return redirect("support:request", request_id)


# --- Peers ----------------------------------------------------------------------


@require_safe
@role_required(Role.PEER_SUPPORTER)
def peer_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    actions.refresh_queue()
    user = request.user
    unread = unread_counts(user)
    context = {
        "profile": peers_access.profile_for(user),
        "offers": offer_views(access.pending_offers_for(user), get_language()),
        "chats": [
            (chat, unread.get(chat.conversation_id or 0, 0))
            for chat in access.active_chats_for(user)
        ],
        "next": reverse("support:peer"),
    }
    template = "support/peer.html#dashboard" if request.htmx else "support/peer.html"
    return render(request, template, context)


@require_POST
@role_required(Role.PEER_SUPPORTER)
def accept(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponseBase:
    offer = access.get_offer_for(request.user, offer_id)
    try:
        support_request = actions.accept_offer(request.user, offer)
    except actions.SupportError as error:
        messages.error(request, error.message)
        return redirect("support:peer")
    return redirect("chat:conversation", support_request.conversation_id)


@require_POST
@role_required(Role.PEER_SUPPORTER)
def decline(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponseBase:
    offer = access.get_offer_for(request.user, offer_id)
    try:
        actions.decline_offer(request.user, offer)
    except actions.SupportError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("Thank you for saying so. Someone else will be asked."))
    return redirect("support:peer")


# --- Coordinators -------------------------------------------------------------


@require_safe
@staff_required(Role.COORDINATOR)
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The live queue without anything anyone wrote, peers on shift, service levels."""
    actions.refresh_queue()
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    # The end is just after now, so a request made this very second counts.
    end = now + timedelta(seconds=1)
    context = {
        "rows": access.coordinator_queue(now),
        "peers": access.peers_on_shift(),
        "levels": [
            (_("Today"), service_levels_between(midnight, end)),
            (_("Last 7 days"), service_levels_between(now - timedelta(days=7), end)),
        ],
    }
    template = "support/queue.html#live" if request.htmx else "support/queue.html"
    return render(request, template, context)
