"""The author's forms: a story's words and choices, its consent, withdrawing it.

Bounds match the models and ``actions``, which check the same rules again;
choices come from the data files (prompts, content notes) and the peers
vocabulary (topics), in the active language.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peerlight.lib.forms import PlainForm
from peerlight.stories import vocabulary
from peerlight.stories.actions import (
    MAX_CHOSEN_CAMPAIGNS,
    ConsentChoices,
    Draft,
    active_campaigns,
)
from peerlight.stories.models import (
    BODY_MAX,
    OTHER_NAME_MAX,
    TITLE_MAX,
    StoryConsent,
    StoryVersion,
)

MAX_TAGS = 8
CHOOSE_FROM_LIST = _("Please choose from the list.")
FREE_WRITING = ""


class StoryForm(PlainForm):
    """Title, body, an optional guided prompt, content notes and topic tags.

    Tags are asked in the peers vocabulary's two groups (lived experiences
    and topics) and stored together.
    """

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        error_messages={
            "required": _("Please give your story a title."),
            "max_length": _("Please keep the title to %(limit_value)d characters."),
        },
    )
    prompt = forms.ChoiceField(
        label=_("A question to write to (optional)"),
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": CHOOSE_FROM_LIST},
    )
    body = forms.CharField(
        label=_("Your story"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Leave an empty line between paragraphs. You can write *emphasis*, **strong**, "
            "lists starting with “- ”, quotes starting with “> ”, headings starting with "
            "“### ” and links as [words](https://…)."
        ),
        error_messages={
            "required": _("Please write your story before saving it."),
            "max_length": _("Please keep your story to %(limit_value)d characters."),
        },
    )
    content_notes = forms.MultipleChoiceField(
        label=_("Content notes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick what your story talks about, so readers can choose what they see. "
            "It is kind to readers, and nothing is wrong with writing about these things."
        ),
        error_messages={"invalid_choice": CHOOSE_FROM_LIST},
    )
    experiences = forms.MultipleChoiceField(
        label=_("Lived experience it tells of"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": CHOOSE_FROM_LIST},
    )
    topics = forms.MultipleChoiceField(
        label=_("What it is about"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Up to 8 topics in all, so people looking for stories like yours can find it."
        ),
        error_messages={"invalid_choice": CHOOSE_FROM_LIST},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        prompt_field: Any = self.fields["prompt"]
        prompt_field.choices = [
            (FREE_WRITING, _("No question: I will write freely")),
            *vocabulary.prompt_choices(language),
        ]
        notes_field: Any = self.fields["content_notes"]
        notes_field.choices = vocabulary.note_choices(language)
        for section, choices in vocabulary.tag_choices(language):
            field: Any = self.fields[section]
            field.choices = choices

    @classmethod
    def for_version(cls, version: StoryVersion | None, data: Any = None) -> StoryForm:
        """The form, filled in from ``version`` (the newest the author wrote)."""
        if version is None:
            return cls(data)
        initial = {
            "title": version.title,
            "body": version.body,
            "prompt": version.prompt,
            "content_notes": version.content_notes,
            **{
                section: [code for code in version.tags if code in dict(choices)]
                for section, choices in vocabulary.tag_choices(get_language())
            },
        }
        return cls(data, initial=initial)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if len(self._tags(data)) > MAX_TAGS:
            self.add_error(
                "topics", _("Please choose up to %(max)d topics in all.") % {"max": MAX_TAGS}
            )
        return data

    @staticmethod
    def _tags(data: dict[str, Any]) -> list[str]:
        return [*data.get("experiences", []), *data.get("topics", [])]

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(
            title=data["title"],
            body=data["body"],
            prompt=data["prompt"],
            notes=tuple(data["content_notes"]),
            tags=tuple(self._tags(data)),
        )


class ConsentForm(PlainForm):
    """Who may read the story, how it is signed, campaigns, and an optional end date."""

    audience = forms.ChoiceField(
        label=_("Who may read your story"),
        choices=StoryConsent.Audience.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose who may read your story."),
            "invalid_choice": CHOOSE_FROM_LIST,
        },
    )
    attribution = forms.ChoiceField(
        label=_("How your story is signed"),
        choices=StoryConsent.Attribution.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose how your story is signed."),
            "invalid_choice": CHOOSE_FROM_LIST,
        },
    )
    other_name = forms.CharField(
        label=_("The name to sign with"),
        required=False,
        max_length=OTHER_NAME_MAX,
        help_text=_(
            "Only if you chose “Another name I choose”. A first name or a nickname is enough."
        ),
        error_messages={"max_length": _("Please keep the name to %(limit_value)d characters.")},
    )
    advocacy = forms.ChoiceField(
        label=_("May campaigns use your story?"),
        choices=StoryConsent.Advocacy.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Campaigns ask decision makers to fund what works. A story may be quoted in "
            "letters, testimony and evidence briefs, signed as you chose above."
        ),
        error_messages={
            "required": _("Please choose whether campaigns may use your story."),
            "invalid_choice": CHOOSE_FROM_LIST,
        },
    )
    campaigns = forms.TypedMultipleChoiceField(
        label=_("The campaigns that may use it"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only if you chose “Only in the campaigns I choose”."),
        error_messages={"invalid_choice": CHOOSE_FROM_LIST},
    )
    ends_on = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "After this day your story is no longer shown or used. Leave empty for no end."
        ),
        error_messages={"invalid": _("Please write the date as year-month-day, like 2027-03-31.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaigns_field: Any = self.fields["campaigns"]
        campaigns_field.choices = active_campaigns()

    @classmethod
    def for_consent(cls, consent: StoryConsent | None, data: Any = None) -> ConsentForm:
        """The form, filled in from the newest consent (or calm defaults for a first one)."""
        if consent is None or consent.withdrawn:
            initial: dict[str, Any] = {
                "audience": StoryConsent.Audience.MEMBERS,
                "attribution": StoryConsent.Attribution.ANONYMOUS,
                "advocacy": StoryConsent.Advocacy.NONE,
            }
        else:
            initial = {
                "audience": consent.audience,
                "attribution": consent.attribution,
                "other_name": consent.other_name,
                "advocacy": consent.advocacy,
                "campaigns": consent.campaign_ids,
                "ends_on": consent.ends_on,
            }
        return cls(data, initial=initial)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        other = data.get("attribution") == StoryConsent.Attribution.OTHER_NAME
        if other and not " ".join(str(data.get("other_name", "")).split()):
            self.add_error("other_name", _("Please write the name to sign your story with."))
        campaigns = data.get("campaigns") or []
        if data.get("advocacy") == StoryConsent.Advocacy.CHOSEN:
            if not campaigns:
                self.add_error(
                    "campaigns", _("Please choose at least one campaign, or another option.")
                )
            elif len(campaigns) > MAX_CHOSEN_CAMPAIGNS:
                self.add_error("campaigns", CHOOSE_FROM_LIST)
        ends_on: datetime.date | None = data.get("ends_on")
        if ends_on is not None and ends_on <= timezone.localdate():
            self.add_error(
                "ends_on", _("Please choose an end date after today, or leave it empty.")
            )
        return data

    def choices(self) -> ConsentChoices:
        data = self.cleaned_data
        return ConsentChoices(
            audience=data["audience"],
            attribution=data["attribution"],
            advocacy=data["advocacy"],
            other_name=data.get("other_name") or "",
            campaign_ids=tuple(data.get("campaigns") or ()),
            ends_on=data.get("ends_on"),
        )


class WithdrawStoryForm(PlainForm):
    confirm = forms.BooleanField(
        label=_("Yes, withdraw this story for good"),
        error_messages={
            "required": _("Please tick the box to say you want to withdraw this story.")
        },
    )
