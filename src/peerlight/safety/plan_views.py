"""The safety plan pages: the member's own plan, and a plan shared with a peer in a chat.

Thin views over ``safety.plans``. Every signed-in person (guests too) has
their own plan here; nobody sees anyone else's except a peer it was shared
with, and each of those reads is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import AuthenticatedHttpRequest, login_required
from peerlight.accounts.views import form_methods
from peerlight.audit.actions import record_read
from peerlight.safety import plans
from peerlight.safety.plan_forms import PlanForm
from peerlight.safety.plan_models import SafetyPlan


def _sections(plan: SafetyPlan | None) -> list[dict[str, Any]]:
    """Each section with its words and the plan's lines for it, in the plan's order."""
    return [
        {"section": section, "lines": plan.section_lines(section.name) if plan else []}
        for section in plans.SECTIONS
    ]


@require_safe
@login_required
def plan(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's own plan, section by section, or how to start one."""
    own = plans.plan_for(request.user)
    context = {
        "plan": own,
        "sections": _sections(own),
        "shares": plans.active_shares(own) if own else [],
    }
    return render(request, "safety/plan/plan.html", context)


@form_methods
@login_required
def edit(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Write or change the plan; nothing is saved while anything needs changing."""
    own = plans.plan_for(request.user)
    initial = PlanForm.initial_for(
        own, professionals=plans.suggested_professionals(get_language())
    )
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plans.save_plan(
                request.user, form.sections(), expected_version=form.cleaned_data["version"]
            )
        except plans.PlanError as refused:
            form.add_error(None, refused.message)
        else:
            flash.success(request, _("Your safety plan is saved."))
            return redirect("safety:plan")
    status = 400 if form.is_bound else 200
    return render(request, "safety/plan/edit.html", {"form": form, "plan": own}, status=status)


@require_safe
@login_required
def print_plan(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The plan alone, in large type, for the browser's Print."""
    own = plans.plan_for(request.user)
    if own is None:
        return redirect("safety:plan")
    context = {"plan": own, "sections": _sections(own), "owner_name": request.user.display_name}
    return render(request, "safety/plan/print.html", context)


@form_methods
@login_required
def delete(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Ask "Delete your safety plan?" and, on POST, delete it and every share of it."""
    if request.method == "POST":
        if plans.delete_plan(request.user):
            flash.info(request, _("Your safety plan is deleted."))
        return redirect("safety:plan")
    own = plans.plan_for(request.user)
    if own is None:
        return redirect("safety:plan")
    return render(request, "safety/plan/delete.html", {"plan": own})


@require_POST
@login_required
def share(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponseBase:
    """Share the plan with the peer in a chat (``sharing=start``) or stop (``sharing=stop``).

    Answers htmx with the chat's button, refreshed, and what happened; a
    plain form goes back to the chat (or to the plan page, ``next=plan``)
    with the same words as a message.
    """
    sharing = request.POST.get("sharing", "")
    problem = ""
    if sharing == "start":
        try:
            plans.share_plan(request.user, conversation_id)
        except plans.PlanError as refused:
            problem = refused.message
        notice = problem or _("Your peer can now see your safety plan.")
    elif sharing == "stop":
        if not plans.stop_sharing(request.user, conversation_id):
            # Nothing to stop: still a 404 for a chat that is not theirs.
            plans.check_chat_member(request.user, conversation_id)
        notice = _("Your safety plan is no longer shared in this chat.")
    else:
        return HttpResponse(_("Please reload the page."), status=400)
    if request.htmx:
        context = {
            "plan_share": plans.share_state(request.user, conversation_id),
            "notice": notice,
        }
        return render(request, "safety/plan/_share_from_chat.html", context)
    (flash.error if problem else flash.success)(request, notice)
    return redirect(_back_to(request, conversation_id))


def _back_to(request: AuthenticatedHttpRequest, conversation_id: int) -> str:
    # Only the two pages that carry the button are places to go back to.
    if request.POST.get("next") == "plan":
        return reverse("safety:plan")
    return reverse("chat:conversation", args=[conversation_id])


@require_safe
@login_required
def shared(request: AuthenticatedHttpRequest, share_id: int) -> HttpResponse:
    """A plan shared with this peer in a chat, read-only; every read is audited."""
    found = plans.get_shared_plan_for(request.user, share_id)
    owner = found.plan.member
    record_read(request.user, "safety.plan.view_shared", found.plan, subject=owner)
    context = {
        "share": found,
        "plan": found.plan,
        "sections": _sections(found.plan),
        "owner_name": owner.display_name,
    }
    return render(request, "safety/plan/shared.html", context)
