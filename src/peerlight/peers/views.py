"""A peer supporter's own profile and availability, and the coordinators' peer page.

Views are thin: guard, read through ``access``, call one ``actions`` write,
render or redirect. The availability form answers htmx with its partial and
a plain form post with a redirect back to the page it came from.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.access import PEOPLE_VIEWER_ROLES, get_person_for_staff
from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    role_required,
    staff_required,
    sudo_required,
)
from peerlight.accounts.models import Role
from peerlight.accounts.views import form_methods, safe_next_url
from peerlight.peers import access, actions
from peerlight.peers.forms import AvailabilityForm, ProfileForm
from peerlight.peers.models import PeerProfile

# --- A peer's own profile --------------------------------------------------------------


def _render_profile(
    request: AuthenticatedHttpRequest, profile: PeerProfile, form: ProfileForm, status: int = 200
) -> HttpResponse:
    context = {"profile": profile, "form": form}
    return render(request, "peers/profile.html", context, status=status)


@form_methods
@role_required(Role.PEER_SUPPORTER)
def profile(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    own = access.own_profile(request.user)
    form = ProfileForm.for_profile(own, request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return _render_profile(request, own, form)
    if form.is_valid():
        try:
            actions.update_profile(request.user, **form.profile_fields())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("peers:profile")
    return _render_profile(request, own, form, status=400)


@require_POST
@role_required(Role.PEER_SUPPORTER)
def availability(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = AvailabilityForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            actions.set_availability(request.user, form.cleaned_data["availability"])
        except ValidationError as refused:
            error = " ".join(refused.messages)
    else:
        error = _("Please choose available, busy or away.")
    own = access.own_profile(request.user)
    status = 400 if error else 200
    context = {"profile": own, "availability_error": error, "next": request.POST.get("next", "")}
    if request.htmx:
        # htmx swaps in only successful answers; a refusal sent as 400 would
        # leave the old buttons and no word of what went wrong.
        return render(request, "peers/_availability_form.html", context)
    if error:
        return render(request, "peers/availability.html", context, status=status)
    return redirect(safe_next_url(request, "peers:profile"))


# --- Coordinators ----------------------------------------------------------------------


def _render_staff_list(
    request: AuthenticatedHttpRequest, *, query: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "peers": access.peer_supporters_for_staff(request.user),
        "query": query,
        "matches": access.search_members_for_staff(request.user, query),
        "error": error,
    }
    return render(request, "peers/staff_list.html", context, status=status)


@require_safe
@staff_required(*PEOPLE_VIEWER_ROLES)
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _render_staff_list(request, query=str(request.GET.get("q", ""))[:40])


@require_POST
@staff_required(*PEOPLE_VIEWER_ROLES)
@sudo_required
def staff_make(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponseBase:
    person = get_person_for_staff(request.user, person_id)
    try:
        actions.make_peer_supporter(request.user, person)
    except ValidationError as error:
        return _render_staff_list(request, error=" ".join(error.messages), status=400)
    messages.success(
        request, _("%(name)s is now a peer supporter.") % {"name": person.display_name}
    )
    return redirect("peers:staff_list")


@require_POST
@staff_required(*PEOPLE_VIEWER_ROLES)
@sudo_required
def staff_stop(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponseBase:
    person = get_person_for_staff(request.user, person_id)
    try:
        actions.stop_peer_supporter(request.user, person)
    except ValidationError as error:
        return _render_staff_list(request, error=" ".join(error.messages), status=400)
    messages.success(
        request, _("%(name)s is no longer a peer supporter.") % {"name": person.display_name}
    )
    return redirect("peers:staff_list")
