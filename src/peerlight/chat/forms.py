"""Chat input with tight bounds; the actions check again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerlight.chat.actions import CLIENT_ID, MAX_BODY
from peerlight.lib.forms import PlainForm
from peerlight.safety.models import Report


class SendForm(PlainForm):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MAX_BODY,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        error_messages={"required": _("Please write a message first.")},
    )
    client_id = forms.RegexField(regex=CLIENT_ID, max_length=64, widget=forms.HiddenInput)
    # The highest seq the page already shows, so the answer can fill any gap.
    after = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)


class ReportForm(PlainForm):
    reason = forms.ChoiceField(
        label=_("What happened?"),
        choices=Report.Reason.choices,
        initial=Report.Reason.OTHER,
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label=_("Anything you want to add (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    block = forms.BooleanField(
        label=_("Also block this person, so they cannot reach you again"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, direct: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not direct:
            # In a group nobody in particular is blocked by a report.
            del self.fields["block"]
