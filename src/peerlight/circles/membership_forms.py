"""Forms of joining a circle, answering requests and taking attendance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from peerlight.circles.attendance import SheetLine
from peerlight.circles.membership import REQUEST_NOTE_MAX
from peerlight.circles.models import Circle

ACCEPT = "accept"
DECLINE = "decline"


def age_range_label(circle: Circle) -> str:
    """The sentence a person ticks to say they are within the circle's ages."""
    low, high = circle.min_age, circle.max_age
    if low is not None and high is not None:
        return gettext("I am between %(low)d and %(high)d years old") % {"low": low, "high": high}
    if low is not None:
        return gettext("I am %(low)d or older") % {"low": low}
    return gettext("I am %(high)d or younger") % {"high": high}


class SignUpForm(forms.Form):
    """Joining ``circle``: the age range (if it has one) and, by request, a short note."""

    age_confirmed = forms.BooleanField(required=False)
    note = forms.CharField(
        label=_("A few words to the facilitators (optional)"),
        help_text=_("Only the facilitators read this. Up to 500 characters."),
        max_length=REQUEST_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, circle: Circle, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.circle = circle
        if circle.min_age is None and circle.max_age is None:
            del self.fields["age_confirmed"]
        else:
            field = self.fields["age_confirmed"]
            field.required = True
            field.label = age_range_label(circle)
            field.error_messages["required"] = gettext(
                "Please confirm that you are within the circle's age range."
            )
        if circle.joining != Circle.Joining.REQUEST:
            del self.fields["note"]

    def confirmed_age(self) -> bool:
        return bool(self.cleaned_data.get("age_confirmed", False))

    def request_note(self) -> str:
        return str(self.cleaned_data.get("note", ""))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(ACCEPT, _("Accept")), (DECLINE, _("Decline"))],
        error_messages={"required": _("Please choose to accept or decline.")},
    )

    def accepts(self) -> bool:
        return bool(self.cleaned_data["decision"] == ACCEPT)


class AttendanceForm(forms.Form):
    """The attendance checklist: one box per person on the meeting's list."""

    present = forms.TypedMultipleChoiceField(
        label=_("Who came"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Some of the people marked are not on this meeting's list.")
        },
    )

    def __init__(self, sheet: Sequence[SheetLine], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"present": [line.user_id for line in sheet if line.present]})
        super().__init__(*args, **kwargs)
        field = self.fields["present"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(line.user_id, line.display_name) for line in sheet]

    def present_user_ids(self) -> set[int]:
        return {int(user_id) for user_id in self.cleaned_data["present"]}
