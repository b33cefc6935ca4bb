"""The form of one decision maker in the organisation's targets directory."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerlight.advocacy import petitions
from peerlight.advocacy.models import TEXT_MAX, TITLE_MAX, Target
from peerlight.lib.forms import PlainForm

__all__ = ["ROUTE_DETAIL", "TargetForm"]

CHOOSE_FROM_LIST = {"invalid_choice": _("Please choose from the list.")}
# The contact detail each way of reaching a target needs.
ROUTE_DETAIL = {
    Target.Route.EMAIL: "email",
    Target.Route.PHONE: "phone",
    Target.Route.POST: "postal_address",
    Target.Route.WEB_FORM: "web_form_url",
}
ZIP_CODES_MAX = 2_000  # characters: a large county's ZIP codes fit easily
# The ``Target`` fields the form fills, and nothing else.
TARGET_FIELDS = (
    "name",
    "office",
    "kind",
    "district",
    "contact_route",
    "email",
    "phone",
    "postal_address",
    "web_form_url",
    "notes",
)


class TargetForm(PlainForm):
    name = forms.CharField(label=_("Name"), max_length=TITLE_MAX)
    office = forms.CharField(
        label=_("Office (optional)"),
        help_text=_("For example: State Senate, Board of Supervisors."),
        max_length=TITLE_MAX,
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Target.Kind.choices, error_messages=CHOOSE_FROM_LIST
    )
    district = forms.CharField(
        label=_("District (optional)"),
        help_text=_("Its name, for example: District 7."),
        max_length=80,
        required=False,
    )
    zip_codes = forms.CharField(
        label=_("ZIP codes of the district (optional)"),
        help_text=_(
            "Five-digit ZIP codes, separated by spaces, commas or lines. "
            "Petitions use them to tell signers whether they live in the district."
        ),
        max_length=ZIP_CODES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_route = forms.ChoiceField(
        label=_("Best way to reach them"),
        choices=Target.Route.choices,
        error_messages=CHOOSE_FROM_LIST,
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        error_messages={"invalid": _("Please enter an e-mail address, like name@example.org.")},
    )
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    postal_address = forms.CharField(
        label=_("Postal address (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    web_form_url = forms.URLField(
        label=_("Web form (optional)"),
        help_text=_("The address of their contact form, starting with https://."),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("Please enter a web address, like https://example.org.")},
    )
    notes = forms.CharField(
        label=_("Notes for staff (optional)"),
        help_text=_("Only coordinators see these; they never appear on a campaign."),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @classmethod
    def for_target(cls, target: Target | None, data: Any = None) -> TargetForm:
        if target is None:
            return cls(data, initial={"contact_route": Target.Route.EMAIL})
        initial = {name: getattr(target, name) for name in TARGET_FIELDS}
        initial["zip_codes"] = ", ".join(target.district_zip_codes)
        return cls(data, initial=initial)

    def clean_zip_codes(self) -> list[str]:
        known, other = petitions.split_zip_codes(str(self.cleaned_data.get("zip_codes") or ""))
        if other:
            raise forms.ValidationError(
                _("These are not known US ZIP codes: %(codes)s. Please check them.")
                % {"codes": ", ".join(other[:10])}
            )
        return known

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        route = data.get("contact_route")
        detail = ROUTE_DETAIL.get(Target.Route(route)) if route in Target.Route.values else None
        if detail and not data.get(detail) and detail not in self.errors:
            self.add_error(detail, _("Please fill this in: it is the way chosen to reach them."))
        return data

    def target_fields(self) -> dict[str, Any]:
        """The cleaned data as ``actions`` takes it (fields of ``Target``)."""
        data = self.cleaned_data
        fields = {
            name: data[name].strip() if isinstance(data[name], str) else data[name]
            for name in TARGET_FIELDS
        }
        fields["district_zip_codes"] = data["zip_codes"]
        return fields
