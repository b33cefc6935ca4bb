"""The directory's forms: search, peer notes, reports of outdated information, and editing.

Every field has tight bounds; what a form accepts is what ``actions`` may
write. The search form turns its answers into a ``search.Query``; the
editing forms give ``actions.update_service`` plain values (``None`` for a
field left empty, as HSDS keeps an absent value apart from an empty one).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from peerlight.directory import places
from peerlight.directory.models import EDITABLE_SERVICE_FIELDS, InfoReport, Service
from peerlight.directory.presenters import WeekHours
from peerlight.directory.search import MAX_PER_PAGE, Query
from peerlight.lib.forms import PlainForm

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

__all__ = [
    "DAYS",
    "MAX_PAGE",
    "NOTE_MAX_LENGTH",
    "HoursForm",
    "InfoReportForm",
    "PeerNoteForm",
    "PhoneFormSet",
    "ReportDecisionForm",
    "ReviewNoteForm",
    "SearchForm",
    "ServiceForm",
    "radius_choices",
]

NOTE_MAX_LENGTH = 280
REPORT_DETAILS_MAX_LENGTH = 1000
MAX_PAGE = 200
MAX_AGE = 120
KM_PER_MILE = 1.609344

# Radius choices in the unit the reader uses; both sets are accepted from any
# reader, so a shared link means the same to everyone.
RADII_KM = (2, 5, 10, 25, 50, 100)
RADII_MI = (1, 3, 5, 10, 25, 50)
_RADIUS = re.compile(r"^(?P<amount>\d{1,3})(?P<unit>km|mi)$")


def radius_choices(*, miles: bool) -> list[tuple[str, str]]:
    """The radius select's choices: "Any distance", then distances in the reader's unit."""
    if miles:
        shown = [
            (f"{amount}mi", str(_("Within %(amount)d mi")) % {"amount": amount})
            for amount in RADII_MI
        ]
    else:
        shown = [
            (f"{amount}km", str(_("Within %(amount)d km")) % {"amount": amount})
            for amount in RADII_KM
        ]
    return [("", str(_("Any distance"))), *shown]


def radius_km(value: str) -> float | None:
    """Kilometres for a radius choice ("5mi", "10km"); None for "" or anything else."""
    found = _RADIUS.match(value)
    if found is None:
        return None
    amount = int(found["amount"])
    allowed = RADII_MI if found["unit"] == "mi" else RADII_KM
    if amount not in allowed:
        return None
    return amount * KM_PER_MILE if found["unit"] == "mi" else float(amount)


class SearchForm(PlainForm):
    """The search page's GET form. ``query(page=...)`` gives the ``search.Query``.

    ``category`` and ``language`` choices are the terms and languages in use
    (``access.search_choices``), passed in by the view.
    """

    q = forms.CharField(
        label=_("What are you looking for?"),
        help_text=_("For example: food, housing, someone to talk to."),
        required=False,
        max_length=200,
    )
    place = forms.CharField(
        label=_("Near"),
        help_text=_("A 5-digit ZIP code. Leave it empty to search everywhere."),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    radius = forms.ChoiceField(label=_("Distance"), required=False)
    category = forms.ChoiceField(label=_("Kind of help"), required=False)
    language = forms.ChoiceField(label=_("Language spoken"), required=False)
    age = forms.IntegerField(
        label=_("Age of the person who needs help"),
        help_text=_("Optional. Shows services open to that age."),
        required=False,
        min_value=0,
        max_value=MAX_AGE,
        error_messages={
            "invalid": _("Please enter an age as a whole number, like 34."),
            "min_value": _("Please enter an age of 0 or more."),
            "max_value": _("Please enter an age of %(limit_value)s or less."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    free = forms.BooleanField(label=_("Free of cost"), required=False)
    open_now = forms.BooleanField(label=_("Open now"), required=False)
    wheelchair = forms.BooleanField(label=_("Wheelchair accessible"), required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        miles: bool = False,
        categories: list[tuple[str, Any]] | None = None,
        languages: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(data)
        self.miles = miles
        radius = self.fields["radius"]
        assert isinstance(radius, forms.ChoiceField)
        choices = radius_choices(miles=miles)
        wanted = str(self.data.get("radius", "")) if self.is_bound else ""
        if wanted and radius_km(wanted) is not None and wanted not in dict(choices):
            # A link from a reader of the other unit: keep its choice selectable.
            amount, unit = wanted[:-2], wanted[-2:]
            choices.append((wanted, f"{amount} {unit}"))
        radius.choices = choices
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("Any kind")), *(categories or [])]
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Any language")), *(languages or [])]
        self.point: places.Point | None = None

    def clean_q(self) -> str:
        return " ".join(str(self.cleaned_data["q"]).split())

    def clean_place(self) -> str:
        text = " ".join(str(self.cleaned_data["place"]).split())
        if text:
            self.point = places.parse_place(text)
            if self.point is None:
                raise forms.ValidationError(
                    _("We could not find that place. Please enter a 5-digit US ZIP code."),
                    code="unknown_place",
                )
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("radius") and not cleaned.get("place") and "place" not in self.errors:
            self.add_error(
                "radius", _("Please enter a place too, so we know where to measure from.")
            )
        return cleaned

    def has_criteria(self) -> bool:
        """True when the person asked for anything at all (else the page just invites)."""
        return self.is_bound and any(
            value not in (None, "", False) for value in self.cleaned_data.values()
        )

    def query(self, *, page: int, per_page: int, open_at: datetime) -> Query:
        """The ``search.Query`` for these answers (the form must be valid).

        ``open_at`` is now; it filters only when "Open now" is ticked.
        """
        data = self.cleaned_data
        category = data.get("category") or ""
        return Query(
            words=data.get("q") or "",
            near=self.point,
            radius_km=radius_km(data.get("radius") or ""),
            categories=(UUID(category),) if category else (),
            language=data.get("language") or "",
            free_only=bool(data.get("free")),
            open_at=open_at if data.get("open_now") else None,
            wheelchair_accessible=bool(data.get("wheelchair")),
            age=data.get("age"),
            page=max(1, min(page, MAX_PAGE)),
            per_page=max(1, min(per_page, MAX_PER_PAGE)),
        )


def page_number(raw: object) -> int:
    """The ``page`` of a query string: a whole number from 1 to ``MAX_PAGE``, else 1."""
    text = str(raw or "")
    if not text.isdigit() or len(text) > 4:
        return 1
    return max(1, min(int(text), MAX_PAGE))


# --- Peer notes and reports ----------------------------------------------------------


class PeerNoteForm(PlainForm):
    body = forms.CharField(
        label=_("Your note"),
        help_text=_(
            "Up to 280 characters, from your own experience of this service. For example: "
            "“They have Spanish-speaking staff; the waiting room is calm.” Please leave out "
            "names, phone numbers and e-mail addresses."
        ),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Please write your note."),
            "max_length": _("Please keep your note to %(limit_value)d characters or fewer."),
        },
    )

    def clean_body(self) -> str:
        text = " ".join(str(self.cleaned_data["body"]).split())
        if not text:
            raise forms.ValidationError(_("Please write your note."), code="required")
        return text


class InfoReportForm(PlainForm):
    topic = forms.ChoiceField(
        label=_("What is out of date?"),
        choices=InfoReport.Topic.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose what is out of date."),
            "invalid_choice": _("Please choose what is out of date."),
        },
    )
    details = forms.CharField(
        label=_("What should it say? (optional)"),
        help_text=_(
            "For example, the new phone number or opening hours. "
            "Please do not include anything about yourself."
        ),
        required=False,
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": _("Please keep this to %(limit_value)d characters or fewer."),
        },
    )


class ReviewNoteForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("publish", _("Publish")), ("reject", _("Do not publish"))],
        error_messages={"invalid_choice": _("Please choose to publish or not.")},
    )

    @property
    def publish(self) -> bool:
        return bool(self.cleaned_data["decision"] == "publish")


class ReportDecisionForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (InfoReport.Status.FIXED, _("Mark as fixed")),
            (InfoReport.Status.DISMISSED, _("Dismiss")),
        ],
        error_messages={"invalid_choice": _("Please choose fixed or dismissed.")},
    )


# --- Editing a service -----------------------------------------------------------------

# The main fields of a service a coordinator edits here, with their limits.
TEXT_LIMITS = {
    "name": 200,
    "alternate_name": 200,
    "description": 4000,
    "url": 500,
    "email": 254,
    "eligibility_description": 2000,
    "application_process": 2000,
    "fees_description": 1000,
    "wait_time": 200,
    "interpretation_services": 500,
    "alert": 500,
}


def _text(
    label: str | _StrPromise, field: str, *, rows: int = 0, required: bool = False, **kwargs: Any
) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_LIMITS[field],
        widget=widget,
        **kwargs,
    )


class ServiceForm(PlainForm):
    """The main fields of a service; ``changes(service)`` lists what differs."""

    name = _text(
        _("Name"),
        "name",
        required=True,
        error_messages={"required": _("Please give the service a name.")},
    )
    alternate_name = _text(_("Other name"), "alternate_name")
    status = forms.ChoiceField(label=_("Status"), choices=Service.Status.choices)
    description = _text(_("What they offer"), "description", rows=6)
    eligibility_description = _text(_("Who can use it"), "eligibility_description", rows=3)
    minimum_age = forms.IntegerField(
        label=_("Youngest age served"), required=False, min_value=0, max_value=MAX_AGE
    )
    maximum_age = forms.IntegerField(
        label=_("Oldest age served"), required=False, min_value=0, max_value=MAX_AGE
    )
    fees_description = _text(_("Fees and costs"), "fees_description", rows=2)
    application_process = _text(_("How to get help from them"), "application_process", rows=3)
    wait_time = _text(_("Usual wait"), "wait_time")
    interpretation_services = _text(_("Interpreting"), "interpretation_services")
    url = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=TEXT_LIMITS["url"],
        assume_scheme="https",
    )
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=TEXT_LIMITS["email"])
    alert = _text(
        _("Notice shown at the top"),
        "alert",
        rows=2,
        help_text=_("For example: closed for the holidays until 2 January."),
    )
    # The service's last_modified when the page was shown: a change made by
    # someone else since then is not silently overwritten.
    version = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    FIELDS = EDITABLE_SERVICE_FIELDS

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if not name:
            raise forms.ValidationError(_("Please give the service a name."), code="required")
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("minimum_age"), cleaned.get("maximum_age")
        if low is not None and high is not None and low > high:
            self.add_error("maximum_age", _("The oldest age must not be below the youngest."))
        return cleaned

    @classmethod
    def initial_for(cls, service: Service) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for name in cls.FIELDS:
            value = getattr(service, name)
            if name in ("minimum_age", "maximum_age") and value is not None:
                value = int(value)
            initial[name] = value
        initial["version"] = service.last_modified or ""
        return initial

    def values(self) -> dict[str, Any]:
        """Each field as the model keeps it: empty text is None (absent), ages are floats."""
        values: dict[str, Any] = {}
        for name in self.FIELDS:
            value = self.cleaned_data[name]
            if isinstance(value, str):
                value = value.strip() or None
            elif isinstance(value, int):
                value = float(value)
            values[name] = value
        values["status"] = self.cleaned_data["status"]
        return values


PHONE_TYPES = (
    ("voice", _("Voice")),
    ("text", _("Text messages")),
    ("cell", _("Mobile")),
    ("textphone", _("Textphone (TTY)")),
    ("video", _("Video")),
    ("fax", _("Fax")),
    ("pager", _("Pager")),
)
_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ().\-/]{3,30}$")


class PhoneForm(PlainForm):
    id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    number = forms.CharField(label=_("Number"), max_length=30, required=False)
    extension = forms.IntegerField(
        label=_("Extension"), required=False, min_value=0, max_value=99_999_999
    )
    type = forms.ChoiceField(label=_("Kind"), choices=PHONE_TYPES, initial="voice")
    description = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_number(self) -> str:
        number = " ".join(str(self.cleaned_data["number"]).split())
        digits = re.sub(r"\D", "", number)
        if number and (not _PHONE_CHARACTERS.match(number) or not 3 <= len(digits) <= 15):
            raise forms.ValidationError(
                _("Please enter a phone number with digits only, like 541-555-0134."),
                code="invalid",
            )
        return number


class BasePhoneFormSet(forms.BaseFormSet[PhoneForm]):
    def add_fields(self, form: PhoneForm, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this number")

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or _removed(form):
                continue
            data = form.cleaned_data
            if not data.get("number") and (
                data.get("id") or data.get("extension") or data.get("description")
            ):
                form.add_error("number", _("Please enter the number, or tick “Remove”."))

    def phones(self) -> list[dict[str, Any]]:
        """The phones to keep or add, in order: id (None for a new one) and fields."""
        kept = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if not data or _removed(form) or not data.get("number"):
                continue
            kept.append(
                {
                    "id": data.get("id"),
                    "number": data["number"],
                    "extension": float(data["extension"])
                    if data.get("extension") is not None
                    else None,
                    "type": data["type"],
                    "description": (data.get("description") or "").strip() or None,
                }
            )
        return kept


def _removed(form: forms.Form) -> bool:
    return bool(getattr(form, "cleaned_data", {}).get("DELETE"))


PhoneFormSet = cast(
    "type[BasePhoneFormSet]",
    forms.formset_factory(
        PhoneForm,
        formset=BasePhoneFormSet,
        extra=1,
        can_delete=True,
        max_num=10,
        validate_max=True,
        absolute_max=10,
    ),
)

# Weekdays in HSDS ``byday`` codes, in the order the form lists them.
DAYS = (
    ("MO", _("Monday")),
    ("TU", _("Tuesday")),
    ("WE", _("Wednesday")),
    ("TH", _("Thursday")),
    ("FR", _("Friday")),
    ("SA", _("Saturday")),
    ("SU", _("Sunday")),
)


class HoursForm(PlainForm):
    """Opening and closing time per weekday; an empty day is closed.

    A closing time before the opening time closes after midnight.
    """

    time_zone = forms.CharField(
        label=_("Time zone"),
        help_text=_("The place's time zone, for example America/Los_Angeles."),
        max_length=64,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, day in DAYS:
            time_input = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            self.fields[f"{code}_opens"] = forms.TimeField(
                label=_("%(day)s opens") % {"day": day}, required=False, widget=time_input
            )
            self.fields[f"{code}_closes"] = forms.TimeField(
                label=_("%(day)s closes") % {"day": day},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    def clean_time_zone(self) -> str:
        name = str(self.cleaned_data["time_zone"]).strip()
        if name not in zoneinfo.available_timezones():
            raise forms.ValidationError(
                _("Please enter a time zone name such as America/Los_Angeles."), code="invalid"
            )
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for code, _day in DAYS:
            opens, closes = cleaned.get(f"{code}_opens"), cleaned.get(f"{code}_closes")
            if (opens is None) != (closes is None):
                missing = f"{code}_closes" if closes is None else f"{code}_opens"
                if missing not in self.errors:
                    self.add_error(
                        missing, _("Please give both times, or neither for a closed day.")
                    )
            elif opens is not None and opens == closes:
                self.add_error(
                    f"{code}_closes", _("The closing time must differ from the opening time.")
                )
        return cleaned

    @classmethod
    def initial_for(cls, week: WeekHours | None) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "time_zone": week.time_zone if week else settings.PEERLIGHT_DIRECTORY_TIME_ZONE
        }
        for code, (opens, closes) in (week.days if week else {}).items():
            initial[f"{code}_opens"] = _as_time(opens)
            initial[f"{code}_closes"] = _as_time(closes)
        return initial

    def week(self) -> WeekHours:
        days = {}
        for code, _day in DAYS:
            opens, closes = (
                self.cleaned_data.get(f"{code}_opens"),
                self.cleaned_data.get(f"{code}_closes"),
            )
            if opens is not None and closes is not None:
                days[code] = (opens.strftime("%H:%M"), closes.strftime("%H:%M"))
        return WeekHours(self.cleaned_data["time_zone"], days)


def _as_time(text: str) -> time | None:
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None
