"""Forms of letters, calls and testimony, with tight bounds; the actions check again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from peerlight.advocacy.letters import ZIP_PATTERN
from peerlight.advocacy.models import LetterAction, Target
from peerlight.advocacy.outreach import SIGNED_NAME_MAX
from peerlight.advocacy.outreach_models import (
    NOTE_MAX,
    OWN_WORDS_MAX,
    SCRIPT_MAX,
    SUBJECT_MAX,
    TEMPLATE_MAX,
)
from peerlight.lib.forms import PlainForm
from peerlight.stories.access import Readable

NO_STORY = ""
INCLUDE = "include"
NOT_USE = "not_use"


def _story_choices(stories: Sequence[Readable]) -> list[tuple[str, str]]:
    return [(item.story.public_id, item.version.title) for item in stories]


class LetterForm(PlainForm):
    """A member's letter: their own words, perhaps a story, a ZIP code, and a name if they sign."""

    own_words = forms.CharField(
        label=_("Your own words"),
        help_text=_("Why this matters to you, in a few sentences. Up to 3,000 characters."),
        max_length=OWN_WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": _("Please write a few words of your own: why this matters to you.")
        },
    )
    story = forms.ChoiceField(
        label=_("Add one of your stories (optional)"),
        help_text=_(
            "Only your published stories that you agreed may be used in this campaign. "
            "It goes under the name you chose for it."
        ),
        required=False,
        error_messages={
            "invalid_choice": _("Please choose one of your own stories shared for this campaign.")
        },
    )
    zip_code = forms.CharField(
        label=_("Your ZIP code (optional)"),
        help_text=_(
            "Used only to count letters by district. Decision makers see the counts, "
            "never your ZIP code."
        ),
        max_length=10,
        required=False,
        validators=[
            RegexValidator(
                ZIP_PATTERN, _("Please give a ZIP code of five digits, or leave it empty.")
            )
        ],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    # Its explanation is in the page, above the box: the field partial shows
    # no help text for a checkbox.
    share_name = forms.BooleanField(label=_("Sign with my name"), required=False)
    signed_name = forms.CharField(
        label=_("The name to sign with"),
        help_text=_("Only if you ticked the box above. It can be your full name or a first name."),
        max_length=SIGNED_NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, stories: Sequence[Readable], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stories = list(stories)
        field = self.fields["story"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(NO_STORY, _("No story")), *_story_choices(stories)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("share_name") and not str(data.get("signed_name", "")).strip():
            self.add_error(
                "signed_name", _("Please type the name to sign with, or untick the box.")
            )
        return data

    def letter_fields(self) -> dict[str, Any]:
        """The fields ``outreach.write_letter`` takes."""
        data = self.cleaned_data
        share = bool(data["share_name"])
        return {
            "own_words": data["own_words"],
            "story_public_id": data["story"] or NO_STORY,
            "zip_code": data["zip_code"],
            "share_name": share,
            "signed_name": data["signed_name"] if share else "",
        }


class LetterActionForm(PlainForm):
    """A coordinator sets up a campaign's letter."""

    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    template = forms.CharField(
        label=_("The letter"),
        help_text=_(
            "Every letter starts with these words; members add their own below. "
            "Up to 6,000 characters."
        ),
        max_length=TEMPLATE_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    delivery = forms.ChoiceField(
        label=_("How the letters go"),
        choices=LetterAction.Delivery.choices,
        widget=forms.RadioSelect,
    )
    is_open = forms.BooleanField(label=_("Open for letters"), required=False)

    def clean_subject(self) -> str:
        subject = str(self.cleaned_data["subject"])
        if "\n" in subject or "\r" in subject:
            raise forms.ValidationError(_("Please give the letter a subject of one line."))
        return subject


class CallActionForm(PlainForm):
    """A coordinator writes a campaign's call script."""

    script = forms.CharField(
        label=_("What to say on the call"),
        help_text=_("Shown to everyone who calls. Up to 4,000 characters."),
        max_length=SCRIPT_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    is_open = forms.BooleanField(label=_("Open for calls"), required=False)


class CallMadeForm(forms.Form):
    """ "I made the call" to one of the listed targets."""

    target = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": _("Please choose one of the people listed to call."),
            "invalid_choice": _("Please choose one of the people listed to call."),
        },
    )

    def __init__(self, targets: Sequence[Target], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(target.pk, str(target)) for target in targets]

    def target_id(self) -> int:
        return int(self.cleaned_data["target"])


class TestimonyOfferForm(PlainForm):
    """A member offers one of their stories for a hearing."""

    story = forms.ChoiceField(
        label=_("Which story"),
        help_text=_("Only your published stories that you agreed may be used in this campaign."),
        error_messages={
            "required": _("Please choose one of your own stories shared for this campaign."),
            "invalid_choice": _("Please choose one of your own stories shared for this campaign."),
        },
    )
    note = forms.CharField(
        label=_("A note for the coordinators (optional)"),
        help_text=_("Only coordinators read this. Up to 500 characters."),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    willing_to_speak = forms.BooleanField(
        label=_("I would be willing to speak at the hearing in person"),
        required=False,
    )

    def __init__(self, stories: Sequence[Readable], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stories = list(stories)
        field = self.fields["story"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _story_choices(stories)


class OfferDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(INCLUDE, _("Include")), (NOT_USE, _("Not this time"))],
        error_messages={
            "required": _("Please choose to include the story or not."),
            "invalid_choice": _("Please choose to include the story or not."),
        },
    )

    def includes(self) -> bool:
        return bool(self.cleaned_data["decision"] == INCLUDE)


class PacketForm(PlainForm):
    """The hearing a testimony packet is for."""

    hearing = forms.CharField(
        label=_("The hearing"),
        help_text=_("For example: County Board of Supervisors, budget hearing."),
        max_length=SUBJECT_MAX,
        error_messages={"required": _("Please name the hearing.")},
    )
    hearing_on = forms.DateField(
        label=_("Date of the hearing (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Please give the date as year-month-day.")},
    )
