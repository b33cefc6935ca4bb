"""Forms of the coordinators' campaign pages: a campaign and its progress updates.

``RESERVED_SLUGS`` are the words of fixed pages under /act/ (``advocacy/urls.py``
puts campaign pages last, and no campaign may take these addresses).
``actions`` checks the same rules again.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peerlight.advocacy.models import TEXT_MAX, TITLE_MAX, UPDATE_MAX, Campaign, Target
from peerlight.lib.forms import PlainForm
from peerlight.peers.vocabulary import vocabulary

__all__ = ["RESERVED_SLUGS", "SLUG_MAX", "CampaignForm", "UpdateForm", "slug_error"]

# Words of fixed pages under /act/ that a campaign's address must not take.
RESERVED_SLUGS = frozenset({"new", "news", "proposals", "targets", "answer", "manage", "export"})
SLUG_MAX = 80
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CHOOSE_FROM_LIST = {"invalid_choice": _("Please choose from the list.")}


def slug_error(slug: str) -> str | None:
    """Why ``slug`` cannot be a new campaign's address, in words; None when it can."""
    if len(slug) > SLUG_MAX or not _SLUG.fullmatch(slug):
        return str(
            _("Use lower-case letters, digits and single hyphens only (up to 80 characters).")
        )
    if slug in RESERVED_SLUGS:
        return str(_("This address is kept for a page of the site. Please choose another."))
    if Campaign.objects.filter(slug=slug).exists():
        return str(_("Another campaign has this address. Please choose another."))
    return None


def tag_choices(language: str | None) -> list[tuple[str, Any]]:
    """Lived experiences and topics of the peers vocabulary, as two groups of one list."""
    words = vocabulary()
    return [
        (str(_("Lived experience")), words.choices("experiences", language)),
        (str(_("Topics")), words.choices("topics", language)),
    ]


class CampaignForm(PlainForm):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    slug = forms.CharField(
        label=_("Web address (optional)"),
        help_text=_(
            "The last part of the campaign's address, like fund-peer-respite. "
            "Leave it empty to make one from the title. It cannot change later."
        ),
        max_length=SLUG_MAX,
        required=False,
    )
    ask = forms.CharField(
        label=_("The ask"),
        help_text=_("The one thing decision makers are asked to do, in a sentence or two."),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    why = forms.CharField(
        label=_("Why it matters"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    targets = forms.ModelMultipleChoiceField(
        label=_("Decision makers"),
        help_text=_("Who the campaign asks. Add people to the list on the decision makers page."),
        queryset=Target.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("Please choose decision makers from the list."),
            "invalid_pk_value": _("Please choose decision makers from the list."),
        },
        widget=forms.CheckboxSelectMultiple,
    )
    deadline = forms.DateField(
        label=_("Deadline (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Please enter a date, like 2027-03-31.")},
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=Campaign.Status.choices, error_messages=CHOOSE_FROM_LIST
    )
    tags = forms.MultipleChoiceField(
        label=_("Topics (optional)"),
        help_text=_("Stories shared for campaigns are matched to it by these."),
        required=False,
        error_messages=CHOOSE_FROM_LIST,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, campaign: Campaign | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        tags = self.fields["tags"]
        assert isinstance(tags, forms.MultipleChoiceField)
        tags.choices = tag_choices(get_language())
        targets = self.fields["targets"]
        assert isinstance(targets, forms.ModelMultipleChoiceField)
        targets.queryset = offered_targets(campaign)
        if campaign is not None:
            # The address stays as it was made: links to it are already out there.
            del self.fields["slug"]

    @classmethod
    def for_campaign(cls, campaign: Campaign, data: Any = None) -> CampaignForm:
        initial = {
            name: getattr(campaign, name) for name in ("title", "ask", "why", "deadline", "status")
        }
        initial["tags"] = list(campaign.tags)
        initial["targets"] = list(campaign.targets.all())
        return cls(data, initial=initial, campaign=campaign)

    @classmethod
    def blank(cls, data: Any = None) -> CampaignForm:
        return cls(data, initial={"status": Campaign.Status.DRAFT})

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data.get("slug") or "").strip().lower()
        if slug and (problem := slug_error(slug)):
            raise forms.ValidationError(problem)
        return slug

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data.get("deadline")
        unchanged = self.campaign is not None and deadline == self.campaign.deadline
        if deadline is not None and not unchanged and deadline < timezone.localdate():
            raise forms.ValidationError(_("The deadline cannot be in the past."))
        return deadline

    def campaign_fields(self) -> dict[str, Any]:
        """The cleaned data as ``actions`` takes it (fields of ``Campaign``)."""
        data = self.cleaned_data
        return {
            "title": data["title"].strip(),
            "ask": data["ask"].strip(),
            "why": data["why"].strip(),
            "deadline": data.get("deadline"),
            "status": data["status"],
            "tags": list(data.get("tags") or []),
        }

    def chosen_targets(self) -> list[Target]:
        return list(self.cleaned_data.get("targets") or [])

    def chosen_slug(self) -> str:
        return str(self.cleaned_data.get("slug", ""))


def offered_targets(campaign: Campaign | None) -> QuerySet[Target]:
    """Targets a campaign may name: those in use, and those it names already."""
    in_use = Q(is_active=True)
    if campaign is not None:
        in_use |= Q(campaigns=campaign)
    return Target.objects.filter(in_use).distinct().order_by("name", "pk")


class UpdateForm(PlainForm):
    body = forms.CharField(
        label=_("What happened"),
        help_text=_("Shown on the campaign's page, newest first."),
        max_length=UPDATE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
