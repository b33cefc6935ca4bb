"""Forms of the evidence brief pages: choosing the research to cite, delivering a version."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerlight.advocacy import briefs, evidence
from peerlight.advocacy.models import Campaign, Target


def _source_label(entry: evidence.Entry) -> str:
    note = "" if entry.fully_checked else f" ({_('partly checked')})"
    return f"{entry.citation}{note}"


class BuildForm(forms.Form):
    """Which research entries a new version cites: two to four of the library."""

    evidence_ids = forms.MultipleChoiceField(
        label=_("Research to cite"),
        help_text=_("Choose from 2 to 4 sources. Checked sources are listed first."),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose from 2 to 4 sources.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entries = sorted(evidence.library().entries, key=lambda entry: not entry.fully_checked)
        field = self.fields["evidence_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(entry.id, _source_label(entry)) for entry in entries]

    def clean_evidence_ids(self) -> list[str]:
        ids = list(dict.fromkeys(self.cleaned_data["evidence_ids"]))
        if not briefs.MIN_ENTRIES <= len(ids) <= briefs.MAX_ENTRIES:
            raise forms.ValidationError(
                _("Please choose from %(low)d to %(high)d sources."),
                params={"low": briefs.MIN_ENTRIES, "high": briefs.MAX_ENTRIES},
            )
        return ids


class TargetsField(forms.ModelMultipleChoiceField[Target]):
    """Decision makers by name and office, saying which have no e-mail address."""

    def label_from_instance(self, obj: Target) -> str:
        if obj.email:
            return str(obj)
        return f"{obj} ({_('no e-mail address')})"


class DeliverForm(forms.Form):
    """To whom a version goes, and how."""

    targets = TargetsField(
        label=_("Deliver to"),
        queryset=Target.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose at least one decision maker.")},
    )
    method = forms.ChoiceField(
        label=_("How"),
        choices=[
            (briefs.EMAIL, _("E-mail it now, with the PDF attached")),
            (briefs.HAND, _("I will hand it over or post it (download the PDF)")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose how the brief is delivered.")},
    )

    def __init__(self, campaign: Campaign, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["targets"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = campaign.targets.filter(is_active=True).order_by("name")
