"""Circles, their meetings, who belongs and who came.

A circle meets on a recurrence rule (RFC 5545 ``RRULE``) read in the
circle's own IANA time zone, so "Mondays at 6:30 pm" stays 6:30 pm across a
daylight-saving change. Meetings are planned ahead as rows (``Meeting``), one
per occurrence, keyed by the occurrence's original start (``recurrence_id``,
as in iCalendar): a single meeting can then be cancelled or moved, carry its
own room and its own attendance, without touching the rule.

Membership is one row per person and circle whose ``status`` moves along
requested -> (waiting ->) member -> left; ``Circle.capacity`` counts members
only. Facilitators are peer supporters linked to the circle; they are not
members and do not count against the capacity.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.lib.crypto import EncryptedTextField

NAME_MAX = 120
DESCRIPTION_MAX = 2000
AGREEMENT_MAX = 4000
NOTE_MAX = 300


class AgreementTemplate(models.Model):
    """A group agreement coordinators keep; a new circle starts from one and edits its copy."""

    name = models.CharField(_("name"), max_length=NAME_MAX)
    language = models.CharField(_("language"), max_length=8, default="en")
    text = models.TextField(_("agreement"), max_length=AGREEMENT_MAX)
    is_default = models.BooleanField(_("offer this one first"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-is_default", "name"]

    def __str__(self) -> str:
        return self.name


class Circle(models.Model):
    class Format(models.TextChoices):
        ONLINE = "online", _("Online")
        IN_PERSON = "in_person", _("In person")
        BOTH = "both", _("Online and in person")

    class Joining(models.TextChoices):
        OPEN = "open", _("Open: sign up and come")
        REQUEST = "request", _("By request: a facilitator says yes first")

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX)
    # Codes of the peers app's vocabulary: lived experiences and topics.
    topics = models.JSONField(_("topics"), default=list, blank=True)
    # A code of the vocabulary's languages.
    language = models.CharField(_("language"), max_length=8, default="en")
    format = models.CharField(
        _("format"), max_length=10, choices=Format.choices, default=Format.ONLINE
    )
    # Where an in-person circle meets: a place of the resource directory.
    location = models.ForeignKey(
        "directory.Location",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    place_notes = models.CharField(
        _("finding the room"), max_length=NOTE_MAX, blank=True
    )  # "Room 2, ring the bell"
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="facilitated_circles", blank=True
    )
    agreement = models.TextField(_("group agreement"), max_length=AGREEMENT_MAX)
    capacity = models.PositiveSmallIntegerField(_("places"), default=12)
    joining = models.CharField(
        _("joining"), max_length=10, choices=Joining.choices, default=Joining.OPEN
    )
    min_age = models.PositiveSmallIntegerField(_("youngest age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("oldest age"), null=True, blank=True)
    # The schedule: an RRULE (without "RRULE:") from first_date at start_time,
    # both read in time_zone, each meeting lasting duration_minutes.
    time_zone = models.CharField(_("time zone"), max_length=64)
    rrule = models.CharField(_("repeats"), max_length=200)
    first_date = models.DateField(_("first meeting"))
    start_time = models.TimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("length in minutes"), default=90)
    # Meetings exist as rows up to this instant (``schedule.plan_meetings``).
    planned_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("meeting"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def meets_online(self) -> bool:
        return self.format in (self.Format.ONLINE, self.Format.BOTH)

    @property
    def meets_in_person(self) -> bool:
        return self.format in (self.Format.IN_PERSON, self.Format.BOTH)


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="meetings")
    # The start the rule gave this occurrence (UTC); iCalendar's RECURRENCE-ID.
    recurrence_id = models.DateTimeField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    # Moved or lengthened by hand, so planning again leaves it alone.
    is_changed = models.BooleanField(default=False)
    # Why it was cancelled or changed, shown to the circle.
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    # iCalendar SEQUENCE: raised on every change, so calendars take the update.
    sequence = models.PositiveIntegerField(default=0)
    # The online room: a group conversation of the chat app, made when a
    # facilitator opens it.
    conversation = models.OneToOneField(
        "chat.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="circle_meeting",
    )
    room_opened_at = models.DateTimeField(null=True, blank=True)
    room_closed_at = models.DateTimeField(null=True, blank=True)
    attendance_taken_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["circle", "recurrence_id"], name="circles_meeting_occurrence_once"
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="circles_meeting_upcoming")]

    def __str__(self) -> str:
        return f"Meeting {self.pk} of circle {self.circle_id}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Membership(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Asked to join")
        WAITING = "waiting", _("On the waiting list")
        MEMBER = "member", _("Member")
        DECLINED = "declined", _("Not this time")
        LEFT = "left", _("Left")
        REMOVED = "removed", _("Removed by a facilitator")

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_memberships"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    # A few words to the facilitators with a request; encrypted at rest.
    request_note = EncryptedTextField(blank=True, default="")
    # The person said they are within the circle's age range.
    age_confirmed = models.BooleanField(default=False)
    requested_at = models.DateTimeField(default=timezone.now)
    # The waiting list's order: first in, first to move up.
    waiting_since = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["circle", "user"], name="circles_membership_once"),
        ]
        indexes = [
            models.Index(fields=["circle", "status", "waiting_since"], name="circles_waiting"),
        ]

    def __str__(self) -> str:
        return f"Membership {self.pk} ({self.status}) of circle {self.circle_id}"


class Attendance(models.Model):
    """Who came to a meeting, as its facilitator marked it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_attendance"
    )
    present = models.BooleanField(default=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="circles_attendance_once"),
        ]

    def __str__(self) -> str:
        return f"Attendance of meeting {self.meeting_id}"


class Notice(models.Model):
    """Something a member should know about a circle, shown in the app (and e-mailed)."""

    class Kind(models.TextChoices):
        REMINDER_DAY = "reminder_day", _("Meets tomorrow")
        REMINDER_HOUR = "reminder_hour", _("Meets within the hour")
        MOVED_UP = "moved_up", _("A place opened up")
        APPROVED = "approved", _("Request accepted")
        DECLINED = "declined", _("Request declined")
        CANCELLED = "cancelled", _("Meeting cancelled")
        CHANGED = "changed", _("Meeting changed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_notices"
    )
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="+")
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # For a meeting's notice, the meeting's sequence it was about (a change
    # after a reminder brings a new one).
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "meeting", "kind", "sequence"],
                condition=models.Q(meeting__isnull=False),
                name="circles_notice_once_per_meeting",
            ),
        ]
        indexes = [models.Index(fields=["user", "seen_at"], name="circles_notice_unseen")]

    def __str__(self) -> str:
        return f"Notice {self.kind} for user {self.user_id}"


class CalendarFeed(models.Model):
    """A person's private calendar address; raising ``version`` retires the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_calendar"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of user {self.user_id}"
