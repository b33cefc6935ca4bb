"""Forms for a peer supporter's profile and availability.

Choices come from the vocabulary file, labelled in the language of the
request, so the form accepts only codes the file knows. The limits mirror
those ``actions.update_profile`` checks again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peerlight.lib.forms import PlainForm
from peerlight.peers.models import (
    BIO_MAX,
    EXPERIENCE_WORDS_MAX,
    MAX_CHATS_RANGE,
    Availability,
    PeerProfile,
)
from peerlight.peers.vocabulary import vocabulary

CHOOSE_FROM_LIST = {"invalid_choice": _("Please choose from the list.")}


class ProfileForm(PlainForm):
    experiences = forms.MultipleChoiceField(
        label=_("Lived experience"),
        help_text=_("Choose what you have been through yourself and feel able to share."),
        required=False,
        error_messages=CHOOSE_FROM_LIST,
        widget=forms.CheckboxSelectMultiple,
    )
    experience_words = forms.CharField(
        label=_("Your experience in your own words (optional)"),
        max_length=EXPERIENCE_WORDS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics you are comfortable talking about"),
        required=False,
        error_messages=CHOOSE_FROM_LIST,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you can chat in"),
        error_messages={**CHOOSE_FROM_LIST, "required": _("Please choose at least one language.")},
        widget=forms.CheckboxSelectMultiple,
    )
    gender = forms.ChoiceField(
        label=_("Gender (optional)"),
        help_text=_("Some people ask for a peer of a particular gender."),
        required=False,
        error_messages=CHOOSE_FROM_LIST,
    )
    bio = forms.CharField(
        label=_("A few words about you"),
        help_text=_(
            "Shown to the people you talk with. Please leave out anything that says who you are."
        ),
        max_length=BIO_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    max_chats = forms.TypedChoiceField(
        label=_("Most chats at once"),
        coerce=int,
        choices=[(number, str(number)) for number in MAX_CHATS_RANGE],
        error_messages=CHOOSE_FROM_LIST,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        words = vocabulary()
        language = get_language()
        self._choices_field("experiences").choices = words.choices("experiences", language)
        self._choices_field("topics").choices = words.choices("topics", language)
        self._choices_field("languages").choices = words.choices("languages", language)
        self._choices_field("gender").choices = [
            ("", _("Prefer not to say")),
            *words.choices("genders", language),
        ]

    def _choices_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    @classmethod
    def for_profile(cls, profile: PeerProfile, data: Any = None) -> ProfileForm:
        """The form, filled from ``profile`` (a blank one for a new peer)."""
        initial = {
            "experiences": profile.experiences,
            "experience_words": profile.experience_words,
            "topics": profile.topics,
            "languages": profile.languages,
            "gender": profile.gender,
            "bio": profile.bio,
            "max_chats": profile.max_chats,
        }
        return cls(data, initial=initial)

    def profile_fields(self) -> dict[str, Any]:
        """The cleaned data, named as ``actions.update_profile`` takes it."""
        return {name: self.cleaned_data[name] for name in self.fields}


class AvailabilityForm(PlainForm):
    availability = forms.ChoiceField(
        label=_("Availability"),
        choices=Availability.choices,
        error_messages={
            "required": _("Please choose available, busy or away."),
            "invalid_choice": _("Please choose available, busy or away."),
        },
    )
