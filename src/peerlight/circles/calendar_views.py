"""Circles in people's calendars, and the page of one meeting.

The feed of a circle and a meeting's page are public while the circle
meets. A member's private feed is fetched by calendar apps without a
session: its address carries the key (``calendar.feed_token``), so it is
never written to the logs. A meeting's leaders move, cancel or bring it back
from its page (plain forms, POST then redirect).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urljoin

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peerlight.accounts.guards import (
    AuthenticatedHttpRequest,
    login_required,
    second_factor_step,
)
from peerlight.circles import access, calendar, meetings, schedule
from peerlight.circles.models import NOTE_MAX, Circle, Meeting
from peerlight.lib.forms import PlainForm
from peerlight.lib.views import unlogged

# Calendar apps poll; a few minutes of staleness spares the database.
FEED_MAX_AGE = 15 * 60


class ChangeMeetingForm(PlainForm):
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label=gettext_lazy("Starts at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Length in minutes"),
        min_value=meetings.SHORTEST_MEETING_MINUTES,
        max_value=meetings.LONGEST_MEETING_MINUTES,
    )
    note = forms.CharField(
        label=gettext_lazy("A few words for the members (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancelMeetingForm(PlainForm):
    note = forms.CharField(
        label=gettext_lazy("Why, in a few words (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _feed_response(body: bytes, filename: str, *, private: bool) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Robots-Tag"] = "noindex"
    if private:
        patch_cache_control(response, private=True, max_age=FEED_MAX_AGE)
    else:
        patch_cache_control(response, public=True, max_age=FEED_MAX_AGE)
    return response


# --- Feeds ------------------------------------------------------------------------------


@require_safe
def circle_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    """The public feed of a circle that meets."""
    circle = access.listed_circles().filter(slug=slug).first()
    if circle is None:
        raise Http404
    return _feed_response(calendar.circle_feed(circle), f"{circle.slug}.ics", private=False)


def member_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """A person's private feed: the circles they belong to or lead.

    Checks the method itself: ``require_safe`` would log the path.
    """
    if request.method not in ("GET", "HEAD"):
        refused = HttpResponseNotAllowed(["GET", "HEAD"])
        return unlogged(refused, "Method Not Allowed: a private calendar address")
    user = calendar.user_for_token(token)
    if user is None:
        missing = render(request, "404.html", status=404)
        return unlogged(missing, "Not Found: a private calendar address that does not work")
    return _feed_response(calendar.member_feed(user), "circles.ics", private=True)


@require_safe
@login_required
def calendar_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How to add one's circles to a phone's calendar, with the private address."""
    feed_path = reverse("circles:member_calendar", args=[calendar.feed_token(request.user)])
    # The site's public address, which calendar apps reach from outside.
    address = urljoin(settings.PEERLIGHT_BASE_URL + "/", feed_path.lstrip("/"))
    context = {
        "address": address,
        "webcal": "webcal://" + address.split("://", 1)[1],
        "download": feed_path,
        "circles": calendar.feed_circles(request.user),
    }
    return render(request, "circles/calendar/calendar.html", context)


@require_POST
@login_required
def calendar_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Retire the private address; the page then shows the new one."""
    calendar.reset_feed(request.user)
    messages.success(
        request,
        _("Your old calendar address no longer works. Add the new one below to your calendar."),
    )
    return redirect("circles:calendar")


# --- A meeting --------------------------------------------------------------------------


def _visible_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    """The meeting of a circle that meets; of a stopped circle, for its leaders only."""
    meeting = access.meeting_for(meeting_id)
    user = access.signed_in(request)
    if meeting is None or not (
        meeting.circle.is_active or (user is not None and access.can_lead(user, meeting.circle))
    ):
        raise Http404
    return meeting


def _meeting_to_lead(request: AuthenticatedHttpRequest, meeting_id: int) -> Meeting:
    """404 when the meeting is not there for this person, 403 when they may see but not lead."""
    meeting = _visible_meeting(request, meeting_id)
    if not access.can_lead(request.user, meeting.circle):
        raise PermissionDenied
    return meeting


def _change_initial(meeting: Meeting) -> dict[str, Any]:
    start = meetings.local_start(meeting)
    length = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    return {"date": start.date(), "time": start.time(), "duration_minutes": length}


def _meeting_page(
    request: HttpRequest,
    meeting: Meeting,
    *,
    change_form: ChangeMeetingForm | None = None,
    cancel_form: CancelMeetingForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    circle: Circle = meeting.circle
    user = access.signed_in(request)
    leads = user is not None and access.can_lead(user, circle)
    context = {
        "meeting": meeting,
        "circle": circle,
        "zone": schedule.zone_label(circle.time_zone),
        "schedule": schedule.describe_schedule(circle, get_language()),
        "is_over": meeting.ends_at <= timezone.now(),
        "room_open": meeting.room_opened_at is not None and meeting.room_closed_at is None,
        "leads": leads,
        "belongs": user is not None and access.is_member(user, circle),
        "error": error,
        "change_form": change_form
        or ChangeMeetingForm(initial=_change_initial(meeting), prefix="change"),
        "cancel_form": cancel_form or CancelMeetingForm(prefix="cancel"),
    }
    return render(request, "circles/calendar/meeting.html", context, status=status)


@require_safe
def meeting_page(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """One meeting: when, where, whether it is on; its leaders' forms to change it."""
    return _meeting_page(request, _visible_meeting(request, meeting_id))


@require_POST
@login_required
def meeting_change(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponse:
    """Move one meeting (date, time, length) with a note for the members."""
    meeting = _meeting_to_lead(request, meeting_id)
    if (step := second_factor_step(request)) is not None:
        return step
    form = ChangeMeetingForm(request.POST, prefix="change")
    if form.is_valid():
        data = form.cleaned_data
        try:
            meetings.change_meeting(
                request.user,
                meeting,
                starts_at_local=dt.datetime.combine(data["date"], data["time"]),
                duration_minutes=data["duration_minutes"],
                note=data["note"],
            )
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, _("The meeting is moved. Its members will be told."))
            return redirect("circles:meeting", meeting.pk)
    return _meeting_page(request, meeting, change_form=form, status=400)


@require_POST
@login_required
def meeting_cancel(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponse:
    """Cancel one meeting, with a note for the members."""
    meeting = _meeting_to_lead(request, meeting_id)
    if (step := second_factor_step(request)) is not None:
        return step
    form = CancelMeetingForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            meetings.cancel_meeting(request.user, meeting, form.cleaned_data["note"])
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, _("The meeting is cancelled. Its members will be told."))
            return redirect("circles:meeting", meeting.pk)
    return _meeting_page(request, meeting, cancel_form=form, status=400)


@require_POST
@login_required
def meeting_restore(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponse:
    """Bring back a cancelled meeting."""
    meeting = _meeting_to_lead(request, meeting_id)
    if (step := second_factor_step(request)) is not None:
        return step
    try:
        meetings.restore_meeting(request.user, meeting)
    except ValidationError as refused:
        return _meeting_page(request, meeting, error=" ".join(refused.messages), status=400)
    messages.success(request, _("The meeting is on again. Its members will be told."))
    return redirect("circles:meeting", meeting.pk)


urlpatterns: list[URLPattern] = [
    path("calendar/", calendar_page, name="calendar"),
    path("calendar/reset/", calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", member_calendar, name="member_calendar"),
    path("meetings/<int:meeting_id>/", meeting_page, name="meeting"),
    path("meetings/<int:meeting_id>/change/", meeting_change, name="meeting_change"),
    path("meetings/<int:meeting_id>/cancel/", meeting_cancel, name="meeting_cancel"),
    path("meetings/<int:meeting_id>/restore/", meeting_restore, name="meeting_restore"),
    path("<slug:slug>/calendar.ics", circle_calendar, name="circle_calendar"),
]
