"""Finding a circle, a circle's page, and setting circles up.

The list and a circle's page are public: anyone may look before they sign
up. Coordinators create circles and keep agreement templates (staff pages,
behind the second factor); a circle's facilitators and coordinators edit it.
A circle that stopped meeting is not there for anyone but those who led it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    login_required,
    second_factor_step,
    staff_required,
)
from peerlight.accounts.models import Role, User
from peerlight.accounts.views import form_methods
from peerlight.circles import access, actions, finding, membership, schedule
from peerlight.circles.circle_forms import AgreementTemplateForm, CircleForm
from peerlight.circles.find_forms import FindForm
from peerlight.circles.models import AgreementTemplate, Circle, Meeting, Membership
from peerlight.directory.models import Address, Service, ServiceAtLocation
from peerlight.peers.vocabulary import vocabulary


def _visible_circle(request: HttpRequest, slug: str) -> Circle:
    """The circle at ``slug``: listed ones for all, stopped ones for those who led them."""
    circle = Circle.objects.select_related("location").filter(slug=slug).first()
    user = access.signed_in(request)
    if circle is None or not (circle.is_active or (user and access.can_lead(user, circle))):
        raise Http404
    return circle


def _circle_to_lead(request: AuthenticatedHttpRequest, slug: str) -> Circle:
    """404 when the circle is not there for this person, 403 when they may look but not lead."""
    circle = _visible_circle(request, slug)
    if not access.can_lead(request.user, circle):
        raise PermissionDenied
    return circle


def _add_errors(form: CircleForm | AgreementTemplateForm, error: ValidationError) -> None:
    # An action's error names a field the form may not show (facilitators for
    # a facilitator); those go at the top of the form.
    if hasattr(error, "error_dict"):
        for name, problems in error.error_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error)


# --- Finding ----------------------------------------------------------------------------


def _card(found: finding.FoundCircle, language: str) -> dict[str, Any]:
    circle = found.circle
    return {
        "circle": circle,
        "next_meeting": found.next_meeting,
        "places_left": found.places_left,
        "topics": _topic_labels(circle, language),
        "language": vocabulary().label("languages", circle.language, language),
        "schedule": schedule.describe_schedule(circle, language),
        "zone": schedule.zone_label(circle.time_zone),
    }


def _topic_labels(circle: Circle, language: str) -> list[str]:
    words = vocabulary()
    section = dict.fromkeys(words.codes("experiences"), "experiences")
    return [words.label(section.get(code, "topics"), code, language) for code in circle.topics]


@require_safe
def circle_list(request: HttpRequest) -> HttpResponse:
    """Every circle one may join, narrowed by the filters that hold usable values."""
    form = FindForm(request.GET or None)
    filters = finding.CircleFilters()
    if form.is_bound:
        form.is_valid()
        filters = form.filters()
    language = get_language()
    user = access.signed_in(request)
    context = {
        "form": form,
        "left_out": form.left_out() if form.is_bound else [],
        "searched": not filters.is_empty,
        "cards": [_card(found, language) for found in finding.find_circles(filters)],
        "can_create": user is not None and access.is_coordinator(user),
    }
    return render(request, "circles/list.html", context)


# --- A circle's page --------------------------------------------------------------------


def _place(circle: Circle) -> dict[str, Any] | None:
    location = circle.location
    if location is None or not circle.meets_in_person:
        return None
    address = Address.objects.filter(location=location).order_by("id").first()
    service_id = (
        ServiceAtLocation.objects.filter(location=location, service__status=Service.Status.ACTIVE)
        .order_by("id")
        .values_list("service_id", flat=True)
        .first()
    )
    return {"name": location.name, "address": address, "service_id": service_id}


def _page_context(circle: Circle, user: User | None) -> dict[str, Any]:
    language = get_language()
    meetings = schedule.upcoming_meetings(circle, limit=5)
    own = access.membership_of(user, circle) if user else None
    leads = user is not None and access.can_lead(user, circle)
    is_member = own is not None and own.status == Membership.Status.MEMBER
    now = timezone.now()
    return {
        "circle": circle,
        **_card(finding.FoundCircle(circle, None, access.member_count(circle)), language),
        "facilitators": sorted(p.display_name for p in circle.facilitators.all()),
        "place": _place(circle),
        "meetings": meetings,
        "membership": own,
        "waiting_position": membership.waiting_position(own) if own else None,
        "leads": leads,
        "room_meeting": next((m for m in meetings if not m.is_cancelled and m.ends_at > now), None)
        if circle.meets_online and (is_member or leads)
        else None,
        "last_meeting": Meeting.objects.filter(
            circle=circle, status=Meeting.Status.SCHEDULED, starts_at__lte=now
        )
        .order_by("-starts_at")
        .first()
        if leads
        else None,
    }


@require_safe
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """What a circle is, when it meets, who leads it and how to join."""
    circle = _visible_circle(request, slug)
    return render(request, "circles/detail.html", _page_context(circle, access.signed_in(request)))


# --- Setting circles up -----------------------------------------------------------------


def _render_edit(
    request: HttpRequest, form: CircleForm, circle: Circle | None = None
) -> HttpResponse:
    context = {"form": form, "circle": circle, "templates": AgreementTemplate.objects.all()}
    return render(request, "circles/edit.html", context, status=400 if form.is_bound else 200)


@form_methods
@staff_required(Role.COORDINATOR)
def create(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """A coordinator starts a circle; its agreement starts from a template."""
    language = (get_language() or "en").split("-")[0]
    template = actions.starting_agreement(request.GET.get("template"), language)
    form = CircleForm.blank(request.POST or None, agreement=template)
    if request.method == "POST" and form.is_valid():
        try:
            circle = actions.create_circle(
                request.user, form.circle_fields(), form.chosen_facilitators() or []
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The circle is listed and its meetings are planned."))
            return redirect("circles:detail", circle.slug)
    return _render_edit(request, form)


@form_methods
@login_required
def edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Its facilitators and coordinators change a circle; only coordinators change who leads."""
    circle = _circle_to_lead(request, slug)
    if (step := second_factor_step(request)) is not None:
        return step
    may_manage = access.is_coordinator(request.user)
    form = CircleForm.for_circle(circle, request.POST or None, may_manage=may_manage)
    if request.method == "POST" and form.is_valid():
        try:
            circle = actions.update_circle(
                request.user,
                circle,
                form.circle_fields(),
                facilitators=form.chosen_facilitators(),
                is_active=form.chosen_is_active(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("circles:detail", circle.slug)
    return _render_edit(request, form, circle)


# --- Agreement templates (coordinators) -------------------------------------------------


@require_safe
@staff_required(Role.COORDINATOR)
def agreements(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The group agreements new circles start from."""
    context = {"templates": AgreementTemplate.objects.select_related("updated_by")}
    return render(request, "circles/agreements.html", context)


def _template_form(
    request: AuthenticatedHttpRequest, template: AgreementTemplate | None
) -> HttpResponseBase:
    form = AgreementTemplateForm.for_template(template, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_agreement_template(request.user, template, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The agreement template is saved."))
            return redirect("circles:agreements")
    context = {"form": form, "template": template}
    status = 400 if form.is_bound else 200
    return render(request, "circles/agreement_edit.html", context, status=status)


@form_methods
@staff_required(Role.COORDINATOR)
def agreement_create(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _template_form(request, None)


@form_methods
@staff_required(Role.COORDINATOR)
def agreement_edit(request: AuthenticatedHttpRequest, template_id: int) -> HttpResponseBase:
    template = AgreementTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise Http404
    return _template_form(request, template)


# Fixed words first: "<slug>/" would catch them.
urlpatterns: list[URLPattern] = [
    path("", circle_list, name="list"),
    path("new/", create, name="create"),
    path("agreements/", agreements, name="agreements"),
    path("agreements/new/", agreement_create, name="agreement_create"),
    path("agreements/<int:template_id>/", agreement_edit, name="agreement_edit"),
    path("<slug:slug>/edit/", edit, name="edit"),
    path("<slug:slug>/", detail, name="detail"),
]
