"""The organisation's directory of decision makers (targets): coordinators only.

Staff pages behind the second factor; anyone else gets a 404, as if the
pages were not there. Every change is in the audit log.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, staff_required
from peerlight.accounts.models import Role
from peerlight.accounts.views import form_methods
from peerlight.advocacy import access, actions
from peerlight.advocacy.campaign_views import add_errors
from peerlight.advocacy.models import Target
from peerlight.advocacy.target_forms import TargetForm

__all__ = ["target_create", "target_deactivate", "target_edit", "target_list", "target_reactivate"]


@require_safe
@staff_required(Role.COORDINATOR)
def target_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Targets in use, then those taken out of use, each with how many campaigns name them."""
    targets = list(Target.objects.annotate(campaign_count=Count("campaigns")).order_by("name"))
    context = {
        "active": [target for target in targets if target.is_active],
        "inactive": [target for target in targets if not target.is_active],
    }
    return render(request, "advocacy/targets/list.html", context)


def _target_form(request: AuthenticatedHttpRequest, target: Target | None) -> HttpResponseBase:
    form = TargetForm.for_target(target, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if target is None:
                actions.create_target(request.user, form.target_fields())
            else:
                actions.update_target(request.user, target, form.target_fields())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The decision maker is saved."))
            return redirect("advocacy:target_list")
    context = {"form": form, "target": target}
    status = 400 if form.is_bound else 200
    return render(request, "advocacy/targets/edit.html", context, status=status)


@form_methods
@staff_required(Role.COORDINATOR)
def target_create(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _target_form(request, None)


@form_methods
@staff_required(Role.COORDINATOR)
def target_edit(request: AuthenticatedHttpRequest, target_id: int) -> HttpResponseBase:
    return _target_form(request, access.target_for(target_id))


@require_POST
@staff_required(Role.COORDINATOR)
def target_deactivate(request: AuthenticatedHttpRequest, target_id: int) -> HttpResponseBase:
    """Take a target out of use: it is no longer offered for campaigns."""
    target = actions.set_target_active(request.user, access.target_for(target_id), False)
    messages.success(
        request, _("%(name)s is no longer offered for campaigns.") % {"name": target.name}
    )
    return redirect("advocacy:target_list")


@require_POST
@staff_required(Role.COORDINATOR)
def target_reactivate(request: AuthenticatedHttpRequest, target_id: int) -> HttpResponseBase:
    target = actions.set_target_active(request.user, access.target_for(target_id), True)
    messages.success(
        request, _("%(name)s is offered for campaigns again.") % {"name": target.name}
    )
    return redirect("advocacy:target_list")
