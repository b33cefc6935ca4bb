"""Forms of petitions: signing, setting a petition up, and entering paper signatures."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerlight.accounts.models import User
from peerlight.advocacy import petitions
from peerlight.advocacy.actions import GOAL_RANGE, PAPER_BATCH_MAX
from peerlight.advocacy.petition_models import COMMENT_MAX, NAME_MAX, STATEMENT_MAX, Petition
from peerlight.advocacy.petition_signing import Signer
from peerlight.lib.forms import PlainForm

__all__ = ["PaperBatchForm", "PetitionForm", "SignForm"]

EMAIL_MAX = 254
ZIP_COUNTS_MAX = 4_000
NOTE_MAX = 200


class SignForm(PlainForm):
    """Signing: a visitor's e-mail is asked when the petition is confirmed by e-mail.

    A signed-in member is never asked for one (their account is the signer).
    """

    name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX,
        error_messages={"required": _("Please give your name.")},
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=EMAIL_MAX,
        required=False,
        error_messages={
            "required": _(
                "Please give your e-mail address: your signature counts once you confirm it."
            ),
            "invalid": _("Please enter an e-mail address, like name@example.org."),
        },
    )
    zip_code = forms.CharField(
        label=_("ZIP code (optional)"),
        help_text=_("Five digits. It tells the decision makers how many signers live where."),
        max_length=5,
        required=False,
        error_messages={"required": _("Please give your five-digit ZIP code.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    show_name = forms.BooleanField(label=_("Show my name on the petition"), required=False)
    comment = forms.CharField(
        label=_("A few words for the organisers (optional)"),
        help_text=_("Not shown on the petition."),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, data: Any = None, *, petition: Petition, member: User | None = None, **kwargs: Any
    ) -> None:
        if member is not None:
            kwargs.setdefault("initial", {"name": member.display_name})
        super().__init__(data, **kwargs)
        self.member = member
        if member is not None:
            del self.fields["email"]
        elif petition.requires_confirmation:
            self.fields["email"].required = True
            self.fields["email"].help_text = _(
                "A link to confirm your signature is sent to this address. "
                "It is never shown or shared."
            )
        else:
            self.fields["email"].label = _("Your e-mail address (optional)")
            self.fields["email"].help_text = _("It is never shown or shared.")
        if petition.check_district:
            self.fields["zip_code"].required = True
            self.fields["zip_code"].label = _("ZIP code")
            self.fields["zip_code"].help_text = _(
                "Five digits. It tells you and the decision makers whether you live in "
                "their district."
            )
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        if "email" in self.fields:
            self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError(_("Please give your name."))
        return name

    def clean_zip_code(self) -> str:
        # Any five digits: the ZIP code data may not know a new code, and a
        # signer is never turned away for it.
        zip_code = str(self.cleaned_data.get("zip_code") or "").strip()
        if zip_code and not petitions.is_zip(zip_code):
            raise forms.ValidationError(_("A ZIP code is five digits, like 97201."))
        return zip_code

    def signer(self) -> Signer:
        data = self.cleaned_data
        return Signer(
            name=data["name"],
            email=str(data.get("email") or ""),
            zip_code=data["zip_code"],
            show_name=bool(data.get("show_name")),
            comment=str(data.get("comment") or "").strip(),
            user=self.member,
        )


class PetitionForm(PlainForm):
    statement = forms.CharField(
        label=_("What signers say"),
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    goal = forms.IntegerField(
        label=_("First goal"),
        help_text=_("How many signatures to aim for. Once reached, the goal rises by itself."),
        min_value=GOAL_RANGE[0],
        max_value=GOAL_RANGE[1],
    )
    check_district = forms.BooleanField(
        label=_("Ask signers for a ZIP code and tell them whether they live in a district"),
        help_text=_(
            "Signers outside the districts can still sign, unless the next box is ticked."
        ),
        required=False,
    )
    district_only = forms.BooleanField(
        label=_("Only people who live in a target's district may sign"),
        help_text=_("For a petition from constituents. Needs the district check above."),
        required=False,
    )
    requires_confirmation = forms.BooleanField(
        label=_("Visitors confirm their signature by e-mail"),
        help_text=_(
            "Recommended: it keeps a signature to one person. Members who are signed in "
            "always count at once."
        ),
        required=False,
    )
    is_open = forms.BooleanField(label=_("Open for signatures"), required=False)

    @classmethod
    def for_petition(cls, petition: Petition | None, data: Any = None) -> PetitionForm:
        if petition is None:
            initial: dict[str, Any] = {"goal": 100, "requires_confirmation": True, "is_open": True}
        else:
            initial = {
                name: getattr(petition, name)
                for name in (
                    "statement",
                    "goal",
                    "check_district",
                    "district_only",
                    "requires_confirmation",
                    "is_open",
                )
            }
        return cls(data, initial=initial)

    def petition_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "statement": data["statement"].strip(),
            "goal": data["goal"],
            "check_district": bool(data.get("check_district")),
            "district_only": bool(data.get("check_district")) and bool(data.get("district_only")),
            "requires_confirmation": bool(data.get("requires_confirmation")),
            "is_open": bool(data.get("is_open")),
        }


_ZIP_COUNT_LINE = re.compile(r"([0-9]{5})\s*[:=,;\s]\s*([0-9]{1,6})")


class PaperBatchForm(PlainForm):
    count = forms.IntegerField(
        label=_("Signatures in this batch"), min_value=1, max_value=PAPER_BATCH_MAX
    )
    zip_counts = forms.CharField(
        label=_("How many gave each ZIP code (optional)"),
        help_text=_("One ZIP code and a number per line, like: 97201 12"),
        max_length=ZIP_COUNTS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        help_text=_("Where and when they were collected, for example."),
        max_length=NOTE_MAX,
        required=False,
    )

    def clean_zip_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for number, line in enumerate(
            str(self.cleaned_data.get("zip_counts") or "").splitlines(), 1
        ):
            if not line.strip():
                continue
            match = _ZIP_COUNT_LINE.fullmatch(line.strip())
            if match is None or not petitions.is_known_zip(match[1]) or int(match[2]) < 1:
                raise forms.ValidationError(
                    _("Line %(number)d needs a real ZIP code and a number above 0, like: 97201 12")
                    % {"number": number}
                )
            counts[match[1]] = counts.get(match[1], 0) + int(match[2])
        return counts

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        count, zip_counts = data.get("count"), data.get("zip_counts")
        if count is not None and zip_counts and sum(zip_counts.values()) > count:
            self.add_error(
                "zip_counts", _("The counts by ZIP code add up to more than the batch.")
            )
        return data
