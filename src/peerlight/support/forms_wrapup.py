"""Forms of the wrap-up: the member's rating and the peer's note."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peerlight.lib.forms import PlainForm
from peerlight.support.wrapup import MAX_WORDS

FELT_HEARD_CHOICES = [
    ("1", _("1 — I did not feel heard")),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5", _("5 — I felt completely heard")),
]


class RatingForm(PlainForm):
    felt_heard = forms.TypedChoiceField(
        label=_("How much did you feel heard?"),
        choices=FELT_HEARD_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose a number from 1 to 5.")},
    )
    words = forms.CharField(
        label=_("Anything you would like to add (optional)"),
        help_text=_("A few words on what helped, or what could have been better."),
        required=False,
        max_length=MAX_WORDS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class PeerNoteForm(PlainForm):
    talked_about = forms.CharField(
        label=_("What you talked about"),
        required=False,
        max_length=MAX_WORDS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    strengths = forms.CharField(
        label=_("Strengths you noticed"),
        help_text=_("What they did well, what keeps them going."),
        required=False,
        max_length=MAX_WORDS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    resources = forms.CharField(
        label=_("Resources you shared"),
        required=False,
        max_length=MAX_WORDS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_step = forms.CharField(
        label=_("A next step"),
        help_text=_("Something small they chose, in their words if you can."),
        required=False,
        max_length=MAX_WORDS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if not self.errors and not any(str(value).strip() for value in cleaned.values()):
            raise ValidationError(_("Please write at least one part of the note."), code="empty")
        return cleaned
