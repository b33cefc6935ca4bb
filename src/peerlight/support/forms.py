"""Input of the support flow: what someone asks for, a message for later, a guest's consent.

Choices come from the vocabulary (``peers/data/vocabulary.json``) with labels
in the reader's language; the forms accept codes from it and nothing else.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peerlight.accounts.forms import AgreementForm
from peerlight.lib.forms import PlainForm
from peerlight.peers.vocabulary import vocabulary
from peerlight.support.actions import RequestDetails

WORDS_MAX = 1000
PRIORITY_FIELDS = ("priority_1", "priority_2", "priority_3")
NO_PREFERENCE = ""


class SupportRequestForm(PlainForm):
    topics = forms.MultipleChoiceField(
        label=_("What is on your mind?"),
        help_text=_("Choose any that fit. You can also say it in your own words below."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    words = forms.CharField(
        label=_("In your own words (optional)"),
        help_text=_("Only the peer who is asked to talk with you reads this."),
        required=False,
        max_length=WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    priority_1 = forms.ChoiceField(label=_("Most important"), required=False)
    priority_2 = forms.ChoiceField(label=_("Second"), required=False)
    priority_3 = forms.ChoiceField(label=_("Third"), required=False)
    language = forms.ChoiceField(label=_("Language to talk in"))
    gender = forms.ChoiceField(label=_("I would rather talk with"), required=False)
    same_peer = forms.BooleanField(
        label=_("The same peer as last time, if they are free"), required=False
    )

    def __init__(
        self, *args: Any, language: str = "en", offer_same_peer: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("language", language.split("-")[0])
        super().__init__(*args, **kwargs)
        words = vocabulary()
        experiences = [("", _("No choice")), *words.choices("experiences", language)]
        self._choose("topics", words.choices("topics", language))
        for name in PRIORITY_FIELDS:
            self._choose(name, experiences)
        self._choose("language", words.choices("languages", language))
        genders = [(NO_PREFERENCE, _("No preference")), *words.choices("genders", language)]
        self._choose("gender", genders)
        if not offer_same_peer:
            del self.fields["same_peer"]

    def _choose(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = [cleaned.get(name) for name in PRIORITY_FIELDS if cleaned.get(name)]
        if len(set(chosen)) != len(chosen):
            self.add_error("priority_2", _("Please choose each experience only once."))
        if not cleaned.get("topics") and not str(cleaned.get("words") or "").strip():
            raise ValidationError(
                _("Please choose at least one topic or say a few words."), code="empty"
            )
        return cleaned

    def details(self) -> RequestDetails:
        """The cleaned answers as ``actions.request_support`` takes them."""
        data = self.cleaned_data
        gender = data.get("gender") or NO_PREFERENCE
        return RequestDetails(
            topics=list(data["topics"]),
            priorities=[data[name] for name in PRIORITY_FIELDS if data.get(name)],
            language=data["language"],
            preferences={"gender": gender} if gender else {},
            words=str(data.get("words") or "").strip(),
            wants_same_peer=bool(data.get("same_peer")),
        )


def has_request_answers(data: Any) -> bool:
    """True when a posted start form carries any answer (a guest may post none)."""
    return any(data.get(name) for name in ("topics", "words", *PRIORITY_FIELDS))


class MessageForLaterForm(PlainForm):
    message = forms.CharField(
        label=_("A message for the peer who picks this up"),
        help_text=_("They will read it first, and their reply will wait for you here."),
        max_length=WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class GuestForm(AgreementForm):
    """Continuing without an account: the same agreements as signing up."""
