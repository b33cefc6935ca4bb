"""Forms of answers and accountability: answer links, a target's answer, the tracker."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.advocacy.accountability import ANSWER_LINK_DAYS
from peerlight.advocacy.models import ANSWER_MAX, UPDATE_MAX, Campaign, Commitment, Target

SOURCE_URL_MAX = 200


def _campaign_targets(field: forms.Field, campaign: Campaign) -> None:
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = campaign.targets.order_by("name")


class AnswerLinkForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Who will answer"),
        queryset=Target.objects.none(),
        empty_label=_("Choose a decision maker"),
        error_messages={
            "required": _("Please choose who will answer."),
            "invalid_choice": _("Please choose one of this campaign's decision makers."),
        },
    )
    days = forms.IntegerField(
        label=_("Days the link works"),
        min_value=ANSWER_LINK_DAYS[0],
        max_value=ANSWER_LINK_DAYS[1],
        initial=ANSWER_LINK_DAYS[2],
        help_text=_("From 1 to 90 days. You can stop the link sooner."),
        error_messages={"required": _("Please say how many days the link works.")},
    )

    def __init__(self, campaign: Campaign, *args: Any, **kwargs: Any) -> None:
        # Its page has the tracker's form too: ids of its own, same field names.
        kwargs.setdefault("auto_id", "link_%s")
        super().__init__(*args, **kwargs)
        _campaign_targets(self.fields["target"], campaign)


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        help_text=_(
            "It is shown on the campaign's page under your name and office, for everyone "
            "who acted and anyone else to read."
        ),
        max_length=ANSWER_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": _("Please write your answer."),
            "max_length": _("Please keep your answer under %(limit_value)d characters."),
        },
    )


class VisibilityForm(forms.Form):
    visible = forms.TypedChoiceField(
        choices=[("yes", _("Show")), ("no", _("Hide"))],
        coerce=lambda value: value == "yes",
        error_messages={"required": _("Please choose to show or hide the answer.")},
    )


class CommitmentForm(forms.Form):
    """A commitment, vote or budget line a decision maker made."""

    kind = forms.ChoiceField(
        label=_("What happened"),
        choices=Commitment.Kind.choices,
        error_messages={"required": _("Please choose what happened.")},
    )
    target = forms.ModelChoiceField(
        label=_("Who"),
        queryset=Target.objects.none(),
        required=False,
        empty_label=_("Not one of the campaign's decision makers"),
    )
    stance = forms.ChoiceField(
        label=_("For or against the ask"),
        choices=Commitment.Stance.choices,
        initial=Commitment.Stance.FOR,
    )
    description = forms.CharField(
        label=_("In a few words"),
        max_length=UPDATE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Please describe what happened."),
            "max_length": _("Please keep it under %(limit_value)d characters."),
        },
    )
    amount = forms.DecimalField(
        label=_("Amount (for a budget line)"),
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        help_text=_("In whole currency units, without the currency sign."),
    )
    occurred_on = forms.DateField(
        label=_("When it happened"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Please give the date it happened."),
            "invalid": _("Please give the date as year-month-day, for example 2026-03-31."),
        },
    )
    source_url = forms.URLField(
        label=_("Where it is recorded (optional)"),
        required=False,
        max_length=SOURCE_URL_MAX,
        validators=[URLValidator(schemes=["https", "http"])],
        assume_scheme="https",
        help_text=_("A public address, such as the minutes or the budget document."),
    )

    def __init__(self, campaign: Campaign, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "commitment_%s")
        super().__init__(*args, **kwargs)
        _campaign_targets(self.fields["target"], campaign)

    def clean_occurred_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Please give a date that has passed (or today)."))
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        budget_line = cleaned.get("kind") == Commitment.Kind.BUDGET_LINE
        if budget_line and cleaned.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", _("Please give the amount of the budget line."))
        return cleaned
