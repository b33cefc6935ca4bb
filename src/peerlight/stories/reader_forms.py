"""Forms of reading stories: the topics left out, the list's topic, "this helped me", replies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peerlight.lib.forms import PlainForm
from peerlight.stories import vocabulary
from peerlight.stories.models import REPLY_MAX
from peerlight.stories.reading import Hidden

# Far beyond any real list; a bound on what the query string may ask for.
MOST_PAGES = 10_000
YES = "yes"
NO = "no"


def _flat_tag_choices(language: str | None) -> list[tuple[str, str]]:
    return [choice for _section, group in vocabulary.tag_choices(language) for choice in group]


def _grouped_tag_choices(language: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    headings = {"experiences": _("Lived experience"), "topics": _("Topics")}
    return [
        (str(headings.get(section, section)), group)
        for section, group in vocabulary.tag_choices(language)
    ]


class FilterForm(PlainForm):
    """The tags and content notes a reader never wants to see."""

    hidden_notes = forms.MultipleChoiceField(
        label=_("Content notes"),
        help_text=_("Stories with any of these notes will not be listed for you."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Please choose content notes from the list.")},
    )
    hidden_tags = forms.MultipleChoiceField(
        label=_("Topics"),
        help_text=_("Stories about any of these will not be listed for you."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Please choose topics from the list.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        notes = self.fields["hidden_notes"]
        tags = self.fields["hidden_tags"]
        assert isinstance(notes, forms.MultipleChoiceField)
        assert isinstance(tags, forms.MultipleChoiceField)
        notes.choices = vocabulary.note_choices(language)
        tags.choices = _grouped_tag_choices(language)

    @classmethod
    def showing(cls, hidden: Hidden) -> FilterForm:
        """An unbound form ticked as ``hidden`` is."""
        return cls(
            initial={"hidden_tags": sorted(hidden.tags), "hidden_notes": sorted(hidden.notes)}
        )

    def hidden(self) -> Hidden:
        return Hidden(
            tags=frozenset(self.cleaned_data["hidden_tags"]),
            notes=frozenset(self.cleaned_data["hidden_notes"]),
        )


class ListForm(PlainForm):
    """The list's query string: one topic to show (optional) and the page."""

    tag = forms.ChoiceField(
        label=_("Show stories about"),
        required=False,
        error_messages={
            "invalid_choice": _("That topic is not one we know. Please choose one from the list.")
        },
    )
    page = forms.IntegerField(
        min_value=1,
        max_value=MOST_PAGES,
        required=False,
        error_messages={"invalid": _("The page number should be a whole number.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tag"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All topics")), *_flat_tag_choices(get_language())]

    def chosen_tag(self) -> str:
        return str(self.cleaned_data.get("tag") or "") if self.is_valid() else ""

    def page_number(self) -> int:
        if not self.is_valid():
            return 1
        return int(self.cleaned_data.get("page") or 1)


class HelpedForm(forms.Form):
    helped = forms.ChoiceField(
        choices=[(YES, _("This helped me")), (NO, _("Take it back"))],
        error_messages={
            "required": _("Please say whether the story helped you."),
            "invalid_choice": _("Please say whether the story helped you."),
        },
    )

    def marks(self) -> bool:
        return bool(self.cleaned_data["helped"] == YES)


class ReplyForm(PlainForm):
    body = forms.CharField(
        label=_("Your reply"),
        help_text=_(
            "Up to 1,000 characters. A coordinator reads every reply before it is shown, "
            "with the name you chose. Please leave out contact details."
        ),
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Please write a few words first."),
            "max_length": _("Please keep your reply to 1,000 characters or fewer."),
        },
    )
