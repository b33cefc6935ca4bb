"""The safety plan form: one text box per section, with the limits of ``plans``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy

from peerlight.lib.forms import PlainForm
from peerlight.safety.plan_models import SafetyPlan
from peerlight.safety.plans import SECTIONS, PlanError, clean_section


class PlanForm(PlainForm):
    """The seven sections as text boxes, and the version of the plan the page showed.

    Each section is cleaned as ``plans.clean_section`` stores it, so an error
    names the section it is about.
    """

    version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for section in SECTIONS:
            self.fields[section.name] = forms.CharField(
                label=section.title,
                help_text=format_lazy("{} {}", section.guidance, section.help_text),
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 5}),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for section in SECTIONS:
            if section.name not in cleaned:
                continue
            try:
                cleaned[section.name] = clean_section(str(cleaned[section.name]))
            except PlanError as refused:
                self.add_error(section.name, refused.message)
        return cleaned

    @classmethod
    def initial_for(cls, plan: SafetyPlan | None, *, professionals: str) -> dict[str, Any]:
        """The form's starting values: the plan as it is, or a new plan with suggestions."""
        if plan is None:
            return {"version": 0, "professionals": professionals}
        initial: dict[str, Any] = {
            section.name: getattr(plan, section.name) for section in SECTIONS
        }
        initial["version"] = plan.version
        return initial

    def sections(self) -> dict[str, str]:
        return {section.name: self.cleaned_data[section.name] for section in SECTIONS}
