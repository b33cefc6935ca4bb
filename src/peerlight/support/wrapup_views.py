"""Wrap-up pages: rate a chat, write or read the peer's note, ask for the same peer again.

Each page belongs to one person of the request (its member, or its peer):
anyone else gets a 404, the same as for a request that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required
from peerlight.accounts.views import form_methods
from peerlight.lib.ratelimit import RateLimited
from peerlight.support import access, wrapup
from peerlight.support.forms_wrapup import PeerNoteForm, RatingForm


@form_methods
@login_required
def rate(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponseBase:
    support_request = access.get_request_for(request.user, request_id)
    rating = wrapup.rating_of(support_request)
    settled = rating is not None and not wrapup.rating_can_change(rating)
    initial = {"felt_heard": rating.felt_heard, "words": rating.words} if rating else None
    form = RatingForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            wrapup.rate_chat(request.user, support_request, **form.cleaned_data)
        except wrapup.WrapUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Thank you. Your answer helps peers and the team."))
            return redirect("support:request", support_request.pk)
    context = {
        "support_request": support_request,
        "form": form,
        "rating": rating,
        "settled": settled,
        "ended": wrapup.chat_has_ended(support_request),
    }
    return render(
        request, "support/wrapup/rate.html", context, status=400 if form.is_bound else 200
    )


@form_methods
@login_required
def note(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponseBase:
    support_request = wrapup.request_of_peer(request.user, request_id)
    existing = wrapup.note_of(support_request)
    initial = {name: getattr(existing, name) for name in wrapup.NOTE_FIELDS} if existing else None
    form = PeerNoteForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            wrapup.write_peer_note(request.user, support_request, **form.cleaned_data)
        except wrapup.WrapUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your note is saved. You can come back and change it."))
            return redirect("support:note", support_request.pk)
    context = {"support_request": support_request, "form": form, "note": existing}
    return render(
        request, "support/wrapup/note.html", context, status=400 if form.is_bound else 200
    )


@require_safe
@login_required
def read_note(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    note = wrapup.read_note(request.user, request_id)
    return render(request, "support/wrapup/read_note.html", {"note": note})


@require_POST
@login_required
def again(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponseBase:
    support_request = access.get_request_for(request.user, request_id)
    try:
        new_request = wrapup.ask_for_same_peer(request.user, support_request)
    except wrapup.WrapUpError as error:
        messages.error(request, error.message)
        return redirect("support:request", support_request.pk)
    except RateLimited as limited:
        messages.error(
            request,
            _("Please take a short break and try again in %(minutes)d minutes.")
            % {"minutes": limited.minutes},
        )
        return redirect("support:request", support_request.pk)
    return redirect("support:request", new_request.pk)
