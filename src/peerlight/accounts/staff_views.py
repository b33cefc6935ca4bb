"""The staff people pages: finding accounts, and giving and taking away roles.

Who may see whom, and which roles each staff role may give, is decided in
``access``; giving and taking away are ``actions`` that check it again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts import actions
from peerlight.accounts.access import (
    PEOPLE_VIEWER_ROLES,
    get_person_for_staff,
    grantable_roles,
    search_people,
)
from peerlight.accounts.forms import GRANTABLE_ROLE_CHOICES, RoleForm
from peerlight.accounts.guards import AuthenticatedHttpRequest, staff_required, sudo_required
from peerlight.accounts.models import User
from peerlight.audit.actions import record_read

PEOPLE_PER_PAGE = 25


@require_safe
@staff_required(*PEOPLE_VIEWER_ROLES)
def staff_people(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = str(request.GET.get("q", ""))[:40]
    people = search_people(request.user, query)
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "staff/people.html", {"page": page, "query": query})


def _render_person(
    request: AuthenticatedHttpRequest,
    person: User,
    *,
    grant_form: RoleForm | None = None,
    revoke_error: str = "",
    status: int = 200,
) -> HttpResponse:
    record_read(request.user, "account.view", person, subject=person)
    held = {grant.role for grant in getattr(person, "active_grants", [])}
    grantable = grantable_roles(request.user)
    context = {
        "person": person,
        "grants": getattr(person, "active_grants", []),
        "revocable": grantable & held,
        "grant_choices": [
            (value, label) for value, label in GRANTABLE_ROLE_CHOICES if value in grantable - held
        ],
        "grant_form": grant_form or RoleForm(),
        "revoke_error": revoke_error,
    }
    return render(request, "staff/person.html", context, status=status)


@require_safe
@staff_required(*PEOPLE_VIEWER_ROLES)
def staff_person(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = get_person_for_staff(request.user, person_id)
    return _render_person(request, person)


@require_POST
@staff_required(*PEOPLE_VIEWER_ROLES)
@sudo_required
def staff_grant_role(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponseBase:
    person = get_person_for_staff(request.user, person_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            actions.grant_role(request.user, person, form.cleaned_data["role"])
        except ValidationError as error:
            form.add_error("role", error)
        else:
            messages.success(request, _("The role is given."))
            return redirect("accounts:staff-person", person.pk)
    return _render_person(request, person, grant_form=form, status=400)


@require_POST
@staff_required(*PEOPLE_VIEWER_ROLES)
@sudo_required
def staff_revoke_role(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponseBase:
    person = get_person_for_staff(request.user, person_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            actions.revoke_role(request.user, person, form.cleaned_data["role"])
        except ValidationError as error:
            return _render_person(
                request, person, revoke_error=" ".join(error.messages), status=400
            )
        messages.success(request, _("The role is taken away."))
        return redirect("accounts:staff-person", person.pk)
    return _render_person(request, person, revoke_error=_("Please choose a role."), status=400)
