"""Forms of setting circles up: a circle, and the agreement templates.

``CircleForm`` is the coordinators' and facilitators' form for one circle:
the schedule is asked in plain choices (every week, every other week,
chosen weeks of the month) and turned into an RRULE by
``schedule.build_rule``. ``actions`` checks the same rules again.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from peerlight.accounts.models import Role, User
from peerlight.circles import finding, schedule
from peerlight.circles.find_forms import choice_field, topic_choices
from peerlight.circles.models import (
    AGREEMENT_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    NOTE_MAX,
    AgreementTemplate,
    Circle,
)
from peerlight.directory.models import Address
from peerlight.lib.forms import PlainForm
from peerlight.peers.vocabulary import vocabulary

CHOOSE_FROM_LIST = {"invalid_choice": _("Please choose from the list.")}
CAPACITY_RANGE = (2, 40)
AGE_RANGE = (13, 120)
DURATION_RANGE = (15, 240)
WEEKLY, BIWEEKLY, MONTHLY = "weekly", "biweekly", "monthly"
REPEATS = [
    (WEEKLY, _("Every week")),
    (BIWEEKLY, _("Every other week")),
    (MONTHLY, _("On chosen weeks of the month")),
]
WEEKS_OF_MONTH = [
    (1, pgettext_lazy("week of the month", "First")),
    (2, pgettext_lazy("week of the month", "Second")),
    (3, pgettext_lazy("week of the month", "Third")),
    (4, pgettext_lazy("week of the month", "Fourth")),
    (-1, pgettext_lazy("week of the month", "Last")),
]
# Zones offered first; the organisation's own and a circle's current zone are added.
COMMON_TIME_ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/Toronto",
    "America/Vancouver",
    "America/Mexico_City",
    "America/Bogota",
    "America/Argentina/Buenos_Aires",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Berlin",
    "Africa/Johannesburg",
    "Asia/Kolkata",
    "Asia/Manila",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
)


def default_time_zone() -> str:
    return str(settings.PEERLIGHT_DIRECTORY_TIME_ZONE or settings.TIME_ZONE)


def read_rule(rule: str) -> tuple[str, int, tuple[int, ...]] | None:
    """The form's (repeats, weekday, weeks) for a rule it can show; None for others.

    Reads both ways of writing "first and third Monday": ``BYDAY=1MO,3MO``
    and ``BYDAY=MO;BYSETPOS=1,3``.
    """
    parts = finding.rule_parts(rule)
    days = [item for item in parts.get("BYDAY", "").split(",") if item]
    weekdays = {item[-2:] for item in days}
    if len(weekdays) != 1 or not weekdays <= set(finding.WEEKDAY_CODES):
        return None
    weekday = finding.WEEKDAY_CODES.index(weekdays.pop())
    interval = parts.get("INTERVAL", "1")
    if parts.get("FREQ") == "WEEKLY" and interval in ("1", "2"):
        return (WEEKLY if interval == "1" else BIWEEKLY), weekday, ()
    if parts.get("FREQ") != "MONTHLY" or interval != "1":
        return None
    positions = [item[:-2] for item in days if item[:-2]] or parts.get("BYSETPOS", "").split(",")
    try:
        weeks = tuple(sorted({int(position) for position in positions if position}))
    except ValueError:
        return None
    return (MONTHLY, weekday, weeks) if weeks else None


# --- A circle ---------------------------------------------------------------------------


def peer_supporters() -> QuerySet[User]:
    """Who may lead a circle: open accounts holding the peer-supporter role now."""
    return (
        User.objects.filter(
            is_active=True,
            is_guest=False,
            role_grants__role=Role.PEER_SUPPORTER,
            role_grants__revoked_at__isnull=True,
        )
        .distinct()
        .order_by("display_name")
    )


def location_choices() -> list[tuple[str, str]]:
    """Places of the directory that have a street address, by name (one query)."""
    rows = (
        Address.objects.filter(location__isnull=False)
        .select_related("location")
        .order_by("location__name", "address_1", "id")
    )
    choices: dict[str, str] = {}
    for row in rows:
        assert row.location is not None
        key = str(row.location.id)
        if key not in choices:
            choices[key] = f"{row.location.name or row.address_1} — {row.address_1}, {row.city}"
    return list(choices.items())


class FacilitatorField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class CircleForm(PlainForm):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    description = forms.CharField(
        label=_("What the circle is about"),
        help_text=_("A few calm sentences: who it is for and what happens in a meeting."),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        required=False,
        error_messages=CHOOSE_FROM_LIST,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label=_("Language spoken"), error_messages=CHOOSE_FROM_LIST)
    format = forms.ChoiceField(
        label=_("How it meets"),
        choices=Circle.Format.choices,
        error_messages=CHOOSE_FROM_LIST,
        widget=forms.RadioSelect,
    )
    location = forms.ChoiceField(
        label=_("Where it meets in person"),
        help_text=_("A place listed in the resource directory. Leave empty for online circles."),
        required=False,
        error_messages=CHOOSE_FROM_LIST,
    )
    place_notes = forms.CharField(
        label=_("Finding the room (optional)"),
        help_text=_("For example: Room 2, ring the bell."),
        max_length=NOTE_MAX,
        required=False,
    )
    facilitators = FacilitatorField(
        label=_("Facilitators"),
        help_text=_("Peer supporters who lead the circle. Choose at least one."),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Please choose at least one facilitator."),
            "invalid_choice": _("Only peer supporters can lead a circle."),
            "invalid_pk_value": _("Only peer supporters can lead a circle."),
        },
        widget=forms.CheckboxSelectMultiple,
    )
    agreement = forms.CharField(
        label=_("Group agreement"),
        help_text=_("Read out at the start of each meeting; every member agrees to it."),
        max_length=AGREEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        help_text=_("How many members, not counting facilitators (2 to 40)."),
        min_value=CAPACITY_RANGE[0],
        max_value=CAPACITY_RANGE[1],
    )
    joining = forms.ChoiceField(
        label=_("Joining"),
        choices=Circle.Joining.choices,
        error_messages=CHOOSE_FROM_LIST,
        widget=forms.RadioSelect,
    )
    min_age = forms.IntegerField(
        label=_("Youngest age (optional)"),
        min_value=AGE_RANGE[0],
        max_value=AGE_RANGE[1],
        required=False,
    )
    max_age = forms.IntegerField(
        label=_("Oldest age (optional)"),
        min_value=AGE_RANGE[0],
        max_value=AGE_RANGE[1],
        required=False,
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), error_messages=CHOOSE_FROM_LIST)
    repeats = forms.ChoiceField(
        label=_("Repeats"), choices=REPEATS, error_messages=CHOOSE_FROM_LIST
    )
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"),
        coerce=int,
        choices=list(WEEKDAYS.items()),
        error_messages=CHOOSE_FROM_LIST,
    )
    weeks = forms.TypedMultipleChoiceField(
        label=_("Which weeks of the month"),
        help_text=_("Only for circles that meet on chosen weeks of the month."),
        coerce=int,
        choices=WEEKS_OF_MONTH,
        required=False,
        error_messages=CHOOSE_FROM_LIST,
        widget=forms.CheckboxSelectMultiple,
    )
    first_date = forms.DateField(
        label=_("First meeting on or after"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    start_time = forms.TimeField(
        label=_("Starts at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Length in minutes"),
        min_value=DURATION_RANGE[0],
        max_value=DURATION_RANGE[1],
    )
    is_active = forms.BooleanField(
        label=_("Still meeting"),
        help_text=_("Untick to stop the circle: it leaves the list and no new meetings are made."),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        may_manage: bool,
        circle: Circle | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        self.circle = circle
        choice_field(self, "topics").choices = topic_choices(language)
        choice_field(self, "language").choices = vocabulary().choices("languages", language)
        choice_field(self, "location").choices = [("", _("No place")), *location_choices()]
        zones = list(COMMON_TIME_ZONES)
        for zone in (default_time_zone(), circle.time_zone if circle else ""):
            if zone and zone not in zones:
                zones.append(zone)
        choice_field(self, "time_zone").choices = [(zone, zone) for zone in zones]
        # Only coordinators choose who leads and whether a circle goes on.
        if may_manage:
            facilitators = self.fields["facilitators"]
            assert isinstance(facilitators, FacilitatorField)
            facilitators.queryset = peer_supporters()
        else:
            del self.fields["facilitators"]
        if not may_manage or circle is None:
            del self.fields["is_active"]

    @classmethod
    def for_circle(cls, circle: Circle, data: Any = None, *, may_manage: bool) -> CircleForm:
        """The form filled from ``circle``."""
        repeats, weekday, weeks = read_rule(circle.rrule) or (
            WEEKLY,
            circle.first_date.weekday(),
            (),
        )
        initial = {
            **{name: getattr(circle, name) for name in CIRCLE_FIELDS if name != "rrule"},
            "location": str(circle.location_id or ""),
            "facilitators": list(circle.facilitators.all()),
            "is_active": circle.is_active,
            "repeats": repeats,
            "weekday": weekday,
            "weeks": list(weeks),
        }
        return cls(data, initial=initial, may_manage=may_manage, circle=circle)

    @classmethod
    def blank(cls, data: Any = None, *, agreement: AgreementTemplate | None = None) -> CircleForm:
        """A new circle's form: calm defaults and the agreement of ``agreement``."""
        initial = {
            "language": (get_language() or "en").split("-")[0],
            "format": Circle.Format.ONLINE,
            "capacity": 12,
            "joining": Circle.Joining.OPEN,
            "time_zone": default_time_zone(),
            "repeats": WEEKLY,
            "duration_minutes": 90,
            "agreement": agreement.text if agreement else "",
        }
        return cls(data, initial=initial, may_manage=True)

    def clean_time_zone(self) -> str:
        zone: str = self.cleaned_data["time_zone"]
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValidationError(_("Please choose a time zone from the list.")) from error
        return zone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("format") in (Circle.Format.IN_PERSON, Circle.Format.BOTH) and not data.get(
            "location"
        ):
            self.add_error(
                "location", _("Please choose where the circle meets: it meets in person.")
            )
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", _("The oldest age cannot be below the youngest age."))
        self._clean_rule(data)
        return data

    def _clean_rule(self, data: dict[str, Any]) -> None:
        repeats, weekday, weeks = data.get("repeats"), data.get("weekday"), data.get("weeks")
        if repeats is None or weekday is None:
            return
        if repeats == MONTHLY and not weeks:
            self.add_error("weeks", _("Please choose at least one week of the month."))
            return
        ordinals = tuple(sorted(weeks or ())) if repeats == MONTHLY else ()
        try:
            rule = schedule.build_rule(repeats, weekday, ordinals)
            schedule.validate_rule(rule, first_date=data.get("first_date"))
        except ValidationError as error:
            self.add_error("repeats", error)
            return
        data["rrule"] = rule

    def circle_fields(self) -> dict[str, Any]:
        """The cleaned data as ``actions`` takes it (fields of ``Circle``)."""
        data = self.cleaned_data
        fields = {name: data[name] for name in CIRCLE_FIELDS if name in data}
        fields["location_id"] = UUID(data["location"]) if data.get("location") else None
        fields["min_age"] = data.get("min_age")
        fields["max_age"] = data.get("max_age")
        return fields

    def chosen_facilitators(self) -> list[User] | None:
        """The chosen facilitators; None when this person may not change them."""
        if "facilitators" not in self.fields:
            return None
        return list(self.cleaned_data["facilitators"])

    def chosen_is_active(self) -> bool | None:
        return self.cleaned_data.get("is_active") if "is_active" in self.fields else None


# The ``Circle`` fields the form fills; ``location`` goes as ``location_id``.
CIRCLE_FIELDS = (
    "name",
    "description",
    "topics",
    "language",
    "format",
    "place_notes",
    "agreement",
    "capacity",
    "joining",
    "min_age",
    "max_age",
    "time_zone",
    "rrule",
    "first_date",
    "start_time",
    "duration_minutes",
)


# --- Agreement templates ----------------------------------------------------------------


class AgreementTemplateForm(PlainForm):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    language = forms.ChoiceField(label=_("Language"), error_messages=CHOOSE_FROM_LIST)
    text = forms.CharField(
        label=_("Group agreement"),
        max_length=AGREEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    is_default = forms.BooleanField(
        label=_("Offer this one first for circles in its language"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "language").choices = vocabulary().choices("languages", get_language())

    @classmethod
    def for_template(
        cls, template: AgreementTemplate | None, data: Any = None
    ) -> AgreementTemplateForm:
        if template is None:
            language = (get_language() or "en").split("-")[0]
            return cls(data, initial={"language": language})
        initial = {name: getattr(template, name) for name in ("name", "language", "text")}
        return cls(data, initial={**initial, "is_default": template.is_default})
