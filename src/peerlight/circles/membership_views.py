"""Joining and leaving circles, "My circles", the leaders' people and attendance pages.

Thin views over ``circles.membership``, ``circles.reminders`` and
``circles.attendance``. A circle's people and attendance pages are its
leaders' only: anyone else gets a 404, as if the page were not there.
Coordinators lead every circle, but only after their second factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages as flash
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    login_required,
)
from peerlight.accounts.views import form_methods, safe_next_url
from peerlight.circles import access, attendance, reminders
from peerlight.circles import membership as joining
from peerlight.circles.membership_forms import AttendanceForm, DecisionForm, SignUpForm
from peerlight.circles.models import Circle, Meeting, Membership
from peerlight.circles.schedule import zone_label

Status = Membership.Status


# --- Access ----------------------------------------------------------------------------


def _led_circle(request: AuthenticatedHttpRequest, slug: str) -> Circle:
    """The circle ``slug`` if the person leads it; else 404."""
    circle = Circle.objects.filter(slug=slug).first()
    if circle is None or not access.leads_in_session(request, circle):
        raise Http404
    return circle


def _listed_circle(slug: str) -> Circle:
    return get_object_or_404(access.listed_circles(), slug=slug)


def _places_left(circle: Circle) -> int:
    # A capacity lowered below the members present leaves no place, not fewer.
    return max(0, circle.capacity - access.member_count(circle))


# --- Joining and leaving ---------------------------------------------------------------


def _join_page(
    request: AuthenticatedHttpRequest, circle: Circle, form: SignUpForm, *, status: int = 200
) -> HttpResponse:
    membership = access.membership_of(request.user, circle)
    context = {
        "circle": circle,
        "membership": membership,
        "form": form,
        "places_left": _places_left(circle),
        "waiting_position": joining.waiting_position(membership) if membership else None,
        "is_facilitator": circle.facilitators.filter(pk=request.user.pk).exists(),
    }
    return render(request, "circles/membership/join.html", context, status=status)


def _joined_message(membership: Membership, was_in: bool) -> str:
    if was_in:
        return _("You are already signed up for this circle.")
    if membership.status == Status.MEMBER:
        return _("Welcome: you are now a member of this circle.")
    if membership.status == Status.REQUESTED:
        return _("Thank you for asking. A facilitator will answer soon.")
    position = joining.waiting_position(membership) or 1
    return _("The circle is full, so you are on the waiting list (number %(n)d).") % {
        "n": position
    }


@form_methods
@login_required
def join(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """The sign-up form (GET); signing up (POST), then back to the circle's page."""
    circle = _listed_circle(slug)
    form = SignUpForm(circle, request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return _join_page(request, circle, form)
    if not form.is_valid():
        return _join_page(request, circle, form, status=400)
    before = access.membership_of(request.user, circle)
    try:
        membership = joining.sign_up(
            request.user, circle, age_confirmed=form.confirmed_age(), note=form.request_note()
        )
    except joining.MembershipError as refused:
        form.add_error(None, refused.message)
        return _join_page(request, circle, form, status=400)
    was_in = before is not None and before.status in joining.IN_CIRCLE
    flash.success(request, _joined_message(membership, was_in))
    return redirect("circles:detail", slug=circle.slug)


@require_POST
@login_required
def leave(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Leave a circle (or its waiting list, or take a request back)."""
    circle = get_object_or_404(Circle, slug=slug)
    if not circle.is_active and access.membership_of(request.user, circle) is None:
        raise Http404
    try:
        joining.leave(request.user, circle)
    except joining.MembershipError as refused:
        context = {"circle": circle, "problem": refused.message}
        return render(request, "circles/membership/problem.html", context, status=400)
    flash.success(request, _("You have left the circle. You are welcome back any time."))
    if circle.is_active:
        return redirect("circles:detail", slug=circle.slug)
    return redirect("circles:mine")


# --- My circles ------------------------------------------------------------------------


@dataclass(frozen=True)
class MyCircle:
    """One of the person's circles on "My circles"."""

    membership: Membership
    circle: Circle
    waiting_position: int | None
    next_meeting: Meeting | None
    # The circle's time zone in words ("Pacific Time").
    zone: str


def _my_circles(request: AuthenticatedHttpRequest) -> list[MyCircle]:
    """The person's circles with their place in line and next meeting, in three queries."""
    next_meeting = Meeting.objects.filter(
        circle=OuterRef("circle"), status=Meeting.Status.SCHEDULED, ends_at__gt=timezone.now()
    ).order_by("starts_at")
    ahead = (
        Membership.objects.filter(
            Q(waiting_since__lt=OuterRef("waiting_since"))
            | Q(waiting_since=OuterRef("waiting_since"), pk__lt=OuterRef("pk")),
            circle=OuterRef("circle"),
            status=Status.WAITING,
        )
        .order_by()
        .values("circle")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = list(
        Membership.objects.filter(user=request.user, status__in=joining.IN_CIRCLE)
        .annotate(next_meeting_id=Subquery(next_meeting.values("pk")[:1]), ahead=Subquery(ahead))
        .order_by("circle__name")
        .values_list("pk", "next_meeting_id", "ahead")
    )
    by_id = Membership.objects.select_related("circle").in_bulk([row[0] for row in rows])
    meetings = Meeting.objects.in_bulk([row[1] for row in rows if row[1] is not None])
    return [
        MyCircle(
            membership=by_id[pk],
            circle=by_id[pk].circle,
            waiting_position=(ahead or 0) + 1 if by_id[pk].status == Status.WAITING else None,
            next_meeting=meetings.get(meeting_id) if meeting_id is not None else None,
            zone=zone_label(by_id[pk].circle.time_zone),
        )
        for pk, meeting_id, ahead in rows
    ]


@require_safe
@login_required
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's circles: status, place in line, next meeting; and their notices."""
    context = {
        "my_circles": _my_circles(request),
        "notices": reminders.notices_of(request.user),
        "leads": request.user.facilitated_circles.filter(is_active=True).order_by("name"),
    }
    return render(request, "circles/membership/mine.html", context)


@require_POST
@login_required
def notice_seen(request: AuthenticatedHttpRequest, notice_id: int) -> HttpResponseBase:
    """ "Got it" on one of the person's own notices; back to where they were."""
    reminders.mark_seen(request.user, notice_id)
    return redirect(safe_next_url(request, fallback="circles:mine"))


# --- The leaders' pages ----------------------------------------------------------------


def _people_page(
    request: AuthenticatedHttpRequest, circle: Circle, *, problem: str = "", status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "circle": circle,
        "people": joining.people_of(circle),
        "places_left": _places_left(circle),
        "problem": problem,
    }
    return render(request, "circles/membership/people.html", context, status=status)


@require_safe
@login_required
def people(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The circle's members, requests to answer and waiting list, for its leaders."""
    return _people_page(request, _led_circle(request, slug))


@require_POST
@login_required
def decide(request: AuthenticatedHttpRequest, slug: str, membership_id: int) -> HttpResponseBase:
    """Accept or decline a request to join."""
    circle = _led_circle(request, slug)
    membership = get_object_or_404(Membership, pk=membership_id, circle=circle)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _people_page(
            request, circle, problem=_("Please choose to accept or decline."), status=400
        )
    try:
        decided = joining.decide_request(request.user, membership, form.accepts())
    except joining.MembershipError as refused:
        return _people_page(request, circle, problem=refused.message, status=400)
    if decided.status == Status.MEMBER:
        flash.success(
            request, _("Accepted: %(name)s is now a member.") % {"name": decided.user.display_name}
        )
    elif decided.status == Status.WAITING:
        flash.success(
            request,
            _("Accepted: the circle is full, so %(name)s is on the waiting list.")
            % {"name": decided.user.display_name},
        )
    else:
        flash.success(
            request,
            _("Declined. %(name)s will see a kind note.") % {"name": decided.user.display_name},
        )
    return redirect("circles:people", slug=circle.slug)


@require_POST
@login_required
def remove_member(
    request: AuthenticatedHttpRequest, slug: str, membership_id: int
) -> HttpResponseBase:
    """Take someone off the circle; the next person waiting moves up."""
    circle = _led_circle(request, slug)
    membership = get_object_or_404(Membership, pk=membership_id, circle=circle)
    try:
        removed = joining.remove_member(request.user, membership)
    except joining.MembershipError as refused:
        return _people_page(request, circle, problem=refused.message, status=400)
    flash.success(
        request, _("%(name)s is no longer in this circle.") % {"name": removed.user.display_name}
    )
    return redirect("circles:people", slug=circle.slug)


def _checked(form: AttendanceForm) -> set[int]:
    """The ids ticked on the form: as posted when it was sent back, else as saved."""
    values = form["present"].value() or []
    return {int(value) for value in values if str(value).isdigit()}


def _attendance_page(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    form: AttendanceForm,
    sheet: list[attendance.SheetLine],
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "meeting": meeting,
        "circle": meeting.circle,
        "form": form,
        "sheet": sheet,
        "checked": _checked(form),
        "started": attendance.has_started(meeting),
        "zone": zone_label(meeting.circle.time_zone),
        "problem": problem,
    }
    return render(request, "circles/membership/attendance.html", context, status=status)


@form_methods
@login_required
def take_attendance(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponseBase:
    """The attendance checklist of a meeting (GET) and saving it (POST), for its leaders."""
    meeting = access.meeting_for(meeting_id)
    if meeting is None or not access.leads_in_session(request, meeting.circle):
        raise Http404
    sheet = attendance.attendance_sheet(meeting)
    if request.method != "POST":
        return _attendance_page(request, meeting, AttendanceForm(sheet), sheet)
    form = AttendanceForm(sheet, request.POST)
    if not form.is_valid():
        return _attendance_page(request, meeting, form, sheet, status=400)
    try:
        count = attendance.take_attendance(request.user, meeting, form.present_user_ids())
    except attendance.AttendanceError as refused:
        return _attendance_page(request, meeting, form, sheet, problem=refused.message, status=400)
    flash.success(request, _("Attendance saved: %(count)d came.") % {"count": count})
    return redirect("circles:attendance", meeting_id=meeting.pk)


urlpatterns = [
    path("mine/", mine, name="mine"),
    path("notices/<int:notice_id>/seen/", notice_seen, name="notice_seen"),
    path("meetings/<int:meeting_id>/attendance/", take_attendance, name="attendance"),
    path("<slug:slug>/join/", join, name="join"),
    path("<slug:slug>/leave/", leave, name="leave"),
    path("<slug:slug>/people/", people, name="people"),
    path("<slug:slug>/people/<int:membership_id>/decide/", decide, name="decide"),
    path("<slug:slug>/people/<int:membership_id>/remove/", remove_member, name="remove_member"),
]
